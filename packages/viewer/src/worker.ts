/**
 * The decoding worker: opens a trace (URL or File), builds the model while posting progress, then
 * answers the page's queries (frames of level-of-detail bins, list rows, filters, search, details).
 * The page never decodes anything itself, so it never freezes.
 */
import { MemorySource, describeError } from '@utp/bytes';
import { FtraceTextSource, LiveFeed, PerfDataSource, TraceDatSource, TraceModel, TaskState, stateName } from '@utp/model';
import type { EventSource } from '@utp/model';
import { latencyFlags } from '@utp/traceevent';
import { ZSTDDecoder } from 'zstddec';
import { openCtfFiles, shiftedSource } from './ctf-open.js';
import type { FilterState, FrameData, FrameRequest, LiveAppend, ListRow, Request, RowFrame, RowSpec, Summary } from './protocol.js';

interface Ctx {
  postMessage(m: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
}
const ctx = self as unknown as Ctx;

/** Every open file (one timeline); `model` is the active one (list, filters, search, details). */
const models: TraceModel[] = [];
let model: TraceModel | undefined;
let visible: Int32Array | undefined; // filtered event indexes (undefined: all)
let summary: Summary | undefined;
const warnings: string[] = [];
/** A task's states (running, runnable, blocked) as contiguous columns, in start order. */
interface TaskStates {
  start: Float64Array;
  end: Float64Array;
  state: Int32Array;
}
const taskStatesOf = new Map<TraceModel, Map<number, TaskStates>>();
const irqByCpuOf = new Map<TraceModel, Int32Array[]>();
/** With a filter: the visible events split by CPU and by task (made on first use). */
let visCpu: Map<number, Int32Array> | undefined;
let visTask: Map<number, Int32Array> | undefined;

function splitVisible(key: Int32Array | Uint16Array): Map<number, Int32Array> {
  const lists = new Map<number, number[]>();
  for (const i of visible!) {
    const k = key[i]!;
    let l = lists.get(k);
    if (!l) {
      l = [];
      lists.set(k, l);
    }
    l.push(i);
  }
  const out = new Map<number, Int32Array>();
  for (const [k, l] of lists) out.set(k, Int32Array.from(l));
  return out;
}
const EMPTY = new Int32Array(0);
function cpuEvents(cpu: number, m: TraceModel = model!): Int32Array | undefined {
  if (!visible || m !== model) return undefined;
  visCpu ??= splitVisible(model!.store.cpu);
  return visCpu.get(cpu) ?? EMPTY;
}
function taskEvents(pid: number, m: TraceModel = model!): Int32Array | undefined {
  if (!visible || m !== model) return undefined;
  visTask ??= splitVisible(model!.store.pid);
  return visTask.get(pid) ?? EMPTY;
}

/** zstd through WebAssembly (several times fzstd's speed); undefined: fzstd (the reader's default). */
let zstdWasm: Promise<((data: Uint8Array, usize: number) => Uint8Array) | undefined> | undefined;
function fastZstd() {
  zstdWasm ??= (async () => {
    try {
      const z = new ZSTDDecoder();
      await z.init();
      return (data: Uint8Array, usize: number) => {
        const out = z.decode(data, usize);
        if (out.length !== usize) throw new Error(`zstd: ${out.length} bytes decompressed, ${usize} expected`);
        return out;
      };
    } catch {
      return undefined;
    }
  })();
  return zstdWasm;
}
void fastZstd();

/** perf.data's magic, either byte order. */
function isPerfData(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const m = String.fromCharCode(...b.subarray(0, 8));
  return m === 'PERFILE2' || m === '2ELIFREP';
}

function post(m: unknown, transfer: Transferable[] = []): void {
  ctx.postMessage(m, transfer);
}

async function open(r: Extract<Request, { type: 'open' }>): Promise<Summary> {
  const T0 = performance.now();
  const timings: Record<string, number> = {};
  let bytes = new Uint8Array(0);
  if (r.ctf) {
    /* a CTF directory: its files are read by openCtfFiles */
  } else if (r.file) bytes = new Uint8Array(await r.file.arrayBuffer());
  else {
    const res = await fetch(r.url!);
    if (!res.ok) throw new Error(`Cannot fetch the trace: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  timings.fetch = performance.now() - T0;
  let error: string | undefined;
  let src: EventSource | undefined;
  try {
    const onDiagnostic = (d: { level: string; message: string }): void => {
      if (d.level !== 'info' && warnings.length < 50) warnings.push(d.message);
    };
    const shift = BigInt(Math.round(r.shift ?? 0));
    if (r.ctf) {
      // a CTF trace directory (ctf-open.ts)
      const zstd = await fastZstd();
      src = shiftedSource(await openCtfFiles(r.name, r.ctf, zstd ? { zstd } : {}, onDiagnostic), shift);
    } else if (isPerfData(bytes)) {
      // a perf.data: its samples through the same model
      src = await PerfDataSource.open(new MemorySource(bytes, r.name), { onDiagnostic, tsOffset: shift });
    } else if (FtraceTextSource.sniff(bytes.subarray(0, 4096))) {
      // ftrace text: a tracefs trace file or trace-cmd report's output
      src = await FtraceTextSource.open(new MemorySource(bytes, r.name), { name: r.name, onDiagnostic, tsOffset: shift });
    } else {
      const zstd = await fastZstd();
      src = await TraceDatSource.open(new MemorySource(bytes, r.name), {
        decompressors: zstd ? { zstd } : {},
        onDiagnostic,
        tsOffset: shift,
      });
    }
  } catch (e) {
    error = describeError(e);
  }
  timings.open = performance.now() - T0;
  if (r.replace) {
    // a live recording's saved file: built aside, swapped in whole (queries meanwhile see the streamed model)
    if (!src) throw new Error(error ?? 'Cannot read the saved file');
    live = undefined;
    const next = new TraceModel(src);
    await next.ingest({ progressEvery: 1 << 30 });
    for (const old of models) {
      taskStatesOf.delete(old);
      irqByCpuOf.delete(old);
    }
    models.length = 0;
    models.push(next);
    model = next;
    visible = undefined;
    visCpu = undefined;
    visTask = undefined;
    timings.model = performance.now() - T0;
    summary = summarize(r.name, next, src, undefined, timings);
    return summary;
  }
  live = undefined;
  if (!r.add) {
    models.length = 0;
    model = undefined;
    visible = undefined;
    warnings.length = 0;
  }
  let m: TraceModel | undefined;
  if (src) {
    m = new TraceModel(src);
    models.push(m);
    model ??= m;
    try {
      await m.ingest({
        progressEvery: 50000,
        onProgress: (done, total, events) => post({ type: 'progress', done, total, events }),
      });
    } catch (e) {
      // a damaged file: keep what was read
      error = describeError(e);
      m.analyses.finish();
      m.store.trim();
      m.store.index();
    }
  }
  timings.model = performance.now() - T0;
  if (r.live && m && src instanceof TraceDatSource)
    live = { feed: new LiveFeed(src), model: m, name: r.name, cursors: [], passed: new Map(), appends: 0, stopped: false };
  summary = summarize(r.name, m, src, error, timings);
  return summary;
}

/** utp view --live: the recording's model grown page by page (see LiveFeed). */
let live:
  | {
      feed: LiveFeed;
      model: TraceModel;
      name: string;
      /** Per CPU, in the server's order: bytes received. */
      cursors: number[];
      /** Per CPU: the time the last answer said it had passed (see liveAppend). */
      passed: Map<number, number>;
      appends: number;
      /** The recording stopped: everything received is in the model (finished). */
      stopped: boolean;
    }
  | undefined;

/** A stats file's time ("now ts", "oldest event ts") in the trace clock's unit: SECONDS.MICROSECONDS for the ns clocks, a count otherwise. */
function statsTime(s: string): number {
  const m = /^(\d+)\.(\d{6})$/.exec(s.trim());
  if (m) return Number(m[1]) * 1e9 + Number(m[2]) * 1e3;
  const n = Number(s);
  return Number.isFinite(n) ? n : -Infinity;
}

async function liveAppend(url: string): Promise<LiveAppend> {
  const L = live;
  if (!L) throw new Error('No live recording is open');
  const T0 = performance.now();
  let stopped = L.stopped;
  let appended = 0;
  // a few rounds at most while answers leave bytes behind (each is bounded): the page asks again
  for (let round = 0; round < 4 && !stopped; round++) {
    const res = await fetch(`${url}?from=${L.cursors.join(',')}`, { cache: 'no-store' });
    if (res.status === 503) {
      stopped = true;
      break;
    }
    if (!res.ok) throw new Error(`Cannot fetch the live pages: HTTP ${res.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const hlen = new DataView(body.buffer, body.byteOffset).getUint32(0, true);
    const head = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + hlen))) as {
      cpus: Array<{ cpu: number; from: number; size: number; passed: string; complete: boolean }>;
      cmdlines: string;
    };
    let at = 4 + hlen;
    head.cpus.forEach((c, i) => {
      if (c.from !== (L.cursors[i] ?? 0)) throw new Error(`live pages: cpu ${c.cpu} from ${c.from}, ${L.cursors[i] ?? 0} asked`);
      if (c.size) L.feed.add(c.cpu, body.slice(at, at + c.size));
      at += c.size;
      L.cursors[i] = c.from + c.size;
      // the kernel had consumed every record of this CPU before `passed` when the last answer was made:
      // those were in the files then or soon after, so in this answer when it holds all written
      // (records still in the kernel then, and later ones, come after it)
      const prev = L.passed.get(c.cpu);
      if (prev !== undefined && c.complete) L.feed.pass(c.cpu, prev);
      L.passed.set(c.cpu, statsTime(c.passed));
    });
    // new cmdlines: the latest name of a pid wins, as in the saved file
    const tep = (L.feed.source as TraceDatSource).tep;
    for (const line of head.cmdlines.split('\n')) {
      const m = /^(\d+) (.*)$/.exec(line);
      if (m) tep.overrideComm(Number(m[1]), m[2]!);
    }
    const n = L.model.append((sink) => L.feed.drain(sink));
    appended += n;
    if (head.cpus.every((c) => c.complete)) break;
  }
  if (stopped && !L.stopped) {
    L.stopped = true;
    appended += L.model.append((sink) => L.feed.drain(sink, true), true);
  }
  if (appended > 0) L.appends++;
  visCpu = undefined;
  visTask = undefined;
  taskStatesOf.delete(L.model);
  irqByCpuOf.delete(L.model);
  if (appended > 0 && visible) visible = undefined;
  const out: LiveAppend = {
    summary: appended > 0 ? summarize(L.name, L.model, L.model.source, undefined, { append: performance.now() - T0 }) : undefined,
    appended,
    appends: L.appends,
    pages: L.feed.pages,
    stopped,
  };
  if (out.summary) summary = out.summary;
  return out;
}

function summarize(
  name: string,
  m: TraceModel | undefined,
  src: EventSource | undefined,
  error: string | undefined,
  timings: Record<string, number>,
): Summary {
  return {
    timings,
    name,
    events: m?.length ?? 0,
    start: m?.start ?? 0,
    end: m?.end ?? 0,
    cpus: m?.cpus() ?? [],
    tasks: [], // sent after the first frame ('tasks'): the per-task index is built then
    classes: (src?.classes ?? []).map((c) => ({ id: c.id, system: c.system, name: c.name })),
    buffers: [...(src?.meta.buffers ?? [])],
    error,
    warnings,
    bytesPerEvent: m?.length ? m.byteLength / m.length : 0,
  };
}

/**
 * The task's states, copied out of the model's state table for every task in one pass (on the first
 * task row, or warmed when the page asks for the task list). Contiguous per task: the frame reads only
 * the row's states, where indexes into the whole table missed the cache on every state (about 5 ms per
 * task row for the whole of a 10M-event trace).
 */
function statesOf(pid: number, m: TraceModel): TaskStates {
  let taskStates = taskStatesOf.get(m);
  if (taskStates && !taskStates.has(pid) && sparsePids.has(m)) return taskStatesScan(pid, m, taskStates);
  if (!taskStates) {
    taskStates = new Map();
    taskStatesOf.set(m, taskStates);
    const st = m.analyses.states;
    const n = st.length;
    const a = st.a.data,
      s0 = st.start.data,
      e0 = st.end.data,
      b0 = st.b.data;
    // pids as dense slots (a counting sort: two sequential passes, no lookup per state)
    let lo = 0,
      hi = -1;
    for (let k = 0; k < n; k++) {
      const p = a[k]!;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    const slots = hi - lo + 1;
    if (slots > 1 << 23) {
      // pids too sparse for slots: one scan per task row, on demand
      sparsePids.add(m);
      return taskStatesScan(pid, m, taskStates);
    }
    const count = new Int32Array(Math.max(0, slots));
    for (let k = 0; k < n; k++) count[a[k]! - lo]!++;
    const per: TaskStates[] = [];
    for (let q = 0; q < slots; q++)
      if (count[q]) {
        const c = count[q]!;
        per[q] = { start: new Float64Array(c), end: new Float64Array(c), state: new Int32Array(c) };
        taskStates.set(q + lo, per[q]!);
      }
    count.fill(0);
    for (let k = 0; k < n; k++) {
      const q = a[k]! - lo;
      const t = per[q]!,
        at = count[q]!++;
      t.start[at] = s0[k]!;
      t.end[at] = e0[k]!;
      t.state[at] = b0[k]!;
    }
  }
  return taskStates.get(pid) ?? NO_STATES;
}
function taskStatesScan(pid: number, m: TraceModel, cache: Map<number, TaskStates>): TaskStates {
  const st = m.analyses.states;
  const ks: number[] = [];
  const a = st.a.data;
  for (let k = 0; k < st.length; k++) if (a[k] === pid) ks.push(k);
  const t = {
    start: Float64Array.from(ks, (k) => st.start.data[k]!),
    end: Float64Array.from(ks, (k) => st.end.data[k]!),
    state: Int32Array.from(ks, (k) => st.b.data[k]!),
  };
  cache.set(pid, t);
  return t;
}
/** Models whose pids are too far apart for statesOf's slots. */
const sparsePids = new WeakSet<TraceModel>();
const NO_STATES: TaskStates = { start: new Float64Array(0), end: new Float64Array(0), state: new Int32Array(0) };

function irqsOf(cpu: number, m: TraceModel): Int32Array {
  let irqByCpu = irqByCpuOf.get(m);
  if (!irqByCpu) {
    const iv = m.analyses.irqs;
    const lists: number[][] = [];
    for (let k = 0; k < iv.length; k++) {
      const c = iv.a.get(k);
      (lists[c] ??= []).push(k);
    }
    irqByCpu = [];
    for (let c = 0; c < lists.length; c++) irqByCpu[c] = Int32Array.from(lists[c] ?? []);
    irqByCpuOf.set(m, irqByCpu);
  }
  return irqByCpu[cpu] ?? new Int32Array(0);
}

/** Marks bins covered by [s, e) with `v` where `v` beats what is there (higher wins). */
function paint(o: Int8Array, t0: number, w: number, s: number, e: number, v: number): void {
  const n = o.length;
  let b0 = Math.floor((s - t0) / w),
    b1 = Math.floor((e - t0) / w);
  if (b1 < 0 || b0 >= n) return;
  if (b0 < 0) b0 = 0;
  if (b1 >= n) b1 = n - 1;
  for (let b = b0; b <= b1; b++) if (o[b]! < v) o[b] = v;
}

function frame(q: FrameRequest): FrameData {
  const began = performance.now();
  const rows: RowFrame[] = [];
  const w = (q.t1 - q.t0) / q.bins;
  const wakeups: number[] = [];
  const taskRows = new Set<number>();
  for (const row of q.rows) {
    const m = models[row.stream ?? 0] ?? model!;
    const overlay = new Int8Array(q.bins);
    const lost: number[] = [];
    let bins;
    if (row.kind === 'cpu') {
      bins = m.cpuBins(row.cpu, q.t0, q.t1, q.bins, cpuEvents(row.cpu, m));
      const iv = m.analyses.irqs;
      const list = irqsOf(row.cpu, m);
      // intervals of one CPU nest at most a few deep: start from the first starting in the window, minus a margin
      let lo = 0,
        hi = list.length;
      while (lo < hi) {
        const k = (lo + hi) >>> 1;
        if (iv.start.get(list[k]!) < q.t0) lo = k + 1;
        else hi = k;
      }
      for (let k = Math.max(0, lo - 4); k < list.length; k++) {
        const j = list[k]!;
        const s = iv.start.get(j);
        if (s >= q.t1) break;
        const e = iv.end.get(j);
        if (e < q.t0) continue;
        paint(overlay, q.t0, w, s, e, iv.c.get(j) === 0 ? 2 : 1);
      }
      const L = m.analyses.lost;
      for (let k = 0; k < L.length; k++) {
        if (L.a.get(k) !== row.cpu) continue;
        const s = L.start.get(k),
          e = L.end.get(k);
        if (e >= q.t0 && s <= q.t1) lost.push(s, e, L.b.get(k));
      }
    } else {
      bins = m.taskBins(row.pid, q.t0, q.t1, q.bins, taskEvents(row.pid, m));
      if (m === model) taskRows.add(row.pid);
      const ts = statesOf(row.pid, m);
      const ss = ts.start,
        se = ts.end,
        sb = ts.state;
      let lo = 0,
        hi = ss.length;
      while (lo < hi) {
        const k = (lo + hi) >>> 1;
        if (se[k]! <= q.t0) lo = k + 1;
        else hi = k;
      }
      for (let k = lo; k < ss.length; k++) {
        const s = ss[k]!;
        if (s >= q.t1) break;
        const state = sb[k]!;
        // running paints over runnable over blocked when they share a bin
        paint(overlay, q.t0, w, s, se[k]!, state === TaskState.Running ? 3 : state === TaskState.Runnable ? 2 : 1);
      }
    }
    rows.push({ count: bins.count, first: bins.first, dominant: bins.dominant, overlay, lost });
  }
  const m = model!;
  if (taskRows.size) {
    const wk = m.analyses.wakeups;
    let k = wk.lowerBound(q.t0 - 1e9);
    for (; k < wk.length && wakeups.length < 3000; k++) {
      const s = wk.start.get(k);
      if (s > q.t1) break;
      const e = wk.end.get(k);
      if (e < q.t0) continue;
      const pid = wk.a.get(k);
      if (taskRows.has(pid)) wakeups.push(s, e, pid);
    }
  }
  const markers: FrameData['markers'] = [];
  const mk = m.analyses.markers;
  for (let k = 0; k < mk.length && markers.length < 200; k++) {
    const i = mk.get(k);
    const ts = m.store.ts[i]!;
    if (ts >= q.t0 && ts <= q.t1) markers.push({ ts, text: m.columns(i).info, index: i });
  }
  return { t0: q.t0, t1: q.t1, rows, wakeups, markers, workerMs: performance.now() - began };
}

function listRows(from: number, count: number): ListRow[] {
  const m = model!;
  const n = visible ? visible.length : m.length;
  const out: ListRow[] = [];
  for (let p = Math.max(0, from); p < Math.min(n, from + count); p++) {
    const i = visible ? visible[p]! : p;
    const c = m.columns(i);
    out.push({
      index: i,
      buffer: c.buffer,
      cpu: c.cpu,
      time: c.time,
      ts: c.ts,
      comm: c.comm,
      pid: c.pid,
      latency: c.latency,
      event: c.event,
      system: c.system,
      info: c.info,
    });
  }
  return out;
}

function position(index: number): number {
  if (!visible) return index;
  let lo = 0,
    hi = visible.length;
  while (lo < hi) {
    const k = (lo + hi) >>> 1;
    if (visible[k]! < index) lo = k + 1;
    else hi = k;
  }
  return lo;
}

function pick(row: RowSpec, t: number, tol: number): number {
  const m = models[row.stream ?? 0] ?? model!;
  if (m !== model) return -1;
  const idx =
    row.kind === 'cpu' ? (cpuEvents(row.cpu) ?? m.store.eventsOfCpu(row.cpu)) : (taskEvents(row.pid) ?? m.store.eventsOfTask(row.pid));
  const ts = m.store.ts;
  let lo = 0,
    hi = idx.length;
  while (lo < hi) {
    const k = (lo + hi) >>> 1;
    if (ts[idx[k]!]! < t) lo = k + 1;
    else hi = k;
  }
  let best = -1,
    bestD = tol;
  for (const k of [lo - 1, lo]) {
    if (k < 0 || k >= idx.length) continue;
    const d = Math.abs(ts[idx[k]!]! - t);
    if (d <= bestD) {
      bestD = d;
      best = idx[k]!;
    }
  }
  return best;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v} (0x${BigInt.asUintN(64, v).toString(16)})`;
  if (typeof v === 'number')
    return `${v} (0x${(Number.isSafeInteger(v) && (v > 0xffffffff || v < -0x80000000) ? BigInt.asUintN(64, BigInt(v)) : v >>> 0).toString(16)})`;
  if (v instanceof Uint8Array)
    return Array.from(v.subarray(0, 256), (b) => b.toString(16).padStart(2, '0')).join(' ') + (v.length > 256 ? ' …' : '');
  // u64 arrays (a perf sample's callchain, read values): addresses in hex
  if (Array.isArray(v))
    return `[${v
      .slice(0, 256)
      .map((x) => (typeof x === 'bigint' ? `0x${BigInt.asUintN(64, x).toString(16)}` : String(x)))
      .join(', ')}${v.length > 256 ? ', …' : ''}]`;
  return JSON.stringify(v);
}

function details(index: number) {
  const m = model!;
  const c = m.columns(index);
  const st = m.store;
  return {
    columns: c,
    line: m.line(index),
    flags: latencyFlags(st.flags[index]!, st.preempt[index]!),
    task: m.analyses.nameAt(c.pid, c.ts),
    fields: m.fields(index).map((f) => ({ name: f.name, value: show(f.value) })),
  };
}

function applyFilter(f: FilterState): { count: number; error?: string } {
  const m = model!;
  visCpu = undefined;
  visTask = undefined;
  const none = !f.events && !f.tasks && !f.cpus && !f.expr?.trim();
  if (none) {
    visible = undefined;
    return { count: m.length };
  }
  try {
    visible = m.filter({ events: f.events, tasks: f.tasks, cpus: f.cpus, expr: f.expr });
    return { count: visible.length };
  } catch (e) {
    return { count: visible ? visible.length : m.length, error: describeError(e) };
  }
}

async function handle(r: Request): Promise<unknown> {
  if (!model && r.type !== 'open' && r.type !== 'liveAppend') {
    // nothing could be read: empty answers, the page shows the error
    if (r.type === 'frame') return { t0: r.req.t0, t1: r.req.t1, rows: [], wakeups: [], markers: [] } satisfies FrameData;
    if (r.type === 'list') return [];
    if (r.type === 'filter') return { count: 0 };
    return -1;
  }
  switch (r.type) {
    case 'open':
      return open(r);
    case 'liveAppend':
      return liveAppend(r.url);
    case 'frame':
      return frame(r.req);
    case 'list':
      return listRows(r.from, r.count);
    case 'filter':
      return applyFilter(r.filter);
    case 'position':
      return position(r.index);
    case 'positionAt': {
      const i = model!.store.lowerBound(r.ts);
      return position(i);
    }
    case 'pick':
      return pick(r.row, r.t, r.tolerance);
    case 'search':
      return model!.search(r.text, r.from, r.dir, visible);
    case 'details':
      return details(r.index);
    case 'tasks': {
      const t = model!.tasks();
      // warm the per-task states now, not in the first frame with a task row
      statesOf(-1, model!);
      return t;
    }
    case 'activate': {
      model = models[r.stream] ?? model;
      visible = undefined;
      visCpu = undefined;
      visTask = undefined;
      return model!.length;
    }
    case 'stats': {
      const s = model!.stats(visible);
      return { ...s, perTask: s.perTask.slice(0, 50), wakeups: model!.analyses.wakeups.length, states: stateName(0) };
    }
  }
}

ctx.onmessage = (e: MessageEvent) => {
  const { id, req } = e.data as { id: number; req: Request };
  handle(req).then(
    (result) => {
      const transfer: Transferable[] = [];
      if (req.type === 'frame')
        for (const row of (result as FrameData).rows)
          transfer.push(row.count.buffer, row.first.buffer, row.dominant.buffer, row.overlay.buffer);
      post({ id, result }, transfer);
    },
    (err: unknown) => post({ id, error: describeError(err) }),
  );
};
