import type { ByteSource } from '@utp/bytes';
import { decodeLatin1 } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import type { Diagnostic, DiagnosticHandler } from '@utp/traceevent';
import { Decompress as ZstdStream } from 'fzstd';
import { parseAttr, sampleIdPos, trailerIdPos } from './attr.js';
import type { PerfEventAttr } from './attr.js';
import { AttrType, Feature, FEATURE_NAMES, RecordType, SampleType } from './constants.js';
import { PerfDiagnostic, PerfError, PerfErrorCode } from './errors.js';
import { emptyFeatures, parseBuildIds, parseFeature } from './features.js';
import type { PerfFeatures } from './features.js';
import { emptySample, parseSample, parseSampleId, resetSample } from './sample.js';
import type { PerfSample } from './sample.js';
import { loadTracingData } from './tracing-data.js';
import { eventName } from './event-names.js';

/** One event of the file (perf's evsel): its attr, ids and name. */
export interface PerfEvsel {
  index: number;
  attr: PerfEventAttr;
  ids: number[];
  name: string;
}

/**
 * One record, as delivered: a view of its bytes (header included) and its decoded sample fields.
 * The object, its views and its sample are filled again for the next record: copy what you keep.
 */
export interface PerfEvent {
  type: number;
  misc: number;
  size: number;
  /** The record bytes, header included (a view; copy to keep past the callback if needed). */
  data: Uint8Array;
  view: DataView;
  /** Offset of the record in the file; for a record inside a COMPRESSED one, that COMPRESSED record's offset. */
  fileOffset: number;
  /** The record came out of a COMPRESSED record (perf record -z): its bytes are not in the file as they are. */
  compressed: boolean;
  /** The event the record belongs to (by sample id), when known. */
  evsel: PerfEvsel | undefined;
  /** SAMPLE fields, or the sample_id trailer of other records. */
  sample: PerfSample;
}

/**
 * A zstd stream decoder: perf record -z writes one zstd stream cut into COMPRESSED records
 * (frames span records), so the decoder keeps its state from one call to the next.
 */
export type Decompressor = (data: Uint8Array) => Uint8Array;

/** A fresh streaming zstd decoder (fzstd). */
export function zstdStreamDecoder(): Decompressor {
  const out: Uint8Array[] = [];
  const z = new ZstdStream((chunk) => {
    out.push(chunk.slice());
  });
  return (d) => {
    z.push(d);
    if (out.length === 1) return out.pop()!;
    let n = 0;
    for (const c of out) n += c.length;
    const m = new Uint8Array(n);
    let p = 0;
    for (const c of out) {
      m.set(c, p);
      p += c.length;
    }
    out.length = 0;
    return m;
  };
}

export interface PerfDataOptions {
  /** Bytes read from the source at a time (default 4 MiB); tests use 1 and 97. */
  chunkSize: number;
  /** The Tep the tracing data is loaded into (plugins registered by the caller). */
  tep: Tep | undefined;
  onDiagnostic: DiagnosticHandler | undefined;
  /** Makes the zstd stream decoder for COMPRESSED records (default: fzstd's). */
  zstd: (() => Decompressor) | undefined;
  /** Deliver in perf's order (sorted by time up to each FINISHED_ROUND), as perf script/report do. Default true. */
  ordered: boolean;
}

const DEFAULTS: Readonly<PerfDataOptions> = Object.freeze({
  chunkSize: 4 << 20,
  tep: undefined,
  onDiagnostic: undefined,
  zstd: undefined,
  ordered: true,
});

const MAGIC_LE = 0x32454c4946524550n; // "PERFILE2" read little-endian

/** True when the bytes start with perf.data's magic (either byte order). */
export function isPerfData(head: Uint8Array): boolean {
  return (
    (head.length >= 8 && decodeLatin1(head.subarray(0, 8)) === 'PERFILE2') ||
    (head.length >= 8 && decodeLatin1(head.subarray(0, 8)) === '2ELIFREP')
  );
}

/** Reads a ByteSource in pieces; keeps one window of bytes. */
class Window {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  constructor(
    readonly src: ByteSource,
    readonly chunk: number,
  ) {}
  /**
   * Buffers of `chunk` bytes no longer in use, for the next windows: on a VM, the page faults of
   * fresh memory cost ~60x the reads themselves (300 ms against 5 ms for a 100 MB file).
   */
  #free: Uint8Array[] = [];
  /** Whether records still waiting to be delivered lie in this buffer (set while a forEach runs). */
  held: (b: Uint8Array) => boolean = () => false;

  /** A buffer that nothing refers to any more (records' views are valid only during their callback). */
  release(b: Uint8Array): void {
    if (b !== this.buf && b.length === this.chunk && b.byteOffset === 0 && this.#free.length < 4 && !this.#free.includes(b))
      this.#free.push(b);
  }

  /** Makes [pos, pos+n) available; returns how many of those bytes exist (less only at the end). */
  async ensure(pos: number, n: number, end: number): Promise<number> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return n;
    const want = Math.min(Math.max(n, this.chunk), end - pos);
    const old = this.buf;
    if (want <= 0) {
      this.buf = new Uint8Array(0);
      this.start = pos;
      if (!this.held(old)) this.release(old);
      return 0;
    }
    const out = want === this.chunk && this.#free.length ? this.#free.pop()! : new Uint8Array(want);
    let got = 0;
    // keep what we already hold of the range
    if (pos >= this.start && pos < this.start + this.buf.length) {
      const keep = this.buf.subarray(pos - this.start, Math.min(this.buf.length, pos - this.start + want));
      out.set(keep);
      got = keep.length;
    }
    if (got < want && this.src.readInto) got += this.src.readInto(pos + got, out, got, want - got);
    while (got < want) {
      const piece = this.src.readSync ? this.src.readSync(pos + got, want - got) : await this.src.read(pos + got, want - got);
      if (piece.length === 0) break;
      out.set(piece.subarray(0, want - got), got);
      got += piece.length;
    }
    this.buf = got === want ? out : out.subarray(0, got);
    this.start = pos;
    if (!this.held(old)) this.release(old);
    return Math.min(n, got);
  }
}

/** The PerfEvent a forEach hands out, refilled for each record; its byte views are made when first read. */
class DeliveredEvent implements PerfEvent {
  type = 0;
  misc = 0;
  size = 0;
  fileOffset = 0;
  compressed = false;
  evsel: PerfEvsel | undefined = undefined;
  #b: Uint8Array = new Uint8Array(0);
  #off = 0;
  #data: Uint8Array | undefined = undefined;
  #view: DataView | undefined = undefined;
  constructor(readonly sample: PerfSample) {}
  set(
    b: Uint8Array,
    off: number,
    type: number,
    misc: number,
    size: number,
    fileOffset: number,
    compressed: boolean,
    evsel: PerfEvsel | undefined,
  ): void {
    this.#b = b;
    this.compressed = compressed;
    this.#off = off;
    this.type = type;
    this.misc = misc;
    this.size = size;
    this.fileOffset = fileOffset;
    this.evsel = evsel;
    this.#data = undefined;
    this.#view = undefined;
  }
  get data(): Uint8Array {
    this.#data ??= this.#b.subarray(this.#off, this.#off + this.size);
    return this.#data;
  }
  get view(): DataView {
    this.#view ??= new DataView(this.#b.buffer, this.#b.byteOffset + this.#off, this.size);
    return this.#view;
  }
}

/** Where a SAMPLE's time lies from the record's start (the fields before it are fixed-size), or -1. */
function timeOffsetOf(a: PerfEventAttr): number {
  const t = a.sampleType;
  if (!(t & SampleType.Time)) return -1;
  let p = 8;
  if (t & SampleType.Identifier) p += 8;
  if (t & SampleType.Ip) p += 8;
  if (t & SampleType.Tid) p += 8;
  return p;
}

/**
 * One round of records waiting for FINISHED_ROUND: columns of (buffer, offset, file offset, time),
 * the buffers they lie in held until every record in them is delivered.
 */
class RecordQueue {
  n = 0;
  time: Float64Array = new Float64Array(1024);
  off: Int32Array = new Int32Array(1024);
  file: Float64Array = new Float64Array(1024);
  /** absolute index of the record's buffer: bufs[buf - base] */
  buf: Int32Array = new Int32Array(1024);
  bufs: Uint8Array[] = [];
  views: DataView[] = [];
  base = 0;
  #spare: { time: Float64Array; off: Int32Array; file: Float64Array; buf: Int32Array } | undefined;
  constructor(readonly onDrop: (b: Uint8Array) => void) {}

  holds(b: Uint8Array): boolean {
    return this.bufs.includes(b);
  }

  push(b: Uint8Array, dv: DataView, off: number, fileOffset: number, time: number): void {
    let bi = this.base + this.bufs.length - 1;
    if (this.bufs.length === 0 || this.bufs[this.bufs.length - 1] !== b) {
      this.bufs.push(b);
      this.views.push(dv);
      bi++;
    }
    if (this.n === this.time.length) this.#grow();
    const i = this.n++;
    this.time[i] = time;
    this.off[i] = off;
    this.file[i] = fileOffset;
    this.buf[i] = bi;
  }

  #grow(): void {
    const cap = this.time.length * 2;
    const t = new Float64Array(cap),
      o = new Int32Array(cap),
      f = new Float64Array(cap),
      b = new Int32Array(cap);
    t.set(this.time);
    o.set(this.off);
    f.set(this.file);
    b.set(this.buf);
    this.time = t;
    this.off = o;
    this.file = f;
    this.buf = b;
  }

  /**
   * Delivers, in time order (records of equal time in the order they came), every record at or
   * below `limit`; the others stay, sorted. Returns the time of the last one delivered.
   */
  flush(limit: number, deliver: (b: Uint8Array, dv: DataView, off: number, fileOffset: number) => void): number | undefined {
    const n = this.n;
    if (n === 0) return undefined;
    const time = this.time;
    let sorted = true;
    for (let i = 1; i < n; i++)
      if (time[i]! < time[i - 1]!) {
        sorted = false;
        break;
      }
    if (sorted) {
      // the usual round: records came in time order (one CPU's stream, or CPUs in turn)
      let k = 0;
      let last: number | undefined;
      const off = this.off,
        file = this.file,
        buf = this.buf;
      for (; k < n; k++) {
        const t = time[k]!;
        if (t > limit) break;
        const bi = buf[k]! - this.base;
        deliver(this.bufs[bi]!, this.views[bi]!, off[k]!, file[k]!);
        last = t;
      }
      if (k > 0 && k < n) {
        time.copyWithin(0, k, n);
        off.copyWithin(0, k, n);
        file.copyWithin(0, k, n);
        buf.copyWithin(0, k, n);
      }
      return this.#done(n - k, last);
    }
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    let lo = time[0]!,
      hi = lo;
    for (let i = 1; i < n; i++) {
      const t = time[i]!;
      if (t < lo) lo = t;
      else if (t > hi) hi = t;
    }
    // (time - lo, index) packed into one exact double when they fit in 53 bits: a native numeric sort
    const ib = 32 - Math.clz32(n);
    if ((hi - lo) * 2 ** ib < 2 ** 53) {
      const keys = new Float64Array(n);
      const m = 2 ** ib;
      for (let i = 0; i < n; i++) keys[i] = (time[i]! - lo) * m + i;
      keys.sort();
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        order[i] = k - Math.floor(k / m) * m;
      }
    } else order.sort((a, b) => time[a]! - time[b]! || a - b);
    let k = 0;
    let last: number | undefined;
    for (; k < n; k++) {
      const i = order[k]!;
      const t = time[i]!;
      if (t > limit) break;
      const bi = this.buf[i]! - this.base;
      deliver(this.bufs[bi]!, this.views[bi]!, this.off[i]!, this.file[i]!);
      last = t;
    }
    // the rest, sorted, to the front: into the spare columns (same capacity), which then take the place of these
    const rest = n - k;
    if (rest > 0) {
      if (this.#spare === undefined || this.#spare.time.length !== this.time.length) {
        const cap = this.time.length;
        this.#spare = { time: new Float64Array(cap), off: new Int32Array(cap), file: new Float64Array(cap), buf: new Int32Array(cap) };
      }
      const sp = this.#spare;
      const t = sp.time,
        o = sp.off,
        f = sp.file,
        b = sp.buf;
      for (let j = 0; j < rest; j++) {
        const i = order[k + j]!;
        t[j] = time[i]!;
        o[j] = this.off[i]!;
        f[j] = this.file[i]!;
        b[j] = this.buf[i]!;
      }
      this.#spare = { time: this.time, off: this.off, file: this.file, buf: this.buf };
      this.time = t;
      this.off = o;
      this.file = f;
      this.buf = b;
    }
    return this.#done(rest, last);
  }

  /** After a flush: `rest` records wait at the front; drops the buffers none of them lies in. */
  #done(rest: number, last: number | undefined): number | undefined {
    this.n = rest;
    if (rest === 0) {
      this.base += this.bufs.length;
      const dropped = this.bufs;
      this.bufs = [];
      this.views = [];
      for (const b of dropped) this.onDrop(b);
      return last;
    }
    // (the newest buffer is kept for the next push)
    let minBuf = this.base + this.bufs.length - 1;
    for (let j = 0; j < rest; j++) if (this.buf[j]! < minBuf) minBuf = this.buf[j]!;
    const drop = minBuf - this.base;
    if (drop > 0) {
      const dropped = this.bufs.splice(0, drop);
      this.views.splice(0, drop);
      this.base += drop;
      for (const b of dropped) this.onDrop(b);
    }
    return last;
  }
}

/**
 * A perf.data file (file mode or pipe mode) over a ByteSource: header, attrs, features, tracing
 * data, then its records delivered in perf's order. Memory stays bounded by one round of records.
 */
export class PerfData {
  readonly opts: PerfDataOptions;
  readonly tep: Tep;
  /** Pipe mode (`perf record -o -`): everything comes as records. */
  pipe = false;
  littleEndian = true;
  evsels: PerfEvsel[] = [];
  features: PerfFeatures = emptyFeatures();
  /** The data section (file mode) or the record stream (pipe mode). */
  dataOffset = 0;
  dataEnd = 0;
  /** Has TRACING_DATA. */
  hasTracingData = false;
  /** Counts of records read by type (after decompression), filled while reading. */
  readonly counts = new Map<number, number>();
  /** Records whose time was below the last flush (perf's "unordered events"). */
  unordered = 0;
  readonly #byId = new Map<number, PerfEvsel>();
  #idPos = -1;
  #isPos = -1;
  #pipeResume = 0;
  readonly #win: Window;

  private constructor(
    readonly src: ByteSource,
    opts: Partial<PerfDataOptions>,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.tep = this.opts.tep ?? new Tep();
    this.#win = new Window(src, Math.max(1, this.opts.chunkSize));
  }

  static async open(src: ByteSource, opts: Partial<PerfDataOptions> = {}): Promise<PerfData> {
    const pd = new PerfData(src, opts);
    await pd.#readHeader();
    return pd;
  }

  diag(level: Diagnostic['level'], code: string, message: string, offset?: number): void {
    this.opts.onDiagnostic?.({ level, code, message, ...(offset !== undefined ? { offset } : {}) });
  }

  async #bytes(off: number, n: number, what: string): Promise<Uint8Array> {
    const got = await this.#win.ensure(off, n, this.src.size);
    if (got < n)
      throw new PerfError(PerfErrorCode.Truncated, `File ends inside ${what}`, { offset: off + got, context: { need: n, have: got } });
    return this.#win.buf.subarray(off - this.#win.start, off - this.#win.start + n).slice();
  }

  async #readHeader(): Promise<void> {
    const h = await this.#bytes(0, 16, 'the perf.data header');
    const magic = decodeLatin1(h.subarray(0, 8));
    if (magic !== 'PERFILE2' && magic !== '2ELIFREP')
      throw new PerfError(PerfErrorCode.BadMagic, 'Not a perf.data file (no PERFILE2 magic)', { offset: 0 });
    this.littleEndian = magic === 'PERFILE2';
    void MAGIC_LE;
    const le = this.littleEndian;
    const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const hsize = Number(hv.getBigUint64(8, le));
    if (hsize === 16) {
      await this.#readPipeHead();
      return;
    }
    if (hsize < 104) throw new PerfError(PerfErrorCode.BadHeader, 'Bad perf.data header size', { offset: 8, context: { size: hsize } });
    const b = await this.#bytes(0, 104, 'the perf.data header');
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = (o: number): number => Number(dv.getBigUint64(o, le));
    const attrSize = n(16),
      attrsOff = n(24),
      attrsSize = n(32);
    this.dataOffset = n(40);
    const dataSize = n(48);
    this.dataEnd = this.dataOffset + dataSize;
    if (attrSize < 16 + 64 || attrsSize % attrSize !== 0)
      throw new PerfError(PerfErrorCode.BadHeader, 'Bad attr entry size', { offset: 16, context: { attr_size: attrSize } });
    const attrs = await this.#bytes(attrsOff, attrsSize, 'the attrs section');
    const av = new DataView(attrs.buffer, attrs.byteOffset, attrs.byteLength);
    for (let i = 0; i * attrSize < attrsSize; i++) {
      const o = i * attrSize;
      const attr = parseAttr(av, o, attrSize - 16, le, attrsOff + o);
      const idsOff = Number(av.getBigUint64(o + attrSize - 16, le)),
        idsSize = Number(av.getBigUint64(o + attrSize - 8, le));
      const ids: number[] = [];
      if (idsSize) {
        const ib = await this.#bytes(idsOff, idsSize, 'an attr id list');
        const iv = new DataView(ib.buffer, ib.byteOffset, ib.byteLength);
        for (let k = 0; k + 8 <= idsSize; k += 8) ids.push(Number(iv.getBigUint64(k, le)));
      }
      this.#addEvsel(attr, ids);
    }
    // feature sections: a table of {offset,size} per set bit, right after the data
    const bits: number[] = [];
    for (let i = 0; i < 256; i++) if (b[72 + (i >> 3)]! & (1 << (i & 7))) bits.push(i);
    if (bits.length) {
      if (this.dataEnd + bits.length * 16 > this.src.size) {
        this.diag(
          'warning',
          PerfDiagnostic.Truncated,
          'The file ends before its feature sections (truncated recording?): features not read',
          this.dataEnd,
        );
      } else {
        const t = await this.#bytes(this.dataEnd, bits.length * 16, 'the feature table');
        const tv = new DataView(t.buffer, t.byteOffset, t.byteLength);
        for (let k = 0; k < bits.length; k++) {
          const id = bits[k]!;
          const off = Number(tv.getBigUint64(k * 16, le)),
            size = Number(tv.getBigUint64(k * 16 + 8, le));
          try {
            const fb = await this.#bytes(off, size, `feature ${FEATURE_NAMES[id] ?? id}`);
            this.#feature(id, fb, off);
          } catch (e) {
            const code = (e as { code?: string }).code === PerfErrorCode.Truncated ? PerfDiagnostic.Truncated : PerfDiagnostic.BadFeature;
            this.diag('warning', code, `Cannot read feature ${FEATURE_NAMES[id] ?? id}: ${(e as Error).message}`, off);
          }
        }
      }
    }
    if (this.dataEnd > this.src.size) {
      this.diag(
        'warning',
        PerfDiagnostic.Truncated,
        `The data section ends past the end of the file (${this.dataEnd - this.src.size} bytes missing)`,
        this.src.size,
      );
      this.dataEnd = this.src.size;
    }
    this.#nameEvsels();
  }

  #feature(id: number, b: Uint8Array, off: number): void {
    if (id === Feature.TracingData) {
      this.features.raw.set(id, b);
      this.#tracingData(b, off);
      return;
    }
    parseFeature(id, b, this.littleEndian, off, this.features, FEATURE_NAMES[id] ?? String(id));
  }

  #tracingData(b: Uint8Array, off: number): void {
    loadTracingData(b, this.tep, off, (sys, e, at) =>
      this.diag('warning', PerfDiagnostic.BadEventFormat, `Cannot parse event format of system ${sys}: ${(e as Error).message}`, at),
    );
    this.hasTracingData = true;
  }

  #addEvsel(attr: PerfEventAttr, ids: number[]): void {
    const ev: PerfEvsel = { index: this.evsels.length, attr, ids, name: '' };
    this.evsels.push(ev);
    for (const id of ids) this.#byId.set(id, ev);
    if (this.evsels.length === 1) {
      this.#idPos = sampleIdPos(attr);
      this.#isPos = trailerIdPos(attr);
    }
  }

  /** Names from EVENT_DESC when present, else from the attr (tracepoint names from the tracing data). */
  #nameEvsels(): void {
    const desc = this.features.eventDesc;
    for (const ev of this.evsels) {
      let name: string | undefined;
      if (desc) {
        const d = desc.find((x) => x.ids.some((id) => ev.ids.includes(id))) ?? desc[ev.index];
        name = d?.name;
      }
      if (!name && ev.attr.type === AttrType.Tracepoint) {
        const f = this.tep.findEventById(Number(ev.attr.config));
        if (f) name = `${f.system}:${f.name}`;
      }
      ev.name = name || eventName(ev.attr);
    }
  }

  /** Pipe mode: the records before the first kernel record (attrs, features, tracing data). */
  async #readPipeHead(): Promise<void> {
    this.pipe = true;
    this.dataOffset = 16;
    this.dataEnd = this.src.size;
    let pos = 16;
    const le = this.littleEndian;
    try {
      pos = await this.#pipeHeadRecords(pos, le);
    } catch (e) {
      if ((e as { code?: string }).code !== PerfErrorCode.Truncated) throw e;
      this.diag(
        'warning',
        PerfDiagnostic.Truncated,
        `The stream ends in its header records: ${(e as Error).message}`,
        (e as { offset?: number }).offset,
      );
      pos = this.dataEnd;
    }
    this.#pipeResume = pos;
    this.#nameEvsels();
  }

  async #pipeHeadRecords(pos: number, le: boolean): Promise<number> {
    for (;;) {
      const got = await this.#win.ensure(pos, 8, this.dataEnd);
      if (got < 8) break;
      const w = this.#win;
      const dv = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
      const type = dv.getUint32(pos - w.start, le),
        size = dv.getUint16(pos - w.start + 6, le);
      if (
        type !== RecordType.HeaderAttr &&
        type !== RecordType.HeaderFeature &&
        type !== RecordType.HeaderTracingData &&
        type !== RecordType.HeaderEventType &&
        type !== RecordType.HeaderBuildId
      )
        break;
      if (size < 8) throw new PerfError(PerfErrorCode.BadRecord, 'Record size below 8', { offset: pos, context: { type } });
      const rec = await this.#bytes(pos, size, `a ${type} record`);
      const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      pos += size;
      if (type === RecordType.HeaderAttr) {
        const attr = parseAttr(rv, 8, size - 8, le, pos - size + 8);
        const ids: number[] = [];
        for (let o = 8 + attr.size; o + 8 <= size; o += 8) ids.push(Number(rv.getBigUint64(o, le)));
        this.#addEvsel(attr, ids);
      } else if (type === RecordType.HeaderFeature) {
        const id = Number(rv.getBigUint64(8, le));
        if (id < Feature.LastFeature) {
          try {
            this.#feature(id, rec.subarray(16), pos - size + 16);
          } catch (e) {
            this.diag(
              'warning',
              PerfDiagnostic.BadFeature,
              `Cannot read feature ${FEATURE_NAMES[id] ?? id}: ${(e as Error).message}`,
              pos - size,
            );
          }
        }
      } else if (type === RecordType.HeaderTracingData) {
        const n = rv.getUint32(8, le);
        const padded = (n + 7) & ~7;
        const td = await this.#bytes(pos, n, 'the tracing data');
        this.features.raw.set(Feature.TracingData, td);
        this.#tracingData(td, pos);
        pos += padded;
      } else if (type === RecordType.HeaderBuildId) {
        parseBuildIds(rec, le, this.features.buildIds);
      }
    }
    return pos;
  }

  /** The evsel of a record, by its sample id (the only one when the file has one). */
  evselOf(id: number): PerfEvsel | undefined {
    if (this.evsels.length === 1) return this.evsels[0];
    if (id === 0) return this.evsels[0]; // perf synthesizes records with id 0: they belong to the first event
    return this.#byId.get(id);
  }

  /**
   * Reads every record and calls `cb` in perf's delivery order: records perf does not sort
   * (perf's own records, and kernel records without a time) at once, the others sorted by time
   * and flushed at each FINISHED_ROUND up to the highest time of the previous round.
   */
  async forEach(cb: (ev: PerfEvent) => void): Promise<void> {
    const le = this.littleEndian;
    const ordered = this.opts.ordered;
    // The queue of one round holds where each record is (a buffer and an offset) and its time, in
    // typed arrays; records are decoded into objects only when they are delivered, so the objects
    // die young (held for a round, a million of them made GC most of a report's time).
    const w = this.#win;
    const q = new RecordQueue((b) => w.release(b));
    w.held = (b) => q.holds(b);
    let nextFlush = 0,
      maxTime = 0,
      lastFlush = 0;
    const scratch = emptySample();
    // Records out of a COMPRESSED record travel with -1 - (its offset) as their file offset, so the
    // delivered event can say where it came from; `at` gives the offset back for messages.
    const at = (fileOffset: number): number => (fileOffset < 0 ? -1 - fileOffset : fileOffset);
    /** A record's sample fields and event; false when the record is dropped (with a warning when `warn`). */
    const decode = (
      b: Uint8Array,
      dv: DataView,
      off: number,
      fileOffset: number,
      s: PerfSample,
      warn: boolean,
    ): PerfEvsel | undefined | false => {
      const type = dv.getUint32(off, le),
        size = dv.getUint16(off + 6, le);
      if (type === RecordType.Sample) {
        const id = this.#idPos < 0 ? -1 : this.#idPos * 8 + 8 + 8 <= size ? Number(dv.getBigUint64(off + 8 + this.#idPos * 8, le)) : -1;
        const evsel = this.evselOf(id);
        if (!evsel) {
          if (warn) this.diag('warning', PerfDiagnostic.UnknownId, `Sample with unknown id ${id}`, at(fileOffset));
          return false;
        }
        try {
          parseSample(b, dv, off + 8, off + size, evsel.attr, le, s, at(fileOffset) + 8);
        } catch (e) {
          if (warn) this.diag('warning', PerfDiagnostic.BadRecord, (e as Error).message, at(fileOffset));
          return false;
        }
        return evsel;
      }
      if (type < RecordType.HeaderAttr) {
        const id = this.#isPos < 0 || size < 8 + this.#isPos * 8 ? -1 : Number(dv.getBigUint64(off + size - this.#isPos * 8, le));
        const evsel = this.evselOf(id);
        if (evsel) parseSampleId(dv, off + size, evsel.attr, le, s, off + 8);
        return evsel;
      }
      return undefined;
    };
    // one event object, filled again for each record (its views and sample are valid during the callback)
    const ev = new DeliveredEvent(emptySample());
    const deliver = (b: Uint8Array, dv: DataView, off: number, fileOffset: number): void => {
      const s = ev.sample;
      resetSample(s);
      const evsel = decode(b, dv, off, fileOffset, s, true);
      if (evsel === false) return;
      ev.set(b, off, dv.getUint32(off, le), dv.getUint16(off + 4, le), dv.getUint16(off + 6, le), at(fileOffset), fileOffset < 0, evsel);
      cb(ev);
    };
    const flush = (limit: number): void => {
      const t = q.flush(limit, deliver);
      if (t !== undefined) lastFlush = t;
    };
    // decompressed bytes not yet consumed (an event may straddle two COMPRESSED records)
    let pending: Uint8Array | undefined;
    let unzstd: Decompressor | undefined;
    const handle = (b: Uint8Array, dv: DataView, off: number, fileOffset: number): void => {
      const type = dv.getUint32(off, le),
        size = dv.getUint16(off + 6, le);
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      if (type === RecordType.FinishedRound) {
        if (ordered) {
          flush(nextFlush);
          nextFlush = maxTime;
        }
        return;
      }
      if (type === RecordType.Compressed || type === RecordType.Compressed2) {
        const start = type === RecordType.Compressed2 ? 16 : 8;
        const len = type === RecordType.Compressed2 ? Number(dv.getBigUint64(off + 8, le)) : size - 8;
        let out: Uint8Array;
        try {
          unzstd ??= (this.opts.zstd ?? zstdStreamDecoder)();
          out = unzstd(b.subarray(off + start, off + start + len));
        } catch (e) {
          this.diag('warning', PerfDiagnostic.Decompress, `Cannot decompress a COMPRESSED record: ${(e as Error).message}`, at(fileOffset));
          return;
        }
        if (pending?.length) {
          const m = new Uint8Array(pending.length + out.length);
          m.set(pending);
          m.set(out, pending.length);
          out = m;
        }
        const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
        let p = 0;
        while (p + 8 <= out.length) {
          const sz = ov.getUint16(p + 6, le);
          if (sz < 8) {
            this.diag('warning', PerfDiagnostic.BadRecord, 'Bad record size inside a COMPRESSED record', at(fileOffset));
            p = out.length;
            break;
          }
          if (p + sz > out.length) break;
          handle(out, ov, p, -1 - at(fileOffset));
          p += sz;
        }
        pending = p < out.length ? out.slice(p) : undefined;
        return;
      }
      // only the time now (as perf's queue reads it: perf_evlist__parse_sample_timestamp); the record
      // is decoded, and checked, when it is delivered
      let t = -1;
      if (type === RecordType.Sample) {
        const id = this.#idPos < 0 ? -1 : this.#idPos * 8 + 8 + 8 <= size ? Number(dv.getBigUint64(off + 8 + this.#idPos * 8, le)) : -1;
        const evsel = this.evselOf(id);
        if (!evsel) {
          this.diag('warning', PerfDiagnostic.UnknownId, `Sample with unknown id ${id}`, at(fileOffset));
          return;
        }
        const tat = timeOffsetOf(evsel.attr);
        if (tat >= 0) {
          if (tat + 8 > size) {
            this.diag('warning', PerfDiagnostic.BadRecord, 'Sample field time runs past the record', at(fileOffset) + tat);
            return;
          }
          t = dv.getUint32(off + tat + (le ? 4 : 0), le) * 4294967296 + dv.getUint32(off + tat + (le ? 0 : 4), le);
        }
      } else if (ordered && type < RecordType.HeaderAttr) {
        scratch.time = -1;
        decode(b, dv, off, fileOffset, scratch, false);
        t = scratch.time;
      }
      if (!ordered || type >= RecordType.HeaderAttr || t <= 0) {
        deliver(b, dv, off, fileOffset);
        return;
      }
      if (t < lastFlush) this.unordered++;
      if (t > maxTime) maxTime = t;
      q.push(b, dv, off, fileOffset, t);
    };
    let pos = this.pipe ? this.#pipeResume : this.dataOffset;
    const end = this.dataEnd;
    while (pos < end) {
      let got = await w.ensure(pos, 8, end);
      if (got < 8) {
        this.diag('warning', PerfDiagnostic.Truncated, `The data ends inside a record header (${got} of 8 bytes)`, pos);
        break;
      }
      let dv = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
      let rel = pos - w.start;
      const size = dv.getUint16(rel + 6, le);
      const type = dv.getUint32(rel, le);
      if (size < 8)
        throw new PerfError(PerfErrorCode.BadRecord, 'Record size below 8 in the data', { offset: pos, context: { type, size } });
      let extra = 0;
      if (type === RecordType.HeaderTracingData) extra = 0; // size known after the header
      got = await w.ensure(pos, size, end);
      if (got < size) {
        this.diag('warning', PerfDiagnostic.Truncated, `The data ends inside a ${type} record (${got} of ${size} bytes)`, pos);
        break;
      }
      dv = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
      rel = pos - w.start;
      if (type === RecordType.HeaderTracingData) {
        // pipe mode: the blob follows the record, outside its size
        const n = dv.getUint32(rel + 8, le);
        extra = (n + 7) & ~7;
        this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
        pos += size + extra;
        continue;
      }
      // every whole record in the window, synchronously
      const buf = w.buf;
      let r = rel;
      const lim = Math.min(buf.length, end - w.start);
      while (r + 8 <= lim) {
        const sz = dv.getUint16(r + 6, le);
        const ty = dv.getUint32(r, le);
        if (sz < 8)
          throw new PerfError(PerfErrorCode.BadRecord, 'Record size below 8 in the data', {
            offset: w.start + r,
            context: { type: ty, size: sz },
          });
        if (r + sz > lim || ty === RecordType.HeaderTracingData) break;
        handle(buf, dv, r, w.start + r);
        r += sz;
      }
      pos = w.start + r;
    }
    flush(Number.POSITIVE_INFINITY);
    w.held = () => false;
  }
}
