/**
 * EventStore: the events of one source as columns (no object per event). Appendable: `append`
 * takes a StreamEvent (a source's sink calls it), `index()` adds what was appended since its last
 * call to the per-CPU and per-task indexes. Time is nanoseconds as Float64 (exact below 2^53).
 *
 * Bytes per event: ts 8 + loc 8 + pid 4 + cpu 2 + class 2 + flags 1 + preempt 1 + buffer 1
 * = 27, plus 4 for the per-CPU index and 4 for the per-task index = 35 (once trimmed).
 */
import type { StreamEvent } from './event-stream.js';
import { GrowI32 } from './grow.js';

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(a: T, n: number, make: (n: number) => T): T {
  const b = make(n);
  b.set(a as never);
  return b;
}

export class EventStore {
  length = 0;
  ts = new Float64Array(1024);
  loc = new Float64Array(1024);
  pid = new Int32Array(1024);
  cpu = new Uint16Array(1024);
  /** Class id + 1 (0: unknown event). */
  cls = new Uint16Array(1024);
  flags = new Uint8Array(1024);
  preempt = new Uint8Array(1024);
  buffer = new Uint8Array(1024);
  /** Largest CPU number seen + 1. */
  cpuCount = 0;
  /**
   * Event indexes by CPU and by task, in time order, appended to as events come (index() adds the
   * events since the last call: a live trace's new tail costs only its own length).
   */
  private readonly cpuLists: GrowI32[] = [];
  private readonly taskLists = new Map<number, GrowI32>();
  /** Per-CPU event counts as CSR offsets (cpuStart[c+1] - cpuStart[c]), as of the last index(). */
  cpuStart = new Int32Array(1);
  private indexed = 0;

  private ensure(n: number): void {
    if (n <= this.ts.length) return;
    let cap = Math.max(1024, this.ts.length * 2);
    while (cap < n) cap *= 2;
    if (n > this.ts.length * 2) cap = n;
    this.ts = grow(this.ts, cap, (k) => new Float64Array(k));
    this.loc = grow(this.loc, cap, (k) => new Float64Array(k));
    this.pid = grow(this.pid, cap, (k) => new Int32Array(k));
    this.cpu = grow(this.cpu, cap, (k) => new Uint16Array(k));
    this.cls = grow(this.cls, cap, (k) => new Uint16Array(k));
    this.flags = grow(this.flags, cap, (k) => new Uint8Array(k));
    this.preempt = grow(this.preempt, cap, (k) => new Uint8Array(k));
    this.buffer = grow(this.buffer, cap, (k) => new Uint8Array(k));
  }

  /** Makes room for `n` events in all (a source's estimate: fewer copies while loading). */
  reserve(n: number): void {
    if (n > this.ts.length) this.ensure(Math.min(n, 1 << 28));
  }

  append(e: StreamEvent, ts: number = e.ts): number {
    const i = this.length;
    if (i === this.ts.length) this.ensure(i + 1);
    this.ts[i] = ts;
    this.loc[i] = e.loc;
    this.pid[i] = e.pid;
    this.cpu[i] = e.cpu;
    this.cls[i] = e.classId + 1;
    this.flags[i] = e.flags;
    this.preempt[i] = e.preempt;
    this.buffer[i] = e.buffer;
    if (e.cpu >= this.cpuCount) this.cpuCount = e.cpu + 1;
    this.length = i + 1;
    return i;
  }

  classId(i: number): number {
    return this.cls[i]! - 1;
  }

  /** Drops spare capacity (call when a source is done). */
  trim(): void {
    const n = this.length;
    if (this.ts.length === n) return;
    this.ts = this.ts.slice(0, n);
    this.loc = this.loc.slice(0, n);
    this.pid = this.pid.slice(0, n);
    this.cpu = this.cpu.slice(0, n);
    this.cls = this.cls.slice(0, n);
    this.flags = this.flags.slice(0, n);
    this.preempt = this.preempt.slice(0, n);
    this.buffer = this.buffer.slice(0, n);
  }

  /** Adds the events appended since the last call to the per-CPU and per-task indexes. */
  index(): void {
    const n = this.length;
    const cpu = this.cpu,
      pid = this.pid;
    const lists = this.cpuLists,
      tasks = this.taskLists;
    // a per-event map lookup is the slow part of the task index: cache the last pid's list
    let lastPid = NaN;
    let last: GrowI32 | undefined;
    for (let i = this.indexed; i < n; i++) {
      const c = cpu[i]!;
      (lists[c] ??= new GrowI32(256)).push(i);
      const p = pid[i]!;
      if (p !== lastPid) {
        lastPid = p;
        last = tasks.get(p);
        if (!last) tasks.set(p, (last = new GrowI32(64)));
      }
      last!.push(i);
    }
    this.indexed = n;
    const cs = new Int32Array(this.cpuCount + 1);
    for (let c = 0; c < this.cpuCount; c++) cs[c + 1] = cs[c]! + (lists[c]?.length ?? 0);
    this.cpuStart = cs;
    // a store that was trimmed is complete: drop the lists' spare capacity too
    if (this.ts.length === n) {
      for (const l of lists) l?.trim();
      for (const l of tasks.values()) l.trim();
    }
  }

  /** Distinct pids (sorted) and their event counts (CSR offsets in `start`), as of the last index(). */
  tasks(): { pids: Int32Array; start: Int32Array } {
    const pids = Int32Array.from(this.taskLists.keys()).sort();
    const start = new Int32Array(pids.length + 1);
    for (let k = 0; k < pids.length; k++) start[k + 1] = start[k]! + this.taskLists.get(pids[k]!)!.length;
    return { pids, start };
  }

  /** Event indexes of one CPU (a view, time order). */
  eventsOfCpu(cpu: number): Int32Array {
    return this.cpuLists[cpu]?.view() ?? new Int32Array(0);
  }

  /** Event indexes of one task (a view, time order). */
  eventsOfTask(pid: number): Int32Array {
    return this.taskLists.get(pid)?.view() ?? new Int32Array(0);
  }

  /** First event index with ts >= t. */
  lowerBound(t: number): number {
    let lo = 0,
      hi = this.length;
    const ts = this.ts;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (ts[m]! < t) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** Bytes held by the columns and indexes. */
  get byteLength(): number {
    let lists = 0;
    for (const l of this.cpuLists) lists += l?.data.byteLength ?? 0;
    for (const l of this.taskLists.values()) lists += l.data.byteLength;
    return (
      lists +
      this.ts.byteLength +
      this.loc.byteLength +
      this.pid.byteLength +
      this.cpu.byteLength +
      this.cls.byteLength +
      this.flags.byteLength +
      this.preempt.byteLength +
      this.buffer.byteLength +
      this.cpuStart.byteLength
    );
  }
}

/** First position in a sorted Int32Array with a[k] >= v. */
export function lowerBoundI32(a: Int32Array, v: number): number {
  let lo = 0,
    hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** First position k in `idx` (event indexes) with ts[idx[k]] >= t. */
export function lowerBoundBy(idx: Int32Array, ts: Float64Array, t: number): number {
  let lo = 0,
    hi = idx.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[idx[m]!]! < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}
