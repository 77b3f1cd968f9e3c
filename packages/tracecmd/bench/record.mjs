#!/usr/bin/env node
// Benchmark tracecmd/record/raw_syscalls: the same syscall storm (dd with 1-byte blocks and a fixed
// count, so both sides trace the same work) recorded with the same per-CPU buffer size
//   (a) by a plain per-CPU `cat trace_pipe_raw > file` copy (one cat per CPU, blocking reads), and
//   (b) by utp's RecordSession (drain threads splicing whole pages; then trace.dat is written).
// Rounds alternate cat, utp, cat, utp... Prints per run: events read, events lost (overrun +
// dropped, from per_cpu/cpuN/stats), CPU time (cat: the cats' own; utp: this process, all threads,
// while tracing and for writing trace.dat), wall time, bytes; then the ratios and the goal
// (utp loses no more than cat, at most 1.5x its CPU).
// Usage: node packages/tracecmd/bench/record.mjs [--count N] [--seconds S] [--kb KB] [--rounds R]
//          [--compression none|zstd|zlib] [--percent P] [--threads T] [--mode splice|read]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createPrivateInstance, destroyInstance, tracingUnavailableReason } from '@utp/tracefs';
import { RecordSession } from '@utp/tracecmd';

const arg = (n, d) => {
  const i = process.argv.indexOf(n);
  return i > 0 ? process.argv[i + 1] : d;
};
const count = Number(arg('--count', '3000000'));
const seconds = arg('--seconds', undefined);
const kb = Number(arg('--kb', '4096'));
const rounds = Number(arg('--rounds', '2'));
const compression = arg('--compression', 'zstd');
const percent = Number(arg('--percent', '1'));
const threads = arg('--threads', undefined);
const mode = arg('--mode', 'splice');
const why = tracingUnavailableReason();
if (why) {
  console.log(`tracecmd/record/raw_syscalls: skipped (${why})`);
  process.exit(0);
}
const dir = mkdtempSync(`${tmpdir()}/utp-bench-`);
const TCK = 100; // USER_HZ
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The workload: `count` 1-byte reads and writes (2 syscalls, 4 raw_syscalls events each), or `seconds` of them. */
const workload = () =>
  new Promise((res) => {
    const argv = seconds
      ? ['timeout', seconds, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1']
      : ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${count}`];
    const t0 = performance.now();
    spawn(argv[0], argv.slice(1), { stdio: 'ignore' }).on('exit', () => res((performance.now() - t0) / 1000));
  });
const statsOf = (inst) => {
  let events = 0,
    lost = 0,
    entries = 0;
  for (const c of inst.cpus()) {
    const s = inst.cpuStats(c);
    events += s.readEvents;
    lost += s.overrun + s.droppedEvents;
    entries += s.entries;
  }
  return { events, lost, entries };
};

/** Between runs: the previous run's files are deleted; write back other dirty data now, not during the next run. */
function settle() {
  spawnSync('sync');
}

/** Ends the copy loop of `cpu` (by the pid sh wrote) and the cat it runs (by parent pid). */
function killCat(cpu, sig) {
  let pid = '';
  try {
    pid = readFileSync(`${dir}/cat.pid${cpu}`, 'latin1').trim();
  } catch {
    return;
  }
  spawnSync('pkill', [`-${sig.replace('SIG', '')}`, '-P', pid]);
  try {
    process.kill(Number(pid), sig);
  } catch {
    /* gone */
  }
}

async function plainCopy() {
  const inst = createPrivateInstance();
  const shells = [];
  rmSync(`${dir}/stop`, { force: true });
  try {
    inst.setTracingOn(false);
    inst.setBufferSizeKb(kb);
    inst.enableEvent('raw_syscalls');
    for (const cpu of inst.cpus()) {
      // A cat per CPU, blocking reads; a read may return EOF (e.g. when tracing_on changes), so
      // cat is run again until the stop file exists; a read blocked with tracing off and nothing
      // left is ended below. sh reports the CPU time of the loop and its cats (cutime+cstime).
      const sh = spawn(
        '/bin/sh',
        [
          '-c',
          `(while [ ! -e ${dir}/stop ]; do cat ${inst.rawPipePath(cpu)}; done) > ${dir}/cat.cpu${cpu} & echo $! > ${dir}/cat.pid${cpu}; wait; read -r l < /proc/self/stat; echo "$l" > ${dir}/cat.stat${cpu}`,
        ],
        { stdio: 'ignore' },
      );
      shells.push({ cpu, sh, exited: new Promise((r) => sh.on('exit', r)) });
    }
    await sleep(100); // the cats are in their first read
    inst.setTracingOn(true);
    const wall = await workload();
    inst.setTracingOn(false);
    // Let the cats copy what is left, then end them (a blocked read never sees EOF).
    for (let i = 0; i < 100 && statsOf(inst).entries > 0; i++) await sleep(20);
    await sleep(50);
    writeFileSync(`${dir}/stop`, '');
    for (const s of shells) spawnSync('pkill', ['-TERM', '-P', readFileSync(`${dir}/cat.pid${s.cpu}`, 'latin1').trim()]);
    await Promise.all(shells.map((s) => s.exited));
    let cpu = 0,
      bytes = 0;
    for (const { cpu: c } of shells) {
      const f = readFileSync(`${dir}/cat.stat${c}`, 'latin1').split(') ')[1].split(' ');
      cpu += (Number(f[13]) + Number(f[14])) / TCK; // cutime + cstime: the cat that sh waited for
      bytes += statSync(`${dir}/cat.cpu${c}`).size;
    }
    const { events, lost } = statsOf(inst);
    for (const { cpu: c } of shells) rmSync(`${dir}/cat.cpu${c}`, { force: true });
    return { events, lost, cpu, wall, bytes };
  } finally {
    for (const s of shells) {
      killCat(s.cpu, 'SIGKILL');
      s.sh.kill('SIGKILL');
    }
    await sleep(100);
    destroyInstance(inst);
  }
}

async function utpRecord() {
  const s = new RecordSession({
    events: [{ spec: 'raw_syscalls' }],
    bufferSizeKb: kb,
    output: `${dir}/utp.dat`,
    compression,
    bufferPercent: percent,
    drainMode: mode,
    ...(threads !== undefined ? { drainThreads: Number(threads) } : {}),
  });
  s.setup();
  const c0 = process.cpuUsage();
  s.start();
  const wall = await workload();
  const c1 = process.cpuUsage(c0);
  const r = await s.stop();
  const c2 = process.cpuUsage(c0);
  const events = r.cpus.reduce((a, c) => a + c.events, 0),
    lost = r.cpus.reduce((a, c) => a + c.lost, 0);
  const tracing = (c1.user + c1.system) / 1e6,
    total = (c2.user + c2.system) / 1e6;
  rmSync(`${dir}/utp.dat`, { force: true });
  return {
    events,
    lost,
    cpu: total,
    tracingCpu: tracing,
    writeCpu: total - tracing,
    wall,
    bytes: r.cpus.reduce((a, c) => a + c.bytes, 0),
    size: r.size,
  };
}

const pct = (x) => `${((x.lost / Math.max(1, x.events + x.lost)) * 100).toFixed(3)}%`;
const line = (round, name, x) =>
  `  round ${round}  ${name}  events=${x.events} lost=${x.lost} (${pct(x)}) cpu=${x.cpu.toFixed(2)}s` +
  (x.tracingCpu !== undefined ? ` (tracing ${x.tracingCpu.toFixed(2)}s + writing trace.dat ${x.writeCpu.toFixed(2)}s)` : '') +
  ` workload=${x.wall.toFixed(2)}s pages-bytes=${x.bytes}` +
  (x.size !== undefined ? ` trace.dat=${x.size}` : '');
try {
  console.log(
    `tracecmd/record/raw_syscalls (dd bs=1 ${seconds ? `for ${seconds}s` : `count=${count}`}; ${kb} KiB/CPU; utp: ${mode}, buffer_percent ${percent}, ${compression}; ${rounds} rounds, cat and utp alternating)`,
  );
  const cats = [],
    utps = [];
  for (let r = 1; r <= rounds; r++) {
    settle();
    const a = await plainCopy();
    cats.push(a);
    console.log(line(r, 'cat', a));
    settle();
    const b = await utpRecord();
    utps.push(b);
    console.log(line(r, 'utp', b));
  }
  const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0);
  const A = { events: sum(cats, 'events'), lost: sum(cats, 'lost'), cpu: sum(cats, 'cpu') };
  const B = { events: sum(utps, 'events'), lost: sum(utps, 'lost'), cpu: sum(utps, 'cpu'), tracingCpu: sum(utps, 'tracingCpu') };
  const perEvent = (x, cpu) => cpu / Math.max(1, x.events + x.lost);
  console.log(
    `  total    lost: utp ${pct(B)} vs cat ${pct(A)}   cpu utp/cat: ${(B.cpu / A.cpu).toFixed(2)}x with writing trace.dat, ` +
      `${(B.tracingCpu / A.cpu).toFixed(2)}x while tracing (per traced event: ${(perEvent(B, B.cpu) / perEvent(A, A.cpu)).toFixed(2)}x, ${(perEvent(B, B.tracingCpu) / perEvent(A, A.cpu)).toFixed(2)}x)`,
  );
  console.log(
    `  goal     utp loses no more than cat: ${B.lost <= A.lost ? 'yes' : 'NO'}; utp CPU <= 1.5x cat: ${B.cpu <= 1.5 * A.cpu ? 'yes' : 'NO'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
