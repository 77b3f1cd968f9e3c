import type { ByteSource } from '@utp/bytes';
import { KBuffer, KRecord } from '@utp/traceevent';
import type { DiagnosticHandler } from '@utp/traceevent';
import type { Decompressor } from './decompress.js';
import { TraceDatDiagnostic } from './errors.js';
import { readFully, readFullySync } from './read-fully.js';

/** Adjusts a record's timestamp in place (TSC2NSEC, DATE/OFFSET, --ts-offset). */
export type TsAdjust = (rec: KRecord) => void;

export interface CpuStreamInit {
  src: ByteSource;
  cpu: number;
  /** File offset and byte size of this CPU's data (size as stored; for compressed data only the start matters). */
  offset: number;
  size: number;
  pageSize: number;
  littleEndian: boolean;
  longSize: number;
  decompressor: Decompressor | undefined;
  adjust: TsAdjust | undefined;
  onDiagnostic: DiagnosticHandler | undefined;
  /** Pages read at once for uncompressed data. */
  windowPages: number;
  /** Name of the buffer, for diagnostics. */
  bufferName: string;
}

const NO_DATA = new Uint8Array(0);

/**
 * Streams one CPU's sub-buffers with bounded memory: uncompressed data is read a
 * window of pages at a time, compressed data one chunk at a time. `rec` holds the
 * current record while `has` is true.
 */
export class CpuStream {
  readonly rec = new KRecord();
  has = false;
  readonly cpu: number;
  private readonly kbuf: KBuffer;
  private readonly i: CpuStreamInit;
  private win: Uint8Array = NO_DATA;
  private winView: DataView = new DataView(NO_DATA.buffer);
  private winPos = 0;
  private winFileOffset = 0;
  /** Next file offset to read (raw: next page; compressed: next chunk header). */
  private next: number;
  private end: number;
  private chunksLeft = -1;
  private done = false;
  private readonly sync: boolean;

  constructor(init: CpuStreamInit) {
    this.i = init;
    this.cpu = init.cpu;
    this.rec.cpu = init.cpu;
    this.kbuf = new KBuffer({ littleEndian: init.littleEndian, longSize: init.longSize });
    this.next = init.offset;
    this.end = init.offset + init.size;
    this.sync = typeof init.src.readSync === 'function';
    if (!init.decompressor && this.end > init.src.size) {
      this.diag(`CPU data extends past the end of the file (need ${this.end} bytes, file has ${init.src.size}); the trace is truncated`, init.src.size);
      this.end = init.src.size;
    }
    if (init.size <= 0) this.done = true;
  }

  private diag(message: string, offset?: number): void {
    const b = this.i.bufferName ? ` buffer=${this.i.bufferName}` : '';
    this.i.onDiagnostic?.({ level: 'warning', code: TraceDatDiagnostic.Truncated, message: `${message}: cpu=${this.cpu}${b}`, ...(offset !== undefined ? { offset } : {}) });
  }

  /** Moves to the next record. Returns true/false, or a promise of it when I/O is needed on an async source. */
  advance(): boolean | Promise<boolean> {
    const rec = this.rec;
    const kbuf = this.kbuf;
    const ps = this.i.pageSize;
    for (;;) {
      if (kbuf.nextRecord(rec)) {
        if (this.i.adjust) this.i.adjust(rec);
        return (this.has = true);
      }
      if (kbuf.corrupt) {
        kbuf.corrupt = false;
        this.i.onDiagnostic?.({ level: 'warning', code: TraceDatDiagnostic.CorruptPage, message: `Corrupt sub-buffer skipped: cpu=${this.cpu}`, offset: this.winFileOffset + this.winPos - ps });
      }
      if (this.winPos < this.win.length) {
        kbuf.load(this.win, this.winPos, ps, this.winView, this.winFileOffset + this.winPos);
        this.winPos += ps;
        if (kbuf.size > ps) {
          // trace-cmd: "bad page read" ends this CPU's data
          this.i.onDiagnostic?.({ level: 'warning', code: TraceDatDiagnostic.CorruptPage, message: `bad page read, with size of ${kbuf.size}: cpu=${this.cpu}`, offset: this.winFileOffset + this.winPos - ps });
          this.done = true;
          this.win = NO_DATA;
          this.winPos = 0;
          return (this.has = false);
        }
        continue;
      }
      if (this.done) return (this.has = false);
      if (this.sync) {
        if (!this.refillSync()) { this.done = true; return (this.has = false); }
        continue;
      }
      return this.refillAsync().then((ok) => {
        if (!ok) { this.done = true; return (this.has = false); }
        return this.advance();
      });
    }
  }

  private setWindow(b: Uint8Array, fileOffset: number): void {
    this.win = b;
    this.winView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.winPos = 0;
    this.winFileOffset = fileOffset;
  }

  private rawLength(): number {
    const ps = this.i.pageSize;
    return Math.min(this.end - this.next, ps * this.i.windowPages);
  }

  private takeRaw(b: Uint8Array, want: number): boolean {
    if (b.length < want) this.diag('Short read of CPU data; the trace is truncated', this.next + b.length);
    if (b.length === 0) return false;
    this.setWindow(b, this.next);
    this.next += b.length;
    if (b.length < want) this.done = true;
    return true;
  }

  private refillSync(): boolean {
    const src = this.i.src;
    if (!this.i.decompressor) {
      if (this.next >= this.end) return false;
      const want = this.rawLength();
      return this.takeRaw(readFullySync(src, this.next, want), want);
    }
    if (this.chunksLeft < 0) {
      const h = readFullySync(src, this.next, 4);
      if (!this.takeCount(h)) return false;
    }
    if (this.chunksLeft === 0) return false;
    const h = readFullySync(src, this.next, 8);
    if (h.length < 8) { this.diag('Compressed chunk header cut short; the trace is truncated', this.next); return false; }
    const dv = new DataView(h.buffer, h.byteOffset, 8);
    const csize = dv.getUint32(0, this.i.littleEndian);
    const usize = dv.getUint32(4, this.i.littleEndian);
    const data = readFullySync(src, this.next + 8, csize);
    return this.takeChunk(data, csize, usize);
  }

  private async refillAsync(): Promise<boolean> {
    const src = this.i.src;
    if (!this.i.decompressor) {
      if (this.next >= this.end) return false;
      const want = this.rawLength();
      return this.takeRaw(await readFully(src, this.next, want), want);
    }
    if (this.chunksLeft < 0) {
      if (!this.takeCount(await readFully(src, this.next, 4))) return false;
    }
    if (this.chunksLeft === 0) return false;
    const h = await readFully(src, this.next, 8);
    if (h.length < 8) { this.diag('Compressed chunk header cut short; the trace is truncated', this.next); return false; }
    const dv = new DataView(h.buffer, h.byteOffset, 8);
    const csize = dv.getUint32(0, this.i.littleEndian);
    const usize = dv.getUint32(4, this.i.littleEndian);
    return this.takeChunk(await readFully(src, this.next + 8, csize), csize, usize);
  }

  private takeCount(h: Uint8Array): boolean {
    if (h.length < 4) { this.diag('Compressed CPU data cut short; the trace is truncated', this.next); return false; }
    this.chunksLeft = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, this.i.littleEndian);
    this.next += 4;
    return true;
  }

  private takeChunk(data: Uint8Array, csize: number, usize: number): boolean {
    if (data.length < csize) { this.diag('Compressed chunk cut short; the trace is truncated', this.next + 8 + data.length); return false; }
    let out: Uint8Array;
    try {
      out = this.i.decompressor!(data, usize);
    } catch (e) {
      this.i.onDiagnostic?.({ level: 'error', code: TraceDatDiagnostic.Decompress, message: `Cannot decompress chunk: cpu=${this.cpu}, ${(e as Error).message}`, offset: this.next });
      return false;
    }
    this.setWindow(out, this.next);
    this.next += 8 + csize;
    this.chunksLeft--;
    return true;
  }
}
