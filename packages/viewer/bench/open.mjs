#!/usr/bin/env node
// viewer/open/syscalls-1.15M: `utp view`'s page in headless Chromium opening a ~1.15M-event v7+zstd trace
// (recorded once into bench/data/ under the live lock), time from navigation to the first full frame
// (body[data-state=ready]) and the model's bytes per event; beside it, `trace-cmd report` decoding the
// same file to /dev/null (KernelShark has no headless mode to time here; the issue quotes ~1.2 s CPU
// and ~300 MB for it on this machine). Then frame times (worker bins + canvas paint) at every zoom.
// viewer/frames/synthetic-10M: the worker's frame computation (model.cpuBins/taskBins) on a synthetic
// 10M-event model in Node, at zooms from the whole trace to 1 µs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
const ROOT = new URL('../../../', import.meta.url).pathname;
const DATA = join(ROOT, 'bench/data');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const file = join(DATA, 'viewer-1150000.dat');
if (!existsSync(file)) {
  console.error(`bench: recording a ~1.15M-event trace (once; reused from ${file})`);
  const r = spawnSync(
    'flock',
    ['/tmp/utp-live.lock', process.execPath, join(ROOT, 'packages/viewer/bench/make-trace.mjs'), file, '1150000'],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(1);
}

const { serveView } = await import(join(ROOT, 'packages/cli/dist/commands/view.js'));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const s = await serveView([file]);
const ready = [],
  tc = [];
let bpe = 0,
  events = 0,
  frames = [];
for (let k = 0; k < RUNS; k++) {
  const t = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `trace-cmd report -i ${file} > /dev/null 2>&1`]);
  if (r.status === 0) tc.push(Number(process.hrtime.bigint() - t) / 1e9);
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const t0 = Date.now();
  await page.goto(s.url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000, polling: 10 });
  ready.push((Date.now() - t0) / 1000);
  bpe = Number(await page.evaluate(() => document.body.dataset.bytesPerEvent));
  events = Number(await page.textContent('[data-testid=event-count]'));
  if (k === RUNS - 1) {
    frames = await page.evaluate(async () => {
      const s0 = Number(document.body.dataset.start),
        e0 = Number(document.body.dataset.end);
      const out = [];
      for (const span of [e0 - s0, (e0 - s0) / 10, (e0 - s0) / 1000, 1e6, 1e4, 1e3]) {
        const ms = [];
        for (let i = 0; i < 20; i++) {
          const c = s0 + ((e0 - s0 - span) * i) / 19 + span / 2;
          ms.push(await window.utpFrame(c - span / 2, c + span / 2));
        }
        ms.sort((a, b) => a - b);
        out.push({ span, median: ms[10], max: ms[19] });
      }
      return out;
    });
  }
  await page.close();
}
await s.close();
await browser.close();
const rm = median(ready),
  tm = tc.length ? median(tc) : NaN;
console.log(`viewer/open/syscalls-1.15M  (${events} events, first full frame in headless Chromium, median of ${RUNS})`);
console.log(`  trace-cmd report >/dev/null ${tm.toFixed(2)} s`);
console.log(`  utp view (to ready)         ${rm.toFixed(2)} s  ${bpe.toFixed(1)} bytes/event in the model (goal ≤ 1.5 s, ≤ 40 B/event)`);
console.log(
  `  ratio: utp view is ${(tm / rm).toFixed(2)}x ${tm / rm >= 1 ? 'faster' : 'slower'} than trace-cmd report's decode of the same file`,
);
console.log('viewer/frames/syscalls-1.15M  (window centred at 20 points; worker bins + canvas paint, ms)');
for (const f of frames)
  console.log(`  window ${(f.span / 1e6).toFixed(3).padStart(12)} ms: median ${f.median.toFixed(1)} ms, max ${f.max.toFixed(1)} ms`);

// 10M events, synthetic: the model's per-frame work in Node
const { TraceModel } = await import(join(ROOT, 'packages/model/dist/index.js'));
const N = 10_000_000;
const sw = {
  id: 0,
  fileId: 1,
  system: 'sched',
  name: 'sched_switch',
  format: undefined,
  commonFields: [],
  fields: ['prev_pid', 'prev_state', 'next_pid'].map((name, i) => ({
    name,
    type: 'int',
    kind: 'integer',
    size: 4,
    signed: true,
    length: 0,
    elementSize: 4,
    dynamic: false,
    offset: i,
  })),
};
const other = { ...sw, id: 1, fileId: 2, name: 'sys_enter', fields: [] };
let cur = { prev: 0, next: 0 };
const src = {
  meta: {
    format: 'synthetic',
    name: 'synthetic',
    clock: 'local',
    nanoseconds: true,
    tsOffset: 0n,
    date: undefined,
    hostname: undefined,
    uname: undefined,
    cpuCount: 2,
    buffers: [''],
    traceId: undefined,
  },
  classes: [sw, other],
  commOf: (pid) => `task${pid}`,
  record: () => undefined,
  values: () => [],
  info: () => '',
  async read(sink) {
    const fields = { int: (f) => (f.name === 'prev_pid' ? cur.prev : f.name === 'next_pid' ? cur.next : 1), str: () => '' };
    const e = { ts: 0, tsBig: undefined, cpu: 0, pid: 0, classId: 1, flags: 0, preempt: 0, buffer: 0, loc: 0, fields };
    const running = [1, 2];
    for (let i = 0; i < N; i++) {
      e.ts = 1e9 + i * 100;
      e.cpu = i & 1;
      e.loc = i;
      const isSwitch = i % 50 < 2;
      e.classId = isSwitch ? 0 : 1;
      e.pid = running[e.cpu];
      if (isSwitch) {
        cur = { prev: running[e.cpu], next: 1 + ((i * 7) % 400) };
        running[e.cpu] = cur.next;
      }
      sink.event(e);
    }
  },
};
let t = performance.now();
const m = await TraceModel.load(src);
const build = performance.now() - t;
console.log(
  `viewer/frames/synthetic-10M  (${m.length} events built in ${(build / 1000).toFixed(1)} s, ${(m.byteLength / m.length).toFixed(1)} B/event; 2 CPU rows + 2 task rows, 1450 bins)`,
);
const S = m.start,
  E = m.end;
t = performance.now();
m.taskBins(5, S, E, 1450);
console.log(`  first task row (builds the per-task index once): ${(performance.now() - t).toFixed(0)} ms`);
for (const span of [E - S, (E - S) / 100, (E - S) / 1e4, 1e6, 1e4, 1e3]) {
  const ms = [];
  for (let i = 0; i < 20; i++) {
    const c = S + ((E - S - span) * i) / 19 + span / 2;
    t = performance.now();
    for (const cpu of [0, 1]) m.cpuBins(cpu, c - span / 2, c + span / 2, 1450);
    for (const pid of [5, 77]) m.taskBins(pid, c - span / 2, c + span / 2, 1450);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `  window ${(span / 1e6).toFixed(3).padStart(12)} ms: median ${ms[10].toFixed(2)} ms, max ${ms[19].toFixed(2)} ms (goal ≤ 16 ms)`,
  );
}
