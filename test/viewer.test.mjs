// The viewer, driven in headless Chromium (Debian's, via playwright-core) through `utp view`'s own
// server: rows and counts against the file, zoom/pan, markers, filters, search, clicking an event
// (list and details against `utp report`, itself checked against trace-cmd report's fixture output),
// the no-server page (file:// + a picked file or folder), a perf.data, CTF directories (utp's, LTTng's; rows against
// babeltrace2's committed output), a damaged file; and the server's security.
// Screenshots go to test-results/viewer/.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { ROOT } from './lib/live.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const FIXTURE = join(ROOT, 'testdata/succeed/many-v7-zstd/trace.dat');
const LOST = join(ROOT, 'testdata/succeed/lost-events/trace.dat');
const OUT = join(ROOT, 'test-results/viewer');
const APP = join(ROOT, 'packages/viewer/app-dist/index.html');
const UTP = join(ROOT, 'packages/cli/bin/utp.cjs');
const noBrowser = existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install -y chromium)`;
const noApp = existsSync(APP) ? undefined : 'the viewer is not built (npm run build)';
if (noBrowser) console.log(`# skipping viewer browser tests: ${noBrowser}`);

const { serveView } = await import(join(ROOT, 'packages/cli/dist/commands/view.js'));

const CTF = join(ROOT, 'testdata/ctf');
/** babeltrace2's committed lines of a CTF fixture: time of day (TZ=UTC), host, event name, the rest (the info text). */
function babeltrace(name) {
  return readFileSync(join(CTF, `${name}.babeltrace2.txt`), 'latin1')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^\[(\d\d):(\d\d):(\d\d)\.(\d{9})\] \(\S+\) (\S+) (\S+): (.*)$/.exec(l);
      assert.ok(m, l);
      return { s: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]), ns: m[4], host: m[5], event: m[6], info: m[7] };
    });
}
/** The list's first row (the last 7 cells: cpu, time, comm, pid, latency, event, info) checked against babeltrace2's first line. */
async function firstRowIsBabeltrace(page, want) {
  const row = await page.$eval('[data-testid=event-row]', (r) => [...r.querySelectorAll('span')].map((x) => x.textContent));
  const [, time, comm, pid, , event, info] = row.slice(-7);
  // the task: utp's common_pid, LTTng's vtid context (and its procname)
  const task = /\bcommon_pid = (\d+)/.exec(want.info) ?? /\bvtid = (\d+), procname = "([^"]*)"/.exec(want.info);
  assert.ok(task, want.info);
  assert.equal(pid, task[1]);
  if (task[2] !== undefined) assert.equal(comm, task[2]);
  // the viewer shows seconds.microseconds (rounded, as trace-cmd report) of the ns since the clock's origin, babeltrace2
  // the time of day (TZ=UTC): the day from the row, the rest from babeltrace2. The model keeps times as doubles: exact
  // below 2^53 ns, LTTng's times since the epoch to 256 ns
  const day = BigInt(Math.floor(Number(time.split('.')[0]) / 86400));
  const ns = (day * 86400n + BigInt(want.s)) * 1000000000n + BigInt(want.ns);
  const t = (BigInt(Number(ns)) + 500n) / 1000n;
  assert.equal(time, `${t / 1000000n}.${String(t % 1000000n).padStart(6, '0')}`);
  assert.equal(event, want.event.slice(want.event.lastIndexOf(':') + 1));
  assert.equal(info, want.info);
}

/** `utp report` lines of a file, without the instance prefix (the viewer shows it in its own column). */
function utpReport(file) {
  const r = spawnSync(process.execPath, [UTP, 'report', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .split('\n')
    .slice(1)
    .filter((l) => l !== '' && !/(^|: )CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l));
  return lines.map((l) => l.replace(/^\s*utp-[\w-]+: /, ''));
}

function get(port, path, { method = 'GET', host = `127.0.0.1:${port}` } = {}) {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('utp view: the server', { skip: noApp }, () => {
  let s;
  before(async () => {
    s = await serveView([FIXTURE]);
  });
  after(async () => {
    await s?.close();
  });

  test('listens on 127.0.0.1 and serves the page, the list of traces and the trace under the token', async () => {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}\/$/);
    const page = await get(s.port, `/${s.token}/`);
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /data-testid="event-count"/);
    const list = JSON.parse((await get(s.port, `/${s.token}/traces.json`)).body.toString());
    assert.deepEqual(
      list.map((t) => t.name),
      ['trace.dat'],
    );
    const trace = await get(s.port, `/${s.token}/${list[0].url}`);
    assert.equal(trace.status, 200);
    assert.ok(trace.body.equals(readFileSync(FIXTURE)));
  });

  test('refuses a missing or wrong token, traversal, listings, other methods and foreign Host headers', async () => {
    const t = s.token;
    for (const p of ['/', '/index.html', '/trace/0', `/${t.slice(0, -1)}x/`, `/${t}x/`, `/x/${t}/`])
      assert.equal((await get(s.port, p)).status, 403, p);
    for (const p of [
      `/${t}/../../etc/passwd`,
      `/${t}/%2e%2e/%2e%2e/etc/passwd`,
      `/${t}/trace/../../../etc/passwd`,
      `/${t}/trace/`,
      `/${t}/trace/1`,
      `/${t}/trace/0/`,
      `/${t}/trace/-1`,
      `/${t}/trace/%30`,
      `/${t}/app-dist/`,
      `/${t}/package.json`,
      `/${t}//etc/passwd`,
    ]) {
      const r = await get(s.port, p);
      assert.ok(r.status === 404 || r.status === 403, `${p}: ${r.status}`);
      assert.ok(!r.body.toString().includes('root:'), p);
    }
    assert.equal((await get(s.port, `/${t}/`, { method: 'POST' })).status, 405);
    assert.equal((await get(s.port, `/${t}/`, { method: 'PUT' })).status, 405);
    assert.equal((await get(s.port, `/${t}/`, { host: 'evil.example:80' })).status, 403);
    const ok = await get(s.port, `/${t}/`);
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.match(ok.headers['content-security-policy'], /default-src 'self'/);
  });

  test('a CTF directory: its metadata, streams and skeleton served by index; nothing outside it, no links, no other files', async () => {
    const dir = join(OUT, 'served.ctf');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'sub'), { recursive: true });
    cpSync(join(CTF, 'utp-uprobe-args'), dir, { recursive: true });
    writeFileSync(join(dir, '.utp-tracedat.json'), '{}\n');
    writeFileSync(join(dir, '.hidden'), 'not served\n');
    writeFileSync(join(dir, 'sub/stream_0'), 'not served\n');
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    symlinkSync(join(CTF, 'utp-lost-events/utp_5825_test_5_0'), join(dir, 'utp_5825_test_5_0'));
    const s2 = await serveView([dir, FIXTURE]);
    try {
      const t = s2.token;
      const list = JSON.parse((await get(s2.port, `/${t}/traces.json`)).body.toString());
      assert.deepEqual(
        list.map((e) => e.name),
        ['served.ctf', 'trace.dat'],
      );
      assert.deepEqual(
        list[0].ctf.map((f) => f.name),
        ['metadata', '.utp-tracedat.json', 'utp_5825_test_6_1'],
      );
      for (const f of list[0].ctf) {
        const r = await get(s2.port, `/${t}/${f.url}`);
        assert.equal(r.status, 200, f.url);
        assert.ok(r.body.equals(readFileSync(join(dir, f.name))), f.name);
      }
      for (const p of [
        'trace/0',
        'trace/0/3',
        'trace/0/-1',
        'trace/0/0/',
        'trace/0/../1',
        'trace/0/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        'trace/0/../../../../etc/passwd',
        'trace/0/passwd',
        'trace/0/sub/stream_0',
        'trace/0/.hidden',
        'trace/1/0',
        'trace/2/0',
      ]) {
        const r = await get(s2.port, `/${t}/${p}`);
        assert.ok(r.status === 404 || r.status === 403, `${p}: ${r.status}`);
        assert.ok(!r.body.toString().includes('root:'), p);
      }
      // a listed file replaced by a link to a file outside the directory afterwards: refused
      unlinkSync(join(dir, 'utp_5825_test_6_1'));
      symlinkSync('/etc/passwd', join(dir, 'utp_5825_test_6_1'));
      const r = await get(s2.port, `/${t}/${list[0].ctf[2].url}`);
      assert.equal(r.status, 404);
      assert.ok(!r.body.toString().includes('root:'));
    } finally {
      await s2.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a new token every run', async () => {
    const s2 = await serveView([FIXTURE]);
    try {
      assert.notEqual(s2.token, s.token);
      assert.equal((await get(s2.port, `/${s.token}/`)).status, 403);
    } finally {
      await s2.close();
    }
  });

  test('utp view exits 1 on a missing file and 2 on bad usage', () => {
    const a = spawnSync(process.execPath, [UTP, 'view', '--no-open', '/nonexistent/x.dat'], { encoding: 'utf8' });
    assert.equal(a.status, 1);
    assert.match(a.stderr, /cannot open '\/nonexistent\/x\.dat': No such file or directory/);
    // a directory is a trace only when it is a CTF one (a metadata file in it)
    const d = spawnSync(process.execPath, [UTP, 'view', '--no-open', join(ROOT, 'testdata/ctf')], { encoding: 'utf8' });
    assert.equal(d.status, 1);
    assert.match(d.stderr, /cannot read '.*testdata\/ctf': not a regular file or a CTF directory/);
    assert.equal(d.stderr.split('\n').length, 2, 'one line');
    const b = spawnSync(process.execPath, [UTP, 'view', '--port', 'abc', FIXTURE], { encoding: 'utf8' });
    assert.equal(b.status, 2);
    assert.equal(b.stderr.split('\n').length, 2, 'one line');
  });
});

describe('utp view: the page', { skip: noBrowser ?? noApp }, () => {
  let browser, s, page, report;
  const errors = [];
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    report = utpReport(FIXTURE);
    // utp report is trace-cmd report here (the fixture's report.txt is trace-cmd's own output)
    const want = readFileSync(join(ROOT, 'testdata/succeed/many-v7-zstd/report.txt'), 'latin1')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.replace(/^\s*utp-[\w-]+: /, ''));
    assert.deepEqual(report, want);
    s = await serveView([FIXTURE]);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const hash = async () => Object.fromEntries(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)));
  const shot = (name) => page.screenshot({ path: join(OUT, name) });

  test('ready with every event loaded; CPU rows as in the file; the list shows report columns', async () => {
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent('[data-testid=event-count]'), String(report.length));
    await shot('loaded.png');
    const rows = await page.$$eval('[data-testid=event-row]', (rs) =>
      rs.map((r) => [...r.querySelectorAll('span')].map((s) => s.textContent)),
    );
    assert.ok(rows.length >= 10);
    for (let k = 0; k < rows.length; k++) {
      const [, cpu, time, comm, pid, , event, info] = rows[k];
      const m = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\d+\.\d+): (\S+):\s*(.*)$/.exec(report[k]);
      assert.deepEqual(
        [comm, pid, cpu, time, event, info.trimEnd()],
        [m[1].trim(), m[2], String(Number(m[3])), m[4], m[5], m[6].trimEnd()],
        `row ${k}`,
      );
    }
    const cpus = [...new Set(report.map((l) => Number(/\[(\d+)\]/.exec(l)[1])))].sort();
    const labels = await page.evaluate(() => document.body.dataset.rows);
    assert.equal(labels, cpus.map((c) => `CPU ${c}`).join('|'));
  });

  test('zoom (+, −, wheel), pan (arrows, drag) and zoom to fit move the window', async () => {
    const h0 = await hash();
    const w0 = h0.t1 - h0.t0;
    await page.keyboard.press('+');
    await page.waitForTimeout(150);
    let h = await hash();
    assert.ok(Math.abs(h.t1 - h.t0 - w0 / 2) < 2, 'zoomed in by 2');
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(150);
    const h2 = await hash();
    assert.ok(Number(h2.t0) > Number(h.t0), 'panned right');
    const box = await page.locator('#graph').boundingBox();
    await page.mouse.move(box.x + 700, box.y + 40);
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(150);
    h = await hash();
    assert.ok(h.t1 - h.t0 > h2.t1 - h2.t0, 'wheel zooms out');
    await page.mouse.move(box.x + 600, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + 500, box.y + 40, { steps: 5 });
    await page.mouse.up();
    await page.waitForTimeout(150);
    const h3 = await hash();
    assert.ok(Number(h3.t0) > Number(h.t0), 'dragging left moves later');
    await shot('zoomed.png');
    await page.keyboard.press('0');
    await page.waitForTimeout(150);
    assert.deepEqual([(await hash()).t0, (await hash()).t1], [h0.t0, h0.t1]);
  });

  test('clicking an event in the graph selects it in the list and the details match utp report', async () => {
    const h = await hash();
    const t0 = Number(h.t0),
      t1 = Number(h.t1);
    const box = await page.locator('#graph').boundingBox();
    // the 200th event of CPU 1: its time from the report line
    const lines = report.filter((l) => /\[001\]/.test(l));
    const line = lines[200];
    const ts = Number(/(\d+)\.(\d+):/.exec(line)[1]) * 1e9 + Number(/(\d+)\.(\d+):/.exec(line)[2]) * 1e3;
    const plotW = box.width - 150;
    const x = 150 + ((ts - t0) / (t1 - t0)) * plotW;
    const rowsLabels = (await page.evaluate(() => document.body.dataset.rows)).split('|');
    const y = 26 + rowsLabels.indexOf('CPU 1') * 24 + 12;
    await page.mouse.click(box.x + x, box.y + y);
    await page.waitForSelector('[data-testid=details-line]');
    await page.waitForTimeout(200);
    const sel = await page.$eval('.row.sel', (r) => Number(r.dataset.index));
    const detail = await page.textContent('[data-testid=details-line]');
    assert.equal(detail, report[sel], 'details line = utp report line of the selected event');
    assert.match(detail, /\[001\]/);
    const gotTs = /(\d+\.\d+):/.exec(detail)[1];
    const clickedNs = Number(gotTs.split('.')[0]) * 1e9 + Number(gotTs.split('.')[1]) * 1e3;
    assert.ok(Math.abs(clickedNs - ts) <= (6 / plotW) * (t1 - t0) + 1000, 'the event under the pointer');
    // fields panel: every field of the format
    const fields = await page.$$eval('[data-testid=details-fields] tr', (rs) => rs.map((r) => r.firstChild.textContent));
    assert.ok(fields.includes('common_pid'));
    await shot('selected.png');
    // list → graph: clicking a list row moves marker A to it
    await page.click(`[data-testid=event-row] >> nth=3`);
    await page.waitForTimeout(200);
    const idx = await page.$eval('.row.sel', (r) => Number(r.dataset.index));
    assert.equal(await page.textContent('[data-testid=details-line]'), report[idx]);
    const a = Number((await hash()).a);
    assert.equal((await page.textContent('#ma')).replace('A: ', ''), (a / 1e9).toFixed(6));
  });

  test('markers A and B with their delta', async () => {
    const box = await page.locator('#graph').boundingBox();
    await page.mouse.click(box.x + 400, box.y + 10);
    await page.keyboard.down('Shift');
    await page.mouse.click(box.x + 900, box.y + 10);
    await page.keyboard.up('Shift');
    await page.waitForTimeout(150);
    const h = await hash();
    assert.ok(Number(h.b) > Number(h.a));
    const delta = await page.textContent('#delta');
    const d = Number(h.b) - Number(h.a);
    assert.match(delta, d >= 1e6 ? /ms|s$/ : /µs/);
    const num = Number(/Δ: ([\d.]+)/.exec(delta)[1]);
    const unit = delta.endsWith(' ms') ? 1e6 : delta.endsWith(' µs') ? 1e3 : delta.endsWith(' s') ? 1e9 : 1;
    assert.ok(Math.abs(num * unit - d) <= unit / 1000 + 1, `${delta} vs ${d} ns`);
  });

  test('filters by event, CPU and an advanced expression apply to the list and the graph', async () => {
    await page.fill('[data-testid=filter-events]', 'sched_switch');
    await page.click('[data-testid=apply-filter]');
    await page.waitForTimeout(300);
    const n = report.filter((l) => / sched_switch: /.test(l)).length;
    assert.equal(await page.textContent('#shown'), `${n} shown`);
    const evs = await page.$$eval('[data-testid=event-row] .c-ev', (s) => s.map((x) => x.textContent));
    assert.ok(evs.length > 0 && evs.every((e) => e === 'sched_switch'));
    await shot('filtered.png');
    await page.fill('[data-testid=filter-events]', '');
    await page.fill('[data-testid=filter-cpus]', '0');
    await page.click('[data-testid=apply-filter]');
    await page.waitForTimeout(300);
    assert.equal(await page.textContent('#shown'), `${report.filter((l) => /\[000\]/.test(l)).length} shown`);
    assert.equal(await page.evaluate(() => document.body.dataset.rows), 'CPU 0');
    await page.fill('[data-testid=filter-cpus]', '');
    await page.fill('[data-testid=filter-expr]', 'sys_enter:id==0');
    await page.click('[data-testid=apply-filter]');
    await page.waitForTimeout(300);
    const m = report.filter((l) => / sys_enter: +NR 0 /.test(l)).length;
    assert.ok(m > 0);
    assert.equal(await page.textContent('#shown'), `${m} shown`);
    await page.fill('[data-testid=filter-expr]', 'no_such_event_at_all');
    await page.click('[data-testid=apply-filter]');
    await page.waitForTimeout(300);
    assert.match(await page.textContent('[data-testid=error]'), /no_such_event_at_all|not found|Unknown|No event/i);
    await page.fill('[data-testid=filter-expr]', '');
    await page.click('[data-testid=apply-filter]');
    await page.waitForTimeout(300);
  });

  test('search next and previous in the text', async () => {
    await page.click('[data-testid=event-row] >> nth=0');
    await page.fill('[data-testid=search]', 'openat');
    await page.press('[data-testid=search]', 'Enter');
    await page.waitForTimeout(300);
    const first = report.findIndex((l) => l.toLowerCase().includes('openat'));
    assert.equal(await page.$eval('.row.sel', (r) => Number(r.dataset.index)), first);
    await page.click('#next');
    await page.waitForTimeout(300);
    const second = report.findIndex((l, i) => i > first && l.toLowerCase().includes('openat'));
    assert.equal(await page.$eval('.row.sel', (r) => Number(r.dataset.index)), second);
    await page.click('#prev');
    await page.waitForTimeout(300);
    assert.equal(await page.$eval('.row.sel', (r) => Number(r.dataset.index)), first);
  });

  test('task rows: add one by name, its bins are drawn; state in the URL restores the view', async () => {
    const pid = Number(/-(\d+)\s+\[/.exec(report.find((l) => / sched_switch: /.test(l) && !/-0 /.test(l)))[1]);
    await page.waitForFunction(() => document.body.dataset.tasks !== undefined);
    const task = await page.evaluate(
      (p) => [...document.querySelectorAll('#tasklist option')].map((o) => o.value).find((v) => v.endsWith(`-${p}`)),
      pid,
    );
    assert.ok(task, 'the task is offered');
    await page.fill('[data-testid=add-task]', task);
    await page.press('[data-testid=add-task]', 'Enter');
    await page.waitForTimeout(300);
    assert.ok((await page.evaluate(() => document.body.dataset.rows)).endsWith(`|${task}`));
    // the task row's state bars: the model's state table (every state of the task, whole window) painted
    // into the frame's bins, running over runnable over blocked, as the worker's per-task copies must give
    {
      const { TraceModel, TraceDatSource, TaskState } = await import(join(ROOT, 'packages/model/dist/index.js'));
      const { MemorySource } = await import(join(ROOT, 'packages/bytes/dist/index.js'));
      const m = await TraceModel.load(await TraceDatSource.open(new MemorySource(new Uint8Array(readFileSync(FIXTURE)))));
      const got = await page.evaluate(() => {
        const f = window.utpLastFrame();
        return { t0: f.t0, t1: f.t1, overlay: [...f.rows.at(-1).overlay] };
      });
      const n = got.overlay.length,
        w = (got.t1 - got.t0) / n;
      const want = new Array(n).fill(0);
      const st = m.analyses.states;
      let states = 0;
      for (let k = 0; k < st.length; k++) {
        if (st.a.get(k) !== pid) continue;
        const s = st.start.get(k),
          e = st.end.get(k);
        if (e <= got.t0 || s >= got.t1) continue;
        states++;
        const b = st.b.get(k);
        const v = b === TaskState.Running ? 3 : b === TaskState.Runnable ? 2 : 1;
        const b0 = Math.max(0, Math.floor((s - got.t0) / w)),
          b1 = Math.min(n - 1, Math.floor((e - got.t0) / w));
        for (let x = b0; x <= b1; x++) if (want[x] < v) want[x] = v;
      }
      assert.ok(states > 2, `the task has states in the window (${states})`);
      assert.deepEqual(got.overlay, want);
    }
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('t'); // dark theme
    await page.waitForTimeout(200);
    await shot('task-row-dark.png');
    const url = page.url();
    assert.match(url, /tasks=\d+/);
    assert.match(url, /theme=dark/);
    const p2 = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await p2.goto(url);
    await p2.waitForFunction(() => document.body.dataset.state === 'ready' && document.body.dataset.tasks !== undefined, null, {
      timeout: 60_000,
    });
    assert.equal(await p2.evaluate(() => document.body.dataset.rows), await page.evaluate(() => document.body.dataset.rows));
    assert.equal(await p2.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await p2.close();
    await page.keyboard.press('t');
  });

  test('statistics and keyboard help', async () => {
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('s');
    await page.waitForSelector('[data-testid=stats] table');
    const text = await page.textContent('[data-testid=stats]');
    assert.match(text, new RegExp(`Events \\(${report.length}`));
    await page.keyboard.press('Escape');
    await page.keyboard.press('?');
    assert.ok(await page.isVisible('[data-testid=help]'));
    await shot('help.png');
    await page.keyboard.press('Escape');
  });
});

describe('the page without a server', { skip: noBrowser ?? noApp }, () => {
  let browser, page;
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto('file://' + APP);
  });
  after(async () => {
    await browser?.close();
  });

  test('opens a picked file from file:// with lost events shown', async () => {
    await page.setInputFiles('#picker', LOST);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    const want = utpReport(LOST);
    assert.equal(await page.textContent('[data-testid=event-count]'), String(want.length));
    await page.screenshot({ path: join(OUT, 'file-url-lost-events.png') });
  });

  test('utp view of a perf.data (PERFILE2): ready, one event per perf script line, CPU rows, print text in the list; a picked one with cpu-clock details', async () => {
    // tp-zstd: perf record -z -a (sched_switch, softirq_entry); perf script's output is committed beside it
    const fix = join(ROOT, 'packages/perf/testdata');
    const data = join(OUT, 'tp-zstd.data');
    writeFileSync(data, gunzipSync(readFileSync(join(fix, 'tp-zstd.data.gz'))));
    const script = gunzipSync(readFileSync(join(fix, 'tp-zstd.script.gz')))
      .toString('latin1')
      .split('\n')
      .filter(Boolean);
    const s = await serveView([data]);
    const p = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    try {
      await p.goto(s.url);
      await p.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      assert.equal(await p.textContent('[data-testid=event-count]'), String(script.length));
      const cpus = [...new Set(script.map((l) => Number(/\[(\d+)\]/.exec(l)[1])))].sort();
      assert.equal(await p.evaluate(() => document.body.dataset.rows), cpus.map((c) => `CPU ${c}`).join('|'));
      const row = await p.$eval('[data-testid=event-row]', (r) => [...r.querySelectorAll('span')].map((x) => x.textContent));
      // one buffer: no buffer column (cpu, time, comm, pid, latency, event, info)
      const [cpu, time, comm, pid, , event, info] = row.slice(-7);
      const m = /^\s*(.*?)\s+(\d+) \[(\d+)\]\s+([\d.]+):\s+\S+?:(\S+): (.*)$/.exec(script[0]);
      assert.deepEqual([cpu, time, comm, pid, event, info.trimEnd()], [String(Number(m[3])), m[4], m[1], m[2], m[5], m[6]]);
      await p.screenshot({ path: join(OUT, 'perf-data.png') });
      // a dropped/picked perf.data with software samples: a cpu-clock event's details show its callchain in hex
      const sw = join(OUT, 'sw-clock.data');
      writeFileSync(sw, gunzipSync(readFileSync(join(fix, 'sw-clock.data.gz'))));
      const samples = gunzipSync(readFileSync(join(fix, 'sw-clock.task-ns.script.gz')))
        .toString('latin1')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('\t') && !l.includes(' PERF_RECORD_'));
      await p.setInputFiles('#picker', sw);
      // the page stays 'ready' from the first file: wait for this one's count (a wrong count times out)
      await p.waitForFunction(
        (n) => document.body.dataset.state === 'ready' && document.querySelector('[data-testid=event-count]')?.textContent === n,
        String(samples.length),
        { timeout: 60_000 },
      );
      const k = samples.findIndex((l) => / cpu-clock:/.test(l));
      await p.locator('[data-testid=event-row]').nth(k).click();
      await p.waitForSelector('[data-testid=details-line]');
      assert.match(await p.textContent('[data-testid=details-line]'), / cpu-clock: [0-9a-f]{16} period=\d+$/);
      const fields = await p.$$eval('[data-testid=details-fields] tr', (rs) => rs.map((r) => r.textContent));
      assert.ok(
        fields.some((f) => /^callchain\[0x[0-9a-f]+(, 0x[0-9a-f]+)*\]$/.test(f)),
        fields.join('\n'),
      );
    } finally {
      await p.close();
      await s.close();
    }
  });

  test("opens a picked CTF folder (LTTng) from file://: one event per babeltrace2 line, the first row is babeltrace2's", async () => {
    const want = babeltrace('lttng-ust-libc');
    await page.setInputFiles('#dirpicker', join(CTF, 'lttng-ust-libc'));
    await page.waitForFunction(
      (n) => document.body.dataset.state === 'ready' && document.querySelector('[data-testid=event-count]')?.textContent === n,
      String(want.length),
      { timeout: 60_000 },
    );
    assert.equal(await page.textContent('#filename'), 'lttng-ust-libc');
    await firstRowIsBabeltrace(page, want[0]);
  });

  test('a damaged CTF folder shows what it holds and the error; a folder with no CTF says so', async () => {
    const want = babeltrace('utp-lost-events');
    const cut = join(OUT, 'cut-ctf');
    rmSync(cut, { recursive: true, force: true });
    cpSync(join(CTF, 'utp-lost-events'), cut, { recursive: true });
    const stream = join(cut, 'utp_5825_test_5_0');
    writeFileSync(stream, readFileSync(stream).subarray(0, 20000));
    await page.setInputFiles('#dirpicker', cut);
    await page.waitForFunction(() => /is cut/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), null, {
      timeout: 60_000,
    });
    const n = Number(await page.textContent('[data-testid=event-count]'));
    assert.ok(n > 0 && n < want.length, `${n} events before the cut`);
    assert.match(await page.textContent('[data-testid=error]'), /cut-ctf: .*Stream 'utp_5825_test_5_0' is cut/);
    const none = join(OUT, 'no-ctf');
    rmSync(none, { recursive: true, force: true });
    mkdirSync(none);
    writeFileSync(join(none, 'stream_0'), 'x');
    await page.setInputFiles('#dirpicker', none);
    await page.waitForFunction(() => /no CTF trace in it/.test(document.querySelector('[data-testid=error]')?.textContent ?? ''), null, {
      timeout: 10_000,
    });
    assert.equal(await page.textContent('[data-testid=error]'), 'no-ctf: no CTF trace in it (no metadata file)');
    rmSync(cut, { recursive: true, force: true });
    rmSync(none, { recursive: true, force: true });
  });

  test("utp view of ftrace text (the kernel's trace file): ready, one event per line, CPU rows, the list shows the file's columns", async () => {
    const lines = readFileSync(join(ROOT, 'testdata/text/trace.txt'), 'latin1')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const s = await serveView([join(ROOT, 'testdata/text/trace.txt')]);
    const p = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    try {
      await p.goto(s.url);
      await p.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      assert.equal(await p.textContent('[data-testid=event-count]'), String(lines.length));
      const cpus = [...new Set(lines.map((l) => Number(/\[(\d+)\]/.exec(l)[1])))].sort();
      assert.equal(await p.evaluate(() => document.body.dataset.rows), cpus.map((c) => `CPU ${c}`).join('|'));
      const row = await p.$eval('[data-testid=event-row]', (r) => [...r.querySelectorAll('span')].map((x) => x.textContent));
      const [cpu, time, , pid, latency, event, info] = row.slice(-7);
      const m = /^\s*(.*?)-(\d+)\s+\[(\d+)\] (\S+)\s+(\d+\.\d+): (\S+): (.*)$/.exec(lines[0]);
      assert.deepEqual([cpu, time, pid, latency, event, info.trimEnd()], [String(Number(m[3])), m[5], m[2], m[4], m[6], m[7]]);
    } finally {
      await p.close();
      await s.close();
    }
  });

  test('a damaged file shows what it holds and the error', async () => {
    // a v6 file cut in its CPU data: the events before the cut, and the reason
    const bytes = gunzipSync(readFileSync(join(ROOT, 'testdata/succeed/sched-v6/trace.dat.gz')));
    const cut = join(OUT, 'cut.dat');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 6000)); // inside the last CPU's pages
    await page.setInputFiles('#picker', cut);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    const n = Number(await page.textContent('[data-testid=event-count]'));
    writeFileSync(join(OUT, 'full-v6.dat'), bytes);
    const all = utpReport(join(OUT, 'full-v6.dat'));
    assert.ok(n > 0 && n <= all.length, `${n} events before the cut`);
    assert.match(await page.textContent('[data-testid=error]'), /truncated/);
    await page.screenshot({ path: join(OUT, 'truncated.png') });
    const garbage = join(OUT, 'garbage.dat');
    writeFileSync(garbage, Buffer.from('this is not a trace file at all, just text\n'.repeat(20)));
    await page.setInputFiles('#picker', garbage);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid=error]'), /garbage\.dat: .*(magic|trace\.dat)/i);
    assert.equal(await page.textContent('[data-testid=event-count]'), '0');
    await page.screenshot({ path: join(OUT, 'damaged.png') });
  });
});

describe('utp view of CTF directories', { skip: noBrowser ?? noApp }, () => {
  let browser;
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
  });

  // utp's CTF (no skeleton: pid from common_pid) and LTTng's (pid from the vtid context)
  for (const name of ['utp-lost-events', 'lttng-ust-libc'])
    test(`${name}: ready, one event per babeltrace2 line, the first row's time and info are babeltrace2's`, async () => {
      const want = babeltrace(name);
      const s = await serveView([join(CTF, name)]);
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(s.url);
        await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
        assert.deepEqual(errors, []);
        assert.equal(await page.textContent('[data-testid=event-count]'), String(want.length));
        await firstRowIsBabeltrace(page, want[0]);
        await page.screenshot({ path: join(OUT, `ctf-${name}.png`) });
      } finally {
        await page.close();
        await s.close();
      }
    });

  test("a CTF utp convert wrote (its trace.dat skeleton beside it) and its trace.dat on one timeline: utp report's events, tasks and buffer; details show the values", async () => {
    const dir = join(OUT, 'lost.ctf');
    rmSync(dir, { recursive: true, force: true });
    const c = spawnSync(process.execPath, [UTP, 'convert', '-q', '-i', LOST, '-o', dir], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    assert.ok(existsSync(join(dir, '.utp-tracedat.dat')));
    const report = utpReport(LOST);
    const first = /^\s*(\S+)-(\d+)\s+\[(\d+)\]\s+([\d.]+): (\S+):/.exec(report[0]);
    const s = await serveView([dir, LOST]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    try {
      await page.goto(s.url);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      assert.equal(await page.textContent('[data-testid=event-count]'), String(2 * report.length));
      assert.equal(
        await page.evaluate(() => document.body.dataset.rows),
        'lost.ctf: CPU 0|lost.ctf: CPU 1|trace.dat: CPU 0|trace.dat: CPU 1',
      );
      const row = await page.$eval('[data-testid=event-row]', (r) => [...r.querySelectorAll('span')].map((x) => x.textContent));
      // the skeleton's: the instance's name as the buffer, the saved cmdlines' comm, the event's name
      const [buf, cpu, time, comm, pid, , event] = row;
      assert.deepEqual(
        [buf, cpu, time, comm, pid, event],
        ['utp-5825-test-5', String(Number(first[3])), first[4], first[1], first[2], first[5]],
      );
      assert.equal(row[7], babeltrace('utp-lost-events')[0].info);
      await page.click('[data-testid=event-row] >> nth=0');
      await page.waitForSelector('[data-testid=details-fields] tr');
      const fields = await page.$$eval('[data-testid=details-fields] tr', (rs) => rs.map((r) => r.textContent));
      assert.ok(fields.includes(`common_pid${first[2]} (0x${Number(first[2]).toString(16)})`), fields.join('\n'));
      // the shift control moves the CTF by hand too: its events 1.5 ms later, the same text
      await page.fill('[data-testid=shift]', '1.5ms');
      await page.press('[data-testid=shift]', 'Enter');
      await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('sh') === '1500000,0', null, { timeout: 60_000 });
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      const [sec, us] = first[4].split('.').map(Number);
      const later = `${sec}.${String(us + 1500).padStart(6, '0')}`;
      await page.waitForFunction((t) => document.querySelector('[data-testid=event-row] .c-time')?.textContent === t, later, {
        timeout: 10_000,
      });
      const moved = await page.$eval('[data-testid=event-row]', (r) => [...r.querySelectorAll('span')].map((x) => x.textContent));
      assert.deepEqual(moved, [...row.slice(0, 2), later, ...row.slice(3)]);
    } finally {
      await page.close();
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('utp view with two files on one timeline', { skip: noBrowser ?? noApp }, () => {
  test('rows of both files, events of both counted, the list follows the chosen file', async () => {
    const s = await serveView([FIXTURE, LOST]);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
      await page.goto(s.url);
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      const a = utpReport(FIXTURE),
        b = utpReport(LOST);
      assert.equal(await page.textContent('[data-testid=event-count]'), String(a.length + b.length));
      const cpusOf = (r) => [...new Set(r.map((l) => Number(/\[(\d+)\]/.exec(l)[1])))].sort();
      assert.equal(
        await page.evaluate(() => document.body.dataset.rows),
        [...cpusOf(a).map((c) => `trace.dat: CPU ${c}`), ...cpusOf(b).map((c) => `trace.dat: CPU ${c}`)].join('|'),
      );
      // the list shows the first file, then the second when chosen
      await page.click('[data-testid=event-row] >> nth=0');
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('[data-testid=details-line]'), a[0]);
      await page.selectOption('[data-testid=stream]', '1');
      await page.waitForTimeout(400);
      await page.click('[data-testid=event-row] >> nth=0');
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('[data-testid=details-line]'), b[0]);
      await page.screenshot({ path: join(OUT, 'two-files.png') });
      // the shift control moves the chosen file by hand: its events keep their text, 1.5 ms later;
      // the first file stays where it was, and the shift is kept in the URL
      const later = (line, us) =>
        line.replace(/ (\d+)\.(\d{6}):/, (_, sec, frac) => {
          const t = BigInt(sec) * 1000000n + BigInt(frac) + BigInt(us);
          return ` ${t / 1000000n}.${String(t % 1000000n).padStart(6, '0')}:`;
        });
      assert.notEqual(later(b[0], 1500), b[0]);
      await page.fill('[data-testid=shift]', '1.5ms');
      await page.press('[data-testid=shift]', 'Enter');
      await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('sh') === '0,1500000', null, {
        timeout: 60_000,
      });
      await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
      assert.equal(await page.textContent('[data-testid=event-count]'), String(a.length + b.length));
      await page.waitForFunction(() => document.querySelector('[data-testid=stream]').value === '1', null, { timeout: 10_000 });
      await page.click('[data-testid=event-row] >> nth=0');
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('[data-testid=details-line]'), later(b[0], 1500));
      assert.equal(await page.inputValue('[data-testid=shift]'), '1500000 ns');
      await page.selectOption('[data-testid=stream]', '0');
      await page.waitForTimeout(400);
      await page.click('[data-testid=event-row] >> nth=0');
      await page.waitForTimeout(200);
      assert.equal(await page.textContent('[data-testid=details-line]'), a[0]);
      // not a time: one line in the page, nothing moved
      await page.selectOption('[data-testid=stream]', '1');
      await page.waitForTimeout(300);
      await page.fill('[data-testid=shift]', 'soon');
      await page.press('[data-testid=shift]', 'Enter');
      assert.match(await page.textContent('[data-testid=error]'), /shift: 'soon' is not a time/);
    } finally {
      await browser.close();
      await s.close();
    }
  });
});
