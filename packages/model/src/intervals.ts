/**
 * Interval tables as columns: start/end (ns) plus up to four integer columns whose meaning the
 * owner names (pid, cpu, state, …). Appended in order of their end; `sortByStart()` makes the
 * start column ascending for binary search.
 */
import { GrowF64, GrowI32 } from './grow.js';

export class Intervals {
  readonly start = new GrowF64(256);
  readonly end = new GrowF64(256);
  readonly a = new GrowI32(256);
  readonly b = new GrowI32(256);
  readonly c = new GrowI32(256);
  readonly d = new GrowI32(256);
  private sorted = true;
  /** The prefix sorted by the last sortByStart() (a growing trace sorts only what came after it). */
  private sortedUpTo = 0;

  get length(): number {
    return this.start.length;
  }

  push(start: number, end: number, a = 0, b = 0, c = 0, d = 0): void {
    if (this.start.length > 0 && start < this.start.get(this.start.length - 1)) this.sorted = false;
    this.start.push(start);
    this.end.push(end);
    this.a.push(a);
    this.b.push(b);
    this.c.push(c);
    this.d.push(d);
  }

  /**
   * Makes `start` ascending (stable). Only the intervals pushed since the last call and those of
   * the sorted prefix they must go between are moved: intervals close soon after they start, so a
   * growing trace re-sorts a short tail.
   */
  sortByStart(): void {
    const n = this.length;
    if (this.sorted) {
      this.sortedUpTo = n;
      return;
    }
    const s = this.start.data;
    let min = Infinity;
    for (let i = this.sortedUpTo; i < n; i++) if (s[i]! < min) min = s[i]!;
    // the first of the prefix that starts after the tail's earliest (equal starts keep their order)
    let lo = 0,
      hi = this.sortedUpTo;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (s[m]! <= min) lo = m + 1;
      else hi = m;
    }
    const q = lo;
    const order = new Int32Array(n - q);
    for (let i = q; i < n; i++) order[i - q] = i;
    const sortedOrder = Array.from(order).sort((x, y) => s[x]! - s[y]! || x - y);
    const cols = [this.start, this.end, this.a, this.b, this.c, this.d] as const;
    for (const col of cols) {
      const old = col.data.slice(q, n);
      for (let i = q; i < n; i++) (col.data as Float64Array | Int32Array)[i] = old[sortedOrder[i - q]! - q]!;
    }
    this.sorted = true;
    this.sortedUpTo = n;
  }

  /** First interval whose start >= t (after sortByStart). */
  lowerBound(t: number): number {
    const s = this.start.data;
    let lo = 0,
      hi = this.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (s[m]! < t) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** Indexes of intervals overlapping [t0, t1) (after sortByStart; intervals must not nest across rows). */
  overlapping(t0: number, t1: number, maxEnd = Infinity): number[] {
    const out: number[] = [];
    let k = this.lowerBound(t0);
    // intervals starting before t0 may still reach into the window
    while (k > 0 && this.end.get(k - 1) > t0 && t0 - this.start.get(k - 1) <= maxEnd) k--;
    for (; k < this.length && this.start.get(k) < t1; k++) if (this.end.get(k) > t0) out.push(k);
    return out;
  }

  trim(): void {
    for (const c of [this.start, this.end, this.a, this.b, this.c, this.d]) c.trim();
  }

  get byteLength(): number {
    return (
      this.start.data.byteLength +
      this.end.data.byteLength +
      this.a.data.byteLength +
      this.b.data.byteLength +
      this.c.data.byteLength +
      this.d.data.byteLength
    );
  }
}

/** Interned strings (task names, irq names). */
export class Strings {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];
  id(s: string): number {
    let v = this.ids.get(s);
    if (v === undefined) {
      v = this.list.length;
      this.list.push(s);
      this.ids.set(s, v);
    }
    return v;
  }
  get(id: number): string {
    return this.list[id] ?? '';
  }
}
