#!/usr/bin/env node
// Benchmark tracecmd/record/raw_syscalls: a syscall-heavy workload (dd with 1-byte blocks) recorded
// (a) by a plain per-CPU `cat trace_pipe_raw > file` copy and (b) by utp's RecordSession, with the
// same buffer size. Prints events, lost events and recorder CPU time for both, and the ratios.
// Usage: node packages/tracecmd/bench/record.mjs [--seconds S] [--kb KB] [--compression none|zstd]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createPrivateInstance, destroyInstance, tracingUnavailableReason } from '@utp/tracefs';
import { RecordSession } from '@utp/tracecmd';

const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : d; };
const seconds = Number(arg('--seconds', '3'));
const kb = Number(arg('--kb', '4096'));
const compression = arg('--compression', 'zstd');
const percent = arg('--percent', '0');
const sleepMs = Number(arg('--sleep', '1000'));
const minSleepMs = Number(arg('--min-sleep', '20'));
const why = tracingUnavailableReason();
if (why) { console.log(`tracecmd/record/raw_syscalls: skipped (${why})`); process.exit(0); }
const dir = mkdtempSync(`${tmpdir()}/utp-bench-`);
const TCK = 100; // USER_HZ
const cpuOf = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / TCK; };
const workload = () => new Promise((res) => {
  const c = spawn('timeout', [String(seconds), 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1'], { stdio: 'ignore' });
  c.on('exit', res);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function plainCopy() {
  const inst = createPrivateInstance();
  const cats = [];
  try {
    inst.setTracingOn(false);
    inst.setBufferSizeKb(kb);
    inst.enableEvent('raw_syscalls');
    inst.setTracingOn(true); // (a blocking read returns EOF while tracing is off)
    for (const cpu of inst.cpus()) {
      // sh reports its children's CPU time (cutime+cstime of /proc/self/stat) once cat is done.
      cats.push(spawn('/bin/sh', ['-c', `(while [ ! -e ${dir}/stop ]; do cat ${inst.rawPipePath(cpu)}; done) > ${dir}/cat.cpu${cpu} & echo $! > ${dir}/cat.pid${cpu}; wait; read -r l < /proc/self/stat; echo "$l" > ${dir}/cat.stat${cpu}`], { stdio: 'ignore' }));
    }
    await sleep(100);
    await workload();
    inst.setTracingOn(false);
    await sleep(500); // let cat drain what is left, then stop it (a blocked read may never see EOF)
    writeFileSync(`${dir}/stop`, '');
    // cat may sit in a blocking read: end it; the loop then sees the stop file.
    spawnSync('pkill', ['-TERM', '-P', cats.map((c) => readFileSync(`${dir}/cat.pid${inst.cpus()[cats.indexOf(c)]}`, 'latin1').trim()).join(',')]);
    await Promise.all(cats.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : 0)));
    let cpu = 0;
    for (const c of inst.cpus()) {
      const f = readFileSync(`${dir}/cat.stat${c}`, 'latin1').split(') ')[1].split(' ');
      cpu += (Number(f[13]) + Number(f[14])) / TCK; // cutime + cstime: the cat that sh waited for
    }
    let events = 0, lost = 0, bytes = 0;
    for (const c of inst.cpus()) {
      const s = inst.cpuStats(c);
      events += s.readEvents; lost += s.overrun + s.droppedEvents;
      bytes += statSync(`${dir}/cat.cpu${c}`).size;
    }
    return { events, lost, cpu, bytes };
  } finally {
    for (const c of cats) c.kill('SIGKILL');
    await sleep(100);
    destroyInstance(inst);
  }
}

async function utpRecord() {
  const s = new RecordSession({ events: [{ spec: 'raw_syscalls' }], bufferSizeKb: kb, output: `${dir}/utp.dat`, compression, maxSleepMs: sleepMs, minSleepMs, ...(percent !== undefined ? { bufferPercent: Number(percent) } : {}) });
  const c0 = process.cpuUsage();
  s.setup();
  s.start();
  await workload();
  const c1 = process.cpuUsage(c0);
  const t0 = Date.now();
  const r = await s.stop();
  const c2 = process.cpuUsage(c0);
  console.log(`  (utp: ${((c1.user + c1.system) / 1e6).toFixed(2)}s CPU while tracing, ${((c2.user + c2.system - c1.user - c1.system) / 1e6).toFixed(2)}s writing trace.dat in ${Date.now() - t0} ms)`);
  const events = r.cpus.reduce((a, c) => a + c.events, 0), lost = r.cpus.reduce((a, c) => a + c.lost, 0);
  return { events, lost, cpu: (c2.user + c2.system) / 1e6, drainCpu: (c1.user + c1.system) / 1e6, bytes: r.size };
}

try {
  const a = await plainCopy();
  const b = await utpRecord();
  const fmt = (n, x) => `${n.padEnd(6)} events=${x.events} lost=${x.lost} cpu=${x.cpu.toFixed(2)}s bytes=${x.bytes}`;
  console.log(`tracecmd/record/raw_syscalls (${seconds}s dd bs=1, ${kb} KiB/CPU, utp ${compression})`);
  console.log('  ' + fmt('cat', a));
  console.log('  ' + fmt('utp', b));
  const lostRate = (x) => x.lost / Math.max(1, x.events + x.lost);
  console.log(`  lost fraction utp/cat: ${(lostRate(b) * 100).toFixed(3)}% / ${(lostRate(a) * 100).toFixed(3)}%` +
    `   cpu per event utp/cat: ${((b.cpu / Math.max(1, b.events)) / (a.cpu / Math.max(1, a.events))).toFixed(2)}x`);
} finally { rmSync(dir, { recursive: true, force: true }); }
