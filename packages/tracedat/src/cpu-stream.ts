import type { ByteSource } from '@utp/bytes';
import { KBuffer, KRecord } from '@utp/traceevent';
import type { DiagnosticHandler } from '@utp/traceevent';
import type { Decompressor } from './decompress.js';
import { TraceDatDiagnostic } from './errors.js';
import { readFully, readFullySync } from './read-fully.js';
import { misaligned } from './page-layout.js';
import type { ChunkTable, CpuPlace } from './page-layout.js';

/** Adjusts a record's timestamp in place (TSC2NSEC, DATE/OFFSET, --ts-offset). */
export type TsAdjust = (rec: KRecord) => void;

export interface CpuStreamInit {
  src: ByteSource;
  cpu: number;
  /** File offset and byte size of this CPU's data (size as stored; for compressed data only the start matters). */
  offset: number;
  size: number;
  /** Page size used to step through the data (with exactPages: trace-cmd's handle page size). */
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
  /**
   * Read pages as trace-cmd 3.1.6 does: reject a page whose (virtual) offset is not a
   * multiple of the page size, ending the CPU there ("bad page offset"). Compressed data
   * then needs `place` (its virtual start and chunk table).
   */
  exactPages: boolean;
  /** trace-cmd's placement of this CPU (exactPages + compressed data); may need I/O. */
  place: (() => CpuPlace | Promise<CpuPlace>) | undefined;
  /**
   * Reuse window buffers (read into with `readInto`, decompress into): a record's bytes then stay
   * valid for two more windows of its CPU, not for ever. Fresh memory's page faults cost more than
   * reading it (a third of a report of an uncompressed file).
   */
  recycleWindows?: boolean;
}

/** Windows kept per CPU when they are recycled: the current one and the two before it stay intact. */
const RING = 3;

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
  private readonly ring: Uint8Array[] = [];
  private ringAt = 0;
  private winView: DataView = new DataView(NO_DATA.buffer);
  private winPos = 0;
  private winFileOffset = 0;
  /** Next file offset to read (raw: next page; compressed: next chunk header). */
  private next: number;
  private end: number;
  private chunksLeft = -1;
  private done = false;
  private readonly sync: boolean;
  /** Compressed + exactPages: trace-cmd's placement, next page index and loaded chunk. */
  private exactZ: boolean;
  private place: CpuPlace | undefined;
  private pageIndex = 0;
  private chunkIndex = -1;
  /** Records handed out (for the skipped-pages diagnostic). */
  private count = 0;
  /**
   * The page the current record is in, for `report --debug`: trace-cmd's offset of it (the
   * file offset of raw data; for compressed data read as trace-cmd does, its virtual offset,
   * see page-layout.ts), where it starts in the record's `page` bytes, and where its commit
   * (the end of its event data) is there.
   */
  pageOffset = 0;
  pageBase = 0;
  pageEnd = 0;

  constructor(init: CpuStreamInit) {
    this.i = init;
    this.cpu = init.cpu;
    this.rec.cpu = init.cpu;
    this.kbuf = new KBuffer({ littleEndian: init.littleEndian, longSize: init.longSize });
    this.next = init.offset;
    this.end = init.offset + init.size;
    this.sync = typeof init.src.readSync === 'function';
    this.exactZ = init.exactPages && init.decompressor !== undefined && init.place !== undefined;
    if (!init.decompressor && this.end > init.src.size) {
      this.diag(
        `CPU data extends past the end of the file (need ${this.end} bytes, file has ${init.src.size}); the trace is truncated`,
        init.src.size,
      );
      this.end = init.src.size;
    }
    if (init.size <= 0) this.done = true;
  }

  private diag(message: string, offset?: number): void {
    const b = this.i.bufferName ? ` buffer=${this.i.bufferName}` : '';
    this.i.onDiagnostic?.({
      level: 'warning',
      code: TraceDatDiagnostic.Truncated,
      message: `${message}: cpu=${this.cpu}${b}`,
      ...(offset !== undefined ? { offset } : {}),
    });
  }

  /** Moves to the next record. Returns true/false, or a promise of it when I/O is needed on an async source. */
  advance(): boolean | Promise<boolean> {
    const rec = this.rec;
    const kbuf = this.kbuf;
    const ps = this.i.pageSize;
    for (;;) {
      if (kbuf.nextRecord(rec)) {
        if (this.i.adjust) this.i.adjust(rec);
        this.count++;
        return (this.has = true);
      }
      if (kbuf.corrupt) {
        kbuf.corrupt = false;
        this.i.onDiagnostic?.({
          level: 'warning',
          code: TraceDatDiagnostic.CorruptPage,
          message: `Corrupt sub-buffer skipped: cpu=${this.cpu}`,
          offset: this.winFileOffset + this.winPos - ps,
        });
      }
      if (this.exactZ) {
        if (this.done) return (this.has = false);
        const r = this.nextExactPage();
        if (r === true) continue;
        if (r === false) return (this.has = false);
        return r.then((ok) => (ok ? this.advance() : (this.has = false)));
      }
      if (this.winPos < this.win.length) {
        const at = this.winFileOffset + this.winPos;
        if (this.i.exactPages && at !== this.i.offset && misaligned(at, ps)) {
          // get_page(): "bad page offset": trace-cmd ends this CPU here
          this.done = true;
          this.win = NO_DATA;
          this.winPos = 0;
          const left = Math.ceil((this.end - at) / ps);
          return this.skipped(at, left, () => this.countRaw(at)).then(() => (this.has = false));
        }
        kbuf.load(this.win, this.winPos, ps, this.winView, at);
        const pageStart = this.winPos;
        this.pageOffset = at;
        this.pageBase = pageStart;
        this.pageEnd = pageStart + kbuf.start + kbuf.size;
        this.winPos += ps;
        if (kbuf.size > ps) return (this.has = this.badPageRead(at));
        if (kbuf.pendingCount >= 0) {
          const r = this.fetchCount(pageStart + kbuf.pendingCount);
          if (r) return r.then(() => this.advance());
        }
        continue;
      }
      if (this.done) return (this.has = false);
      if (this.sync) {
        if (!this.refillSync()) {
          this.done = true;
          return (this.has = false);
        }
        continue;
      }
      return this.refillAsync().then((ok) => {
        if (!ok) {
          this.done = true;
          return (this.has = false);
        }
        return this.advance();
      });
    }
  }

  /** trace-cmd: "bad page read" ends this CPU's data. */
  private badPageRead(at: number): false {
    this.i.onDiagnostic?.({
      level: 'warning',
      code: TraceDatDiagnostic.CorruptPage,
      message: `bad page read, with size of ${this.kbuf.size}: cpu=${this.cpu}`,
      offset: at,
    });
    this.done = true;
    this.win = NO_DATA;
    this.winPos = 0;
    return false;
  }

  // ------------------------------------------------------------ compressed, exact pages

  /**
   * Loads trace-cmd's next page (get_next_page → get_page → read_zpage): page k lives at
   * virtual offset start + k·P; it is read from the chunk holding uncompressed offset k·P,
   * at that chunk's page index floor((k·P − chunk.offset) / P).
   */
  private nextExactPage(): boolean | Promise<boolean> {
    if (!this.place) {
      const p = this.i.place!();
      if (p instanceof Promise)
        return p.then((pl) => {
          this.place = pl;
          return this.nextExactPage();
        });
      this.place = p;
    }
    const pl = this.place;
    const table = pl.table;
    if (!table) {
      this.done = true;
      return false;
    }
    const ps = this.i.pageSize;
    const k = this.pageIndex;
    const rel = k * ps;
    if (rel >= pl.size) {
      if (table.truncated) this.diag('Compressed CPU data cut short; the trace is truncated', this.i.offset);
      this.done = true;
      return false;
    }
    if (k > 0 && misaligned(pl.start + rel, ps)) {
      this.done = true;
      const left = Math.ceil((pl.size - rel) / ps);
      return this.skipped(pl.start + rel, left, () => this.countCompressed(table, rel)).then(() => false);
    }
    let j = Math.max(this.chunkIndex, 0);
    const chunks = table.chunks;
    while (j < chunks.length && !(rel >= chunks[j]!.offset && rel < chunks[j]!.offset + chunks[j]!.size)) j++;
    if (j >= chunks.length) {
      this.done = true;
      return false;
    }
    if (j !== this.chunkIndex) {
      const c = chunks[j]!;
      if (this.sync) {
        if (!this.takeExactChunk(j, readFullySync(this.i.src, c.zoffset + 8, c.zsize))) return false;
      } else {
        return readFully(this.i.src, c.zoffset + 8, c.zsize).then((b) => this.takeExactChunk(j, b) && this.loadExactPage());
      }
    }
    return this.loadExactPage();
  }

  private takeExactChunk(j: number, data: Uint8Array): boolean {
    const c = this.place!.table!.chunks[j]!;
    if (data.length < c.zsize) {
      this.diag('Compressed chunk cut short; the trace is truncated', c.zoffset + 8 + data.length);
      this.done = true;
      return false;
    }
    const out = this.decompress(data, c.size, c.zoffset, this.spare(c.size));
    if (!out) {
      this.done = true;
      return false;
    }
    this.setWindow(out, c.zoffset);
    this.chunkIndex = j;
    return true;
  }

  private loadExactPage(): boolean | Promise<boolean> {
    const ps = this.i.pageSize;
    const rel = this.pageIndex * ps;
    const c = this.place!.table!.chunks[this.chunkIndex]!;
    const start = Math.floor((rel - c.offset) / ps) * ps;
    this.winPos = start + ps;
    this.kbuf.load(this.win, start, ps, this.winView, c.zoffset);
    this.pageOffset = this.place!.start + rel;
    this.pageBase = start;
    this.pageEnd = start + this.kbuf.start + this.kbuf.size;
    this.pageIndex++;
    if (this.kbuf.size > ps) return this.badPageRead(c.zoffset);
    if (this.kbuf.pendingCount >= 0) {
      const r = this.fetchCount(start + this.kbuf.pendingCount);
      if (r) return r.then(() => true);
    }
    return true;
  }

  // ------------------------------------------------------------ a missed-events count past the loaded bytes

  /**
   * The kernel stores a missed-events count right after the data, inside its real sub-buffer,
   * which may be larger than the page size the stream steps by: the count can then lie past the
   * loaded window or chunk (`winAt` is its offset in the current window, >= its end). It is read
   * from what follows in this CPU's data (trace-cmd reads the memory after the page); past the
   * end of the CPU's data it stays unknown (-1). Returns a promise only when async I/O is needed.
   */
  private fetchCount(winAt: number): Promise<void> | undefined {
    const n = this.i.longSize === 4 ? 4 : 8;
    const have = this.win.subarray(Math.min(winAt, this.win.length), Math.min(winAt + n, this.win.length));
    const need = n - have.length;
    const finish = (rest: Uint8Array): void => {
      if (have.length === 0) {
        this.kbuf.setMissedCount(rest);
        return;
      }
      const b = new Uint8Array(have.length + rest.length);
      b.set(have);
      b.set(rest, have.length);
      this.kbuf.setMissedCount(b);
    };
    const skip = Math.max(0, winAt - this.win.length);
    if (!this.i.decompressor) {
      // raw data: the window holds file bytes from winFileOffset on
      const at = this.winFileOffset + this.win.length + skip;
      const len = Math.max(0, Math.min(need, this.end - at));
      if (this.sync) {
        finish(len ? readFullySync(this.i.src, at, len) : NO_DATA);
        return undefined;
      }
      return readFully(this.i.src, at, len).then(finish);
    }
    // compressed: the window is a chunk; the count is at the start of the following one(s)
    const next = this.exactZ ? this.exactChunkAfter() : this.nextChunkHeader();
    if (this.sync) {
      finish(this.chunkHead(next, skip, need));
      return undefined;
    }
    return this.chunkHeadAsync(next, skip, need).then(finish);
  }

  /** File offset of the chunk header after the current exact-pages chunk (-1: none). */
  private exactChunkAfter(): number {
    const c = this.place?.table?.chunks[this.chunkIndex + 1];
    return c ? c.zoffset : -1;
  }

  /** File offset of the next chunk header of the in-order walk (-1: none). */
  private nextChunkHeader(): number {
    return this.chunksLeft > 0 ? this.next : -1;
  }

  /** `need` uncompressed bytes from `skip` on in the chunk whose header is at `at` (fewer when absent). */
  private chunkHead(at: number, skip: number, need: number): Uint8Array {
    if (at < 0 || need <= 0) return NO_DATA;
    const h = readFullySync(this.i.src, at, 8);
    if (h.length < 8) return NO_DATA;
    const dv = new DataView(h.buffer, h.byteOffset, 8);
    const csize = dv.getUint32(0, this.i.littleEndian),
      usize = dv.getUint32(4, this.i.littleEndian);
    return this.headOf(readFullySync(this.i.src, at + 8, csize), csize, usize, at, skip, need);
  }

  private async chunkHeadAsync(at: number, skip: number, need: number): Promise<Uint8Array> {
    if (at < 0 || need <= 0) return NO_DATA;
    const h = await readFully(this.i.src, at, 8);
    if (h.length < 8) return NO_DATA;
    const dv = new DataView(h.buffer, h.byteOffset, 8);
    const csize = dv.getUint32(0, this.i.littleEndian),
      usize = dv.getUint32(4, this.i.littleEndian);
    return this.headOf(await readFully(this.i.src, at + 8, csize), csize, usize, at, skip, need);
  }

  private headOf(data: Uint8Array, csize: number, usize: number, at: number, skip: number, need: number): Uint8Array {
    if (data.length < csize) return NO_DATA;
    const out = this.decompress(data, usize, at);
    return out ? out.subarray(Math.min(skip, out.length), Math.min(skip + need, out.length)) : NO_DATA;
  }

  private decompress(data: Uint8Array, usize: number, at: number, into?: Uint8Array): Uint8Array | undefined {
    try {
      return this.i.decompressor!(data, usize, into);
    } catch (e) {
      this.i.onDiagnostic?.({
        level: 'error',
        code: TraceDatDiagnostic.Decompress,
        message: `Cannot decompress chunk: cpu=${this.cpu}, ${(e as Error).message}`,
        offset: at,
      });
      return undefined;
    }
  }

  // ------------------------------------------------------------ skipped pages

  /** Reports the pages trace-cmd's reader drops after a "bad page offset", with their record count. */
  private async skipped(offset: number, pages: number, count: () => Promise<number>): Promise<void> {
    if (!this.i.onDiagnostic) return;
    let events: number | string;
    try {
      events = await count();
    } catch {
      events = 'unknown';
    }
    const b = this.i.bufferName ? ` buffer=${this.i.bufferName}` : '';
    this.i.onDiagnostic({
      level: 'warning',
      code: TraceDatDiagnostic.PagesSkipped,
      offset,
      message:
        `bad page offset ${offset.toString(16)}: cpu=${this.cpu}${b}: trace-cmd 3.1.6 stops reading this CPU here (page size ${this.i.pageSize}), ` +
        `skipping ${pages} page${pages === 1 ? '' : 's'} with ${events} event${events === 1 ? '' : 's'} after ${this.count} read (exactPages: false reads them)`,
    });
  }

  /** Records in the raw pages from file offset `at` to the end. */
  private async countRaw(at: number): Promise<number> {
    const ps = this.i.pageSize;
    const kb = new KBuffer({ littleEndian: this.i.littleEndian, longSize: this.i.longSize });
    const r = new KRecord();
    let n = 0;
    for (let off = at; off < this.end; ) {
      const want = Math.min(this.end - off, ps * 64);
      const b = await readFully(this.i.src, off, want);
      if (b.length === 0) break;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let p = 0; p < b.length; p += ps) {
        kb.load(b, p, ps, dv);
        if (kb.size > ps) return n;
        while (kb.nextRecord(r)) n++;
      }
      off += b.length;
    }
    return n;
  }

  /** Records in the uncompressed stream from offset `rel` on, read page by page in order. */
  private async countCompressed(table: ChunkTable, rel: number): Promise<number> {
    const ps = this.i.pageSize;
    const kb = new KBuffer({ littleEndian: this.i.littleEndian, longSize: this.i.longSize });
    const r = new KRecord();
    let n = 0;
    for (const c of table.chunks) {
      if (c.offset + c.size <= rel) continue;
      const data = await readFully(this.i.src, c.zoffset + 8, c.zsize);
      const out = this.decompress(data, c.size, c.zoffset);
      if (!out) break;
      const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
      for (let p = Math.max(0, rel - c.offset); p < out.length; p += ps) {
        kb.load(out, p, ps, dv);
        if (kb.size > ps) return n;
        while (kb.nextRecord(r)) n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------ windows (raw pages, or compressed chunks in order)

  private setWindow(b: Uint8Array, fileOffset: number): void {
    this.win = b;
    this.winView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.winPos = 0;
    this.winFileOffset = fileOffset;
  }

  /** A recycled buffer of at least n bytes for the next window (undefined when not recycling). */
  private spare(n: number): Uint8Array | undefined {
    if (!this.i.recycleWindows) return undefined;
    const k = this.ringAt;
    this.ringAt = (k + 1) % RING;
    let b = this.ring[k];
    if (b === undefined || b.length < n) {
      b = new Uint8Array(n);
      this.ring[k] = b;
    }
    return b;
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
      const into = src.readInto ? this.spare(want) : undefined;
      if (into) return this.takeRaw(into.subarray(0, src.readInto!(this.next, into, 0, want)), want);
      return this.takeRaw(readFullySync(src, this.next, want), want);
    }
    if (this.chunksLeft < 0) {
      const h = readFullySync(src, this.next, 4);
      if (!this.takeCount(h)) return false;
    }
    if (this.chunksLeft === 0) return false;
    const h = readFullySync(src, this.next, 8);
    if (h.length < 8) {
      this.diag('Compressed chunk header cut short; the trace is truncated', this.next);
      return false;
    }
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
    if (h.length < 8) {
      this.diag('Compressed chunk header cut short; the trace is truncated', this.next);
      return false;
    }
    const dv = new DataView(h.buffer, h.byteOffset, 8);
    const csize = dv.getUint32(0, this.i.littleEndian);
    const usize = dv.getUint32(4, this.i.littleEndian);
    return this.takeChunk(await readFully(src, this.next + 8, csize), csize, usize);
  }

  private takeCount(h: Uint8Array): boolean {
    if (h.length < 4) {
      this.diag('Compressed CPU data cut short; the trace is truncated', this.next);
      return false;
    }
    this.chunksLeft = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, this.i.littleEndian);
    this.next += 4;
    return true;
  }

  private takeChunk(data: Uint8Array, csize: number, usize: number): boolean {
    if (data.length < csize) {
      this.diag('Compressed chunk cut short; the trace is truncated', this.next + 8 + data.length);
      return false;
    }
    const out = this.decompress(data, usize, this.next, this.spare(usize));
    if (!out) return false;
    this.setWindow(out, this.next);
    this.next += 8 + csize;
    this.chunksLeft--;
    return true;
  }
}
