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
export async function mergeRecords<T>(
  handles: Array<RecordSource<T>>,
  cb: (rec: KRecord, tag: T, slot: number) => boolean | void,
): Promise<void> {
  const streams: CpuStream[] = [];
  const tags: T[] = [];
  const slots: number[] = [];
  let base = 0;
  for (const h of handles) {
    h.streams.forEach((s, i) => {
      if (s) {
        streams.push(s);
        tags.push(h.tag);
        slots.push(base + i);
      }
    });
    base += h.streams.length;
  }
  const live: number[] = [];
  for (let i = 0; i < streams.length; i++) {
    let r = streams[i]!.advance();
    if (typeof r !== 'boolean') r = await r;
    if (r) live.push(i);
  }
  for (;;) {
    const bestPos = earliestLive(streams, live);
    const best = bestPos < 0 ? -1 : live[bestPos]!;
    if (best < 0) return;
    const s = streams[best]!;
    if (cb(s.rec, tags[best]!, slots[best]!) === false) return;
    let r = s.advance();
    if (typeof r !== 'boolean') r = await r;
    if (!r) live.splice(bestPos, 1);
  }
}

/**
 * Position in `live` (stream indexes, ascending) of the stream whose current record comes first:
 * smallest timestamp, ties to the earlier entry (trace-cmd's strict `<`); -1 when `live` is empty.
 * Compares plain numbers while every timestamp is a safe integer, exactly in bigint otherwise.
 */
export function earliestLive(streams: readonly CpuStream[], live: readonly number[]): number {
  let bestPos = -1;
  let bestNum = 0;
  let k = 0;
  for (; k < live.length; k++) {
    const rec = streams[live[k]!]!.rec;
    if (rec.tsBig !== undefined) break;
    if (bestPos < 0 || rec.tsNum < bestNum) {
      bestPos = k;
      bestNum = rec.tsNum;
    }
  }
  if (k === live.length) return bestPos;
  bestPos = -1;
  let bestBig = 0n;
  for (k = 0; k < live.length; k++) {
    const t = streams[live[k]!]!.rec.ts;
    if (bestPos < 0 || t < bestBig) {
      bestPos = k;
      bestBig = t;
    }
  }
  return bestPos;
}
