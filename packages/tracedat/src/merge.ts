import type { KRecord } from '@utp/traceevent';
import type { CpuStream } from './cpu-stream.js';

/** One trace-cmd input handle: its CPU slots (undefined = no data) and a caller tag. */
export interface RecordSource<T> {
  streams: Array<CpuStream | undefined>;
  tag: T;
}

/**
 * Merges records of several handles as tracecmd_iterate_events_multi does: CPU slots
 * are numbered across handles in order; the record with the smallest timestamp goes
 * first, ties to the lowest slot (strict `<`). `cb` gets the record (reused: copy what
 * you keep), the handle's tag and the global slot; returning false stops.
 */
export async function mergeRecords<T>(handles: Array<RecordSource<T>>, cb: (rec: KRecord, tag: T, slot: number) => boolean | void): Promise<void> {
  const streams: CpuStream[] = [];
  const tags: T[] = [];
  const slots: number[] = [];
  let base = 0;
  for (const h of handles) {
    h.streams.forEach((s, i) => { if (s) { streams.push(s); tags.push(h.tag); slots.push(base + i); } });
    base += h.streams.length;
  }
  const live: number[] = [];
  for (let i = 0; i < streams.length; i++) {
    let r = streams[i]!.advance();
    if (typeof r !== 'boolean') r = await r;
    if (r) live.push(i);
  }
  let anyBig = false;
  for (;;) {
    let best = -1;
    let bestPos = -1;
    let bestNum = 0;
    for (let k = 0; k < live.length; k++) {
      const i = live[k]!;
      const rec = streams[i]!.rec;
      if (rec.tsBig !== undefined) { anyBig = true; break; }
      if (best < 0 || rec.tsNum < bestNum) { best = i; bestPos = k; bestNum = rec.tsNum; }
    }
    if (anyBig) {
      // exact comparison in bigint space once any timestamp left the safe-integer range
      best = -1;
      let bestBig = 0n;
      for (let k = 0; k < live.length; k++) {
        const i = live[k]!;
        const t = streams[i]!.rec.ts;
        if (best < 0 || t < bestBig) { best = i; bestPos = k; bestBig = t; }
      }
    }
    if (best < 0) return;
    const s = streams[best]!;
    if (cb(s.rec, tags[best]!, slots[best]!) === false) return;
    let r = s.advance();
    if (typeof r !== 'boolean') r = await r;
    if (!r) live.splice(bestPos, 1);
  }
}
