/// <reference types="node" />
// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// @utp/tracecmd against the live kernel: our trace.dat writer vs trace-cmd extract of the same
// pages (trace-cmd report must print the same), and record sessions that leave tracefs as found.
import { test, before, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, openSync, readSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  tracingUnavailableReason,
  createPrivateInstance,
  destroyInstance,
  traceFsState,
  diffTraceFsState,
  sweepStale,
  Instance,
  type TraceFsState,
  subbufSizeRefusal,
} from '@utp/tracefs';
import type { TraceDatBufferInput } from '@utp/tracedat';
import { RecordSession, collectMetadata, writeTraceFile, unameString, extractTrace, SpliceDrain, pageLayoutOf } from './index.js';

const why = tracingUnavailableReason();
const haveTraceCmd = spawnSync('trace-cmd', ['--help']).error === undefined;
const skip = why ? `needs root and tracefs (${why})` : !haveTraceCmd ? 'needs trace-cmd (the oracle)' : false;
if (skip) console.log(`# skipping live tracecmd tests: ${skip}`);

let state: TraceFsState;
let dir: string;
before(() => {
  if (!skip) {
    sweepStale();
    state = traceFsState();
    dir = mkdtempSync(`${tmpdir()}/utp-tracecmd-`);
  }
});
afterEach(() => {
  if (!skip) assert.deepEqual(diffTraceFsState(state, traceFsState(), { ignoreForeign: true }), [], 'tracefs left as found');
});

const report = (file: string, ...flags: string[]): string =>
  execFileSync('trace-cmd', ['report', ...flags, '-i', file], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function workload(): void {
  execFileSync('/bin/sh', ['-c', 'for i in 1 2 3 4 5; do ls -R /usr/lib/python3* >/dev/null 2>&1; sleep 0.01; done']);
}

/** The BUFFER options of a file as `trace-cmd dump --options` shows them. */
function buffersOf(file: string): Array<{ name: string; clock: string; cpus: Array<{ cpu: number; offset: number; size: number }> }> {
  const text = execFileSync('trace-cmd', ['dump', '--options', '-i', file], { maxBuffer: 1 << 26 }).toString();
  const out: ReturnType<typeof buffersOf> = [];
  const re =
    /\[Option BUFFER, \d+ bytes\]\n\d+ \[offset\]\n"([^"]*)" \[name\]\n"([^"]*)" \[clock\]\n\d+ \[Page size, bytes\]\n(\d+) \[CPUs\]:\n((?:\s+\d+ \d+\s+\d+\s+\[id, data offset and size\]\n)*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const cpus = [...m[4]!.matchAll(/(\d+) (\d+)\s+(\d+)/g)].map((x) => ({ cpu: Number(x[1]), offset: Number(x[2]), size: Number(x[3]) }));
    out.push({ name: m[1]!, clock: m[2]!, cpus });
  }
  return out;
}

function readRange(file: string, offset: number, size: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const b = new Uint8Array(size);
    let o = 0;
    while (o < size) {
      const n = readSync(fd, b, o, size - o, offset + o);
      if (!n) break;
      o += n;
    }
    return b;
  } finally {
    closeSync(fd);
  }
}

test('writer: trace-cmd report prints the same for our v7 zstd/none and v6 files as for trace-cmd extract', { skip }, async () => {
  const inst = createPrivateInstance();
  try {
    inst.enableEvent('sched');
    inst.enableEvent('irq');
    workload();
    inst.setTracingOn(false);
    const meta = collectMetadata(inst); // before: trace-cmd extract -B removes the instance
    const clockText = inst.read('trace_clock'),
      cpuCount = inst.cpus().length,
      pageSize = inst.subBufferSize();
    const ref = `${dir}/ref.dat`;
    execFileSync('trace-cmd', ['extract', '-B', inst.name!, '--compression', 'none', '-o', ref], { stdio: 'pipe' });
    const bufs = buffersOf(ref);
    const mine = bufs.find((b) => b.name === inst.name);
    assert.ok(mine && mine.cpus.length > 0, 'trace-cmd extracted pages');
    const buffers: TraceDatBufferInput[] = bufs.map((b) => ({
      name: b.name,
      clock: b.clock,
      cpus: b.cpus.map((c) => ({ cpu: c.cpu, data: [readRange(ref, c.offset, c.size)] })),
    }));
    const expected = report(ref);
    assert.ok(expected.split('\n').length > 50, 'the workload produced events');
    for (const [v, comp] of [
      [7, 'zstd'],
      [7, 'none'],
      [6, 'none'],
    ] as const) {
      const out = `${dir}/ours-v${v}-${comp}.dat`;
      await writeTraceFile(out, meta, buffers, {
        fileVersion: v,
        compression: comp,
        traceClock: clockText,
        uname: unameString(),
        cpuCount,
        pageSize,
      });
      assert.equal(report(out), expected, `report of v${v}/${comp}`);
      assert.equal(report(out, '-R', '-t'), report(ref, '-R', '-t'), `report -R -t of v${v}/${comp}`);
    }
  } finally {
    destroyInstance(inst);
  }
});

test('record: events of a workload, written v7/zstd, read by trace-cmd report; counts agree', { skip }, async () => {
  const s = new RecordSession({ events: [{ spec: 'sched' }, { spec: 'irq' }], output: `${dir}/rec.dat` });
  s.setup();
  s.start();
  workload();
  const r = await s.stop();
  const text = report(r.output);
  const lines = text.split('\n').filter(Boolean);
  assert.equal(lines[0], `cpus=${r.cpus.length}`);
  const events = r.cpus.reduce((a, c) => a + c.events, 0);
  assert.ok(events > 100, 'recorded events');
  assert.equal(lines.length - 1, events, 'trace-cmd report shows every recorded event');
  assert.equal(
    r.cpus.reduce((a, c) => a + c.lost, 0),
    0,
  );
  assert.equal(readdirSync(dir).filter((f) => f.includes('.utp-')).length, 0, 'no temp files left');
  assert.doesNotMatch(text, /FAILED TO PARSE|unknown event/);
});

test('record: filter and pid options, v6 output, tiny buffer with lost events counted', { skip }, async () => {
  const s = new RecordSession({
    events: [{ spec: 'sched:sched_switch', filter: 'prev_pid != 0' }, { spec: 'syscalls' }],
    pids: [process.pid],
    output: `${dir}/rec6.dat`,
    fileVersion: 6,
    compression: 'none',
    bufferSizeKb: 8,
    maxSleepMs: 100000,
    bufferPercent: 100,
  });
  s.setup();
  s.start();
  // Syscalls in this pid, far more than 8 KiB: the drain threads wake only when the buffer is
  // full (buffer_percent 100), so the writer soon laps them; repeat until it did.
  const lostNow = (): number => s.instance!.cpus().reduce((a, c) => a + s.instance!.cpuStats(c).overrun, 0);
  for (let k = 0; k < 50 && lostNow() === 0; k++) for (let i = 0; i < 20000; i++) statSync('/');
  const r = await s.stop();
  const text = report(r.output);
  assert.ok(r.cpus.reduce((a, c) => a + c.lost, 0) > 0, 'an 8 KiB buffer loses events and we count them');
  for (const line of text.split('\n').slice(1)) {
    if (!line || /EVENTS DROPPED/.test(line)) continue;
    assert.match(line, new RegExp(`[-:]${process.pid}\\b`), 'only our pid (sched_switch also when it is next)');
  }
  assert.doesNotMatch(text, /sched_switch:.* ==> .*prev_pid=0\b/);
});

test('extract: consumes the ring buffer of an instance into a file trace-cmd reads', { skip }, async () => {
  const inst = createPrivateInstance();
  try {
    inst.writeMarker('utp-extract-marker');
    const r = await extractTrace({ instanceName: inst.name, output: `${dir}/ext.dat`, compression: 'zstd' });
    assert.match(report(r.output), new RegExp(`${inst.name}: .*tracing_mark_write: utp-extract-marker`));
    assert.equal(Instance.open(inst.name).readTrace().includes('utp-extract-marker'), false, 'consumed');
  } finally {
    destroyInstance(inst);
  }
});

test('record: setup errors clean up (refused tracer, unknown event)', { skip }, (t) => {
  const avail = Instance.top().availableTracers();
  if (avail.includes('function')) {
    const s = new RecordSession({ tracer: 'function', events: [{ spec: 'sched' }], output: `${dir}/x.dat` });
    let refused: Error | undefined;
    try {
      s.setup();
      s.cleanup();
    } catch (e) {
      refused = e as Error;
    } // a failed setup cleans up itself (afterEach checks)
    // This kernel refuses the function tracer (EPERM); one that allows it sets up cleanly.
    if (refused) assert.match(refused.message, /function/, 'the refusal names the tracer');
    else t.diagnostic('this kernel allows the function tracer: only the clean set-up is checked');
  } else t.diagnostic('no function tracer on this kernel: the refused-tracer half did not run');
  const s2 = new RecordSession({ events: [{ spec: 'sched' }, { spec: 'no_such_event_xyz' }], output: `${dir}/y.dat` });
  assert.throws(
    () => s2.setup(),
    (e: unknown) => (e as { code?: string }).code === 'TRACEFS_NOT_FOUND',
  );
});

const traceClockOption = (file: string): string =>
  /\[Option TRACECLOCK, \d+ bytes\]\n([^\n]*)/.exec(execFileSync('trace-cmd', ['dump', '--options', '-i', file]).toString())?.[1] ?? '';

test('record in a named instance with its own clock: TRACECLOCK and every BUFFER option carry it', { skip }, async () => {
  const name = `utp-clk-${process.pid}`;
  const topClock = Instance.top().clocks().current;
  try {
    const s = new RecordSession({
      instanceName: name,
      clock: 'counter',
      events: [{ spec: 'sched' }],
      output: `${dir}/clk.dat`,
      fileVersion: 7,
      compression: 'none',
    });
    s.setup();
    s.start();
    workload();
    const r = await s.stop();
    assert.equal(Instance.top().clocks().current, topClock, 'the top clock is untouched');
    assert.match(traceClockOption(r.output), /(^| )\[counter\]( |$)/);
    assert.deepEqual(
      buffersOf(r.output).map((b) => [b.name, b.clock]),
      [
        ['', 'counter'],
        [name, 'counter'],
      ],
    );
    // Raw counter values: trace-cmd prints them as integers.
    assert.match(report(r.output).split('\n')[1]!, new RegExp(`^${name}: .*\\] +\\d+: `));
  } finally {
    // A named instance (-B) is the user's: the session leaves it; the test removes the one it named.
    if (Instance.exists(name)) destroyInstance(Instance.open(name));
  }
});

test('extract of an instance with its own clock stores that clock', { skip }, async () => {
  const inst = createPrivateInstance();
  try {
    inst.setClock('counter');
    inst.writeMarker('utp-clock-marker');
    const r = await extractTrace({ instanceName: inst.name, output: `${dir}/ext-clk.dat`, fileVersion: 6, compression: 'none' });
    assert.match(traceClockOption(r.output), /(^| )\[counter\]( |$)/);
    assert.match(report(r.output), new RegExp(`${inst.name}: .*\\] +\\d+: print: +tracing_mark_write: utp-clock-marker`));
  } finally {
    destroyInstance(inst);
  }
});

test('the drain and the file take the sub-buffer layout from header_page (16 KiB sub-buffers)', { skip }, async (t) => {
  if (Instance.top().subbufSizeKb() === undefined) {
    t.skip('kernel refuses: sub-buffer sizes (no buffer_subbuf_size_kb, Linux < 6.8)');
    return;
  }
  const refused = subbufSizeRefusal(16);
  if (refused) {
    // setup() fails with the kernel's refusal and leaves nothing behind (afterEach checks tracefs)
    const s = new RecordSession({ subbufSizeKb: 16, events: [{ spec: 'sched' }], output: `${dir}/sb16-refused.dat` });
    assert.throws(
      () => s.setup(),
      (e: unknown) => (e as { code?: string }).code === 'TRACEFS_KERNEL_REFUSED' && /16 KiB sub-buffers/.test((e as Error).message),
    );
    t.skip(refused);
    return;
  }
  const s = new RecordSession({
    subbufSizeKb: 16,
    events: [{ spec: 'sched' }, { spec: 'irq' }],
    output: `${dir}/sb16.dat`,
    fileVersion: 6,
    compression: 'none',
  });
  s.setup();
  const { pageLayoutOf } = await import('./index.js');
  const l = pageLayoutOf(s.instance!);
  assert.deepEqual([l.pageSize, l.dataOffset, l.commitOffset, l.commitSize], [16384, 16, 8, 8]);
  s.start();
  workload();
  const r = await s.stop();
  assert.equal(
    readRange(r.output, 14, 4).reduce((a, b, i) => a + b * 256 ** i, 0),
    16384,
    'file page size',
  );
  const lines = report(r.output).split('\n').filter(Boolean);
  assert.equal(
    lines.length - 1,
    r.cpus.reduce((a, c) => a + c.events, 0),
    'every recorded event is in the file',
  );
});

test('record with page reads instead of splice (drainMode read): every event reaches the file', { skip }, async () => {
  const s = new RecordSession({
    events: [{ spec: 'sched' }, { spec: 'irq' }],
    output: `${dir}/read-mode.dat`,
    drainMode: 'read',
    drainThreads: 1,
    compression: 'none',
  });
  s.setup();
  s.start();
  workload();
  const r = await s.stop();
  const lines = report(r.output).split('\n').filter(Boolean);
  const events = r.cpus.reduce((a, c) => a + c.events, 0);
  assert.ok(events > 100);
  assert.equal(lines.length - 1, events);
});

test('splice drain: keeps up with a marker storm in a small buffer; dispose() mid-run ends the threads and frees the instance', {
  skip,
}, async () => {
  const inst = createPrivateInstance();
  let drain: SpliceDrain | undefined;
  try {
    inst.setTracingOn(false);
    inst.setBufferSizeKb(64);
    inst.setBufferPercent(1);
    inst.enableEvent('ftrace', 'print');
    drain = new SpliceDrain(inst, inst.cpus(), `${dir}/storm`, pageLayoutOf(inst), { maxSleepMs: 1000 });
    drain.start();
    inst.setTracingOn(true);
    const N = 20000; // ~1.2 MB of markers through a 64 KiB buffer: the threads must drain while we write
    for (let i = 0; i < N; i++) inst.writeMarker(`utp-storm-${i}.`);
    inst.setTracingOn(false);
    await drain.stop();
    let lost = 0;
    for (const c of inst.cpus()) lost += inst.cpuStats(c).overrun;
    const data = Buffer.concat(drain.paths().map((p) => readFileSync(p)));
    let count = 0;
    for (let at = data.indexOf('utp-storm-'); at >= 0; at = data.indexOf('utp-storm-', at + 1)) count++;
    assert.equal(count + lost, N, 'every marker is in the files or counted as lost');
    // More markers came out than the buffer holds at once: the threads drained while we wrote. (A bound
    // from the buffer size, not a share of N that a loaded machine could miss.)
    const perPage = Math.floor(pageLayoutOf(inst).pageSize / 24); // a marker record is at least 24 bytes
    const capacity = ((64 * 1024) / pageLayoutOf(inst).pageSize) * perPage * inst.cpus().length;
    assert.ok(
      count > capacity,
      `the threads drained during the storm (${count} of ${N} out, ${lost} lost, the buffer holds at most ${capacity})`,
    );
    assert.deepEqual(
      drain.bytesPerCpu().reduce((a, b) => a + b, 0),
      data.length,
      'byte counters match the files',
    );
    drain.dispose();
    // A second drain, disposed while its threads wait in poll: synchronous, and the instance can go.
    drain = new SpliceDrain(inst, inst.cpus(), `${dir}/storm2`, pageLayoutOf(inst), { maxSleepMs: 60000 });
    drain.start();
    const t0 = Date.now();
    drain.dispose();
    assert.ok(Date.now() - t0 < 30_000, 'dispose woke the threads (they wait up to 60 s otherwise)');
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('storm')).length, 0, 'temp files removed');
  } finally {
    drain?.dispose();
    destroyInstance(inst); // throws EBUSY if a trace_pipe_raw were still open
  }
});

test('cleanup of the temp dir', { skip }, () => {
  rmSync(dir, { recursive: true, force: true });
});
