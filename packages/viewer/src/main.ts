/**
 * The viewer page: a canvas timeline (CPU rows, task rows, ruler, markers) drawn from the worker's
 * level-of-detail frames, a virtualized event list with trace-cmd report's columns, details,
 * search, filters, statistics, plugins, URL state, themes. Works from `utp view` (the trace URL
 * comes from traces.json next to the page) or as a static page with a dropped / picked file.
 */
import type { CtfFileRef, LiveAppend, LiveStatus, FilterState, FrameData, ListRow, Request, RowSpec, Summary } from './protocol.js';
import { ctfTracesIn, droppedDir, pickedDirFiles, readDroppedDir } from './ctf-dir.js';
import type { DirFile } from './ctf-dir.js';
import type { DrawContext } from './plugin.js';
import { plugins } from './plugins/index.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ------------------------------------------------------------------ worker

/** The worker's bundled source (inlined by build.mjs). */
declare const __WORKER_SOURCE__: string;
let worker: Worker;
let workerUrl: string | undefined;
let seq = 0;
const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();

function startWorker(): void {
  worker?.terminate();
  for (const w of waiting.values()) w.fail(new Error('worker restarted'));
  waiting.clear();
  workerUrl ??= URL.createObjectURL(new Blob([__WORKER_SOURCE__], { type: 'text/javascript' }));
  worker = new Worker(workerUrl);
  worker.onmessage = (e: MessageEvent) => {
    const d = e.data as { type?: string; id?: number; result?: unknown; error?: string; done: number; total: number; events: number };
    if (d.type === 'progress') {
      $('progress').style.width = `${d.total ? (100 * d.done) / d.total : 0}%`;
      $('event-count').textContent = String(d.events);
      return;
    }
    const w = waiting.get(d.id!);
    if (!w) return;
    waiting.delete(d.id!);
    if (d.error !== undefined) w.fail(new Error(d.error));
    else w.ok(d.result);
  };
  worker.onerror = (e) => showError(`The decoder stopped: ${e.message}`);
}

function call<T>(req: Request): Promise<T> {
  const id = ++seq;
  return new Promise<T>((ok, fail) => {
    waiting.set(id, { ok: ok as (v: unknown) => void, fail });
    worker.postMessage({ id, req });
  });
}

// ------------------------------------------------------------------ state

const LABEL_W = 150;
const RULER_H = 26;
const ROW_H = 24;
const LIST_ROW = 18;

interface View {
  t0: number;
  t1: number;
  taskRows: number[];
  hiddenCpus: number[];
  a: number | undefined;
  b: number | undefined;
  selected: number | undefined;
  filterText: { events: string; tasks: string; cpus: string; expr: string };
}

let summary: Summary | undefined;
/** Every open file (one timeline); `summary` is the active one's (list, filters, search, task rows). */
let files: Summary[] = [];
let active = 0;
let view: View = freshView();
let rows: RowSpec[] = [];
let frame: FrameData | undefined;
let listCount = 0;
let pointerT: number | undefined;
let dark = false;
let firstFrameDone = false;

function freshView(): View {
  return {
    t0: 0,
    t1: 1,
    taskRows: [],
    hiddenCpus: [],
    a: undefined,
    b: undefined,
    selected: undefined,
    filterText: { events: '', tasks: '', cpus: '', expr: '' },
  };
}

function showError(msg: string | undefined): void {
  const e = $('error');
  e.textContent = msg ?? '';
  e.style.display = msg ? 'block' : 'none';
}

// ------------------------------------------------------------------ formatting

/** Seconds with `digits` decimals (times are ns). */
function secs(t: number, digits = 6): string {
  return (t / 1e9).toFixed(digits);
}

function duration(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(6)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns.toFixed(0)} ns`;
}

const colorCache = new Map<number, string>();
function colorOf(pid: number): string {
  let c = colorCache.get(pid);
  if (!c) {
    const h = (pid * 137.508) % 360;
    c = `hsl(${h.toFixed(0)} 62% ${dark ? 58 : 50}%)`;
    colorCache.set(pid, c);
  }
  return c;
}

function taskName(pid: number): string {
  return summary?.tasks.find((t) => t.pid === pid)?.name ?? '<...>';
}

// ------------------------------------------------------------------ rows and canvas

function buildRows(): void {
  rows = [];
  files.forEach((f, k) => {
    for (const c of f.cpus) if (k !== active || !view.hiddenCpus.includes(c)) rows.push({ kind: 'cpu', cpu: c, stream: k });
  });
  for (const p of view.taskRows) rows.push({ kind: 'task', pid: p, stream: active });
  document.body.dataset.rows = rows.map(rowLabel).join('|');
}

function rowLabel(r: RowSpec): string {
  const pre = files.length > 1 ? `${files[r.stream ?? 0]?.name ?? ''}: ` : '';
  return r.kind === 'cpu' ? `${pre}CPU ${r.cpu}` : `${pre}${taskName(r.pid)}-${r.pid}`;
}

const canvas = $<HTMLCanvasElement>('graph');
const g = canvas.getContext('2d')!;

function plotWidth(): number {
  return Math.max(10, canvas.clientWidth - LABEL_W);
}
function xOf(t: number): number {
  return LABEL_W + ((t - view.t0) / (view.t1 - view.t0)) * plotWidth();
}
function tOf(x: number): number {
  return view.t0 + ((x - LABEL_W) / plotWidth()) * (view.t1 - view.t0);
}
function rowY(r: number): number {
  return RULER_H + r * ROW_H;
}
function rowAt(y: number): number {
  const r = Math.floor((y - RULER_H) / ROW_H);
  return r >= 0 && r < rows.length ? r : -1;
}

function sizeCanvas(): void {
  const h = RULER_H + Math.max(1, rows.length) * ROW_H + 4;
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = `${h}px`;
  const w = canvas.clientWidth;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
}

let inFlight = false;
let again = false;
/** Asks the worker for a frame of the current window and draws it (coalescing requests). */
function redraw(): void {
  if (!summary) return;
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  sizeCanvas();
  const req = { t0: view.t0, t1: view.t1, bins: Math.round(plotWidth()), rows };
  call<FrameData>({ type: 'frame', req }).then(
    (f) => {
      frame = f;
      // for tests: the lost-event spans the missed-events plugin has to draw in this window
      document.body.dataset.lostSpans = String(f.rows.reduce((a, r) => a + r.lost.length / 3, 0));
      paint();
      inFlight = false;
      if (again) {
        again = false;
        redraw();
      } else if (!firstFrameDone) {
        firstFrameDone = true;
        requestAnimationFrame(() => {
          document.body.dataset.state = 'ready';
        });
        void loadTasks();
      }
    },
    (e: Error) => {
      inFlight = false;
      showError(e.message);
    },
  );
  saveUrl();
  updateReadout();
}

function niceStep(span: number, px: number): number {
  const raw = (span / px) * 110;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function paint(): void {
  const f = frame;
  if (!f) return;
  const W = canvas.clientWidth,
    H = canvas.clientHeight;
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--fg').trim(),
    muted = css.getPropertyValue('--muted').trim(),
    line = css.getPropertyValue('--line').trim();
  const panel = css.getPropertyValue('--panel').trim(),
    rowBg = css.getPropertyValue('--row').trim();
  g.clearRect(0, 0, W, H);
  g.fillStyle = panel;
  g.fillRect(0, 0, W, H);
  // ruler
  const span = f.t1 - f.t0;
  const step = niceStep(span, plotWidth());
  const digits = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / 1e9))));
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = muted;
  g.strokeStyle = line;
  g.beginPath();
  g.moveTo(LABEL_W, RULER_H - 0.5);
  g.lineTo(W, RULER_H - 0.5);
  g.stroke();
  for (let t = Math.ceil(f.t0 / step) * step; t <= f.t1; t += step) {
    const x = Math.round(xOf(t)) + 0.5;
    g.beginPath();
    g.moveTo(x, RULER_H - 7);
    g.lineTo(x, RULER_H);
    g.stroke();
    g.fillText(secs(t, digits), x + 2, 12);
  }
  g.fillText(`${duration(step)}/div`, 6, 12);
  // rows
  const n = f.rows.length ? f.rows[0]!.count.length : 0;
  const bw = plotWidth() / Math.max(1, n);
  const dc: DrawContext = {
    g,
    x: xOf,
    t0: f.t0,
    t1: f.t1,
    left: LABEL_W,
    width: plotWidth(),
    height: H,
    rows,
    rowY,
    rowH: ROW_H,
    frame: f,
    colorOf,
    dark,
  };
  for (let r = 0; r < rows.length && r < f.rows.length; r++) {
    const row = rows[r]!,
      d = f.rows[r]!;
    const y = rowY(r);
    if (r % 2) {
      g.fillStyle = rowBg;
      g.fillRect(0, y, W, ROW_H);
    }
    g.fillStyle = fg;
    g.font = '12px system-ui, sans-serif';
    const label = rowLabel(row);
    const room = LABEL_W - (row.kind === 'task' ? 32 : 10);
    let text = label;
    while (text.length > 2 && g.measureText(text).width > room) text = text.slice(0, -2) + '…';
    g.fillText(text, 6, y + 15);
    if (row.kind === 'task') {
      g.fillStyle = muted;
      g.fillText('×', LABEL_W - 14, y + 15);
      g.fillStyle = colorOf(row.pid);
      g.fillRect(LABEL_W - 24, y + 7, 6, 10);
    }
    if (row.kind === 'cpu') {
      // the task running on the CPU fills the row; event ticks above it
      let b = 0;
      while (b < n) {
        const pid = d.dominant[b]!;
        let e = b + 1;
        while (e < n && d.dominant[e] === pid) e++;
        if (pid > 0) {
          g.fillStyle = colorOf(pid);
          g.fillRect(LABEL_W + b * bw, y + 8, (e - b) * bw, ROW_H - 13);
        }
        b = e;
      }
      g.fillStyle = fg;
      for (let k = 0; k < n; k++) if (d.count[k]! > 0) g.fillRect(LABEL_W + k * bw, y + 3, Math.max(1, bw), 4);
    } else {
      // (one colour for the row: set once, not parsed again for each of up to a bin per pixel)
      g.fillStyle = colorOf(row.pid);
      for (let k = 0; k < n; k++) {
        if (d.count[k]! <= 0) continue;
        g.fillRect(LABEL_W + k * bw, y + 3, Math.max(1, bw), ROW_H - 10);
      }
    }
    for (const p of plugins) if (p.enabled && p.drawRow) p.drawRow(dc, r, row, d);
  }
  g.strokeStyle = line;
  g.beginPath();
  g.moveTo(LABEL_W - 0.5, 0);
  g.lineTo(LABEL_W - 0.5, H);
  g.stroke();
  for (const p of plugins) if (p.enabled && p.drawOver) p.drawOver(dc);
  // markers A / B
  for (const [t, color, name] of [
    [view.a, css.getPropertyValue('--a').trim(), 'A'],
    [view.b, css.getPropertyValue('--b').trim(), 'B'],
  ] as const) {
    if (t === undefined || t < f.t0 || t > f.t1) continue;
    const x = Math.round(xOf(t)) + 0.5;
    g.strokeStyle = color;
    g.fillStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(x, RULER_H - 12);
    g.lineTo(x, H);
    g.stroke();
    g.font = 'bold 11px system-ui, sans-serif';
    g.fillText(name, x + 3, RULER_H - 3);
    g.lineWidth = 1;
  }
  if (drag?.range) {
    const x0 = Math.min(drag.x0, drag.x1),
      x1 = Math.max(drag.x0, drag.x1);
    g.fillStyle = 'rgba(22,100,217,0.18)';
    g.fillRect(x0, 0, x1 - x0, H);
  }
}

function updateReadout(): void {
  $('pointer').textContent = `pointer: ${pointerT === undefined ? '–' : secs(pointerT, 6)}`;
  $('ma').textContent = `A: ${view.a === undefined ? '–' : secs(view.a, 6)}`;
  $('mb').textContent = `B: ${view.b === undefined ? '–' : secs(view.b, 6)}`;
  $('delta').textContent = `Δ: ${view.a !== undefined && view.b !== undefined ? duration(view.b - view.a) : '–'}`;
  $('window').textContent = `window: ${secs(view.t0, 6)} – ${secs(view.t1, 6)} (${duration(view.t1 - view.t0)})`;
}

// ------------------------------------------------------------------ zoom and pan

function fullRange(): [number, number] {
  const live = files.filter((f) => f.events > 0);
  const s = Math.min(...live.map((f) => f.start)),
    e = Math.max(...live.map((f) => f.end));
  const pad = Math.max(1000, (e - s) * 0.01);
  return [s - pad, e + pad];
}
function setWindow(t0: number, t1: number): void {
  if (t1 - t0 < 100) {
    const c = (t0 + t1) / 2;
    t0 = c - 50;
    t1 = c + 50;
  }
  view.t0 = t0;
  view.t1 = t1;
  redraw();
}
function zoom(factor: number, at = (view.t0 + view.t1) / 2): void {
  setWindow(at - (at - view.t0) * factor, at + (view.t1 - at) * factor);
}
function pan(fraction: number): void {
  const d = (view.t1 - view.t0) * fraction;
  setWindow(view.t0 + d, view.t1 + d);
}
function fit(): void {
  const [a, b] = fullRange();
  setWindow(a, b);
}

let drag: { x0: number; x1: number; t0: number; t1: number; range: boolean; moved: boolean } | undefined;

canvas.addEventListener(
  'wheel',
  (e) => {
    if (!summary) return;
    e.preventDefault();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      pan((e.deltaX || e.deltaY) / 1000);
      return;
    }
    const rect = canvas.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, tOf(e.clientX - rect.left));
  },
  { passive: false },
);

canvas.addEventListener('mousedown', (e) => {
  const rect = canvas.getBoundingClientRect();
  const x = e.clientX - rect.left;
  drag = { x0: x, x1: x, t0: view.t0, t1: view.t1, range: e.shiftKey, moved: false };
});
window.addEventListener('mousemove', (e) => {
  const rect = canvas.getBoundingClientRect();
  const x = e.clientX - rect.left;
  if (x >= LABEL_W && e.clientY >= rect.top && e.clientY <= rect.bottom) {
    pointerT = tOf(x);
    updateReadout();
  }
  if (!drag) return;
  drag.x1 = x;
  if (Math.abs(drag.x1 - drag.x0) > 3) drag.moved = true;
  if (!drag.moved) return;
  if (drag.range) {
    paint();
    return;
  }
  const dt = ((drag.x0 - drag.x1) / plotWidth()) * (drag.t1 - drag.t0);
  view.t0 = drag.t0 + dt;
  view.t1 = drag.t1 + dt;
  redraw();
});
window.addEventListener('mouseup', (e) => {
  const d = drag;
  drag = undefined;
  if (!d || !summary) return;
  const rect = canvas.getBoundingClientRect();
  const x = e.clientX - rect.left,
    y = e.clientY - rect.top;
  if (d.moved) {
    if (d.range) setWindow(tOf(Math.min(d.x0, d.x1)), tOf(Math.max(d.x0, d.x1)));
    return;
  }
  if (e.target !== canvas) return;
  const r = rowAt(y);
  if (x < LABEL_W) {
    const row = rows[r];
    if (row?.kind === 'task' && x > LABEL_W - 18) {
      view.taskRows = view.taskRows.filter((p) => p !== row.pid);
      buildRows();
      redraw();
    }
    return;
  }
  const t = tOf(x);
  if (e.shiftKey) {
    view.b = t;
    redraw();
    return;
  }
  view.a = t;
  if (r >= 0) {
    const row = rows[r]!;
    const pick = () =>
      call<number>({ type: 'pick', row, t, tolerance: (5 / plotWidth()) * (view.t1 - view.t0) }).then((i) => {
        if (i >= 0) select(i, false);
        else redraw();
      });
    if ((row.stream ?? 0) !== active) void activate(row.stream ?? 0).then(pick);
    else void pick();
  } else redraw();
});

// ------------------------------------------------------------------ list

const list = $('list');
list.innerHTML = `<div class="head"><span class="c-buf" hidden>buffer</span><span class="c-cpu">CPU</span><span class="c-time">time</span><span class="c-comm">task</span><span class="c-pid">pid</span><span class="c-lat">lat</span><span class="c-ev">event</span><span class="c-info">info</span></div><div class="spacer"></div>`;
const spacer = list.querySelector('.spacer') as HTMLElement;
const MAX_PX = 12_000_000;
let listToken = 0;
let showBuffer = false;

function listGeometry(): { total: number; scale: number } {
  const total = listCount * LIST_ROW;
  return { total: Math.min(total, MAX_PX), scale: total > MAX_PX ? (listCount - 1) / ((MAX_PX - LIST_ROW) / LIST_ROW) : 1 };
}
function firstListPos(): number {
  const { scale } = listGeometry();
  return Math.min(Math.max(0, listCount - 1), Math.floor((list.scrollTop / LIST_ROW) * scale));
}
function renderList(): void {
  const { total } = listGeometry();
  spacer.style.height = `${total}px`;
  const first = firstListPos();
  const count = Math.ceil(list.clientHeight / LIST_ROW) + 2;
  const token = ++listToken;
  call<ListRow[]>({ type: 'list', from: first, count }).then((rs) => {
    if (token !== listToken) return;
    const top = list.scrollTop;
    spacer.replaceChildren(
      ...rs.map((r, k) => {
        const d = document.createElement('div');
        d.className = 'row' + (r.index === view.selected ? ' sel' : '');
        d.style.top = `${top + k * LIST_ROW}px`;
        d.dataset.index = String(r.index);
        d.dataset.testid = 'event-row';
        const cells: Array<[string, string]> = [
          ['c-cpu', String(r.cpu)],
          ['c-time', r.time],
          ['c-comm', r.comm],
          ['c-pid', String(r.pid)],
          ['c-lat', r.latency],
          ['c-ev', r.event],
          ['c-info', r.info],
        ];
        if (showBuffer) cells.unshift(['c-buf', r.buffer]);
        for (const [cls, text] of cells) {
          const s = document.createElement('span');
          s.className = cls;
          s.textContent = text;
          d.append(s);
        }
        return d;
      }),
    );
  });
}
list.addEventListener('scroll', () => renderList());
new ResizeObserver(() => {
  if (summary) renderList();
}).observe(list);
list.addEventListener('click', (e) => {
  const row = (e.target as HTMLElement).closest('.row') as HTMLElement | null;
  if (row) select(Number(row.dataset.index), true);
});
list.addEventListener('keydown', (e) => {
  if (view.selected === undefined || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
  e.preventDefault();
  call<number>({ type: 'position', index: view.selected }).then((p) => {
    const q = p + (e.key === 'ArrowDown' ? 1 : -1);
    if (q < 0 || q >= listCount) return;
    call<ListRow[]>({ type: 'list', from: q, count: 1 }).then((rs) => {
      if (rs[0]) select(rs[0].index, true);
    });
  });
});

function scrollListTo(pos: number): void {
  const { scale } = listGeometry();
  const top = (pos / scale) * LIST_ROW;
  if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - 2 * LIST_ROW)
    list.scrollTop = Math.max(0, top - list.clientHeight / 3);
  renderList();
}

/** Selects event `index`: list row, details, marker A; `center` moves the graph to it when outside. */
function select(index: number, center: boolean): void {
  view.selected = index;
  call<number>({ type: 'position', index }).then((p) => scrollListTo(p));
  call<{ columns: ListRow; line: string; flags: string; task: string; fields: Array<{ name: string; value: string }> }>({
    type: 'details',
    index,
  }).then((d) => {
    view.a = d.columns.ts;
    if (center && (d.columns.ts < view.t0 || d.columns.ts > view.t1)) {
      const w = view.t1 - view.t0;
      view.t0 = d.columns.ts - w / 2;
      view.t1 = d.columns.ts + w / 2;
    }
    const side = $('side');
    const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
    const c = d.columns;
    side.innerHTML = `<h3>Event #${c.index}: ${esc(c.system)}:${esc(c.event)}</h3>
<table data-testid="details-table">
<tr><td>time</td><td data-k="time">${esc(c.time)}</td></tr>
<tr><td>cpu</td><td data-k="cpu">${c.cpu}</td></tr>
<tr><td>task</td><td data-k="task">${esc(c.comm)}-${c.pid}${d.task !== c.comm ? ` (${esc(d.task)} at this time)` : ''}</td></tr>
<tr><td>latency</td><td data-k="latency">${esc(d.flags)}</td></tr>
${c.buffer ? `<tr><td>buffer</td><td>${esc(c.buffer)}</td></tr>` : ''}
<tr><td>info</td><td data-k="info">${esc(c.info)}</td></tr>
</table>
<h3>Report line</h3><pre data-testid="details-line" style="white-space:pre-wrap;font-size:12px">${esc(d.line)}</pre>
<h3>Fields (raw)</h3><table data-testid="details-fields">${d.fields.map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.value)}</td></tr>`).join('')}</table>`;
    redraw();
  });
}

// ------------------------------------------------------------------ search, filters, tasks

async function search(dir: 1 | -1): Promise<void> {
  const text = $<HTMLInputElement>('search').value;
  if (!text || !summary) return;
  const from = view.selected === undefined ? (dir === 1 ? -1 : listCount) : await call<number>({ type: 'position', index: view.selected });
  const p = await call<number>({ type: 'search', text, from, dir });
  if (p < 0) {
    $('search').style.outline = '2px solid var(--b)';
    return;
  }
  $('search').style.outline = '';
  const rs = await call<ListRow[]>({ type: 'list', from: p, count: 1 });
  if (rs[0]) select(rs[0].index, true);
}

function globRe(s: string): RegExp {
  return new RegExp(
    '^' +
      s
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
}

function parseFilter(): FilterState | string {
  const ft = view.filterText;
  const out: FilterState = { events: undefined, tasks: undefined, cpus: undefined, expr: ft.expr.trim() || undefined };
  if (ft.events.trim()) {
    const ids = new Set<number>();
    for (const part of ft.events
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [a, b] = part.includes(':') ? part.split(':') : part.includes('/') ? part.split('/') : [undefined, part];
      const re = globRe(b!),
        sre = a ? globRe(a) : undefined;
      let hit = false;
      for (const c of summary!.classes)
        if (sre ? sre.test(c.system) && re.test(c.name) : re.test(c.name) || re.test(c.system)) {
          ids.add(c.id);
          hit = true;
        }
      if (!hit) return `No event matches '${part}'`;
    }
    out.events = [...ids];
  }
  if (ft.tasks.trim()) {
    const pids = new Set<number>();
    for (const part of ft.tasks
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      if (/^\d+$/.test(part)) {
        pids.add(Number(part));
        continue;
      }
      const re = globRe(part);
      for (const t of summary!.tasks) if (re.test(t.name)) pids.add(t.pid);
    }
    out.tasks = [...pids];
  }
  if (ft.cpus.trim())
    out.cpus = ft.cpus
      .split(',')
      .map((x) => Number(x.trim()))
      .filter((x) => Number.isInteger(x));
  return out;
}

async function applyFilters(): Promise<void> {
  view.filterText = {
    events: $<HTMLInputElement>('f-events').value,
    tasks: $<HTMLInputElement>('f-tasks').value,
    cpus: $<HTMLInputElement>('f-cpus').value,
    expr: $<HTMLInputElement>('f-expr').value,
  };
  const f = parseFilter();
  if (typeof f === 'string') {
    showError(f);
    return;
  }
  const r = await call<{ count: number; error?: string }>({ type: 'filter', filter: f });
  showError(r.error ?? summary?.error);
  listCount = r.count;
  $('shown').textContent = `${r.count} shown`;
  view.hiddenCpus = f.cpus ? (summary?.cpus ?? []).filter((c) => !f.cpus!.includes(c)) : [];
  buildRows();
  list.scrollTop = 0;
  renderList();
  redraw();
}

function addTask(text: string): void {
  const m = /-(\d+)$/.exec(text) ?? /^(\d+)$/.exec(text.trim());
  let pid = m ? Number(m[1]) : undefined;
  if (pid === undefined) pid = summary?.tasks.find((t) => t.name === text.trim())?.pid;
  if (pid === undefined || view.taskRows.includes(pid)) return;
  view.taskRows.push(pid);
  buildRows();
  redraw();
}

// ------------------------------------------------------------------ URL state

function saveUrl(): void {
  if (!summary) return;
  const p = new URLSearchParams();
  p.set('t0', String(Math.round(view.t0)));
  p.set('t1', String(Math.round(view.t1)));
  if (view.taskRows.length) p.set('tasks', view.taskRows.join(','));
  if (view.a !== undefined) p.set('a', String(Math.round(view.a)));
  if (view.b !== undefined) p.set('b', String(Math.round(view.b)));
  if (view.selected !== undefined) p.set('sel', String(view.selected));
  const ft = view.filterText;
  if (ft.events) p.set('ev', ft.events);
  if (ft.tasks) p.set('tk', ft.tasks);
  if (ft.cpus) p.set('cpu', ft.cpus);
  if (ft.expr) p.set('x', ft.expr);
  if (dark) p.set('theme', 'dark');
  const off = plugins.filter((x) => !x.enabled).map((x) => x.id);
  if (off.length) p.set('off', off.join(','));
  if (shifts.some((x) => x !== 0)) p.set('sh', shifts.map((x) => String(x || 0)).join(','));
  history.replaceState(null, '', `${location.pathname}${location.search}#${p.toString()}`);
}

function loadUrl(): URLSearchParams {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get('theme') === 'dark') setTheme(true);
  for (const id of (p.get('off') ?? '').split(',')) {
    const pl = plugins.find((x) => x.id === id);
    if (pl) pl.enabled = false;
  }
  return p;
}

function setTheme(d: boolean): void {
  dark = d;
  colorCache.clear();
  document.documentElement.dataset.theme = d ? 'dark' : 'light';
  paint();
}

// ------------------------------------------------------------------ opening

/** A trace: a file (url or file) or a CTF directory's files (ctf). */
type OpenPart = { url?: string; file?: Blob; ctf?: CtfFileRef[]; name: string };
type OpenRequest = OpenPart & { more?: OpenPart[]; live?: boolean };
/** What the worker is sent of a part: URLs made absolute (the worker runs from a Blob). */
function partRequest(o: OpenPart): OpenPart {
  const abs = (u: string) => new URL(u, location.href).href;
  return {
    name: o.name,
    ...(o.file ? { file: o.file } : {}),
    ...(o.url ? { url: abs(o.url) } : {}),
    ...(o.ctf
      ? { ctf: o.ctf.map((f) => ({ name: f.name, ...(f.url ? { url: abs(f.url) } : {}), ...(f.file ? { file: f.file } : {}) })) }
      : {}),
  };
}
/** What was opened last (the shift control opens it again). */
let lastOpen: OpenRequest | undefined;
/** Each file's manual shift on the timeline, ns (URL `sh=`, the shift control). */
let shifts: number[] = [];

async function openTrace(req: OpenRequest): Promise<void> {
  lastOpen = req;
  startWorker();
  document.body.dataset.state = 'loading';
  firstFrameDone = false;
  summary = undefined;
  frame = undefined;
  showError(undefined);
  $('filename').textContent = req.name;
  $('progress').style.width = '0';
  const params = loadUrl();
  // more files on the same timeline (utp view a.dat b.dat); `sh=NS,NS,…` in the URL (or the shift control) moves them by hand
  shifts = (params.get('sh') ?? '').split(',').map((x) => Number(x) || 0);
  const s = await call<Summary>({ type: 'open', ...partRequest(req), ...(req.live ? { live: true } : {}), shift: shifts[0] || 0 });
  summary = s;
  files = [s];
  active = 0;
  for (let k = 0; k < (req.more ?? []).length; k++) {
    const o = req.more![k]!;
    const f = await call<Summary>({ type: 'open', add: true, ...partRequest(o), shift: shifts[k + 1] || 0 });
    files.push(f);
    if (f.error) showError(`${f.name}: ${f.error}`);
  }
  updateStreams();
  $('filename').textContent = files.map((f) => f.name).join(' + ');
  $('progress').style.width = '100%';
  setTimeout(() => {
    $('progress').style.width = '0';
  }, 400);
  $('event-count').textContent = String(files.reduce((a, f) => a + f.events, 0));
  document.body.dataset.bytesPerEvent = s.bytesPerEvent.toFixed(1);
  document.body.dataset.timings = JSON.stringify(s.timings);
  document.body.dataset.start = String(s.start);
  document.body.dataset.end = String(s.end);
  showError(
    s.error
      ? `${s.name}: ${s.error}${s.events ? ` — showing the ${s.events} events read before it` : ''}`
      : s.warnings.length
        ? `${s.name}: ${s.warnings.slice(0, 3).join('; ')}`
        : undefined,
  );
  showBuffer = s.buffers.some((b) => b !== '');
  (list.querySelector('.head .c-buf') as HTMLElement).hidden = !showBuffer;
  view = freshView();
  const [a, b] = s.events ? fullRange() : [0, 1];
  view.t0 = Number(params.get('t0') ?? a);
  view.t1 = Number(params.get('t1') ?? b);
  view.taskRows = (params.get('tasks') ?? '').split(',').filter(Boolean).map(Number);
  if (params.has('a')) view.a = Number(params.get('a'));
  if (params.has('b')) view.b = Number(params.get('b'));
  view.filterText = {
    events: params.get('ev') ?? '',
    tasks: params.get('tk') ?? '',
    cpus: params.get('cpu') ?? '',
    expr: params.get('x') ?? '',
  };
  $<HTMLInputElement>('f-events').value = view.filterText.events;
  $<HTMLInputElement>('f-tasks').value = view.filterText.tasks;
  $<HTMLInputElement>('f-cpus').value = view.filterText.cpus;
  $<HTMLInputElement>('f-expr').value = view.filterText.expr;
  listCount = s.events;
  $('shown').textContent = '';
  showOverview(s);
  buildRows();
  if (Object.values(view.filterText).some(Boolean) && s.events) await applyFilters();
  else renderList();
  redraw();
  const sel = params.get('sel');
  if (sel !== null && s.events) select(Number(sel), false);
  if (!s.events)
    requestAnimationFrame(() => {
      document.body.dataset.state = 'ready';
    });
}

/** The side panel before an event is picked: what the file holds. */
function showOverview(s: Summary): void {
  $('side').innerHTML =
    `<h3>${s.name}</h3><p>${s.events} events, ${s.cpus.length} CPUs, <span id="ntasks">…</span> tasks, ${s.classes.length} event types.</p>${s.warnings.length ? `<p>${s.warnings.map((w) => w.replace(/</g, '&lt;')).join('<br>')}</p>` : ''}<p>Click an event in the graph or the list to see its fields.</p>`;
}

/** The task list (names, counts) comes after the first frame: the page is usable sooner. */
async function loadTasks(): Promise<void> {
  const s = summary;
  if (!s?.events) return;
  s.tasks = await call<Summary['tasks']>({ type: 'tasks' });
  const dl = $('tasklist');
  dl.replaceChildren(
    ...s.tasks
      .slice()
      .sort((x, y) => y.count - x.count)
      .slice(0, 2000)
      .map((t) => {
        const o = document.createElement('option');
        o.value = `${t.name}-${t.pid}`;
        return o;
      }),
  );
  document.body.dataset.tasks = String(s.tasks.length);
  const nt = document.getElementById('ntasks');
  if (nt) nt.textContent = String(s.tasks.length);
  buildRows();
  paint();
}

/** The file selector (several files): the active one feeds the list, filters, search and task rows. */
function updateStreams(): void {
  const sel = $<HTMLSelectElement>('stream');
  sel.hidden = files.length < 2;
  sel.replaceChildren(
    ...files.map((f, k) => {
      const o = document.createElement('option');
      o.value = String(k);
      o.textContent = f.name;
      return o;
    }),
  );
  sel.value = String(active);
  showShift();
}

/** The shift control: the chosen file's manual shift (several files only). */
function showShift(): void {
  const inp = $<HTMLInputElement>('shift');
  inp.hidden = files.length < 2;
  inp.value = shifts[active] ? formatShift(shifts[active]!) : '';
}

/** A shift as typed: ns, or with a unit (`1.5ms`, `-200us`, `2 s`); undefined when it is not one. */
function parseShift(text: string): number | undefined {
  const m = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(ns|us|µs|ms|s)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }[m[2] ?? 'ns']!;
  return Math.round(Number(m[1]) * unit);
}
function formatShift(ns: number): string {
  return `${ns} ns`;
}

/** Moves the chosen file by the typed shift: the files are opened again with it (the view is kept). */
async function applyShift(): Promise<void> {
  const inp = $<HTMLInputElement>('shift');
  const v = parseShift(inp.value === '' ? '0' : inp.value);
  if (v === undefined) {
    showError(`shift: '${inp.value}' is not a time (ns, or with us, ms or s)`);
    return;
  }
  if (!lastOpen || (shifts[active] ?? 0) === v) return;
  const keep = active;
  while (shifts.length < files.length) shifts.push(0);
  shifts[keep] = v;
  saveUrl();
  await openTrace(lastOpen);
  if (keep && files[keep]) await activate(keep);
}

async function activate(k: number): Promise<void> {
  if (k === active || !files[k]) return;
  listCount = await call<number>({ type: 'activate', stream: k });
  active = k;
  summary = files[k];
  $<HTMLSelectElement>('stream').value = String(k);
  view.taskRows = [];
  view.hiddenCpus = [];
  view.selected = undefined;
  view.filterText = { events: '', tasks: '', cpus: '', expr: '' };
  for (const id of ['f-events', 'f-tasks', 'f-cpus', 'f-expr']) $<HTMLInputElement>(id).value = '';
  $('shown').textContent = '';
  showBuffer = summary!.buffers.some((b) => b !== '');
  (list.querySelector('.head .c-buf') as HTMLElement).hidden = !showBuffer;
  buildRows();
  list.scrollTop = 0;
  renderList();
  redraw();
  showShift();
  void loadTasks();
}

function openFile(f: File): void {
  history.replaceState(null, '', location.pathname + location.search);
  void openTrace({ file: f, name: f.name });
}

/** A picked or dropped folder: its CTF traces (each directory with a metadata file) on one timeline. */
function openDir(list: DirFile[]): void {
  const traces = ctfTracesIn(list);
  if (!traces.length) {
    showError(`${list[0]?.path.split('/')[0] ?? 'the folder'}: no CTF trace in it (no metadata file)`);
    return;
  }
  history.replaceState(null, '', location.pathname + location.search);
  const [first, ...rest] = traces.map((t) => ({ name: t.name, ctf: t.files }));
  void openTrace({ ...first!, more: rest });
}

// ------------------------------------------------------------------ wiring

$('open').addEventListener('click', () => $<HTMLInputElement>('picker').click());
$('opendir').addEventListener('click', () => $<HTMLInputElement>('dirpicker').click());
$<HTMLInputElement>('dirpicker').addEventListener('change', (e) => {
  const fl = (e.target as HTMLInputElement).files;
  if (fl?.length) openDir(pickedDirFiles(fl));
});
$('stream').addEventListener('change', (e) => void activate(Number((e.target as HTMLSelectElement).value)));
$('shift').addEventListener('keydown', (e) => {
  if ((e as KeyboardEvent).key === 'Enter') void applyShift();
});
$<HTMLInputElement>('picker').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) openFile(f);
});
window.addEventListener('dragover', (e) => {
  e.preventDefault();
  $('drop').style.display = 'flex';
});
window.addEventListener('dragleave', (e) => {
  if (e.target === $('drop')) $('drop').style.display = 'none';
});
window.addEventListener('drop', (e) => {
  e.preventDefault();
  $('drop').style.display = 'none';
  const dir = droppedDir(e.dataTransfer);
  if (dir) {
    readDroppedDir(dir).then(openDir, (err: unknown) => showError(`${dir.name}: cannot read the folder: ${String(err)}`));
    return;
  }
  const f = e.dataTransfer?.files[0];
  if (f) openFile(f);
});
$('zoomin').addEventListener('click', () => zoom(0.5));
$('zoomout').addEventListener('click', () => zoom(2));
$('fit').addEventListener('click', () => fit());
$('next').addEventListener('click', () => void search(1));
$('prev').addEventListener('click', () => void search(-1));
$('search').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    void search(e.shiftKey ? -1 : 1);
  }
});
$('apply').addEventListener('click', () => void applyFilters());
for (const id of ['f-events', 'f-tasks', 'f-cpus', 'f-expr'])
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void applyFilters();
  });
$('addtask').addEventListener('change', (e) => {
  addTask((e.target as HTMLInputElement).value);
  (e.target as HTMLInputElement).value = '';
});
$('addtask').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    addTask((e.target as HTMLInputElement).value);
    (e.target as HTMLInputElement).value = '';
  }
});
$('theme').addEventListener('click', () => {
  setTheme(!dark);
  saveUrl();
});
$('helpbtn').addEventListener('click', () => toggle('help'));
$('stats').addEventListener('click', () => void showStats());
$('plugins').append(
  ...plugins.map((p) => {
    const l = document.createElement('label');
    l.title = p.title;
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.checked = p.enabled;
    c.dataset.plugin = p.id;
    c.addEventListener('change', () => {
      p.enabled = c.checked;
      paint();
      saveUrl();
    });
    l.append(c, ` ${p.id} `);
    return l;
  }),
);

function toggle(id: string, on?: boolean): void {
  const el = $(id);
  el.style.display = (on ?? el.style.display !== 'block') ? 'block' : 'none';
}

async function showStats(): Promise<void> {
  if (!summary) return;
  const s = await call<{
    events: number;
    lost: number;
    perClass: Array<{ name: string; count: number }>;
    perCpu: Array<{ cpu: number; count: number }>;
    perTask: Array<{ pid: number; name: string; count: number }>;
  }>({ type: 'stats' });
  const esc = (x: string) => x.replace(/</g, '&lt;');
  const table = (title: string, rows: Array<[string, number]>) =>
    `<h3>${title}</h3><table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td style="text-align:right">${v}</td></tr>`).join('')}</table>`;
  $('statsbox').innerHTML = `<div style="display:flex;gap:24px"><div>${table(
    `Events (${s.events}${s.lost ? `, ${s.lost} lost` : ''})`,
    s.perClass.map((x) => [x.name, x.count]),
  )}</div><div>${table(
    'CPUs',
    s.perCpu.map((x) => [`CPU ${x.cpu}`, x.count]),
  )}</div><div>${table(
    'Tasks (top 50)',
    s.perTask.map((x) => [`${x.name}-${x.pid}`, x.count]),
  )}</div></div>`;
  toggle('statsbox', true);
}

window.addEventListener('keydown', (e) => {
  const tgt = e.target as HTMLElement;
  if (tgt.tagName === 'INPUT') {
    if (e.key === 'Escape') tgt.blur();
    return;
  }
  if (!summary && e.key !== '?') return;
  switch (e.key) {
    case '+':
    case '=':
      zoom(0.5);
      break;
    case '-':
    case '_':
      zoom(2);
      break;
    case '0':
    case 'f':
      fit();
      break;
    case 'ArrowLeft':
      if (tgt === list) return;
      pan(-0.2);
      break;
    case 'ArrowRight':
      if (tgt === list) return;
      pan(0.2);
      break;
    case 'n':
      void search(1);
      break;
    case 'p':
      void search(-1);
      break;
    case '/':
      e.preventDefault();
      $('search').focus();
      break;
    case 's':
      void showStats();
      break;
    case 't':
      setTheme(!dark);
      saveUrl();
      break;
    case '?':
      toggle('help');
      break;
    case 'Escape':
      toggle('help', false);
      toggle('statsbox', false);
      break;
    default:
      return;
  }
});
window.addEventListener('resize', () => redraw());

// the trace: from `utp view` (traces.json beside the page) or none (pick / drop one)
async function boot(): Promise<void> {
  if (window.matchMedia?.('(prefers-color-scheme: dark)').matches && !location.hash.includes('theme=')) setTheme(true);
  loadUrl();
  const q = new URLSearchParams(location.search);
  const direct = q.get('trace');
  if (direct) {
    await openTrace({ url: direct, name: direct.split('/').pop() ?? direct });
    return;
  }
  if (location.protocol.startsWith('http')) {
    try {
      const res = await fetch('traces.json', { cache: 'no-store' });
      if (res.ok) {
        const list = (await res.json()) as Array<{ name: string; url?: string; ctf?: CtfFileRef[]; live?: string; stop?: string }>;
        if (list[0]?.live) {
          await followLive(list[0] as LiveEntry);
          return;
        }
        if (list[0]) {
          // (the listing's `live` is the status URL of a live entry; plain traces have none)
          const part = ({ name, url, ctf }: (typeof list)[number]): OpenPart => ({
            name,
            ...(url ? { url } : {}),
            ...(ctf ? { ctf } : {}),
          });
          await openTrace({ ...part(list[0]), more: list.slice(1).map(part) });
          return;
        }
      }
    } catch {
      /* a static page without a server: wait for a file */
    }
  }
  document.body.dataset.state = 'empty';
}
// ------------------------------------------------------------------ live (utp view --live)

interface LiveEntry {
  name: string;
  /** The saved file (once saved). */
  url: string;
  live: string;
  stop: string;
  /** The recording's head (a trace.dat without events) and its pages since per-CPU cursors. */
  meta: string;
  pages: string;
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

function showLive(st: LiveStatus | undefined, text?: string): void {
  const el = $('live');
  el.hidden = false;
  const stop = $<HTMLButtonElement>('live-stop');
  stop.hidden = !st || (st.state !== 'recording' && st.state !== 'starting');
  const s = $('live-status');
  if (text !== undefined) s.textContent = text;
  else if (st) {
    const what =
      st.state === 'saved'
        ? `saved ${st.output}`
        : st.state === 'saving'
          ? `saving ${st.output}…`
          : st.state === 'failed'
            ? 'failed'
            : 'recording';
    s.textContent = `● ${what} · ${st.events} events · ${st.lost} lost`;
  }
  if (st) {
    document.body.dataset.live = st.state;
    document.body.dataset.liveLost = String(st.lost);
  }
}

/** Whether the window shows the whole trace (then it follows the growing trace). */
function following(): boolean {
  if (!summary?.events) return true;
  const [a, b] = fullRange();
  const slack = (b - a) * 0.02;
  return view.t0 <= a + slack && view.t1 >= b - slack;
}

/** Shows a model that changed under the open page, keeping the view (and following the end when fit). */
async function showGrown(s: Summary, follow: boolean): Promise<void> {
  summary = s;
  files = [s];
  active = 0;
  $('event-count').textContent = String(s.events);
  document.body.dataset.start = String(s.start);
  document.body.dataset.end = String(s.end);
  listCount = s.events;
  if (view.selected === undefined) showOverview(s);
  if (follow && s.events) [view.t0, view.t1] = fullRange();
  buildRows();
  if (Object.values(view.filterText).some(Boolean) && s.events) await applyFilters();
  else renderList();
  redraw();
  void loadTasks();
}

/** Appends the pages drained since the last call to the open model (the worker fetches them). */
async function appendLive(e: LiveEntry): Promise<LiveAppend> {
  const follow = following();
  const t0 = performance.now();
  const r = await call<LiveAppend>({ type: 'liveAppend', url: new URL(e.pages, location.href).href });
  // for tests and benchmarks: the last append (fetch + decode of the new pages), the worker's appends, pages
  document.body.dataset.liveAppendMs = String(Math.round(performance.now() - t0));
  document.body.dataset.liveAppends = String(r.appends);
  document.body.dataset.livePages = String(r.pages);
  if (r.summary) await showGrown(r.summary, follow);
  return r;
}

/** Counts the models built from scratch for this page (the head, then the saved file). */
function countLoad(): void {
  document.body.dataset.liveLoads = String(Number(document.body.dataset.liveLoads ?? 0) + 1);
}

/**
 * Follows a recording: opens its head (formats, no events) once, then about twice a second appends
 * the sub-buffers drained since, and swaps in the saved file once the recording stopped.
 */
async function followLive(e: LiveEntry): Promise<void> {
  $('live-stop').addEventListener('click', () => {
    showLive(undefined, 'stopping…');
    void fetch(e.stop, { method: 'POST' });
  });
  showLive(undefined, 'connecting…');
  let opened = false;
  for (;;) {
    let st: LiveStatus;
    try {
      const res = await fetch(e.live, { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      st = (await res.json()) as LiveStatus;
    } catch {
      showLive(undefined, 'the recorder is gone');
      return;
    }
    showLive(st);
    if (st.state === 'failed') return;
    const done = st.state === 'saved';
    try {
      if (done) {
        // the saved file replaces what was streamed (the last pages were drained after the last answer)
        const follow = following();
        const t0 = performance.now();
        if (opened) {
          const s = await call<Summary>({ type: 'open', replace: true, name: e.name, url: new URL(e.url, location.href).href });
          await showGrown(s, follow);
        } else await openTrace({ url: e.url, name: e.name });
        countLoad();
        document.body.dataset.liveReloadMs = String(Math.round(performance.now() - t0));
        showLive(st);
        document.body.dataset.liveDone = '1';
        return;
      }
      if (!opened && st.state === 'recording') {
        await openTrace({ url: e.meta, name: e.name, live: true });
        opened = summary !== undefined;
        if (opened) countLoad();
      }
      if (opened) await appendLive(e);
    } catch {
      /* the recorder is switching to the saved file: next round */
    }
    await sleep(done ? 200 : 500);
  }
}

/** The last utpFrame's parts (ms): the worker's computation, the canvas paint, and the whole round trip. */
let lastFrameTimes = { worker: 0, paint: 0, total: 0 };
(window as unknown as { utpFrameTimes: () => typeof lastFrameTimes }).utpFrameTimes = () => lastFrameTimes;
/** For tests: the last frame the page drew (bins and overlays per row, as the worker sent them). */
(window as unknown as { utpLastFrame: () => FrameData | undefined }).utpLastFrame = () => frame;
/** For benchmarks and automation: set the window and resolve when that frame is painted (ms). */
(window as unknown as { utpFrame: (t0: number, t1: number) => Promise<number> }).utpFrame = (t0, t1) =>
  new Promise((ok) => {
    const start = performance.now();
    view.t0 = t0;
    view.t1 = t1;
    sizeCanvas();
    call<FrameData>({ type: 'frame', req: { t0, t1, bins: Math.round(plotWidth()), rows } }).then((f) => {
      frame = f;
      const p0 = performance.now();
      paint();
      const end = performance.now();
      lastFrameTimes = { worker: f.workerMs ?? 0, paint: end - p0, total: end - start };
      ok(end - start);
    });
  });

startWorker();
void boot();
