// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// `utp view --live`: records this machine with utp record's recorder and shows the recording in the
// page while it runs; the saved file is checked against trace-cmd report. A live file; skips with a reason where there is no root/tracefs/trace-cmd/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { ROOT, liveSkipReason, tmpDir, tracefsState } from './lib/live.mjs';

const CHROMIUM = '/usr/bin/chromium';
const UTP_BIN = join(ROOT, 'packages/cli/bin/utp.cjs');
const skip = liveSkipReason() ?? (existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM}`);
if (skip) console.log(`# skipping utp view --live tests: ${skip}`);
const OUT = join(ROOT, 'test-results/viewer');
const WORKLOAD = 'for i in 1 2 3 4 5 6; do ls -R /usr/lib >/dev/null; sleep 0.3; done';

/** Starts `utp view --live`; resolves with the child, its URL, and a way to wait for stdout text. */
async function startLive(args) {
  const child = spawn(process.execPath, [UTP_BIN, 'view', '--live', '--no-open', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((ok) => child.once('exit', (code, sig) => ok({ code, sig })));
  // a failed test still leaves tracefs clean: SIGINT stops and saves, a second one exits after cleaning up
  const end = async () => {
    for (let k = 0; k < 2 && child.exitCode === null && child.signalCode === null; k++) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((ok) => setTimeout(ok, 5000))]);
    }
  };
  const waitFor = async (re, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!re.test(out)) {
      if (child.exitCode !== null) throw new Error(`utp view exited (${child.exitCode}) before ${re}: ${out} ${err}`);
      if (Date.now() > end) throw new Error(`no ${re} in utp view's output within ${ms} ms: ${out} ${err}`);
      await new Promise((ok) => {
        waiters.push(ok);
        setTimeout(ok, 200);
      });
    }
    return out;
  };
  const url = /(http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(await waitFor(/http:\/\/\S+\//))[1];
  return { child, url, waitFor, exited, end, stderr: () => err };
}

function reportLines(file) {
  const ref = spawnSync('trace-cmd', ['report', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
  assert.equal(ref.status, 0, `trace-cmd report -i ${file}: ${ref.stderr}`);
  return {
    text: ref.stdout,
    events: ref.stdout
      .split('\n')
      .slice(1)
      .filter((l) => l && !/(^|: )CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l)).length,
  };
}

function utpReport(file) {
  const r = spawnSync(process.execPath, [UTP_BIN, 'report', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
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
}

/**
 * Samples the page's event count while the recording runs (every 100 ms), with the worker's append
 * count and the page's count of models built from scratch.
 */
async function sampleCounts(page, live, until) {
  const seen = new Set();
  const loads = new Set();
  let appends = 0;
  while (!(await until())) {
    if (live.child.exitCode !== null) throw new Error(`utp view exited (${live.child.exitCode}) while recording: ${live.stderr()}`);
    // only counts of drawn models: while the head loads, the count shows the decoder's progress
    const [n, ready, a, l, state] = await page.evaluate(() => [
      Number(document.querySelector('[data-testid=event-count]').textContent),
      document.body.dataset.state === 'ready',
      Number(document.body.dataset.liveAppends ?? 0),
      Number(document.body.dataset.liveLoads ?? 0),
      document.body.dataset.live,
    ]);
    if (n > 0 && ready && state === 'recording') {
      seen.add(n);
      loads.add(l);
      appends = a;
    }
    await page.waitForTimeout(100);
  }
  return { seen, loads, appends };
}

const instances = () =>
  existsSync('/sys/kernel/tracing/instances') ? spawnSync('ls', ['/sys/kernel/tracing/instances']).stdout.toString() : '';

test('utp view --live: the page grows while CMD runs, then shows the saved file trace-cmd reads', { skip, timeout: 180_000 }, async (t) => {
  const before = tracefsState();
  const dir = tmpDir('utp-view-live-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const F = join(dir, 'live.dat');
  writeFileSync(F, 'an older file: utp record replaces it');
  const browser = await launch();
  // -F -c (CMD's and its children's events only): the saved file the page loads at the end stays small. CMD on CPU 0
  // only: the other CPUs record (next to) nothing, and the page must not wait for them (their stats say how far they got)
  const live = await startLive([
    '-e',
    'sched',
    '-e',
    'raw_syscalls',
    '-F',
    '-c',
    '-o',
    F,
    '--',
    'taskset',
    '-c',
    '0',
    'sh',
    '-c',
    WORKLOAD,
  ]);
  t.after(() => live.end());
  try {
    assert.match(instances(), /utp-/, 'recording in a private instance');
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await page.goto(live.url);
    const { seen, loads, appends } = await sampleCounts(page, live, () =>
      page.evaluate(() => document.body.dataset.live === 'saved' || !!document.body.dataset.liveDone),
    );
    assert.ok(seen.size >= 2, `the count grew while recording: saw ${[...seen].join(', ')}`);
    // grown by the worker's append path: one model built (the head's), appended to at every growth
    assert.deepEqual([...loads], [1], 'one model built from scratch while recording');
    assert.ok(appends >= seen.size - 1 && appends >= 2, `${appends} appends for ${seen.size} counts`);
    await live.waitFor(/saved .*live\.dat/);
    await page.waitForFunction(() => document.body.dataset.liveDone === '1' && document.body.dataset.state === 'ready', null, {
      timeout: 60_000,
    });
    // the recording is over: tracefs as found (no instance left), while the page still shows the file
    assert.deepEqual(tracefsState(), before, 'tracefs left as found');
    assert.doesNotMatch(instances(), /utp-/);
    const ref = reportLines(F);
    assert.ok(ref.events > 1000, `${ref.events} events`);
    const [ms, am, pages] = await page.evaluate(() => [
      document.body.dataset.liveReloadMs,
      document.body.dataset.liveAppendMs,
      document.body.dataset.livePages,
    ]);
    console.log(
      `# live: counts seen while recording ${[...seen].join(', ')} (${appends} appends, ${pages} pages, last ${am} ms); ${ref.events} saved; loading it ${ms} ms`,
    );
    assert.equal(await page.textContent('[data-testid=event-count]'), String(ref.events), 'the page shows every saved event');
    assert.equal(await page.evaluate(() => document.body.dataset.liveLoads), '2', 'then the saved file, built once');
    assert.ok(Math.max(...seen) <= ref.events, 'nothing streamed that the saved file does not hold');
    const utpText = utpReport(F);
    assert.equal(
      utpText
        .split('\n')
        .slice(1)
        .filter((l) => l && !/(^|: )CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l)).length,
      ref.events,
    );
    assert.equal(utpText, ref.text, 'utp report == trace-cmd report on the saved file');
    assert.match(await page.textContent('[data-testid=live-status]'), /saved live\.dat/);
    assert.equal(await page.isVisible('[data-testid=live-stop]'), false);
    const rows = await page.evaluate(() => document.body.dataset.rows);
    assert.match(rows, /^CPU \d+/);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'live.png') });
    live.child.kill('SIGINT');
    const ex = await live.exited;
    assert.equal(ex.code, 0, live.stderr());
  } finally {
    await browser.close();
  }
  assert.deepEqual(tracefsState(), before);
});

test('utp view --live: SIGINT mid-run saves the file and cleans up; the Stop button does too', { skip, timeout: 180_000 }, async (t) => {
  const before = tracefsState();
  const dir = tmpDir('utp-view-live-int-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const browser = await launch();
  try {
    for (const how of ['SIGINT', 'button']) {
      const F = join(dir, `${how}.dat`);
      const live = await startLive(['-e', 'sched', '-e', 'raw_syscalls', '-o', F, '--', 'sh', '-c', `while :; do ${WORKLOAD}; done`]);
      t.after(() => live.end());
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.goto(live.url);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=event-count]').textContent) > 0, null, {
        timeout: 60_000,
      });
      assert.equal(existsSync(F), false, 'nothing saved before the stop');
      if (how === 'SIGINT') live.child.kill('SIGINT');
      else await page.click('[data-testid=live-stop]');
      await live.waitFor(/saved .*\.dat/);
      assert.deepEqual(tracefsState(), before, `${how}: tracefs left as found`);
      assert.doesNotMatch(instances(), /utp-/);
      const ref = reportLines(F);
      assert.ok(ref.events > 0, `${how}: ${ref.events} events saved`);
      assert.equal(utpReport(F), ref.text);
      await page.waitForFunction(() => document.body.dataset.liveDone === '1', null, { timeout: 60_000 });
      assert.equal(await page.textContent('[data-testid=event-count]'), String(ref.events));
      live.child.kill('SIGINT');
      const ex = await live.exited;
      assert.equal(ex.code, 0, live.stderr());
      await page.close();
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(tracefsState(), before);
});

test('utp view --live: lost events (a storm into a 16 KiB buffer) in the status and on the CPU rows', {
  skip,
  timeout: 180_000,
}, async (t) => {
  const before = tracefsState();
  const dir = tmpDir('utp-view-live-lost-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const F = join(dir, 'lost.dat');
  const browser = await launch();
  const live = await startLive([
    '-e',
    'raw_syscalls',
    '-b',
    '16',
    '-o',
    F,
    '--',
    'sh',
    '-c',
    'sleep 1; dd if=/dev/zero of=/dev/null bs=1 count=150000 2>/dev/null; sleep 1',
  ]);
  t.after(() => live.end());
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(live.url);
    // while recording, the streamed pages' missed-events counts are lost-event spans already
    let streamedSpans = 0;
    while (!(await page.evaluate(() => document.body.dataset.live === 'saved' || !!document.body.dataset.liveDone))) {
      const [n, state] = await page.evaluate(() => [Number(document.body.dataset.lostSpans ?? 0), document.body.dataset.live]);
      if (state === 'recording') streamedSpans = Math.max(streamedSpans, n);
      await page.waitForTimeout(100);
    }
    await live.waitFor(/saved .*lost\.dat/, 120_000);
    await page.waitForFunction(() => document.body.dataset.liveDone === '1' && document.body.dataset.state === 'ready', null, {
      timeout: 60_000,
    });
    const ref = spawnSync('trace-cmd', ['report', '-i', F], { encoding: 'latin1', maxBuffer: 1 << 28 });
    assert.equal(ref.status, 0, ref.stderr);
    const dropped = ref.stdout.split('\n').filter((l) => /CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l)).length;
    assert.ok(dropped > 0, 'the storm lost events (trace-cmd report shows EVENTS DROPPED)');
    const kernelLost = Number(await page.evaluate(() => document.body.dataset.liveLost));
    assert.ok(kernelLost > 0, `the status shows the kernel's lost count (${kernelLost})`);
    assert.match(await page.textContent('[data-testid=live-status]'), new RegExp(`· ${kernelLost} lost`));
    await page.click('#fit');
    await page.waitForTimeout(500);
    assert.equal(
      Number(await page.evaluate(() => document.body.dataset.lostSpans)),
      dropped,
      'one lost-events span per EVENTS DROPPED line',
    );
    assert.ok(streamedSpans > 0 && streamedSpans <= dropped, `lost-event spans while recording: ${streamedSpans} (${dropped} saved)`);
    await page.screenshot({ path: join(OUT, 'live-lost.png') });
    live.child.kill('SIGINT');
    assert.equal((await live.exited).code, 0, live.stderr());
  } finally {
    await browser.close();
  }
  assert.deepEqual(tracefsState(), before);
});

test('utp view --live refuses what utp record refuses, before touching tracefs', { skip }, () => {
  const before = tracefsState();
  const dir = tmpDir('utp-view-live-bad-');
  try {
    const r = spawnSync(process.execPath, [UTP_BIN, 'view', '--live', '--no-open', '-e', 'sched', '-o', dir], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /is a directory/);
    const r2 = spawnSync(process.execPath, [UTP_BIN, 'view', '--live', '--no-open', '-o', join(dir, 'x.dat')], { encoding: 'utf8' });
    assert.equal(r2.status, 1, r2.stderr);
    assert.match(r2.stderr, /Nothing to record/);
    assert.equal(r2.stderr.trim().split('\n').length, 1, r2.stderr);
    // the page streams every page: a rotating output (-m) would drop some under it
    const r3 = spawnSync(process.execPath, [UTP_BIN, 'view', '--live', '--no-open', '-e', 'sched', '-m', '100', '-o', join(dir, 'x.dat')], {
      encoding: 'utf8',
    });
    assert.equal(r3.status, 2, r3.stderr);
    assert.match(r3.stderr, /-m cannot be used/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(tracefsState(), before);
});

test('the live server: token, Host and method checks on the live endpoints (no tracefs needed)', async () => {
  const { serveView, livePagesBody } = await import(join(ROOT, 'packages/cli/dist/commands/view.js'));
  let stops = 0;
  const dir = tmpDir('utp-view-live-srv-');
  const headFile = join(dir, 'head.dat');
  writeFileSync(headFile, 'not really a head');
  const savedFile = join(dir, 'x.dat');
  writeFileSync(savedFile, 'not really a trace');
  let saved = false;
  const asked = [];
  const s = await serveView([], 0, {
    name: 'x.dat',
    status: () => ({ state: 'recording', output: 'x.dat', events: 5, lost: 1, cpus: [] }),
    head: async () => headFile,
    pages: (from) => {
      asked.push(from);
      return livePagesBody(
        [
          { cpu: 0, from: from[0] ?? 0, bytes: new Uint8Array([1, 2, 3]), passed: '1.000001', complete: false },
          { cpu: 1, from: from[1] ?? 0, bytes: new Uint8Array(0), passed: '1.000002', complete: true },
        ],
        new TextEncoder().encode('42 sh\n'),
      );
    },
    saved: () => (saved ? savedFile : undefined),
    stop: () => {
      stops++;
    },
  });
  try {
    const base = `http://127.0.0.1:${s.port}`;
    const list = await (await fetch(`${s.url}traces.json`)).json();
    assert.deepEqual(list, [
      { name: 'x.dat', url: 'live/trace', live: 'live/status', stop: 'live/stop', meta: 'live/meta', pages: 'live/pages' },
    ]);
    assert.equal((await (await fetch(`${s.url}live/status`)).json()).events, 5);
    assert.equal(await (await fetch(`${s.url}live/meta`)).text(), 'not really a head');
    // the pages: u32 length, JSON, then each CPU's bytes; cursors as the page sends them
    const body = new Uint8Array(await (await fetch(`${s.url}live/pages?from=4096,8192`)).arrayBuffer());
    const hl = new DataView(body.buffer).getUint32(0, true);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + hl))), {
      cpus: [
        { cpu: 0, from: 4096, size: 3, passed: '1.000001', complete: false },
        { cpu: 1, from: 8192, size: 0, passed: '1.000002', complete: true },
      ],
      cmdlines: '42 sh\n',
    });
    assert.deepEqual([...body.subarray(4 + hl)], [1, 2, 3]);
    assert.equal((await fetch(`${s.url}live/pages`)).status, 200);
    assert.deepEqual(asked, [[4096, 8192], []]);
    for (const bad of ['x', '1,,2', '-1', '1e9', '1'.repeat(16)])
      assert.equal((await fetch(`${s.url}live/pages?from=${bad}`)).status, 400, bad);
    assert.equal(asked.length, 2, 'bad cursors never reach the recorder');
    assert.equal((await fetch(`${s.url}live/trace`)).status, 503, 'nothing saved yet');
    saved = true;
    assert.equal(await (await fetch(`${s.url}live/trace`)).text(), 'not really a trace');
    assert.equal((await fetch(`${base}/wrong-token/live/stop`, { method: 'POST' })).status, 403);
    assert.equal((await fetch(`${s.url}live/../live/stop`, { method: 'POST' })).status, 204); // fetch normalises the path
    assert.equal(stops, 1);
    assert.equal((await fetch(`${s.url}traces.json`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${s.url}live/status`, { method: 'PUT' })).status, 405);
    assert.equal((await fetch(`${s.url}live/pages`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${base}/wrong-token/live/pages`)).status, 403);
    // a page on another origin (DNS rebinding) cannot stop it: the Host check
    const code = await new Promise((ok, fail) => {
      const u = new URL(`${s.url}live/stop`);
      const q = request({ host: '127.0.0.1', port: s.port, path: u.pathname, method: 'POST', headers: { Host: 'evil.example' } }, (res) => {
        res.resume();
        ok(res.statusCode);
      });
      q.on('error', fail);
      q.end();
    });
    assert.equal(code, 403);
    assert.equal(stops, 1);
    assert.equal((await fetch(`${s.url}trace/0`)).status, 404);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
