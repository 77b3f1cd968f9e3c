/**
 * EventStore: the events of one source as columns (no object per event). Appendable: `append`
 * takes a StreamEvent (a source's sink calls it), `index()` (re)builds the per-CPU and per-task
 * indexes over what is there. Time is nanoseconds as Float64 (exact below 2^53).
 *
 * Bytes per event: ts 8 + loc 8 + pid 4 + cpu 2 + class 2 + flags 1 + preempt 1 + buffer 1
 * = 27, plus 4 for the per-CPU index and 4 for the per-task index = 35.
 */
import type { StreamEvent } from './event-stream.js';

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
  /** Event indexes by CPU (CSR: cpuStart[c] .. cpuStart[c+1] in cpuIndex), sorted by time. */
  cpuIndex = new Int32Array(0);
  cpuStart = new Int32Array(1);
  /** Event indexes by task, grouped by pid (taskPids sorted; taskStart CSR offsets); built on first use (tasks(), eventsOfTask()). */
  taskIndex = new Int32Array(0);
  taskPids = new Int32Array(0);
  taskStart = new Int32Array(1);
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

  /** Builds the per-CPU index now and marks the per-task one stale (built on first use). */
  index(): void {
    const n = this.length;
    if (this.indexed === n && this.cpuIndex.length === n) return;
    const nc = this.cpuCount;
    const cs = new Int32Array(nc + 1);
    const cpu = this.cpu;
    for (let i = 0; i < n; i++) cs[cpu[i]! + 1]!++;
    for (let c = 0; c < nc; c++) cs[c + 1]! += cs[c]!;
    const fill = cs.slice(0, nc);
    const ci = new Int32Array(n);
    for (let i = 0; i < n; i++) ci[fill[cpu[i]!]!++] = i;
    this.cpuIndex = ci;
    this.cpuStart = cs;
    this.indexed = n;
    this.tasksIndexed = -1;
  }

  private tasksIndexed = -1;
  /** The per-task index (counting sort by pid, stable). */
  private indexTasks(): void {
    const n = this.length;
    if (this.tasksIndexed === n) return;
    // tasks: distinct pids, sorted
    const pid = this.pid;
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const p = pid[i]!;
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    const pids = Int32Array.from(seen.keys()).sort();
    const slotOf = new Map<number, number>();
    const ts = new Int32Array(pids.length + 1);
    for (let k = 0; k < pids.length; k++) {
      slotOf.set(pids[k]!, k);
      ts[k + 1] = ts[k]! + seen.get(pids[k]!)!;
    }
    const tfill = ts.slice(0, pids.length);
    const ti = new Int32Array(n);
    // a per-event slot lookup through the map is the slow part; cache the last pid
    let lastPid = NaN,
      lastSlot = 0;
    for (let i = 0; i < n; i++) {
      const p = pid[i]!;
      if (p !== lastPid) {
        lastPid = p;
        lastSlot = slotOf.get(p)!;
      }
      ti[tfill[lastSlot]!++] = i;
    }
    this.taskIndex = ti;
    this.taskPids = pids;
    this.taskStart = ts;
    this.tasksIndexed = n;
  }

  /** Distinct pids (sorted) and their event counts (CSR offsets in `taskStart`). */
  tasks(): { pids: Int32Array; start: Int32Array } {
    this.indexTasks();
    return { pids: this.taskPids, start: this.taskStart };
  }

  /** Event indexes of one CPU (a view, time order). */
  eventsOfCpu(cpu: number): Int32Array {
    if (cpu < 0 || cpu >= this.cpuStart.length - 1) return new Int32Array(0);
    return this.cpuIndex.subarray(this.cpuStart[cpu]!, this.cpuStart[cpu + 1]!);
  }

  /** Event indexes of one task (a view, time order). */
  eventsOfTask(pid: number): Int32Array {
    this.indexTasks();
    const k = lowerBoundI32(this.taskPids, pid);
    if (k >= this.taskPids.length || this.taskPids[k] !== pid) return new Int32Array(0);
    return this.taskIndex.subarray(this.taskStart[k]!, this.taskStart[k + 1]!);
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

  /** Bytes held by the columns and indexes (the task index counted as built). */
  get byteLength(): number {
    this.indexTasks();
    return (
      this.ts.byteLength +
      this.loc.byteLength +
      this.pid.byteLength +
      this.cpu.byteLength +
      this.cls.byteLength +
      this.flags.byteLength +
      this.preempt.byteLength +
      this.buffer.byteLength +
      this.cpuIndex.byteLength +
      this.cpuStart.byteLength +
      this.taskIndex.byteLength +
      this.taskPids.byteLength +
      this.taskStart.byteLength
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
