// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// The model and the viewer on a fresh trace of this machine (sched, irq, timer + trace_marker writes,
// recorded with trace-cmd in a private instance): every model line against `trace-cmd report`, per-CPU
// task intervals against its sched_switch lines, markers; then the page's rows, count, marker and a
// clicked event against `utp report`. A live file; skips with a reason
// where there is no root/tracefs/trace-cmd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, liveSkipReason, recordReference, tmpDir, tracefsState } from './lib/live.mjs';

const CHROMIUM = '/usr/bin/chromium';
const skip = liveSkipReason() ?? (existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM}`);
if (skip) console.log(`# skipping live viewer tests: ${skip}`);
const OUT = join(ROOT, 'test-results/viewer');

test('a fresh trace: the model line by line against trace-cmd report, then the page', { skip }, async (t) => {
  const before = tracefsState();
  const dir = tmpDir('utp-viewer-live-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { file } = recordReference(dir, {
    events: ['sched', 'irq', 'timer'],
    bufKb: 4096,
    run: (insts) => {
      for (let k = 0; k < 5; k++) {
        for (const I of insts) writeFileSync(join(I, 'trace_marker'), `utp-viewer-marker-${k}`);
        spawnSync('sh', ['-c', 'ls -la /usr/lib > /dev/null; sleep 0.02']);
      }
    },
  });
  assert.deepEqual(tracefsState(), before, 'tracefs left as found');
  const ref = spawnSync('trace-cmd', ['report', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
  assert.equal(ref.status, 0, ref.stderr);
  const lines = ref.stdout
    .split('\n')
    .slice(1)
    .filter((l) => l && !/(^|: )CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l))
    .map((l) => l.replace(/^\s*utp-[\w-]+: /, ''));
  assert.ok(lines.length > 100, `${lines.length} events`);

  const { MemorySource } = await import(join(ROOT, 'packages/bytes/dist/index.js'));
  const { TraceDatSource, TraceModel } = await import(join(ROOT, 'packages/model/dist/index.js'));
  const m = await TraceModel.load(await TraceDatSource.open(new MemorySource(readFileSync(file))));
  assert.equal(m.length, lines.length);
  for (let i = 0; i < m.length; i++) if (m.line(i) !== lines[i]) assert.equal(m.line(i), lines[i], `event ${i}`);
  // markers: the trace_marker writes, in order
  const marks = [];
  for (let k = 0; k < m.analyses.markers.length; k++) marks.push(m.columns(m.analyses.markers.get(k)).info);
  assert.deepEqual(
    marks.map((s) => s.trim()),
    lines.filter((l) => / print: /.test(l)).map((l) => /print: +(.*)$/.exec(l)[1].trim()),
  );
  assert.equal(marks.length, 5);
  // sched_switch intervals per CPU
  for (const cpu of m.cpus()) {
    const sw = lines.filter((l) => / sched_switch: /.test(l) && new RegExp(`\\[${String(cpu).padStart(3, '0')}\\]`).test(l));
    const iv = m.analyses.cpuIntervals[cpu];
    const closed = [];
    for (let k = 0; k < iv.length; k++) if (iv.b.get(k) !== -1) closed.push(iv.a.get(k));
    const want = sw.slice(0, -1).map((l) => Number(/==> .*:(\d+) \[-?\d+\]$/.exec(l)[1]));
    // the time before the CPU's first switch is an interval of its own only when some other event
    // came first on that CPU (a CPU whose first event is the switch has none)
    if (closed.length === want.length + 1) closed.shift();
    assert.deepEqual(closed, want, `cpu ${cpu}`);
  }

  // the same file fed page by page (utp view --live's path: LiveFeed into TraceModel.append), the CPUs' pages
  // interleaved in uneven batches: every line is trace-cmd report's, in its order, and the indexes are the loaded model's
  {
    const { LiveFeed } = await import(join(ROOT, 'packages/model/dist/index.js'));
    const { decompressorFor } = await import(join(ROOT, 'packages/tracedat/dist/index.js'));
    const bytes = readFileSync(file);
    const src = await TraceDatSource.open(new MemorySource(bytes));
    const buf = src.td.buffers[src.td.buffers.length - 1];
    // each CPU's pages as the drain wrote them: a compressed file's chunks ([u32 zsize][u32 usize][data],
    // after a u32 count) inflated
    const le = src.td.littleEndian;
    const raw = buf.cpus.map((c) => {
      if (!buf.compressed || !c.size) return bytes.subarray(c.offset, c.offset + c.size);
      const data = bytes.subarray(c.offset); // (a compressed CPU's size is not what it takes in the file)
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const inflate = decompressorFor(src.td.compression);
      const parts = [];
      for (let k = 0, o = 4, n = dv.getUint32(0, le); k < n; k++) {
        const z = dv.getUint32(o, le),
          u = dv.getUint32(o + 4, le);
        parts.push(inflate(data.subarray(o + 8, o + 8 + z), u));
        o += 8 + z;
      }
      return Buffer.concat(parts);
    });
    const feed = new LiveFeed(src);
    const g = new TraceModel(src);
    const ps = feed.pageSize;
    const at = raw.map(() => 0);
    const end = raw.map((r) => Math.floor(r.length / ps) * ps);
    let grew = 0;
    for (let round = 0, more = true; more; round++) {
      more = false;
      for (let cpu = 0; cpu < at.length; cpu++) {
        const n = Math.min(end[cpu] - at[cpu], ps * (1 + ((round + cpu) % 3)));
        if (n <= 0) continue;
        feed.add(cpu, raw[cpu].subarray(at[cpu], at[cpu] + n));
        at[cpu] += n;
        more = true;
      }
      if (g.append((sink) => feed.drain(sink)) > 0) grew++;
    }
    g.append((sink) => feed.drain(sink, true), true);
    assert.ok(grew >= 2, `grown over ${grew} appends`);
    assert.equal(g.length, lines.length);
    for (let i = 0; i < g.length; i++) if (g.line(i) !== lines[i]) assert.equal(g.line(i), lines[i], `fed page by page: event ${i}`);
    for (const cpu of m.cpus()) assert.deepEqual(g.store.eventsOfCpu(cpu), m.store.eventsOfCpu(cpu), `cpu ${cpu}`);
    assert.deepEqual(g.tasks(), m.tasks());
  }

  // the page
  const { serveView } = await import(join(ROOT, 'packages/cli/dist/commands/view.js'));
  const s = await serveView([file]);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
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
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await page.goto(s.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    assert.equal(await page.textContent('[data-testid=event-count]'), String(lines.length));
    const cpus = [...new Set(lines.map((l) => Number(/\[(\d+)\]/.exec(l)[1])))].sort();
    assert.equal(await page.evaluate(() => document.body.dataset.rows), cpus.map((c) => `CPU ${c}`).join('|'));
    await page.click('[data-testid=event-row] >> nth=5');
    await page.waitForTimeout(300);
    const idx = await page.$eval('.row.sel', (r) => Number(r.dataset.index));
    const utp = spawnSync(process.execPath, [join(ROOT, 'packages/cli/bin/utp.cjs'), 'report', '-i', file], {
      encoding: 'latin1',
      maxBuffer: 1 << 28,
    });
    const ul = utp.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l && !/(^|: )CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l))
      .map((l) => l.replace(/^\s*utp-[\w-]+: /, ''));
    assert.equal(await page.textContent('[data-testid=details-line]'), ul[idx]);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'fresh-trace.png') });
  } finally {
    await browser.close();
    await s.close();
  }
});
