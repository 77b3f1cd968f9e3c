/**
 * The merge loop of `utp report` (trace-cmd 3.1.6 tracecmd_iterate_events_multi): CPU slots
 * numbered across handles, smallest timestamp first, ties to the lowest slot; plus the
 * function-graph lookahead of trace-cmd's funcgraph_entry handler, which peeks at the next
 * record of the same handle (tracecmd_peek_next_data: all its CPUs, smallest timestamp,
 * ties to the lowest CPU, unfiltered) and may take it out of the stream (a leaf's exit).
 *
 * When that exit sits on another CPU of the handle, trace-cmd 3.1.6 frees the record its merge
 * array still points to: the slot keeps a dangling record whose timestamp glibc overwrote with
 * its free-list link (the chunk address >> 12, 0x55…–0x56… on x86-64: about 23 s in ns). We
 * reproduce that: such a slot competes with STALE_TS until it is picked, and then prints its real
 * next record. In traces whose clock is past ~23 s (nearly all), it comes right after the leaf.
 */
import { KRecord } from '@utp/traceevent';
import type { FgraphLookahead, Tep, TraceRecord } from '@utp/traceevent';
import type { CpuStream } from '@utp/tracedat';
import { earliestLive } from '@utp/tracedat';

export interface PrintSource<T> {
  streams: Array<CpuStream | undefined>;
  tag: T;
  /** The handle's Tep, and the id of ftrace:funcgraph_entry when its handler may peek (else -1). */
  tep: Tep;
  entryId: number;
}

/**
 * The FgraphLookahead handed to the plugins (one for all inputs): it answers only while
 * the loop prints a funcgraph_entry, for that record's handle.
 */
export class HandleLookahead implements FgraphLookahead {
  /** Streams of the handle being printed (slot order), or undefined outside an entry. */
  streams: CpuStream[] | undefined = undefined;
  /** The stream whose head consume() took. */
  consumed: CpuStream | undefined = undefined;
  private last: CpuStream | undefined = undefined;

  peek(): TraceRecord | undefined {
    const ss = this.streams;
    this.last = undefined;
    if (!ss) return undefined;
    let best: CpuStream | undefined;
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i]!;
      if (!s.has) continue;
      if (best === undefined || s.rec.ts < best.rec.ts) best = s;
    }
    this.last = best;
    return best?.rec;
  }

  consume(record: TraceRecord): void {
    if (this.last && this.last.rec === record) this.consumed = this.last;
  }
}

/**
 * Where a record's sub-buffer is, for --debug (CpuStream.pageOffset/pageBase/pageEnd, in the
 * record's own `page` bytes: a held copy keeps its whole sub-buffer then).
 */
export interface PageInfo {
  offset: number;
  base: number;
  end: number;
}

/** The timestamp trace-cmd sees in a freed record (PIE heap address >> 12, x86-64 glibc). */
export const STALE_TS = 0x558000000n;

async function step(s: CpuStream): Promise<boolean> {
  const r = s.advance();
  return typeof r === 'boolean' ? r : await r;
}

/**
 * Calls `cb` for every record in trace-cmd's order. `cb` gets the record (reused: copy what
 * you keep), the handle's tag, the global slot and the record's offset in the stream's window
 * (`rec.offset`, except for a held copy: where it was). With `lookahead`, a funcgraph_entry is
 * copied and its stream advanced before `cb` prints it, so that the handler can peek at the
 * handle's next record; a record it consumes is dropped. With `pages`, it is filled with the
 * record's sub-buffer before each call (a held copy then keeps the whole sub-buffer).
 */
export async function printMerged<T>(
  handles: Array<PrintSource<T>>,
  lookahead: HandleLookahead | undefined,
  cb: (rec: KRecord, tag: T, slot: number, pageOffset: number) => void,
  pages?: PageInfo,
): Promise<void> {
  const streams: CpuStream[] = [];
  const tags: T[] = [];
  const slots: number[] = [];
  const entryIds: number[] = [];
  const teps: Tep[] = [];
  const group: CpuStream[][] = [];
  let base = 0;
  for (const h of handles) {
    const mine: CpuStream[] = [];
    h.streams.forEach((s, i) => {
      if (!s) return;
      streams.push(s);
      tags.push(h.tag);
      slots.push(base + i);
      entryIds.push(lookahead ? h.entryId : -1);
      teps.push(h.tep);
      mine.push(s);
    });
    for (let k = 0; k < mine.length; k++) group.push(mine);
    base += h.streams.length;
  }
  const live: number[] = [];
  for (let i = 0; i < streams.length; i++) if (await step(streams[i]!)) live.push(i);
  const held = new KRecord();
  /** Streams with trace-cmd's dangling record (see STALE_TS); rare. */
  const stale = new Set<CpuStream>();
  for (;;) {
    let best = -1;
    let bestPos = -1;
    const viaStale = stale.size > 0;
    if (viaStale) {
      let bestKey = 0n;
      for (let k = 0; k < live.length; k++) {
        const i = live[k]!;
        const key = stale.has(streams[i]!) ? STALE_TS : streams[i]!.rec.ts;
        if (best < 0 || key < bestKey) {
          best = i;
          bestPos = k;
          bestKey = key;
        }
      }
      if (best >= 0) stale.delete(streams[best]!);
      else stale.clear();
    } else {
      bestPos = earliestLive(streams, live);
      best = bestPos < 0 ? -1 : live[bestPos]!;
    }
    if (best < 0) return;
    const s = streams[best]!;
    const eid = entryIds[best]!;
    if (eid >= 0 && teps[best]!.typeOf(s.rec) === eid) {
      // keep a copy of the entry, move its CPU on, and print it with the handle's next record in view
      const at = s.rec.offset;
      copyRecord(held, s.rec, pages ? s : undefined, pages);
      if (!(await step(s))) live.splice(bestPos, 1);
      const la = lookahead!;
      la.streams = group[best]!;
      la.consumed = undefined;
      try {
        cb(held, tags[best]!, slots[best]!, at);
      } finally {
        la.streams = undefined;
      }
      const c = la.consumed as CpuStream | undefined;
      if (c) {
        la.consumed = undefined;
        const alive = await step(c);
        if (!alive) live.splice(live.indexOf(streams.indexOf(c)), 1);
        else if (c !== s) stale.add(c);
      }
      continue;
    }
    if (pages) {
      pages.offset = s.pageOffset;
      pages.base = s.pageBase;
      pages.end = s.pageEnd;
    }
    cb(s.rec, tags[best]!, slots[best]!, s.rec.offset);
    // advance() answers synchronously while the stream's window holds the next record: no
    // promise and no microtask per record then (await step() would cost both)
    const r = s.advance();
    if (!(typeof r === 'boolean' ? r : await r)) live.splice(bestPos, 1);
  }
}

/**
 * A copy of `r` that owns its payload bytes (the stream reuses its record and windows), with
 * the 8 bytes before them (the event header) kept in front; with `s`, the whole sub-buffer
 * (`pg` then says where it is in the copy).
 */
function copyRecord(dst: KRecord, r: KRecord, s?: CpuStream, pg?: PageInfo): void {
  let from = Math.max(0, r.offset - 8);
  let to = r.offset + r.size;
  if (s && pg) {
    from = Math.min(from, s.pageBase);
    to = Math.min(r.page.length, Math.max(to, s.pageEnd));
    pg.offset = s.pageOffset;
    pg.base = s.pageBase - from;
    pg.end = s.pageEnd - from;
  }
  const bytes = r.page.slice(from, to);
  dst.tsNum = r.tsNum;
  dst.tsBig = r.tsBig;
  dst.cpu = r.cpu;
  dst.page = bytes;
  dst.view = new DataView(bytes.buffer);
  dst.offset = r.offset - from;
  dst.size = r.size;
  dst.missedEvents = r.missedEvents;
  dst.fileOffset = r.fileOffset;
}
