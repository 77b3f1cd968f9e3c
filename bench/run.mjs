#!/usr/bin/env node
// npm run bench: times utp and the reference tool side by side, in one run, and prints the ratio.
//   report/v7-zstd/syscalls-2M  `trace-cmd report` vs `utp report` on a ~2M-event v7+zstd trace of this
//                               machine (made on first use in bench/data/, reused afterwards), output to a file.
//   report/v7-zstd/syscalls-2M/-R  the same with -R (raw field lists)
//   report/v7-zstd/mixed        a trace with ~200 event types (kmem, syscalls, sched, irq, timer, ...; made on first use)
//   tracecmd/record/raw_syscalls `utp record` vs a plain per-CPU `cat trace_pipe_raw` copy under a syscall storm:
//                               events captured, events lost, recorder CPU time (packages/tracecmd/bench/record.mjs).
// Options: --events N (default 2000000), --runs N (default 3), --only NAME, --keep-output
import { existsSync, mkdirSync, statSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { liveSkipReason, recordReference, UTP } from '../test/lib/live.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const EVENTS = Number(opt('--events', 2_000_000));
const RUNS = Number(opt('--runs', 3));
const DATA = new URL('./data/', import.meta.url).pathname;
mkdirSync(DATA, { recursive: true });

/** Runs a shell command under /usr/bin/time; returns { seconds, maxRssKb, status }. */
function timed(cmd, outFile) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'sh', '-c', `${cmd} > ${outFile}`], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [sec, rss] = last.split(' ').map(Number);
  return { seconds: sec, maxRssKb: rss, status: r.status, stderr: r.stderr };
}

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

function makeTrace() {
  const file = join(DATA, `syscalls-${EVENTS}.dat`);
  if (existsSync(file)) return file;
  const skip = liveSkipReason();
  if (skip) { console.error(`bench: cannot make the trace: ${skip}`); process.exit(1); }
  console.error(`bench: recording a ~${EVENTS}-event trace of this machine (once; reused from ${file})`);
  // raw_syscalls enter+exit: dd with 1-byte blocks makes 2 syscalls (4 events) per block.
  const blocks = Math.ceil(EVENTS / 4);
  const kb = Math.ceil((EVENTS * 80) / 1024 / 2) + 65536; // per CPU, with headroom
  recordReference(DATA, {
    events: ['raw_syscalls', 'sched', 'irq', 'timer'],
    bufKb: kb,
    out: file,
    run: () => spawnSync('sh', ['-c', `dd if=/dev/zero of=/dev/null bs=1 count=${blocks} 2>/dev/null`]),
  });
  return file;
}

/** A trace with many event types (kmem/syscalls/sched/irq/timer/...: ~200 formats, plugins, %p, flags). */
function makeMixedTrace() {
  const file = join(DATA, 'mixed.dat');
  if (existsSync(file)) return file;
  const skip = liveSkipReason();
  if (skip) { console.error(`bench: cannot make the trace: ${skip}`); process.exit(1); }
  console.error(`bench: recording a mixed-events trace of this machine (once; reused from ${file})`);
  recordReference(DATA, {
    events: ['sched', 'irq', 'timer', 'syscalls', 'kmem', 'signal', 'workqueue', 'filemap', 'block', 'writeback', 'task', 'rcu'],
    bufKb: 65536,
    out: file,
    run: () => spawnSync('sh', ['-c', 'for i in $(seq 1 150); do ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; sh -c "kill -0 $$"; done; '
      + 'dd if=/dev/zero of=/tmp/utp-bench-mixed bs=64k count=200 2>/dev/null; sync; rm -f /tmp/utp-bench-mixed']),
  });
  return file;
}

/** A ~1M-sample perf.data recorded by Debian's perf (under the live lock): tracepoints, or cpu-clock -g. */
function makePerfData(kind) {
  const n = Number(opt('--perf-samples', 1_000_000));
  const file = join(DATA, `perf-${kind}-${n}.data`);
  if (existsSync(file)) return file;
  const skip = liveSkipReason();
  if (skip) { console.error(`bench: cannot record perf.data: ${skip}`); process.exit(1); }
  console.error(`bench: recording ${file} with perf (once)`);
  const cmd = kind === 'tracepoints'
    ? `perf record -q -m 1024 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o ${file} -- dd if=/dev/zero of=/dev/null bs=1 count=${Math.ceil(n / 4)}`
    : `perf record -q -g -m 1024 -e cpu-clock -c 10000 -o ${file} -- dd if=/dev/zero of=/dev/null bs=1 count=${n * 3}`;
  const r = spawnSync('flock', ['/tmp/utp-live.lock', 'sh', '-c', `${cmd} >/dev/null 2>&1`]);
  if (r.status !== 0) { console.error(`bench: perf record failed: ${cmd}`); process.exit(1); }
  return file;
}

/** `trace-cmd report FLAGS` (or `perf script`) vs `utp report FLAGS` on one file, RUNS times each, outputs compared. */
function reportBench(file, flags = '', refTool = 'trace-cmd report') {
  const lines = Number(spawnSync('sh', ['-c', `${refTool} -i ${file} ${flags} 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim());
  const ref = [], utp = [];
  const refOut = join(DATA, 'ref.txt'), utpOut = join(DATA, 'utp.txt');
  for (let i = 0; i < RUNS; i++) {
    ref.push(timed(`${refTool} -i ${file} ${flags} 2>/dev/null`, refOut));
    utp.push(timed(`${process.execPath} ${UTP} report -i ${file} ${flags}`, utpOut));
  }
  const same = spawnSync('cmp', ['-s', refOut, utpOut]).status === 0;
  const failed = utp.find((r) => r.status !== 0);
  if (failed) console.error(`bench: utp report failed: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  if (!args.includes('--keep-output')) { rmSync(refOut, { force: true }); rmSync(utpOut, { force: true }); }
  return {
    what: `${lines} lines, ${(statSync(file).size / 1e6).toFixed(1)} MB file`,
    ref: { name: `${refTool}${flags ? ' ' + flags : ''}`, s: median(ref.map((r) => r.seconds)), rss: Math.max(...ref.map((r) => r.maxRssKb)) },
    utp: { name: `utp report${flags ? ' ' + flags : ''}`, s: median(utp.map((r) => r.seconds)), rss: Math.max(...utp.map((r) => r.maxRssKb)) },
    identical: same,
    lines,
  };
}

const benches = {
  'report/v7-zstd/syscalls-2M': () => reportBench(makeTrace()),
  // -R: every field printed raw (tep_print_fields), arrays included
  'report/v7-zstd/syscalls-2M/-R': () => reportBench(makeTrace(), '-R'),
  // many event types: plugins (kmem, sched_switch, hrtimer), %p/%pS, __print_flags/__print_symbolic, strings
  'report/v7-zstd/mixed': () => reportBench(makeMixedTrace()),
  // perf.data: utp report vs perf script (Debian perf 6.1) on ~1M samples
  'perf/report/tracepoints-1M': () => reportBench(makePerfData('tracepoints'), '', 'perf script'),
  'perf/report/cpu-clock-g-1M': () => reportBench(makePerfData('cpu-clock-g'), '', 'perf script'),
};

// The recorder benchmark lives with its package; it prints its own side-by-side numbers and ratios.
const externalBenches = {
  'tracecmd/record/raw_syscalls': [join(new URL('..', import.meta.url).pathname, 'packages/tracecmd/bench/record.mjs')],
};

const only = opt('--only');
const results = [];
for (const [name, fn] of Object.entries(benches)) {
  if (only && !name.includes(only)) continue;
  const r = fn();
  const ratio = r.ref.s / r.utp.s;
  results.push({ name, ...r, ratio });
  console.log(`${name}  (${r.what})`);
  console.log(`  ${r.ref.name.padEnd(18)} ${r.ref.s.toFixed(2)} s  ${(r.lines / r.ref.s / 1000).toFixed(0)}k lines/s  peak RSS ${(r.ref.rss / 1024).toFixed(0)} MB`);
  console.log(`  ${r.utp.name.padEnd(18)} ${r.utp.s.toFixed(2)} s  ${(r.lines / r.utp.s / 1000).toFixed(0)}k lines/s  peak RSS ${(r.utp.rss / 1024).toFixed(0)} MB`);
  console.log(`  ratio: utp is ${ratio.toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'} than ${r.ref.name}; outputs ${r.identical ? 'identical' : 'DIFFER'}`);
}
for (const [name, cmd] of Object.entries(externalBenches)) {
  if (only && !name.includes(only)) continue;
  spawnSync(process.execPath, cmd, { stdio: 'inherit' });
}
writeFileSync(join(DATA, 'last-results.json'), JSON.stringify(results, null, 2));
