#!/usr/bin/env node
// npm run bench: times utp and the reference tool side by side, in one run, and prints the ratio.
// `utp` is run as users run it: packages/cli/bin/utp.cjs (the bundle with its code cache).
// Traces are recorded on first use into bench/data/ (with trace-cmd, holding /tmp/utp-live.lock
// only while recording; bench/traces.mjs has the recipes) and reused afterwards.
//   report/SHAPE[/-N|/-R]  `trace-cmd report` vs `utp report` (default, -N, -R), output to a file;
//                          outputs compared byte for byte. Shapes: small (a few hundred events),
//                          syscalls (storm, v7+zstd), syscalls-v6, syscalls-v7-none, mixed (~200
//                          event types), all-events (every kernel event enabled), subbuf-64k,
//                          instances (two instances in one file).
//   ctf/convert/syscalls        `utp convert --to ctf` of the syscalls trace vs `babeltrace2` printing the result
//   perf/report/tracepoints-1M, perf/report/cpu-clock-g-1M  `utp report` vs `perf script` on ~1M-sample perf.data
//   ctf/report/syscalls         `utp report` vs `babeltrace2` on that CTF (outputs compared)
//   convert/json/syscalls, convert/perfetto/syscalls  `utp convert --to json|perfetto` vs `trace-cmd report` of the same file
//   tracecmd/record/raw_syscalls `utp record` vs a plain per-CPU `cat trace_pipe_raw` copy under a syscall storm:
//                               events captured, events lost, recorder CPU time (packages/tracecmd/bench/record.mjs).
// Wall time is the median of --runs runs (small files: 3x as many), RSS the median peak; the machine
// is shared and noisy, so each run of utp directly follows one of trace-cmd on the same file.
// Options: --events N (storm traces, default 1000000), --runs N (default 3), --only NAME, --keep-output
import { existsSync, mkdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const EVENTS = Number(opt('--events', 1_000_000));
const RUNS = Number(opt('--runs', 3));
const ROOT = new URL('..', import.meta.url).pathname;
const UTP = join(ROOT, 'packages/cli/bin/utp.cjs');
const DATA = new URL('./data/', import.meta.url).pathname;
const LOCK = '/tmp/utp-live.lock';
mkdirSync(DATA, { recursive: true });

/** Runs a shell command under /usr/bin/time; returns { seconds, cpu (user+sys s), maxRssKb, status }. */
function timed(cmd, outFile) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', 'sh', '-c', `${cmd} > ${outFile}`], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [sec, rss, user, sys] = last.split(' ').map(Number);
  return { seconds: sec, cpu: user + sys, maxRssKb: rss, status: r.status, stderr: r.stderr };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The trace of a shape, recorded (under the live lock) on first use. */
function trace(shape) {
  const file = join(DATA, `${shape}${/^syscalls|subbuf|instances/.test(shape) ? '-' + EVENTS : ''}.dat`);
  if (existsSync(file)) return file;
  console.error(`bench: recording the ${shape} trace of this machine (once; reused from ${file})`);
  const r = spawnSync('flock', [LOCK, process.execPath, join(ROOT, 'bench/traces.mjs'), shape, file, String(EVENTS)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    // the recipes take the live lock themselves (withLiveLock): tell them this flock holds it,
    // or they wait for it for ever
    env: { ...process.env, UTP_LIVE_LOCK_HELD: '1' },
  });
  if (r.status === 3) return undefined; // the kernel refuses what the shape needs (traces.mjs said what)
  if (r.status !== 0 || !existsSync(file)) {
    console.error(`bench: recording ${shape} failed`);
    process.exit(1);
  }
  return file;
}

/** A ~1M-sample perf.data recorded by Debian's perf (under the live lock): tracepoints, or cpu-clock -g. */
function makePerfData(kind) {
  const n = Number(opt('--perf-samples', 1_000_000));
  const file = join(DATA, `perf-${kind}-${n}.data`);
  if (existsSync(file)) return file;
  console.error(`bench: recording ${file} with perf (once)`);
  const cmd =
    kind === 'tracepoints'
      ? `perf record -q -m 1024 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o ${file} -- dd if=/dev/zero of=/dev/null bs=1 count=${Math.ceil(n / 4)}`
      : `perf record -q -g -m 1024 -e cpu-clock -c 10000 -o ${file} -- dd if=/dev/zero of=/dev/null bs=1 count=${n * 3}`;
  const r = spawnSync('flock', [LOCK, 'sh', '-c', `${cmd} >/dev/null 2>&1`]);
  if (r.status !== 0) {
    console.error(`bench: perf record failed: ${cmd}`);
    process.exit(1);
  }
  return file;
}

/** `trace-cmd report FLAGS` (or `perf script`) vs `utp report FLAGS` on one file, RUNS times each, outputs compared. */
function reportBench(file, flags = '', runs = RUNS, refTool = 'trace-cmd report') {
  const lines = Number(spawnSync('sh', ['-c', `${refTool} -i ${file} ${flags} 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim());
  const ref = [],
    utp = [];
  const refOut = join(DATA, 'ref.txt'),
    utpOut = join(DATA, 'utp.txt');
  for (let i = 0; i < runs; i++) {
    ref.push(timed(`${refTool} -i ${file} ${flags} 2>/dev/null`, refOut));
    utp.push(timed(`${process.execPath} ${UTP} report -i ${file} ${flags}`, utpOut));
  }
  const same = spawnSync('cmp', ['-s', refOut, utpOut]).status === 0;
  const failed = utp.find((r) => r.status !== 0);
  if (failed) console.error(`bench: utp report failed: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  if (!args.includes('--keep-output')) {
    rmSync(refOut, { force: true });
    rmSync(utpOut, { force: true });
  }
  return {
    what: `${lines} lines, ${(statSync(file).size / 1e6).toFixed(1)} MB file`,
    ref: {
      name: `${refTool}${flags ? ' ' + flags : ''}`,
      s: median(ref.map((r) => r.seconds)),
      cpu: median(ref.map((r) => r.cpu)),
      rss: median(ref.map((r) => r.maxRssKb)),
    },
    utp: {
      name: `utp report${flags ? ' ' + flags : ''}`,
      s: median(utp.map((r) => r.seconds)),
      cpu: median(utp.map((r) => r.cpu)),
      rss: median(utp.map((r) => r.maxRssKb)),
    },
    identical: same,
    lines,
  };
}

const SHAPES = ['small', 'syscalls', 'syscalls-v6', 'syscalls-v7-none', 'mixed', 'all-events', 'subbuf-64k', 'instances'];
const benches = {};
for (const shape of SHAPES) {
  for (const flags of ['', '-N', '-R']) {
    benches[`report/${shape}${flags ? '/' + flags : ''}`] = () => {
      const file = trace(shape);
      return file ? reportBench(file, flags, shape === 'small' ? RUNS * 3 : RUNS) : undefined;
    };
  }
}

/**
 * CTF: `utp convert --to ctf` of a trace.dat vs `babeltrace2` reading the result back (printing it),
 * then `utp report` vs `babeltrace2` printing that CTF (outputs compared byte for byte).
 */
function ctfBenches(file) {
  const out = join(DATA, 'bench.ctf');
  const refOut = join(DATA, 'ref.txt'),
    utpOut = join(DATA, 'utp.txt');
  const conv = [],
    read = [],
    print = [];
  for (let i = 0; i < RUNS; i++) {
    rmSync(out, { recursive: true, force: true });
    conv.push(timed(`${process.execPath} ${UTP} convert ${file} -o ${out} --to ctf -q`, '/dev/null'));
    read.push(timed(`TZ=UTC babeltrace2 ${out} 2>/dev/null`, refOut));
    print.push(timed(`TZ=UTC ${process.execPath} ${UTP} report -i ${out}`, utpOut));
  }
  const same = spawnSync('cmp', ['-s', refOut, utpOut]).status === 0;
  const lines = Number(spawnSync('sh', ['-c', `wc -l < ${refOut}`], { encoding: 'utf8' }).stdout.trim());
  if (!args.includes('--keep-output')) {
    rmSync(refOut, { force: true });
    rmSync(utpOut, { force: true });
    rmSync(out, { recursive: true, force: true });
  }
  const m = (xs) => ({ s: median(xs.map((r) => r.seconds)), cpu: median(xs.map((r) => r.cpu)), rss: median(xs.map((r) => r.maxRssKb)) });
  return {
    convert: {
      what: `${lines} events, ${(statSync(file).size / 1e6).toFixed(1)} MB trace.dat`,
      ref: { name: 'babeltrace2 (read back)', ...m(read) },
      utp: { name: 'utp convert --to ctf', ...m(conv) },
      identical: same && conv.every((r) => r.status === 0),
      lines,
    },
    report: {
      what: `${lines} lines`,
      ref: { name: 'babeltrace2', ...m(read) },
      utp: { name: 'utp report (CTF)', ...m(print) },
      identical: same,
      lines,
    },
  };
}
let ctfResult;
const ctf = () => (ctfResult ??= ctfBenches(trace('syscalls')));
// trace.dat → CTF: goal: utp converts faster than babeltrace2 reads the result back
benches['ctf/convert/syscalls'] = () => ctf().convert;
// CTF → text: goal: utp prints it at least 2x faster than babeltrace2 (same bytes)
benches['ctf/report/syscalls'] = () => ctf().report;
// perf.data: utp report vs perf script (Debian perf 6.1) on ~1M samples
benches['perf/report/tracepoints-1M'] = () => reportBench(makePerfData('tracepoints'), '', RUNS, 'perf script');
benches['perf/report/cpu-clock-g-1M'] = () => reportBench(makePerfData('cpu-clock-g'), '', RUNS, 'perf script');

// trace.dat → Chrome JSON / Perfetto (@utp/convert) vs trace-cmd report printing the same file: the
// outputs differ in kind, so the check is utp's exit status and a non-empty output.
function convertBench(file, to) {
  const out = join(DATA, `bench-convert.${to}`),
    refOut = join(DATA, 'ref.txt');
  const ref = [],
    utp = [];
  for (let i = 0; i < RUNS; i++) {
    ref.push(timed(`trace-cmd report -i ${file} 2>/dev/null`, refOut));
    utp.push(timed(`${process.execPath} ${UTP} convert ${file} -o ${out} --to ${to} -q`, '/dev/null'));
  }
  const ok = utp.every((r) => r.status === 0) && existsSync(out) && statSync(out).size > 0;
  const lines = Number(spawnSync('sh', ['-c', `wc -l < ${refOut}`], { encoding: 'utf8' }).stdout.trim());
  const size = existsSync(out) ? statSync(out).size : 0;
  rmSync(out, { force: true });
  rmSync(refOut, { force: true });
  const m = (xs) => ({ s: median(xs.map((r) => r.seconds)), cpu: median(xs.map((r) => r.cpu)), rss: median(xs.map((r) => r.maxRssKb)) });
  return {
    what: `${lines} events, ${(statSync(file).size / 1e6).toFixed(1)} MB trace.dat → ${(size / 1e6).toFixed(0)} MB ${to}`,
    ref: { name: 'trace-cmd report', ...m(ref) },
    utp: { name: `utp convert --to ${to}`, ...m(utp) },
    identical: ok,
    check: ok ? 'written (not comparable byte for byte)' : 'FAILED',
    lines,
  };
}
benches['convert/json/syscalls'] = () => convertBench(trace('syscalls'), 'json');
benches['convert/perfetto/syscalls'] = () => convertBench(trace('syscalls'), 'perfetto');

// The recorder benchmark lives with its package; it prints its own side-by-side numbers and ratios.
const externalBenches = {
  'tracecmd/record/raw_syscalls': [join(new URL('..', import.meta.url).pathname, 'packages/tracecmd/bench/record.mjs')],
  'viewer/open+frames': [join(new URL('..', import.meta.url).pathname, 'packages/viewer/bench/open.mjs')],
};

const only = opt('--only');
if (!existsSync(join(ROOT, 'packages/cli/dist/bundle/utp.js')))
  console.error('bench: no bundle (npm run build makes it): utp runs unbundled');
const results = [];
for (const [name, fn] of Object.entries(benches)) {
  if (only && !name.includes(only)) continue;
  const r = fn();
  if (!r) {
    console.log(`${name}  skipped: this kernel cannot record its trace (see above)`);
    continue;
  }
  const ratio = r.ref.s / r.utp.s;
  results.push({ name, ...r, ratio });
  console.log(`${name}  (${r.what})`);
  console.log(
    `  ${r.ref.name.padEnd(18)} ${r.ref.s.toFixed(2)} s (CPU ${r.ref.cpu.toFixed(2)} s)  ${(r.lines / r.ref.s / 1000).toFixed(0)}k lines/s  peak RSS ${(r.ref.rss / 1024).toFixed(0)} MB`,
  );
  console.log(
    `  ${r.utp.name.padEnd(18)} ${r.utp.s.toFixed(2)} s (CPU ${r.utp.cpu.toFixed(2)} s)  ${(r.lines / r.utp.s / 1000).toFixed(0)}k lines/s  peak RSS ${(r.utp.rss / 1024).toFixed(0)} MB`,
  );
  const mem = r.utp.rss / r.ref.rss;
  console.log(
    `  ratio: utp is ${ratio.toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'} than ${r.ref.name} (CPU time ${(r.ref.cpu / r.utp.cpu).toFixed(2)}x), RSS ${mem.toFixed(2)}x; outputs ${r.check ?? (r.identical ? 'identical' : 'DIFFER')}`,
  );
}
for (const [name, cmd] of Object.entries(externalBenches)) {
  if (only && !name.includes(only)) continue;
  spawnSync(process.execPath, cmd, { stdio: 'inherit' });
}
writeFileSync(join(DATA, 'last-results.json'), JSON.stringify(results, null, 2));
if (results.length) {
  console.log(
    '\nsummary (trace-cmd/utp wall and CPU time, utp/trace-cmd RSS; medians — on a loaded machine the CPU ratio is the steadier one):',
  );
  for (const r of results)
    console.log(
      `  ${r.name.padEnd(34)} wall ${r.ratio.toFixed(2).padStart(5)}x  CPU ${(r.ref.cpu / r.utp.cpu).toFixed(2).padStart(5)}x  RSS ${(r.utp.rss / r.ref.rss).toFixed(2)}x  ${r.identical ? '' : 'OUTPUT DIFFERS'}`,
    );
}
