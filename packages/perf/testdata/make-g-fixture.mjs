#!/usr/bin/env node
// Records the committed -g fixture of @utp/perf with Debian's perf (root): a libc-free static program
// (g-spin/spin.c, a few KiB, frame pointers) sampled by cpu-clock with callchains, plus what perf
// itself needs to print it anywhere: the program under a --symfs tree and the lines of /proc/kallsyms
// its kernel frames need (for each kernel address: the symbol at or below it and the one after it,
// which ends it; plus _text/_stext/_etext). The expected outputs are perf's own, made from exactly
// these committed inputs (perf script / perf report with --kallsyms and --symfs), so the test runs
// without root, perf or this machine's kernel.
// Run from this directory: flock /tmp/utp-live.lock node make-g-fixture.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { maxBuffer: 1 << 28, ...opts });
// the path the recording names in its MMAP2 records (the test finds it under g-spin/symfs)
const DIR = '/tmp/utp-gfix';
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
sh('gcc', ['-O1', '-fno-omit-frame-pointer', '-static', '-nostdlib', '-o', `${DIR}/spin`, 'g-spin/spin.c']);
const data = 'g-spin/spin.data';
// -N: no build-id cache copy (perf script must find the program through --symfs only)
sh('perf', ['record', '-q', '-N', '-g', '-e', 'cpu-clock', '-c', '100000', '-o', data, '--', `${DIR}/spin`], { stdio: 'ignore' });
mkdirSync(`g-spin/symfs${DIR}`, { recursive: true });
copyFileSync(`${DIR}/spin`, `g-spin/symfs${DIR}/spin`);

// the kernel addresses of the samples and their callchains
const ips = new Set();
for (const l of sh('perf', ['script', '-i', data, '-F', 'ip'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n')) {
  const m = /^\s*([0-9a-f]{16})\s*$/.exec(l);
  if (m && m[1].startsWith('ffff')) ips.add(BigInt(`0x${m[1]}`));
}
const all = readFileSync('/proc/kallsyms', 'latin1')
  .split('\n')
  .filter((l) => l && !l.includes('\t')) // module symbols are not [kernel.kallsyms]
  .map((l) => ({ addr: BigInt(`0x${l.slice(0, 16)}`), line: l }))
  .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
const keep = new Set(all.filter((s) => / [tT] (_text|_stext|_etext)$/.test(s.line)).map((s) => s.line));
for (const ip of ips) {
  let lo = 0,
    hi = all.length - 1,
    at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (all[mid].addr <= ip) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (at < 0) continue;
  // every symbol at that address (perf chooses among them), and the next address's
  const a = all[at].addr;
  for (let i = at; i >= 0 && all[i].addr === a; i--) keep.add(all[i].line);
  let j = at + 1;
  if (j < all.length) for (const b = all[j].addr; j < all.length && all[j].addr === b; j++) keep.add(all[j].line);
}
const subset = all.filter((s) => keep.has(s.line)).map((s) => s.line);
writeFileSync('g-spin/kallsyms', `${subset.join('\n')}\n`);

const refs = ['--kallsyms=g-spin/kallsyms', '--symfs=g-spin/symfs'];
const script = sh('perf', ['script', '-i', data, ...refs], { stdio: ['ignore', 'pipe', 'pipe'] });
// the subset must give perf the same text as the whole kallsyms given the same way (by default perf
// reads /proc/kallsyms its own way and leaves a few frames [unknown]; utp does as perf there too)
writeFileSync(`${DIR}/kallsyms`, readFileSync('/proc/kallsyms'));
const whole = sh('perf', ['script', '-i', data, `--kallsyms=${DIR}/kallsyms`, '--symfs=g-spin/symfs'], { stdio: ['ignore', 'pipe', 'pipe'] });
if (!script.equals(whole)) throw new Error('make-g-fixture: perf script differs with the kallsyms subset');
if (!/\bwork\+0x/.test(script.toString()) || !/entry_SYSCALL_64/.test(script.toString()))
  throw new Error('make-g-fixture: the callchains lack user or kernel frames');
writeFileSync('g-spin/spin.script.gz', gzipSync(script, { level: 9 }));
const hist = sh('perf', ['report', '-i', data, ...refs, '--stdio', '--no-children', '--sort', 'comm,dso,sym', '-g', 'none'], {
  stdio: ['ignore', 'pipe', 'ignore'],
})
  .toString('latin1')
  .split('\n');
// perf ends with a random tip line (`# (Tip: …)`), which utp leaves out
if (!/^# \(.*\)$/.test(hist[hist.length - 3])) throw new Error('make-g-fixture: perf report has no tip line where expected');
hist.splice(hist.length - 3, 1);
writeFileSync('g-spin/spin.hist.gz', gzipSync(Buffer.from(hist.join('\n'), 'latin1'), { level: 9 }));
writeFileSync(`${data}.gz`, gzipSync(readFileSync(data), { level: 9 }));
rmSync(data);
rmSync('g-spin/spin.data.old', { force: true });
// nothing of the recording stays where the recording names it: readers must go through --symfs
rmSync(DIR, { recursive: true, force: true });
console.log(`g-spin: ${ips.size} kernel addresses, ${subset.length} kallsyms lines, ${script.toString().split('\n').length} script lines`);
