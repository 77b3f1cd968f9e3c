#!/usr/bin/env node
// Records the badfp fixture of @utp/perf (root; run from this directory under the live lock:
// flock /tmp/utp-live.lock node make-badfp-fixture.mjs): a cpu-clock -g recording whose
// frame-pointer chain holds a user-space address after PERF_CONTEXT_KERNEL (dash's frames walked
// into garbage; seen under load). perf looks such an address up in the kernel's maps, finds none and
// prints `[unknown] ([unknown])`. The run is repeated (with two busy loops beside it) until perf
// script -D shows one. The expected text is perf script's with no symbols anywhere (an empty HOME,
// --symfs of an empty directory, --kallsyms of an empty file), so it does not depend on the machine.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const tmp = mkdtempSync(join(tmpdir(), 'utp-badfp-'));
const home = join(tmp, 'home'),
  symfs = join(tmp, 'symfs'),
  ks = join(tmp, 'kallsyms');
mkdirSync(home);
mkdirSync(symfs);
writeFileSync(ks, '');
const data = join(tmp, 'cc.data');
const busy = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
try {
  for (let i = 0; ; i++) {
    if (i === 200) throw new Error('make-badfp-fixture: no such chain in 200 recordings');
    execFileSync('perf', ['record', '-q', '-N', '-g', '-e', 'cpu-clock', '-c', '100000', '-o', data, '--', 'sh', '-c',
      'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done'], { stdio: 'ignore' });
    const dump = execFileSync('perf', ['script', '-D', '-i', data], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    // an FP chain entry after PERF_CONTEXT_KERNEL (ffffffffffffff80) that is a user address
    if (!/: ffffffffffffff80\n(?:\.\.\.\.\. +\d+: (?!fffffffffffffe00)[0-9a-f]{16}\n)*?\.\.\.\.\. +\d+: 0000[0-9a-f]{12}\n/.test(dump)) continue;
    const script = execFileSync('perf', ['script', '-i', data, `--symfs=${symfs}`, `--kallsyms=${ks}`], {
      env: { ...process.env, HOME: home },
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    mkdirSync('badfp', { recursive: true });
    writeFileSync('badfp/cc.data.gz', gzipSync(readFileSync(data), { level: 9 }));
    writeFileSync('badfp/cc.script.gz', gzipSync(script, { level: 9 }));
    console.log(`badfp: found after ${i + 1} recordings`);
    break;
  }
} finally {
  for (const b of busy) b.kill();
  rmSync(tmp, { recursive: true, force: true });
}
