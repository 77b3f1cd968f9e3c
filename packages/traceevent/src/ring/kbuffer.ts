/**
 * KBuffer: decodes one ring-buffer sub-buffer ("page") as libtraceevent's
 * kbuffer-parse.c does: page header (timestamp, commit word with the missed-events
 * flags), then compressed event headers (type_len 0..31), time extends, absolute
 * time stamps and padding. Records are views into the page, written into a reused
 * `KRecord` (no allocation per record).
 *
 * Timestamps are kept as JS numbers while they are below 2^53 (always the case for
 * nanosecond clocks since boot); past that the decoder switches to bigint.
 */
import type { TraceRecord } from '../core/types.js';
import { TWO32 } from '../core/c-number.js';

export const KBufferType = { Padding: 29, TimeExtend: 30, TimeStamp: 31 } as const;

const COMMIT_MASK = (1 << 27) - 1;
const MISSING_EVENTS = 0x80000000;
const MISSING_STORED = 0x40000000;
const TWO27 = 134217728;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TS_MSB = 0xf8n << 56n;

/** A record produced by KBuffer; `ts` is a bigint computed on demand from `tsNum`/`tsBig`. */
export class KRecord implements TraceRecord {
  /** Timestamp as a number, valid when `tsBig` is undefined. */
  tsNum = 0;
  /** Timestamp as a bigint when it does not fit in 2^53. */
  tsBig: bigint | undefined = undefined;
  cpu = 0;
  page: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(this.page.buffer);
  offset = 0;
  size = 0;
  missedEvents = 0;
  fileOffset: number | undefined = undefined;

  get ts(): bigint {
    return this.tsBig !== undefined ? this.tsBig : BigInt(this.tsNum);
  }
  set ts(v: bigint) {
    if (v >= 0n && v <= BigInt(MAX_SAFE)) {
      this.tsNum = Number(v);
      this.tsBig = undefined;
    } else this.tsBig = v;
  }
  /** Copies another record's fields (the view stays shared, no byte copy). */
  copyFrom(r: KRecord): void {
    this.tsNum = r.tsNum;
    this.tsBig = r.tsBig;
    this.cpu = r.cpu;
    this.page = r.page;
    this.view = r.view;
    this.offset = r.offset;
    this.size = r.size;
    this.missedEvents = r.missedEvents;
    this.fileOffset = r.fileOffset;
  }
}

export interface KBufferOptions {
  littleEndian: boolean;
  /** Kernel long size: the size of header_page's `commit` field (4 or 8). */
  longSize: number;
}

/** Raw (non-data) record info for --debug style output. */
export interface KBufferRawEvent {
  type: number;
  delta: bigint;
  length: number;
  offset: number;
}

export class KBuffer {
  readonly littleEndian: boolean;
  readonly longSize: number;
  /** Offset of event data after the page header (16 or 12). */
  readonly start: number;
  private page: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.page.buffer);
  /** Offset of this sub-buffer inside `page`. */
  private base = 0;
  private limit = 0;
  /** Commit size (bytes of event data). */
  size = 0;
  /** -1: some events lost (count unknown), n > 0: count, 0: none. */
  lostEvents = 0;
  /**
   * Offset from the sub-buffer start of a stored missed-events count that lies past the
   * bytes given to `load()` (-1 when there is none): the caller may read it from what
   * follows in its stream and hand it to `setMissedCount()`; `lostEvents` is -1 until then.
   */
  pendingCount = -1;
  private next = 0;
  private t = 0;
  private tb: bigint | undefined = undefined;
  /** File offset of the sub-buffer, if the caller gave one. */
  private fileOffset: number | undefined = undefined;
  /** Set when a record header pointed outside the sub-buffer (the rest of the page is skipped). */
  corrupt = false;

  constructor(opts: KBufferOptions) {
    this.littleEndian = opts.littleEndian;
    this.longSize = opts.longSize === 4 ? 4 : 8;
    this.start = 8 + this.longSize;
  }

  /**
   * Loads the sub-buffer at `page[base .. base+pageSize)`. `view` must cover the same
   * bytes as `page` (pass it to avoid creating one). Reading then starts at the first record.
   *
   * Records must lie inside `pageSize` bytes, but the missed-events count is read wherever
   * the kernel stored it: right after the data, inside the *real* sub-buffer, which can be
   * larger than the `pageSize` a reader steps by (a file whose header says 4096 holding 8 KiB
   * sub-buffers; trace-cmd's kbuffer reads the count at data+commit with no bound). So the
   * count is bounded by the bytes of `page` only; when it lies past them, `pendingCount`
   * says where.
   */
  load(page: Uint8Array, base = 0, pageSize = page.length - base, view?: DataView, fileOffset?: number): void {
    this.page = page;
    this.view = view ?? new DataView(page.buffer, page.byteOffset, page.byteLength);
    this.base = base;
    this.limit = Math.min(page.length, base + pageSize);
    this.fileOffset = fileOffset;
    this.corrupt = false;
    const v = this.view;
    const le = this.littleEndian;
    if (base + this.start > this.limit) {
      this.size = 0;
      this.lostEvents = 0;
      this.pendingCount = -1;
      this.next = 0;
      this.corrupt = true;
      return;
    }
    const lo = v.getUint32(base, le);
    const hi = v.getUint32(base + 4, le);
    const tsLo = le ? lo : hi;
    const tsHi = le ? hi : lo;
    if (tsHi < 0x200000) {
      this.t = tsHi * TWO32 + tsLo;
      this.tb = undefined;
    } else {
      this.tb = (BigInt(tsHi) << 32n) | BigInt(tsLo);
    }
    let flags: number;
    if (this.longSize === 8) flags = v.getUint32(base + (le ? 8 : 12), le);
    else flags = v.getUint32(base + 8, le);
    this.size = flags & COMMIT_MASK;
    if (flags & MISSING_EVENTS) {
      if (flags & MISSING_STORED) {
        const at = base + this.start + this.size;
        if (at + this.longSize <= page.length) {
          this.lostEvents = this.countAt(v, at);
          this.pendingCount = -1;
        } else {
          this.lostEvents = -1;
          this.pendingCount = this.start + this.size;
        }
      } else {
        this.lostEvents = -1;
        this.pendingCount = -1;
      }
    } else {
      this.lostEvents = 0;
      this.pendingCount = -1;
    }
    this.next = 0;
  }

  /** The stored count (a kernel long) at `at`; kbuffer_missed_events returns an int. */
  private countAt(v: DataView, at: number): number {
    const le = this.littleEndian;
    return (this.longSize === 8 ? v.getUint32(at + (le ? 0 : 4), le) : v.getUint32(at, le)) | 0;
  }

  /**
   * Completes a `pendingCount` with the bytes that follow the loaded ones in the caller's
   * stream (`bytes` starts at the count; fewer than a long: the count stays unknown, -1).
   * Call before the first `nextRecord()` of the page.
   */
  setMissedCount(bytes: Uint8Array): void {
    if (this.pendingCount < 0) return;
    this.pendingCount = -1;
    if (bytes.length < this.longSize) return;
    this.lostEvents = this.countAt(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
  }

  /** The page timestamp as loaded (before any record). */
  get pageTimestamp(): bigint {
    return this.tb !== undefined ? this.tb : BigInt(this.t);
  }

  private addDelta(d: number): void {
    if (this.tb !== undefined) {
      this.tb += BigInt(d);
      return;
    }
    const s = this.t + d;
    if (s > MAX_SAFE) this.tb = BigInt(this.t) + BigInt(d);
    else this.t = s;
  }

  private extendDelta(a: number, d: number): void {
    if (a < 0x4000000 && this.tb === undefined) {
      this.addDelta(a * TWO27 + d);
      return;
    }
    const big = (BigInt(a) << 27n) + BigInt(d);
    this.tb = (this.tb !== undefined ? this.tb : BigInt(this.t)) + big;
  }

  private absolute(a: number, d: number): void {
    const cur = this.tb !== undefined ? this.tb : BigInt(this.t);
    const v = (BigInt(a) << 27n) + BigInt(d);
    const r = v | (cur & TS_MSB);
    if (r <= BigInt(MAX_SAFE)) {
      this.t = Number(r);
      this.tb = undefined;
    } else this.tb = r;
  }

  /**
   * Advances to the next data record and writes it into `rec` (timestamp, page,
   * offset/size, missedEvents). Returns false at the end of the sub-buffer.
   */
  nextRecord(rec: KRecord): boolean {
    const v = this.view;
    const le = this.littleEndian;
    const dataStart = this.base + this.start;
    const limit = this.limit;
    for (;;) {
      const curr = this.next;
      if (curr >= this.size) return false;
      const pos = dataStart + curr;
      if (pos + 4 > limit) {
        this.corrupt = true;
        this.next = this.size;
        return false;
      }
      const w = v.getUint32(pos, le);
      let tl: number, d: number;
      if (le) {
        tl = w & 31;
        d = w >>> 5;
      } else {
        tl = w >>> 27;
        d = w & 0x7ffffff;
      }
      let index: number, len: number;
      if (tl >= 29) {
        if (pos + 8 > limit) {
          this.corrupt = true;
          this.next = this.size;
          return false;
        }
        const a = v.getUint32(pos + 4, le);
        if (tl === 29) {
          this.addDelta(d);
          this.next = curr + 4 + a;
        } else if (tl === 30) {
          this.extendDelta(a, d);
          this.next = curr + 8;
        } else {
          this.absolute(a, d);
          this.next = curr + 8;
        }
        continue;
      }
      if (tl === 0) {
        if (pos + 8 > limit) {
          this.corrupt = true;
          this.next = this.size;
          return false;
        }
        len = (v.getUint32(pos + 4, le) - 4 + 3) & ~3;
        index = curr + 8;
      } else {
        len = tl * 4;
        index = curr + 4;
      }
      if (len < 0 || dataStart + index + len > limit) {
        this.corrupt = true;
        this.next = this.size;
        return false;
      }
      this.next = index + len;
      this.addDelta(d);
      if (this.tb !== undefined) rec.tsBig = this.tb;
      else {
        rec.tsNum = this.t;
        rec.tsBig = undefined;
      }
      rec.page = this.page;
      rec.view = v;
      rec.offset = dataStart + index;
      rec.size = len;
      rec.missedEvents = curr === 0 ? this.lostEvents : 0;
      rec.fileOffset = this.fileOffset !== undefined ? this.fileOffset + (pos - this.base) : undefined;
      return true;
    }
  }

  /** Every record header of the loaded page, data or not (for debugging tools). */
  rawEvents(): KBufferRawEvent[] {
    const out: KBufferRawEvent[] = [];
    const v = this.view;
    const le = this.littleEndian;
    const dataStart = this.base + this.start;
    let curr = 0;
    while (curr < this.size && dataStart + curr + 4 <= this.limit) {
      const w = v.getUint32(dataStart + curr, le);
      const tl = le ? w & 31 : w >>> 27;
      const d = le ? w >>> 5 : w & 0x7ffffff;
      const a = dataStart + curr + 8 <= this.limit ? v.getUint32(dataStart + curr + 4, le) : 0;
      let length: number,
        delta = BigInt(d),
        next: number;
      if (tl === 29) {
        length = a;
        next = curr + 4 + a;
      } else if (tl === 30 || tl === 31) {
        length = 0;
        delta = (BigInt(a) << 27n) + BigInt(d);
        next = curr + 8;
      } else if (tl === 0) {
        length = (a - 4 + 3) & ~3;
        next = curr + 8 + length;
      } else {
        length = tl * 4;
        next = curr + 4 + length;
      }
      out.push({ type: tl, delta, length, offset: curr });
      if (next <= curr) break;
      curr = next;
    }
    return out;
  }
}
