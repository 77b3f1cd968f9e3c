/**
 * TraceModel: one source loaded into an EventStore with its analyses (libkshark's data stream),
 * and the queries a viewer or a tool asks: rows' level-of-detail bins, filters, search, statistics,
 * the columns of `trace-cmd report` for any event. `Timeline` puts several models on one time axis.
 */
import { formatTime, latencyFlags } from '@utp/traceevent';
import { Analyses } from './analyses.js';
import type { EventSink, EventSource, ReadOptions } from './event-stream.js';
import { EventStore, lowerBoundBy } from './event-store.js';

export interface LoadOptions extends ReadOptions {
  /** Called every `appendEvery` events while loading (the viewer draws the growing timeline). */
  onAppend: ((model: TraceModel) => void) | undefined;
}

/** Per bin of a row: the first event in the bin (-1: none), the count, and the dominant task (or CPU for task rows). */
export interface Bins {
  first: Int32Array;
  count: Int32Array;
  /** CPU rows: the pid occupying the most of the bin (-1: none known); task rows: its CPU. */
  dominant: Int32Array;
}

export interface FilterSpec {
  /** Class ids to keep (undefined: all). */
  events: readonly number[] | undefined;
  /** Pids to keep. */
  tasks: readonly number[] | undefined;
  cpus: readonly number[] | undefined;
  /** A trace-cmd `-F` expression (`sched_switch:prev_pid==0`, `irq`, `next_comm ~ "k*"`). */
  expr: string | undefined;
  /** Invert the expression (trace-cmd -v -F). */
  negate: boolean;
}

export interface Stats {
  events: number;
  perClass: Array<{ classId: number; name: string; count: number }>;
  perCpu: Array<{ cpu: number; count: number }>;
  perTask: Array<{ pid: number; name: string; count: number }>;
  lost: number;
  start: number;
  end: number;
}

/** The columns of one `trace-cmd report` line. */
export interface EventColumns {
  index: number;
  buffer: string;
  cpu: number;
  /** `%5llu.%06llu` seconds as trace-cmd prints them. */
  time: string;
  ts: number;
  comm: string;
  pid: number;
  /** Latency flags (irqs-off, need-resched, hard/softirq, preempt count), as `report -l` shows the first five. */
  latency: string;
  event: string;
  system: string;
  info: string;
}

const SAMPLE = 24;

export class TraceModel {
  readonly store = new EventStore();
  readonly analyses: Analyses;
  /** Nanoseconds added to this trace's times on a shared timeline. */
  shift = 0;
  done = false;

  constructor(readonly source: EventSource) {
    this.analyses = new Analyses(source.classes, (pid) => source.commOf(pid));
  }

  /** Reads the whole source (appending; `onAppend` sees the growing model). */
  static async load(source: EventSource, options: Partial<LoadOptions> & { appendEvery?: number } = {}): Promise<TraceModel> {
    const m = new TraceModel(source);
    await m.ingest(options);
    return m;
  }

  async ingest(options: Partial<LoadOptions> & { appendEvery?: number } = {}): Promise<void> {
    const store = this.store;
    const an = this.analyses;
    const every = options.appendEvery ?? 0;
    const onAppend = options.onAppend;
    await this.source.read(
      {
        expect: (n) => store.reserve(store.length + n),
        event: (e) => {
          const i = store.append(e);
          an.event(e, i);
          if (every > 0 && onAppend && (i + 1) % every === 0) onAppend(this);
        },
        lost: (l) => an.lostEvents(l),
      },
      options,
    );
    an.finish();
    store.trim();
    store.index();
    this.done = true;
  }

  /**
   * Appends a growing source's new events (utp view --live's LiveFeed): `feed` hands them to the
   * sink in time order, after every event appended before. The indexes take the new tail only and
   * the analyses' closed intervals are sorted in; what is still open (a CPU's running task) stays
   * open until `final`, which finishes the model as `ingest` does. Returns the events appended.
   */
  append(feed: (sink: EventSink) => number, final = false): number {
    const store = this.store;
    const an = this.analyses;
    const n = feed({
      event: (e) => {
        an.event(e, store.append(e));
      },
      lost: (l) => an.lostEvents(l),
    });
    if (final) {
      an.finish();
      store.trim();
      this.done = true;
    } else an.settle();
    store.index();
    return n;
  }

  get length(): number {
    return this.store.length;
  }
  get start(): number {
    return this.store.length ? this.store.ts[0]! : 0;
  }
  get end(): number {
    return this.store.length ? this.store.ts[this.store.length - 1]! : 0;
  }

  /** CPUs that have events. */
  cpus(): number[] {
    const out: number[] = [];
    const s = this.store.cpuStart;
    for (let c = 0; c + 1 < s.length; c++) if (s[c + 1]! > s[c]!) out.push(c);
    return out;
  }

  /** Every task with its (latest) name and event count, by pid. */
  tasks(): Array<{ pid: number; name: string; count: number }> {
    const { pids, start } = this.store.tasks();
    const out: Array<{ pid: number; name: string; count: number }> = [];
    for (let k = 0; k < pids.length; k++) {
      const pid = pids[k]!;
      out.push({ pid, name: this.analyses.nameAt(pid, Infinity), count: start[k + 1]! - start[k]! });
    }
    return out;
  }

  className(classId: number): string {
    return this.source.classes[classId]?.name ?? '[UNKNOWN EVENT]';
  }

  /** The report columns of event i. */
  columns(i: number): EventColumns {
    const st = this.store;
    const ts = st.ts[i]!,
      cpu = st.cpu[i]!,
      pid = st.pid[i]!,
      k = st.classId(i);
    const c = this.source.classes[k];
    return {
      index: i,
      buffer: this.source.meta.buffers[st.buffer[i]!] ?? '',
      cpu,
      ts,
      time: formatTime(ts, 'usec').trimStart(),
      comm: this.source.commOf(pid) ?? '<...>',
      pid,
      latency: latencyFlags(st.flags[i]!, st.preempt[i]!),
      event: c?.name ?? '[UNKNOWN EVENT]',
      system: c?.system ?? '',
      info: stripNl(this.source.info(st.loc[i]!, k, ts, cpu)),
    };
  }

  /** The line `utp report` prints for event i (without the buffer prefix and missed-events line). */
  line(i: number): string {
    const st = this.store;
    if (this.source.line) return this.source.line(st.loc[i]!, st.ts[i]!, st.cpu[i]!);
    const c = this.columns(i);
    return `${c.comm.padStart(16)}-${String(c.pid).padEnd(5)} [${String(c.cpu).padStart(3, '0')}] ${c.time}: ${c.event}: ${c.info}`;
  }

  /** Decoded fields of event i. */
  fields(i: number) {
    return this.source.values(this.store.loc[i]!, this.store.classId(i));
  }

  // ------------------------------------------------------------------ level of detail

  /** Bins over any time-ordered list of event indexes (a row's events, or its filtered ones). */
  binsOver(
    idx: Int32Array,
    t0: number,
    t1: number,
    n: number,
    dominant: (lo: number, hi: number, a: number, b: number, k0: number, k1: number) => number,
  ): Bins {
    const first = new Int32Array(n).fill(-1);
    const count = new Int32Array(n);
    const dom = new Int32Array(n).fill(-1);
    const ts = this.store.ts;
    const w = (t1 - t0) / n;
    let k = lowerBoundBy(idx, ts, t0);
    for (let b = 0; b < n; b++) {
      const hiT = b === n - 1 ? t1 : t0 + w * (b + 1);
      // gallop: most bins hold few events
      let lo = k,
        step = 1,
        hi = k;
      while (hi < idx.length && ts[idx[hi]!]! < hiT) {
        lo = hi;
        hi = k + step;
        step *= 2;
      }
      if (hi > idx.length) hi = idx.length;
      while (lo < hi) {
        const m = (lo + hi) >>> 1;
        if (ts[idx[m]!]! < hiT) lo = m + 1;
        else hi = m;
      }
      const k1 = lo;
      count[b] = k1 - k;
      if (k1 > k) first[b] = idx[k]!;
      dom[b] = dominant(t0 + w * b, hiT, b, n, k, k1);
      k = k1;
    }
    return { first, count, dominant: dom };
  }

  /** KernelShark's histogram for a CPU row: `n` equal bins over [t0, t1) (model time, before `shift`). */
  cpuBins(cpu: number, t0: number, t1: number, n: number, events?: Int32Array): Bins {
    const idx = events ?? this.store.eventsOfCpu(cpu);
    const iv = this.analyses.cpuIntervals[cpu];
    const pids = this.store.pid;
    let j = iv ? Math.max(0, iv.lowerBound(t0) - 1) : 0;
    return this.binsOver(idx, t0, t1, n, (a, b, _bin, _n, k0, k1) => {
      if (iv?.length) {
        const s = iv.start.data,
          e = iv.end.data,
          p = iv.a.data;
        while (j < iv.length && e[j]! <= a) j++;
        let best = -1,
          bestLen = 0;
        // intervals starting before the bin's end: exact longest overlap when few, a strided sample when many
        // (the end found galloping from j: its probes stay near the bin, ~15% of this step on a 10M trace)
        let lo = j,
          hi = j,
          step = 1;
        while (hi < iv.length && s[hi]! < b) {
          lo = hi + 1;
          hi = j + step;
          step *= 2;
        }
        if (hi > iv.length) hi = iv.length;
        while (lo < hi) {
          const q = (lo + hi) >>> 1;
          if (s[q]! < b) lo = q + 1;
          else hi = q;
        }
        const mEnd = lo;
        const stride = mEnd - j > SAMPLE ? (mEnd - j) / SAMPLE : 1;
        for (let f = j; f < mEnd; f += stride) {
          const m = Math.floor(f);
          const len = Math.min(e[m]!, b) - Math.max(s[m]!, a);
          if (len > bestLen) {
            bestLen = len;
            best = p[m]!;
          }
        }
        if (mEnd > j + 1) j = mEnd - 1;
        if (best >= 0 || bestLen > 0) return best;
      }
      if (k1 <= k0) return -1;
      return pids[idx[k0 + ((k1 - k0) >> 1)]!]!;
    });
  }

  /** The same for a task row; `dominant` is the CPU of the bin's middle event. */
  taskBins(pid: number, t0: number, t1: number, n: number, events?: Int32Array): Bins {
    const idx = events ?? this.store.eventsOfTask(pid);
    const cpu = this.store.cpu;
    return this.binsOver(idx, t0, t1, n, (_a, _b, _bin, _n, k0, k1) => (k1 > k0 ? cpu[idx[k0 + ((k1 - k0) >> 1)]!]! : -1));
  }

  // ------------------------------------------------------------------ filters, search, statistics

  /** Event indexes passing the filter, in time order. Throws on a bad expression. */
  filter(spec: Partial<FilterSpec>): Int32Array {
    const st = this.store;
    const n = st.length;
    const ev = spec.events ? new Uint8Array(this.source.classes.length + 1) : undefined;
    if (ev) for (const k of spec.events!) if (k >= 0) ev[k + 1] = 1;
    const tasks = spec.tasks ? new Set(spec.tasks) : undefined;
    const cpus = spec.cpus ? new Set(spec.cpus) : undefined;
    let pred: ((loc: number, ts: number, cpu: number) => boolean) | undefined;
    if (spec.expr?.trim()) {
      if (!this.source.compileFilter) throw new Error('This source has no filter expressions');
      pred = this.source.compileFilter(spec.expr.trim());
    }
    const neg = !!spec.negate;
    const out = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (ev && !ev[st.cls[i]!]) continue;
      if (cpus && !cpus.has(st.cpu[i]!)) continue;
      if (tasks && !tasks.has(st.pid[i]!)) continue;
      if (pred && pred(st.loc[i]!, st.ts[i]!, st.cpu[i]!) === neg) continue;
      out[m++] = i;
    }
    return out.slice(0, m);
  }

  /**
   * The next (dir 1) or previous (dir -1) event after position `from` in `within` (event indexes;
   * all events when undefined) whose report line contains `text` (case-insensitive). -1: none.
   * Returns a position in `within`.
   */
  search(text: string, from: number, dir: 1 | -1, within?: Int32Array, limit = Infinity): number {
    const needle = text.toLowerCase();
    const n = within ? within.length : this.store.length;
    let seen = 0;
    for (let p = from + dir; p >= 0 && p < n && seen < limit; p += dir, seen++) {
      const i = within ? within[p]! : p;
      if (this.line(i).toLowerCase().includes(needle)) return p;
    }
    return -1;
  }

  stats(within?: Int32Array): Stats {
    const st = this.store;
    const nCls = this.source.classes.length + 1;
    const perCls = new Float64Array(nCls);
    const perCpu = new Float64Array(Math.max(1, st.cpuCount));
    const perPid = new Map<number, number>();
    const n = within ? within.length : st.length;
    let lastPid = NaN,
      run = 0;
    for (let p = 0; p < n; p++) {
      const i = within ? within[p]! : p;
      perCls[st.cls[i]!]!++;
      perCpu[st.cpu[i]!]!++;
      const pid = st.pid[i]!;
      if (pid === lastPid) run++;
      else {
        if (run) perPid.set(lastPid, (perPid.get(lastPid) ?? 0) + run);
        lastPid = pid;
        run = 1;
      }
    }
    if (run) perPid.set(lastPid, (perPid.get(lastPid) ?? 0) + run);
    let lost = 0;
    const lb = this.analyses.lost.b;
    for (let k = 0; k < lb.length; k++) if (lb.get(k) > 0) lost += lb.get(k);
    return {
      events: n,
      perClass: Array.from(perCls)
        .map((count, k) => ({ classId: k - 1, name: this.className(k - 1), count }))
        .filter((x) => x.count > 0)
        .sort((a, b) => b.count - a.count),
      perCpu: Array.from(perCpu)
        .map((count, cpu) => ({ cpu, count }))
        .filter((x) => x.count > 0),
      perTask: [...perPid]
        .map(([pid, count]) => ({ pid, name: this.analyses.nameAt(pid, Infinity), count }))
        .sort((a, b) => b.count - a.count),
      lost,
      start: this.start,
      end: this.end,
    };
  }

  /** Bytes held by the store, its indexes and the analyses. */
  get byteLength(): number {
    return this.store.byteLength + this.analyses.byteLength;
  }
}

function stripNl(s: string): string {
  return s.length && s.charCodeAt(s.length - 1) === 10 ? s.slice(0, -1) : s;
}

/**
 * Several traces on one time axis. Each model's times already include its file's own offsets
 * (trace.dat DATE/OFFSET/TSC2NSEC); `shift` moves one by hand (ns) where the files carry none.
 */
export class Timeline {
  readonly models: TraceModel[] = [];
  add(m: TraceModel, shift = 0): void {
    m.shift = shift;
    this.models.push(m);
  }
  get start(): number {
    return Math.min(...this.models.map((m) => m.start + m.shift));
  }
  get end(): number {
    return Math.max(...this.models.map((m) => m.end + m.shift));
  }
  get length(): number {
    return this.models.reduce((a, m) => a + m.length, 0);
  }
  /** Aligns every model's first event with the earliest one (for traces of unrelated clocks). */
  alignStarts(): void {
    const s = Math.min(...this.models.map((m) => m.start));
    for (const m of this.models) m.shift = s - m.start;
  }
}
