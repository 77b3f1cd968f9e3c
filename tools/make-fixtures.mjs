#!/usr/bin/env node
// Regenerates the committed fixtures in testdata/succeed/: small traces of this machine recorded by
// Debian's trace-cmd (extract, in a private instance), with trace-cmd report's own output in each mode.
// Needs root, tracefs, trace-cmd and gcc. Usage: node tools/make-fixtures.mjs [NAME...]
import { mkdirSync, writeFileSync, rmSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { liveSkipReason, tmpDir, recordReference, convert, runTraceCmd, buildProbeTarget, symbolOffset } from '../test/lib/live.mjs';

const skip = liveSkipReason();
if (skip) {
  console.error(`make-fixtures: ${skip}`);
  process.exit(1);
}
const OUT = new URL('../testdata/succeed/', import.meta.url).pathname;
const MODES = { report: [], 'report-N': ['-N'], 'report-R': ['-R'], 'report-t': ['-t'], 'report-l': ['-l'] };

const mark = (I, msgs) => {
  for (const d of I) for (const m of msgs) writeFileSync(join(d, 'trace_marker'), m);
};
const work = (I) => {
  mark(I, ['fixture marker', 'tab\tand "quotes" and utf-8 é✓', 'M'.repeat(200)]);
  spawnSync('sh', ['-c', 'ls -la /usr/lib >/dev/null; dd if=/dev/zero of=/dev/null bs=4k count=100 2>/dev/null; sleep 0.02']);
  for (const d of I) writeFileSync(join(d, 'trace_marker_raw'), Buffer.from([3, 0, 0, 0, 1, 2, 3, 4, 5]));
};

const fixtures = {
  'many-v7-zstd': (dir) =>
    recordReference(dir, {
      events: [
        'sched',
        'irq',
        'timer',
        'kmem/kmalloc',
        'kmem/kfree',
        'raw_syscalls',
        'syscalls/sys_enter_openat',
        'syscalls/sys_exit_openat',
        'workqueue',
        'signal',
        'task',
        'ipi',
        'rcu',
      ],
      run: work,
    }).file,
  'sched-v6': (dir) =>
    convert(recordReference(dir, { events: ['sched', 'irq'], run: work }).file, join(dir, 'v6.dat'), { version: 6, compression: 'none' }),
  'counter-clock-v7-none': (dir) =>
    convert(recordReference(dir, { events: ['sched', 'timer'], clock: 'counter', run: work }).file, join(dir, 'c.dat'), {
      compression: 'none',
    }),
  'two-instances-subbuf8k': (dir) => recordReference(dir, { events: ['sched', 'irq'], instances: 2, subbufKb: 8, run: work }).file,
  'lost-events': (dir) =>
    recordReference(dir, {
      events: ['sched', 'irq', 'timer', 'raw_syscalls'],
      bufKb: 32,
      run: (I) => {
        spawnSync('sh', ['-c', 'for i in $(seq 1 200); do cat /proc/self/stat >/dev/null; done']);
        work(I);
      },
    }).file,
  // bytes 0x80-0x9f (windows-1252 differs from latin1 there) in a comm (saved_cmdlines), a file name and markers
  'utf8-comm-marker': (dir) =>
    recordReference(dir, {
      events: ['sched', 'raw_syscalls', 'syscalls/sys_enter_openat'],
      run: (I) => {
        mark(I, ['euro € check ✓ ellipsis … quote “x”']);
        for (const d of I)
          writeFileSync(
            join(d, 'trace_marker'),
            Buffer.from([0x72, 0x61, 0x77, 0x20, 0x80, 0x85, 0x8d, 0x90, 0x93, 0x9c, 0x9f, 0x20, 0xa0, 0xff]),
          );
        // the shell renames itself (children would get their binary's name back at exec) and works under that name
        spawnSync('sh', [
          '-c',
          'printf "utp\\342\\202\\254\\342\\234\\223\\302\\205" > /proc/$$/comm; f=/tmp/utp-fixture-\\342\\202\\254-$$; for i in 1 2 3 4 5 6 7 8; do echo x > "$(printf "$f")"; done; rm -f "$(printf "$f")"; sleep 0.02',
        ]);
      },
    }).file,
  'uprobe-args': (dir) => {
    const bin = buildProbeTarget(dir);
    const off = symbolOffset(bin, 'utp_probe_me');
    const g = 'utp_fixture';
    return recordReference(dir, {
      events: [`${g}/enter`, `${g}/leave`],
      uprobes: [`p:${g}/enter ${bin}:${off} a=%di:s32 b=%si:s64 bx=%si:x64 s=+0(%dx):string`, `r:${g}/leave ${bin}:${off} ret=$retval:s32`],
      run: () => spawnSync(bin, ['4']),
    }).file;
  },
};

const want = process.argv.slice(2);
for (const [name, make] of Object.entries(fixtures)) {
  if (want.length && !want.includes(name)) continue;
  const dir = tmpDir();
  try {
    const file = make(dir);
    const dest = join(OUT, name);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const bytes = readFileSync(file);
    // Uncompressed files are stored gzipped (kallsyms makes them large); the test gunzips them.
    if (bytes.length > 2_000_000) writeFileSync(join(dest, 'trace.dat.gz'), gzipSync(bytes, { level: 9 }));
    else copyFileSync(file, join(dest, 'trace.dat'));
    for (const [out, args] of Object.entries(MODES)) {
      const r = runTraceCmd(['report', ...args, '-i', file]);
      // A crash or a refusal must never become an expected output.
      if (r.status !== 0 || r.signal) {
        throw new Error(
          `trace-cmd report ${args.join(' ')} -i ${name} failed (${r.signal ?? 'exit ' + r.status}): ${r.stderr.toString().trim().slice(0, 300)}`,
        );
      }
      if (r.stderr.length) console.error(`${name} ${out}: trace-cmd said: ${r.stderr.toString().trim().slice(0, 300)}`);
      if (r.stdout.toString('latin1').split('\n').filter(Boolean).length < 2)
        throw new Error(`trace-cmd report ${args.join(' ')} -i ${name} printed no event`);
      writeFileSync(join(dest, `${out}.txt`), r.stdout);
    }
    console.log(`${name}: ${bytes.length} bytes, ${readFileSync(join(dest, 'report.txt'), 'utf8').split('\n').length - 1} lines`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
