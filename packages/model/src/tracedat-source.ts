/**
 * TraceDatSource: a trace.dat file as a unified event stream (see event-stream.ts). Records come
 * from TraceDat's CPU streams merged in trace-cmd's order (mergeRecords); each event's `loc` is
 * `pageId * PAGE_SPAN + offset in page`, and the source keeps a small table saying where each
 * page lives in the file (raw page offset, or compressed chunk + page offset in the chunk), so
 * decoding an event later re-reads (and, for zstd/zlib files, re-inflates) one page or chunk.
 */
import type { ByteSource } from '@utp/bytes';
import { EventFilter, FieldFlag, KBuffer, KRecord, LinePrinter, Tep, loadPlugins } from '@utp/traceevent';
import type { DiagnosticHandler, EventFormat, Field } from '@utp/traceevent';
import { TraceDat, decompressorFor, mergeRecords } from '@utp/tracedat';
import type { Decompressor, TraceDatBuffer } from '@utp/tracedat';
import type {
  CurrentFields,
  EventClass,
  EventSink,
  EventSource,
  FieldValue,
  ReadOptions,
  SourceMeta,
  StreamEvent,
  StreamField,
} from './event-stream.js';
import { formatField, readIntAt } from './format-field.js';
import { GrowF64, GrowI32 } from './grow.js';

export interface TraceDatSourceOptions {
  onDiagnostic: DiagnosticHandler | undefined;
  /** Load libtraceevent's plugins (as `trace-cmd report` does by default). */
  plugins: boolean;
  /** Replacement decompressors by algorithm name (e.g. a WebAssembly zstd). */
  decompressors: Partial<Record<string, Decompressor>>;
  /** Extra nanoseconds added to every timestamp (manual clock shift). */
  tsOffset: bigint;
}

const DEFAULTS: Readonly<TraceDatSourceOptions> = Object.freeze({
  onDiagnostic: undefined,
  plugins: true,
  decompressors: {},
  tsOffset: 0n,
});

/** An event class over a libtraceevent format; the field lists are parsed on first use (most formats of a file never occur). */
class FormatClass implements EventClass {
  readonly fileId: number;
  readonly system: string;
  readonly name: string;
  private cf: StreamField[] | undefined;
  private fs: StreamField[] | undefined;
  constructor(
    readonly id: number,
    readonly format: EventFormat,
  ) {
    this.fileId = format.id;
    this.system = format.system;
    this.name = format.name;
  }
  get commonFields(): readonly StreamField[] {
    return (this.cf ??= this.format.commonFields.map(formatField));
  }
  get fields(): readonly StreamField[] {
    return (this.fs ??= this.format.fields.map(formatField));
  }
}

/** Per CPU slot of the merge: where its data lives. */
interface Slot {
  buffer: number;
  start: number;
  size: number;
  pageSize: number;
  compressed: boolean;
  /** Compressed data: chunk header offsets, compressed and uncompressed sizes. */
  chunkAt: number[];
  chunkZ: number[];
  chunkU: number[];
}

const PAGE_KIND_RAW = 0;
/** A live recording's page: pageFile is its index in `livePages`. */
const PAGE_KIND_LIVE = -1;

export class TraceDatSource implements EventSource {
  readonly meta: SourceMeta;
  readonly classes: EventClass[] = [];
  readonly td: TraceDat;
  readonly tep: Tep;
  /** Sub-buffers get ids; loc = pageId * pageSpan + offset of the payload in its sub-buffer. */
  readonly pageSpan: number;
  private readonly byFileId = new Map<number, number>();
  private readonly classOfId: Int32Array;
  private slots: Slot[] = [];
  // page table: slot, file offset (raw page / chunk header), base of the page in its chunk
  private readonly pageSlot = new GrowI32(1024);
  private readonly pageFile = new GrowF64(1024);
  private readonly pageBase = new GrowI32(1024);
  private readonly decompress: Decompressor | undefined;
  private readonly cursors: Array<{ page: number; kb: KBuffer; rec: KRecord; base: number; has: boolean } | undefined> = [];
  private printer: LinePrinter | undefined;
  private cache = new Map<number, Uint8Array>();
  private readonly flagsOff: number;
  private readonly pcOff: number;
  /** common_pid's offset when it is a 4-byte field (-1: ask the Tep). */
  private readonly pidOff: number;

  private constructor(td: TraceDat, opts: TraceDatSourceOptions) {
    this.td = td;
    this.tep = td.tep;
    const formats = [...td.tep.events];
    let maxId = 0;
    for (const f of formats) maxId = Math.max(maxId, f.id);
    this.classOfId = new Int32Array(Math.min(maxId, 1 << 20) + 1).fill(-1);
    for (const f of formats) {
      const id = this.classes.length;
      this.classes.push(new FormatClass(id, f));
      this.byFileId.set(f.id, id);
      if (f.id < this.classOfId.length) this.classOfId[f.id] = id;
    }
    const common = formats[0]?.commonFields ?? [];
    this.flagsOff = common.find((f) => f.name === 'common_flags')?.offset ?? -1;
    this.pcOff = common.find((f) => f.name === 'common_preempt_count')?.offset ?? -1;
    const pidF = common.find((f) => f.name === 'common_pid');
    this.pidOff = pidF && pidF.size === 4 ? pidF.offset : -1;
    let span = 1;
    for (const b of td.buffers) span = Math.max(span, td.handlePageSize(b), b.pageSize);
    this.pageSpan = 2 ** Math.ceil(Math.log2(span));
    this.decompress = td.compression !== 'none' && td.compression !== '' ? decompressorFor(td.compression, opts.decompressors) : undefined;
    const handles = td.handles();
    const uname = td.uname;
    this.meta = {
      format: 'trace.dat',
      name: td.src.name ?? '',
      clock: td.traceClock ?? 'local',
      nanoseconds: td.inUsecs,
      tsOffset: td.tsOffset + opts.tsOffset,
      date: undefined,
      hostname: uname?.split(' ')[1],
      uname,
      cpuCount: td.cpuCount,
      buffers: handles.map((h) => h.buffer?.name ?? ''),
      traceId: td.traceId,
    };
  }

  /** Opens a trace.dat over a ByteSource (lazy decoding needs `readSync`: a MemorySource or a Node FileSource). */
  static async open(src: ByteSource, options: Partial<TraceDatSourceOptions> = {}): Promise<TraceDatSource> {
    const opts = { ...DEFAULTS, ...options };
    const tep = new Tep();
    if (opts.plugins) loadPlugins(tep);
    const td = await TraceDat.open(src, {
      tep,
      onDiagnostic: opts.onDiagnostic,
      decompressors: opts.decompressors,
      tsOffset: opts.tsOffset,
    });
    return new TraceDatSource(td, opts);
  }

  /** Dense class id of a file event id (-1 when unknown). */
  classOf(fileId: number): number {
    return fileId >= 0 && fileId < this.classOfId.length ? this.classOfId[fileId]! : (this.byFileId.get(fileId) ?? -1);
  }

  commOf(pid: number): string | undefined {
    return this.tep.commOf(pid);
  }

  /** Number of sub-buffers seen so far. */
  get pageCount(): number {
    return this.pageSlot.length;
  }

  private async setupSlots(handles: ReturnType<TraceDat['handles']>): Promise<void> {
    const td = this.td;
    this.slots = [];
    for (let h = 0; h < handles.length; h++) {
      const b: TraceDatBuffer | undefined = handles[h]!.buffer;
      for (let i = 0; i < handles[h]!.streams.length; i++) {
        const c = b?.cpus[i];
        const slot: Slot = {
          buffer: h,
          start: c?.offset ?? 0,
          size: c?.size ?? 0,
          pageSize: b ? td.handlePageSize(b) : td.pageSize,
          compressed: !!b?.compressed && this.decompress !== undefined,
          chunkAt: [],
          chunkZ: [],
          chunkU: [],
        };
        if (slot.compressed && slot.size > 0) await this.walkChunks(slot);
        this.slots.push(slot);
      }
    }
  }

  /** Compressed CPU data: u32 chunk count, then [u32 zsize][u32 usize][data] per chunk. */
  private async walkChunks(s: Slot): Promise<void> {
    const src = this.td.src;
    const le = this.td.littleEndian;
    const head = await src.read(s.start, 4);
    if (head.length < 4) return;
    const n = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, le);
    let at = s.start + 4;
    for (let k = 0; k < n && at + 8 <= src.size; k++) {
      const h = await src.read(at, 8);
      if (h.length < 8) break;
      const dv = new DataView(h.buffer, h.byteOffset, 8);
      const z = dv.getUint32(0, le),
        u = dv.getUint32(4, le);
      s.chunkAt.push(at);
      s.chunkZ.push(z);
      s.chunkU.push(u);
      at += 8 + z;
    }
  }

  async read(sink: EventSink, options: Partial<ReadOptions> = {}): Promise<void> {
    const handles = this.td.handles();
    await this.setupSlots(handles);
    const slots = this.slots;
    const nslots = slots.length;
    const lastWin: Array<Uint8Array | undefined> = new Array(nslots).fill(undefined);
    const lastBase = new Float64Array(nslots).fill(-1);
    const lastPage = new Int32Array(nslots).fill(-1);
    const lastChunk = new Int32Array(nslots).fill(-1);
    const doneBytes = new Float64Array(nslots);
    let totalBytes = 0,
      rawBytes = 0;
    for (const s of slots) {
      totalBytes += s.size;
      if (!s.compressed) rawBytes += s.size;
      else for (const u of s.chunkU) rawBytes += u;
    }
    // records are 12 bytes at least; most kernel events take 24-70 with their header
    sink.expect?.(Math.ceil(rawBytes / 36));
    const cur = { rec: undefined as KRecord | undefined };
    const ev = this.streamEvent(cur);
    const progressEvery = options.progressEvery ?? 65536;
    const signal = options.signal;
    let n = 0;
    let stop = false;
    await mergeRecords(
      handles.map((h, i) => ({ streams: h.streams, tag: i })),
      (rec, _tag, slot) => {
        const s = slots[slot]!;
        const ps = s.pageSize;
        const base = Math.floor(rec.offset / ps) * ps;
        let page = lastPage[slot]!;
        if (rec.page !== lastWin[slot] || base !== lastBase[slot]) {
          page = this.pageSlot.length;
          const fo = rec.fileOffset ?? 0;
          if (!s.compressed) {
            this.pageSlot.push(slot);
            this.pageFile.push(s.start + Math.floor((fo - s.start) / ps) * ps);
            this.pageBase.push(PAGE_KIND_RAW);
          } else {
            let j = lastChunk[slot]!;
            if (rec.page !== lastWin[slot]) {
              // the next chunk whose header offset is within a page before the record header
              let k = j + 1;
              const at = s.chunkAt;
              while (k < at.length && !(at[k]! <= fo && fo - at[k]! < ps && s.chunkU[k] === rec.page.length)) k++;
              if (k >= at.length) {
                k = 0;
                while (k < at.length && !(at[k]! <= fo && fo - at[k]! < ps)) k++;
              }
              j = k < at.length ? k : j;
              lastChunk[slot] = j;
            }
            this.pageSlot.push(slot);
            this.pageFile.push(j >= 0 ? s.chunkAt[j]! : -1);
            this.pageBase.push(base);
          }
          lastWin[slot] = rec.page;
          lastBase[slot] = base;
          lastPage[slot] = page;
          doneBytes[slot] = fo - s.start;
        }
        this.fill(ev, rec, s.buffer, page, base);
        cur.rec = rec;
        if (rec.missedEvents !== 0 && sink.lost) sink.lost({ ts: ev.ts, cpu: rec.cpu, buffer: s.buffer, count: rec.missedEvents });
        if (sink.event(ev) === false) {
          stop = true;
          return false;
        }
        n++;
        if (options.onProgress && n % progressEvery === 0) {
          let d = 0;
          for (let i = 0; i < nslots; i++) d += doneBytes[i]!;
          options.onProgress(d, totalBytes, n);
        }
        if (signal?.aborted) {
          stop = true;
          return false;
        }
        return true;
      },
    );
    if (!stop) options.onProgress?.(totalBytes, totalBytes, n);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  }

  /** The one StreamEvent a read reuses, its fields read from `cur.rec`. */
  private streamEvent(cur: { rec: KRecord | undefined }): StreamEvent {
    const le = this.td.littleEndian;
    const tep = this.tep;
    const fields: CurrentFields = {
      int: (f) => {
        const r = cur.rec;
        if (!r || f.offset < 0 || f.offset + f.size > r.size) return 0;
        const v = r.view,
          o = r.offset + f.offset;
        return readIntAt(v, o, f, le);
      },
      str: (f) => {
        const r = cur.rec;
        if (!r) return '';
        const tf = (f as StreamField & { raw?: Field }).raw;
        return tf ? tep.readString(r, tf) : '';
      },
    };
    return { ts: 0, tsBig: undefined, cpu: 0, pid: -1, classId: -1, flags: 0, preempt: 0, buffer: 0, loc: 0, fields };
  }

  /** Fills `ev` from a record of page `page` (whose sub-buffer starts at `base` in `rec.page`). */
  private fill(ev: StreamEvent, rec: KRecord, buffer: number, page: number, base: number): void {
    const le = this.td.littleEndian;
    const view = rec.view;
    const off = rec.offset;
    const size = rec.size;
    const type = size >= 2 ? view.getUint16(off, le) : -1;
    const classOfId = this.classOfId;
    ev.ts = rec.tsNum;
    ev.tsBig = rec.tsBig;
    if (rec.tsBig !== undefined) ev.ts = Number(rec.tsBig);
    ev.cpu = rec.cpu;
    ev.classId = type >= 0 && type < classOfId.length ? classOfId[type]! : type < 0 ? -1 : this.classOf(type);
    const pidOff = this.pidOff,
      flagsOff = this.flagsOff,
      pcOff = this.pcOff;
    ev.pid = pidOff >= 0 && pidOff + 4 <= size ? view.getInt32(off + pidOff, le) : this.tep.pidOf(rec);
    ev.flags = flagsOff >= 0 && flagsOff < size ? view.getUint8(off + flagsOff) : 0;
    ev.preempt = pcOff >= 0 && pcOff < size ? view.getUint8(off + pcOff) : 0;
    ev.buffer = buffer;
    ev.loc = page * this.pageSpan + (off - base);
  }

  // ------------------------------------------------------------------ pages of a live recording

  private livePages: Uint8Array[] = [];

  /**
   * A recording's head (this source opened on a trace.dat without data) fed sub-buffers as the
   * drain writes them (utp view --live, see LiveFeed): `liveSlots` gives the merge slot of each CPU
   * of the recorded buffer (the file's last), `addPage` registers one whole sub-buffer for lazy
   * decoding, `fillLive` makes one of its records a StreamEvent as read() does.
   */
  liveSlots(): { slotOf: Map<number, number>; pageSize: number; longSize: number; littleEndian: boolean } {
    if (!this.slots.length) {
      const handles = this.td.handles();
      for (let h = 0; h < handles.length; h++) {
        const b = handles[h]!.buffer;
        const n = Math.max(handles[h]!.streams.length, b?.cpus.length ?? 0);
        for (let i = 0; i < n; i++)
          this.slots.push({
            buffer: h,
            start: 0,
            size: 0,
            pageSize: b ? this.td.handlePageSize(b) : this.td.pageSize,
            compressed: false,
            chunkAt: [],
            chunkZ: [],
            chunkU: [],
          });
      }
    }
    const slotOf = new Map<number, number>();
    const last = this.slots.length ? this.slots[this.slots.length - 1]!.buffer : 0;
    const first = this.slots.findIndex((s) => s.buffer === last);
    for (let k = first; k >= 0 && k < this.slots.length; k++) slotOf.set(k - first, k);
    return {
      slotOf,
      pageSize: this.slots[first]?.pageSize ?? this.td.pageSize,
      longSize: this.td.headerPage?.commitSize ?? this.td.userLongSize,
      littleEndian: this.td.littleEndian,
    };
  }

  /** Registers one whole sub-buffer of a live recording's slot; returns its page id. */
  addPage(slot: number, bytes: Uint8Array): number {
    const id = this.pageSlot.length;
    this.pageSlot.push(slot);
    this.pageFile.push(this.livePages.length);
    this.pageBase.push(PAGE_KIND_LIVE);
    this.livePages.push(bytes);
    return id;
  }

  /** A reusable event for `fillLive` (its fields read from `cur.rec`). */
  liveEvent(cur: { rec: KRecord | undefined }): StreamEvent {
    return this.streamEvent(cur);
  }

  /** Fills `ev` from `rec`, a record of live page `page` (loaded whole, base 0). */
  fillLive(ev: StreamEvent, rec: KRecord, slot: number, page: number): void {
    this.fill(ev, rec, this.slots[slot]?.buffer ?? 0, page, 0);
  }

  // ------------------------------------------------------------------ lazy decoding

  private pageBytes(page: number): { bytes: Uint8Array; base: number } | undefined {
    const slot = this.pageSlot.get(page);
    const s = this.slots[slot];
    if (!s) return undefined;
    const fo = this.pageFile.get(page);
    if (this.pageBase.get(page) === PAGE_KIND_LIVE) {
      const b = this.livePages[fo];
      return b ? { bytes: b, base: 0 } : undefined;
    }
    const src = this.td.src;
    if (!src.readSync) throw new Error('Lazy decoding needs a synchronous ByteSource (MemorySource or FileSource)');
    if (!s.compressed) {
      let b = this.cache.get(fo);
      if (!b) {
        b = src.readSync(fo, s.pageSize);
        this.remember(fo, b);
      }
      return { bytes: b, base: 0 };
    }
    if (fo < 0) return undefined;
    let b = this.cache.get(fo);
    if (!b) {
      const k = s.chunkAt.indexOf(fo);
      if (k < 0) return undefined;
      const z = src.readSync(fo + 8, s.chunkZ[k]!);
      b = this.decompress!(z, s.chunkU[k]!);
      this.remember(fo, b);
    }
    return { bytes: b, base: this.pageBase.get(page) };
  }

  private remember(key: number, b: Uint8Array): void {
    if (this.cache.size >= 48) {
      const first = this.cache.keys().next().value as number;
      this.cache.delete(first);
    }
    this.cache.set(key, b);
  }

  record(loc: number, ts: number, cpu: number): KRecord | undefined {
    const span = this.pageSpan;
    const page = Math.floor(loc / span);
    const inPage = loc - page * span;
    if (page < 0 || page >= this.pageSlot.length) return undefined;
    const slot = this.pageSlot.get(page);
    // one cursor per CPU slot: events read in order continue where the last one stopped
    let c = this.cursors[slot];
    if (!c) {
      c = {
        page: -1,
        kb: new KBuffer({ littleEndian: this.td.littleEndian, longSize: this.td.headerPage?.commitSize ?? this.td.userLongSize }),
        rec: new KRecord(),
        base: 0,
        has: false,
      };
      this.cursors[slot] = c;
    }
    const want0 = (c.page === page ? c.base : -1) + inPage;
    if (c.page !== page || !c.has || c.rec.offset > want0) {
      const pb = this.pageBytes(page);
      if (!pb) return undefined;
      c.kb.load(pb.bytes, pb.base, this.slots[slot]!.pageSize);
      c.page = page;
      c.base = pb.base;
      c.has = c.kb.nextRecord(c.rec);
    }
    const want = c.base + inPage;
    const r = c.rec;
    while (c.has && r.offset < want) c.has = c.kb.nextRecord(r);
    if (!c.has || r.offset !== want) return undefined;
    r.tsNum = ts;
    r.tsBig = undefined;
    r.cpu = cpu;
    r.missedEvents = 0;
    return r;
  }

  /** The whole `utp report` line of the event (buffer prefix not included). */
  line(loc: number, ts: number, cpu: number): string {
    const r = this.record(loc, ts, cpu);
    if (!r) return '';
    this.printer ??= new LinePrinter(this.tep, { inUsecs: this.td.inUsecs, useTraceClock: this.td.useTraceClock });
    return this.printer.format(r);
  }

  /** A trace-cmd `-F` filter expression as a predicate over events. Throws on a bad expression. */
  compileFilter(expr: string): (loc: number, ts: number, cpu: number) => boolean {
    const ef = new EventFilter(this.tep);
    ef.add(expr, false);
    return (loc, ts, cpu) => {
      const r = this.record(loc, ts, cpu);
      return r ? ef.accepts(r) : false;
    };
  }

  private formatOf(classId: number): EventFormat | undefined {
    return this.classes[classId]?.format;
  }

  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }> {
    const f = this.formatOf(classId);
    const r = this.record(loc, 0, 0);
    if (!f || !r) return [];
    const out: Array<{ name: string; value: FieldValue }> = [];
    const tep = this.tep;
    for (const fld of [...f.fields, ...f.commonFields]) {
      let value: FieldValue;
      if (fld.flags & FieldFlag.String) value = tep.readString(r, fld);
      else if (fld.flags & FieldFlag.Array || fld.flags & FieldFlag.Dynamic) value = tep.readBytes(r, fld).slice();
      else if (fld.size === 8) value = fld.flags & FieldFlag.Signed ? tep.readFieldSigned(r, fld) : tep.readField(r, fld);
      else value = Number(fld.flags & FieldFlag.Signed ? tep.readFieldSigned(r, fld) : tep.readField(r, fld));
      out.push({ name: fld.name, value });
    }
    return out;
  }

  info(loc: number, classId: number, ts: number, cpu: number): string {
    const f = this.formatOf(classId);
    const r = this.record(loc, ts, cpu);
    if (!f || !r) return '';
    return this.tep.formatInfo(r, f);
  }
}
