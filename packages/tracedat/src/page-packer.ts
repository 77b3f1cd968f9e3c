/**
 * Packs records into fresh ring-buffer sub-buffers ("pages"), as `trace-cmd split` rebuilds the
 * pages of the part it keeps: a page header (timestamp of its first record, commit word with
 * the missed-events flags), records with their time deltas, a time extend where a delta does not
 * fit in 27 bits, and the missed-events count after the data. A record that reports missed
 * events starts a new page, so the loss stays attached to it. Universal code.
 */
import type { KRecord } from '@utp/traceevent';
import { TraceDatError, TraceDatErrorCode } from './errors.js';

const TYPE_TIME_EXTEND = 30;
const MAX_SMALL = 28 * 4;
const DELTA_MAX = (1 << 27) - 1;
const MISSING_EVENTS = 0x80000000;
const MISSING_STORED = 0x40000000;

export interface PagePackerOptions {
  pageSize: number;
  /** Kernel long size (header_page's commit field): 4 or 8. */
  longSize: number;
  littleEndian: boolean;
  /** Receives each finished page (a fresh array of pageSize bytes). */
  emit(page: Uint8Array): void;
}

/** Bytes a record takes in a page: the header word (+ the length word of big records) and the data. */
export function packedRecordSize(size: number): number {
  return (size > 0 && size <= MAX_SMALL ? 4 : 8) + ((size + 3) & ~3);
}

export class PagePacker {
  private page: Uint8Array | undefined;
  private view: DataView | undefined;
  private index = 0;
  private ts = 0n;
  private missed = 0;
  /** Pages started so far. */
  pages = 0;
  private readonly start: number;

  constructor(private readonly o: PagePackerOptions) {
    this.start = 8 + o.longSize;
  }

  /** True when `rec` cannot go on the current page (none yet, no room, or it reports missed events). */
  needsPage(rec: KRecord): boolean {
    if (!this.page || rec.missedEvents !== 0) return true;
    return this.index + this.extendBytes(rec) + packedRecordSize(rec.size) > this.room();
  }

  /** Adds `rec` to the current page; call needsPage()/newPage() first. */
  add(rec: KRecord): void {
    if (!this.page) this.newPage(rec);
    const v = this.view!;
    const le = this.o.littleEndian;
    const ts = rec.ts;
    let diff = ts - this.ts;
    if (diff < 0n) diff = 0n;
    if (diff > BigInt(DELTA_MAX)) {
      this.word(v, this.index, Number(diff & BigInt(DELTA_MAX)), TYPE_TIME_EXTEND);
      v.setUint32(this.index + 4, Number((diff >> 27n) & 0xffffffffn), le);
      this.index += 8;
      diff = 0n;
    }
    const size = rec.size;
    const small = size > 0 && size <= MAX_SMALL;
    // the kernel pads every record to 4 bytes and counts the padding in its length; a record of
    // another size (one a tool built) is padded with zeros the same way
    const n = (size + 3) & ~3;
    this.word(v, this.index, Number(diff), small ? n >>> 2 : 0);
    this.index += 4;
    if (!small) {
      v.setUint32(this.index, n + 4, le);
      this.index += 4;
    }
    if (this.index + n > this.o.pageSize)
      throw new TraceDatError(TraceDatErrorCode.Truncated, 'Record does not fit in a page', {
        context: { size, pageSize: this.o.pageSize },
      });
    this.page!.set(rec.page.subarray(rec.offset, rec.offset + Math.min(size, rec.page.length - rec.offset)), this.index);
    this.index += n;
    this.ts = ts;
  }

  /** Finishes the current page (if any) and starts one for `rec`. */
  newPage(rec: KRecord): void {
    this.finish();
    this.page = new Uint8Array(this.o.pageSize);
    this.view = new DataView(this.page.buffer);
    this.ts = rec.ts;
    this.view.setBigUint64(0, BigInt.asUintN(64, this.ts), this.o.littleEndian);
    this.index = this.start;
    this.missed = rec.missedEvents;
    this.pages++;
  }

  /** Emits the current page. */
  finish(): void {
    const page = this.page,
      v = this.view;
    if (!page || !v) return;
    const le = this.o.littleEndian;
    let commit = this.index - this.start;
    if (this.missed < 0) {
      // a loss of unknown size ("[LOST EVENTS]"): the flag without a stored count
      commit = (commit | MISSING_EVENTS) >>> 0;
    } else if (this.missed !== 0) {
      commit = (commit | MISSING_EVENTS | MISSING_STORED) >>> 0;
      const count = BigInt.asUintN(64, BigInt(this.missed));
      if (this.o.longSize === 8) v.setBigUint64(this.index, count, le);
      else v.setUint32(this.index, Number(count & 0xffffffffn), le);
    }
    if (this.o.longSize === 8) v.setBigUint64(8, BigInt(commit), le);
    else v.setUint32(8, commit, le);
    this.page = undefined;
    this.view = undefined;
    this.o.emit(page);
  }

  /** Usable bytes of the page: a page that carries a missed-events count keeps room for it. */
  private room(): number {
    return this.o.pageSize - (this.missed > 0 ? this.o.longSize : 0);
  }
  private extendBytes(rec: KRecord): number {
    return rec.ts - this.ts > BigInt(DELTA_MAX) ? 8 : 0;
  }
  private word(v: DataView, at: number, delta: number, typeLen: number): void {
    const w = this.o.littleEndian ? ((delta << 5) | typeLen) >>> 0 : ((typeLen << 27) | delta) >>> 0;
    v.setUint32(at, w, this.o.littleEndian);
  }
}
