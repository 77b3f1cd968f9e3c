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
