import type { ByteSource } from '@utp/bytes';
import { decodeLatin1 } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import type { Diagnostic, DiagnosticHandler } from '@utp/traceevent';
import { Decompress as ZstdStream } from 'fzstd';
import { parseAttr, sampleIdPos, trailerIdPos } from './attr.js';
import type { PerfEventAttr } from './attr.js';
import { AttrType, Feature, FEATURE_NAMES, RecordType } from './constants.js';
import { PerfDiagnostic, PerfError, PerfErrorCode } from './errors.js';
import { emptyFeatures, parseBuildIds, parseFeature } from './features.js';
import type { PerfFeatures } from './features.js';
import { emptySample, parseSample, parseSampleId } from './sample.js';
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

/** One record, as delivered: a view of its bytes (header included) and its decoded sample fields. */
export interface PerfEvent {
  type: number;
  misc: number;
  size: number;
  /** The record bytes, header included (a view; copy to keep past the callback if needed). */
  data: Uint8Array;
  view: DataView;
  /** Offset of the record in the file (in the decompressed stream for records inside COMPRESSED). */
  fileOffset: number;
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
  buf = new Uint8Array(0);
  start = 0;
  constructor(
    readonly src: ByteSource,
    readonly chunk: number,
  ) {}
  /** Makes [pos, pos+n) available; returns how many of those bytes exist (less only at the end). */
  async ensure(pos: number, n: number, end: number): Promise<number> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return n;
    const want = Math.min(Math.max(n, this.chunk), end - pos);
    if (want <= 0) {
      this.buf = new Uint8Array(0);
      this.start = pos;
      return 0;
    }
    const out = new Uint8Array(want);
    let got = 0;
    // keep what we already hold of the range
    if (pos >= this.start && pos < this.start + this.buf.length) {
      const keep = this.buf.subarray(pos - this.start, Math.min(this.buf.length, pos - this.start + want));
      out.set(keep);
      got = keep.length;
    }
    while (got < want) {
      const piece = this.src.readSync ? this.src.readSync(pos + got, want - got) : await this.src.read(pos + got, want - got);
      if (piece.length === 0) break;
      out.set(piece.subarray(0, want - got), got);
      got += piece.length;
    }
    this.buf = got === want ? out : out.subarray(0, got);
    this.start = pos;
    return Math.min(n, got);
  }
}

interface Queued {
  ev: PerfEvent;
  time: number;
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
    const queue: Queued[] = [];
    let nextFlush = 0,
      maxTime = 0,
      lastFlush = 0;
    const ordered = this.opts.ordered;
    const flush = (limit: number): void => {
      if (!queue.length) return;
      queue.sort((a, b) => a.time - b.time);
      let i = 0;
      for (; i < queue.length && queue[i]!.time <= limit; i++) cb(queue[i]!.ev);
      if (i) lastFlush = queue[i - 1]!.time;
      queue.splice(0, i);
    };
    // decompressed bytes not yet consumed (an event may straddle two COMPRESSED records)
    let pending: Uint8Array | undefined;
    let unzstd: Decompressor | undefined;
    const handle = (b: Uint8Array, dv: DataView, off: number, fileOffset: number): void => {
      const type = dv.getUint32(off, le),
        misc = dv.getUint16(off + 4, le),
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
          this.diag('warning', PerfDiagnostic.Decompress, `Cannot decompress a COMPRESSED record: ${(e as Error).message}`, fileOffset);
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
            this.diag('warning', PerfDiagnostic.BadRecord, 'Bad record size inside a COMPRESSED record', fileOffset);
            p = out.length;
            break;
          }
          if (p + sz > out.length) break;
          handle(out, ov, p, fileOffset);
          p += sz;
        }
        pending = p < out.length ? out.slice(p) : undefined;
        return;
      }
      const s = emptySample();
      let evsel: PerfEvsel | undefined;
      if (type === RecordType.Sample) {
        const id = this.#idPos < 0 ? -1 : this.#idPos * 8 + 8 + 8 <= size ? Number(dv.getBigUint64(off + 8 + this.#idPos * 8, le)) : -1;
        evsel = this.evselOf(id);
        if (!evsel) {
          this.diag('warning', PerfDiagnostic.UnknownId, `Sample with unknown id ${id}`, fileOffset);
          return;
        }
        try {
          parseSample(b, dv, off + 8, off + size, evsel.attr, le, s, fileOffset + 8);
        } catch (e) {
          this.diag('warning', PerfDiagnostic.BadRecord, (e as Error).message, fileOffset);
          return;
        }
      } else if (type < RecordType.HeaderAttr) {
        const id = this.#isPos < 0 || size < 8 + this.#isPos * 8 ? -1 : Number(dv.getBigUint64(off + size - this.#isPos * 8, le));
        evsel = this.evselOf(id);
        if (evsel) parseSampleId(dv, off + size, evsel.attr, le, s, off + 8);
      }
      const ev: PerfEvent = {
        type,
        misc,
        size,
        data: b.subarray(off, off + size),
        view: new DataView(b.buffer, b.byteOffset + off, size),
        fileOffset,
        evsel,
        sample: s,
      };
      const t = s.time;
      if (!ordered || type >= RecordType.HeaderAttr || t <= 0) {
        cb(ev);
        return;
      }
      if (t < lastFlush) this.unordered++;
      if (t > maxTime) maxTime = t;
      queue.push({ ev, time: t });
    };
    let pos = this.pipe ? this.#pipeResume : this.dataOffset;
    const end = this.dataEnd;
    const w = this.#win;
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
  }
}
