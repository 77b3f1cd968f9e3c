/**
 * PerfDataSource: a perf.data file (file or pipe mode, zstd-compressed or not) as a unified event
 * stream (see event-stream.ts). One event class per evsel (attr): a tracepoint gets its tracefs
 * format from the tracing data, so its fields, values and info text go through @utp/traceevent as
 * a trace.dat's do; any other event (cpu-clock, page-faults, cycles, …) gets a class `perf:NAME`
 * whose fields are what its sample_type carries (ip, tid, time, period, callchain, …).
 *
 * Events are the SAMPLE records in perf script's order (the reader's FINISHED_ROUND sorting):
 * pid = the sample's tid, cpu = its cpu, ts = its time. LOST and LOST_SAMPLES records go to
 * `sink.lost`; COMM records (and the tracing data's saved cmdlines) answer `commOf`.
 *
 * `loc` (docs/event-stream.md, "perf.data's loc"): a record in the file as it is (file mode, and
 * pipe mode: the stream as the ByteSource holds it) is found by its offset, loc = that offset;
 * decoding it later reads the record again (64 KiB blocks, 16 cached). A record that came out of
 * a COMPRESSED record (perf record -z) cannot be found that way: perf's zstd stream runs across
 * records, so no record can be inflated without inflating every one before it. Its bytes are
 * kept instead, during `read`, in a per-source arena (loc = -1 - its position there); the arena
 * stops growing at `keepCompressed` bytes (default 256 MiB, about what the same samples would
 * take uncompressed), past which events still stream (their fields readable during the call)
 * but answer nothing later, and one diagnostic says so.
 */
import type { ByteSource } from '@utp/bytes';
import {
  AttrFlag,
  AttrType,
  CallchainContext,
  PerfData,
  RecordType,
  SampleType,
  attrFlag,
  emptySample,
  parseSample,
  sampleIdPos,
} from '@utp/perf';
import type { PerfDataOptions, PerfEvent, PerfEvsel, PerfSample, Decompressor } from '@utp/perf';
import { FieldFlag, KRecord, Tep, loadPlugins } from '@utp/traceevent';
import type { DiagnosticHandler, EventFormat } from '@utp/traceevent';
import { FieldKind } from './event-stream.js';
import { formatField, readIntAt } from './format-field.js';
import type { FormatField } from './format-field.js';
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

export interface PerfDataSourceOptions {
  onDiagnostic: DiagnosticHandler | undefined;
  /** Load libtraceevent's plugins for the info text (perf 6.1 as Debian builds it loads none: default false). */
  plugins: boolean;
  /** The zstd stream decoder for `perf record -z` files (default: the reader's, fzstd). */
  zstd: (() => Decompressor) | undefined;
  /** Bytes the reader reads at a time (tests use tiny ones). */
  chunkSize: number;
  /** Bytes of decompressed records kept for lazy decoding (zstd files), see the file comment. */
  keepCompressed: number;
  /** Nanoseconds added to every timestamp (a manual clock shift). */
  tsOffset: bigint;
}

const DEFAULTS: Readonly<PerfDataSourceOptions> = Object.freeze({
  onDiagnostic: undefined,
  plugins: false,
  zstd: undefined,
  chunkSize: 4 << 20,
  keepCompressed: 256 << 20,
  tsOffset: 0n,
});

/** Which sample value a field of a non-tracepoint class reads. */
const Key = {
  Ip: 1,
  Pid: 2,
  Tid: 3,
  Time: 4,
  Addr: 5,
  Id: 6,
  StreamId: 7,
  Cpu: 8,
  Period: 9,
  Read: 10,
  Callchain: 11,
  Raw: 12,
  Weight: 13,
  DataSrc: 14,
  Transaction: 15,
  PhysAddr: 16,
  Cgroup: 17,
} as const;

type SampleField = StreamField & { readonly key: number };

function intField(name: string, type: string, size: number, signed: boolean, key: number): SampleField {
  return { name, type, kind: FieldKind.Integer, size, signed, length: 0, elementSize: size, dynamic: false, offset: -1, key };
}
function arrayField(name: string, type: string, elementSize: number, key: number): SampleField {
  return { name, type, kind: FieldKind.Array, size: 0, signed: false, length: 0, elementSize, dynamic: true, offset: -1, key };
}

/** The fields a sample of this attr carries, in the kernel's order (perf_output_sample). */
function sampleFields(sampleType: number): SampleField[] {
  const t = sampleType;
  const out: SampleField[] = [];
  if (t & SampleType.Ip) out.push(intField('ip', 'u64', 8, false, Key.Ip));
  if (t & SampleType.Tid) out.push(intField('pid', 'u32', 4, true, Key.Pid), intField('tid', 'u32', 4, true, Key.Tid));
  if (t & SampleType.Time) out.push(intField('time', 'u64', 8, false, Key.Time));
  if (t & SampleType.Addr) out.push(intField('addr', 'u64', 8, false, Key.Addr));
  if (t & (SampleType.Id | SampleType.Identifier)) out.push(intField('id', 'u64', 8, false, Key.Id));
  if (t & SampleType.StreamId) out.push(intField('stream_id', 'u64', 8, false, Key.StreamId));
  if (t & SampleType.Cpu) out.push(intField('cpu', 'u32', 4, false, Key.Cpu));
  if (t & SampleType.Period) out.push(intField('period', 'u64', 8, false, Key.Period));
  if (t & SampleType.Read) out.push(arrayField('read', 'u64[]', 8, Key.Read));
  if (t & SampleType.Callchain) out.push(arrayField('callchain', 'u64[]', 8, Key.Callchain));
  if (t & SampleType.Raw) out.push(arrayField('raw', 'u8[]', 1, Key.Raw));
  if (t & (SampleType.Weight | SampleType.WeightStruct)) out.push(intField('weight', 'u64', 8, false, Key.Weight));
  if (t & SampleType.DataSrc) out.push(intField('data_src', 'u64', 8, false, Key.DataSrc));
  if (t & SampleType.Transaction) out.push(intField('transaction', 'u64', 8, false, Key.Transaction));
  if (t & SampleType.PhysAddr) out.push(intField('phys_addr', 'u64', 8, false, Key.PhysAddr));
  if (t & SampleType.Cgroup) out.push(intField('cgroup', 'u64', 8, false, Key.Cgroup));
  return out;
}

/** A tracepoint evsel: its tracefs format (field lists parsed on first use). */
class TracepointClass implements EventClass {
  readonly system: string;
  readonly name: string;
  private cf: FormatField[] | undefined;
  private fs: FormatField[] | undefined;
  constructor(
    readonly id: number,
    readonly fileId: number,
    readonly format: EventFormat,
  ) {
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

/** Any other evsel (software, hardware, raw, breakpoint; a tracepoint without tracing data): its sample fields. */
class SampleClass implements EventClass {
  readonly system = 'perf';
  readonly commonFields: readonly StreamField[] = [];
  readonly fields: readonly SampleField[];
  readonly format = undefined;
  constructor(
    readonly id: number,
    readonly fileId: number,
    readonly name: string,
    sampleType: number,
  ) {
    this.fields = sampleFields(sampleType);
  }
}

/** perf's clockid (linux/time.h) as the stream names clocks. */
const CLOCK_NAMES: Record<number, string> = { 0: 'realtime', 1: 'mono', 4: 'mono_raw', 7: 'boot', 11: 'tai' };

const BLOCK = 1 << 16;
/** loc of a decompressed record past the arena's cap (readable during its call only). */
const NOT_KEPT = Number.MIN_SAFE_INTEGER;
const ARENA_CHUNK = 1 << 20;

function hex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export class PerfDataSource implements EventSource {
  readonly meta: SourceMeta;
  readonly classes: EventClass[] = [];
  readonly pd: PerfData;
  readonly tep: Tep;
  readonly littleEndian: boolean;
  private readonly opts: PerfDataSourceOptions;
  private readonly comms = new Map<number, string>();
  // lazy decoding: blocks of the source (file offsets), and the arena of decompressed records
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly arena: Uint8Array[] = [];
  private arenaUsed = 0;
  private arenaFull = false;
  // the event being pushed (values/info/record of its loc answer from it during the call)
  private cur: PerfEvent | undefined;
  private curLoc = Number.NaN;
  private readonly rec = new KRecord();
  private recBuf: ArrayBufferLike | undefined;
  private recPage: Uint8Array = new Uint8Array(0);
  private recView: DataView = new DataView(new ArrayBuffer(0));
  private readonly flagsOff: number[] = [];
  private readonly pcOff: number[] = [];

  private constructor(pd: PerfData, opts: PerfDataSourceOptions, name: string) {
    this.pd = pd;
    this.tep = pd.tep;
    this.opts = opts;
    this.littleEndian = pd.littleEndian;
    for (const ev of pd.evsels) {
      const id = this.classes.length;
      const a = ev.attr;
      const f = a.type === AttrType.Tracepoint ? pd.tep.findEventById(Number(a.config)) : undefined;
      if (f) {
        this.classes.push(new TracepointClass(id, f.id, f));
        this.flagsOff.push(f.commonFields.find((c) => c.name === 'common_flags')?.offset ?? -1);
        this.pcOff.push(f.commonFields.find((c) => c.name === 'common_preempt_count')?.offset ?? -1);
      } else {
        this.classes.push(new SampleClass(id, Number(a.config), ev.name, a.sampleType));
        this.flagsOff.push(-1);
        this.pcOff.push(-1);
      }
    }
    const f = pd.features;
    const clocked = pd.evsels.find((e) => attrFlag(e.attr, AttrFlag.UseClockid));
    const clockid = f.clockData?.clockid ?? clocked?.attr.clockid;
    let date: bigint | undefined;
    if (f.clockData && f.clockData.wallClockNs > 0n) {
      // the wall clock at the reference point, carried to the first sample when the file says when that was
      const d = f.clockData;
      date = f.sampleTime ? d.wallClockNs + (f.sampleTime.first - d.clockidNs) : d.wallClockNs;
    }
    const uname = f.hostname || f.osRelease ? `Linux ${f.hostname ?? ''} ${f.osRelease ?? ''} ${f.arch ?? ''}` : undefined;
    this.meta = {
      format: 'perf.data',
      name,
      // perf's default clock is the kernel's perf_clock (local_clock, what trace-cmd calls `local`)
      clock: clockid === undefined ? 'local' : (CLOCK_NAMES[clockid] ?? `clockid ${clockid}`),
      nanoseconds: true,
      tsOffset: opts.tsOffset,
      date,
      hostname: f.hostname,
      uname,
      cpuCount: f.nrCpus?.available || f.nrCpus?.online || 0,
      buffers: [''],
      traceId: undefined,
    };
  }

  /** Opens a perf.data over a ByteSource (lazy decoding needs `readSync`: a MemorySource or a Node FileSource). */
  static async open(src: ByteSource, options: Partial<PerfDataSourceOptions> = {}): Promise<PerfDataSource> {
    const opts = { ...DEFAULTS, ...options };
    const tep = new Tep({ onDiagnostic: opts.onDiagnostic });
    if (opts.plugins) loadPlugins(tep);
    const po: Partial<PerfDataOptions> = { tep, onDiagnostic: opts.onDiagnostic, chunkSize: opts.chunkSize };
    if (opts.zstd) po.zstd = opts.zstd;
    const pd = await PerfData.open(src, po);
    return new PerfDataSource(pd, opts, src.name ?? '');
  }

  commOf(pid: number): string | undefined {
    return this.comms.get(pid) ?? this.tep.commOf(pid);
  }

  async read(sink: EventSink, options: Partial<ReadOptions> = {}): Promise<void> {
    const pd = this.pd;
    const le = pd.littleEndian;
    const classes = this.classes;
    const flagsOff = this.flagsOff,
      pcOff = this.pcOff;
    const total = Math.max(0, pd.dataEnd - pd.dataOffset);
    const ratio = pd.features.compressed?.ratio || 1;
    sink.expect?.(Math.ceil((total * ratio) / 64));
    const self = this;
    const fields: CurrentFields = {
      int(f) {
        const e = self.cur;
        if (!e) return 0;
        const key = (f as SampleField).key;
        if (key !== undefined) {
          const v = sampleValue(e.sample, key);
          return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0;
        }
        const raw = e.sample.raw;
        if (!raw || f.offset < 0 || f.offset + f.size > raw.length) return 0;
        const v = self.rawView(raw),
          o = raw.byteOffset + f.offset;
        return readIntAt(v, o, f, le);
      },
      str(f) {
        const e = self.cur;
        const tf = (f as FormatField).raw;
        if (!e?.sample.raw || !tf) return '';
        return self.tep.readString(self.rawRecord(e.sample.raw, 0, 0), tf);
      },
    };
    const ev: StreamEvent = { ts: 0, tsBig: undefined, cpu: 0, pid: -1, classId: -1, flags: 0, preempt: 0, buffer: 0, loc: 0, fields };
    const progressEvery = options.progressEvery ?? 65536;
    const signal = options.signal;
    const keep = this.opts.keepCompressed;
    const shift = Number(this.opts.tsOffset);
    // a second read delivers the same records in the same order: the arena is filled again from its start
    this.arenaUsed = 0;
    this.arenaFull = false;
    let n = 0;
    let stop = false;
    let maxCpu = -1;
    let lastTs = 0;
    try {
      await pd.forEach((e) => {
        if (stop) return;
        const type = e.type;
        if (type === RecordType.Sample) {
          const s = e.sample;
          const cls = e.evsel ? e.evsel.index : -1;
          let loc: number;
          if (!e.compressed) loc = e.fileOffset;
          else loc = this.keep(e.data, keep);
          const cpu = Math.max(s.cpu, 0);
          if (cpu > maxCpu) maxCpu = cpu;
          ev.ts = s.time >= 0 ? s.time + shift : lastTs;
          lastTs = ev.ts;
          ev.cpu = cpu;
          ev.pid = s.tid;
          ev.classId = cls >= 0 && cls < classes.length ? cls : -1;
          ev.flags = 0;
          ev.preempt = 0;
          const raw = s.raw;
          if (raw && cls >= 0) {
            const fo = flagsOff[cls]!,
              po = pcOff[cls]!;
            if (fo >= 0 && fo < raw.length) ev.flags = raw[fo]!;
            if (po >= 0 && po < raw.length) ev.preempt = raw[po]!;
          }
          ev.loc = loc;
          this.cur = e;
          this.curLoc = loc;
          const r = sink.event(ev);
          this.cur = undefined;
          this.curLoc = Number.NaN;
          if (r === false) {
            stop = true;
            return;
          }
          n++;
          if (options.onProgress && n % progressEvery === 0) options.onProgress(Math.min(total, e.fileOffset - pd.dataOffset), total, n);
          if (signal?.aborted) stop = true;
          return;
        }
        if (type === RecordType.Comm) {
          const dv = e.view;
          if (e.size < 17) return;
          const tid = dv.getInt32(12, le);
          const d = e.data;
          let z = d.indexOf(0, 16);
          if (z < 0) z = d.length;
          let comm = '';
          for (let i = 16; i < z; i++) comm += String.fromCharCode(d[i]!);
          this.comms.set(tid, comm);
          return;
        }
        if (type === RecordType.Lost || type === RecordType.LostSamples) {
          const at = type === RecordType.Lost ? 16 : 8;
          if (e.size < at + 8 || !sink.lost) return;
          const count = Number(e.view.getBigUint64(at, le));
          const s = e.sample;
          sink.lost({ ts: s.time > 0 ? s.time + shift : lastTs, cpu: Math.max(s.cpu, 0), buffer: 0, count });
        }
      });
    } finally {
      this.cur = undefined;
      this.curLoc = Number.NaN;
    }
    if (this.meta.cpuCount <= maxCpu) (this.meta as { cpuCount: number }).cpuCount = maxCpu + 1;
    if (!stop) options.onProgress?.(total, total, n);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  }

  /** Copies a decompressed record into the arena; its loc (NOT_KEPT past the cap). */
  private keep(d: Uint8Array, cap: number): number {
    if (this.arenaFull) return NOT_KEPT;
    const n = d.length;
    let k = Math.floor(this.arenaUsed / ARENA_CHUNK);
    let at = this.arenaUsed - k * ARENA_CHUNK;
    if (at + n > ARENA_CHUNK) {
      k++;
      at = 0;
    }
    if (k * ARENA_CHUNK + at + n > cap || n > ARENA_CHUNK) {
      this.arenaFull = true;
      this.opts.onDiagnostic?.({
        level: 'warning',
        code: 'PERF_KEEP_LIMIT',
        message: `Decompressed records past ${cap} bytes are not kept: their fields are readable while the trace streams, not later`,
      });
      return NOT_KEPT;
    }
    while (this.arena.length <= k) this.arena.push(new Uint8Array(ARENA_CHUNK));
    this.arena[k]!.set(d, at);
    const pos = k * ARENA_CHUNK + at;
    this.arenaUsed = pos + n;
    return -1 - pos;
  }

  // ------------------------------------------------------------------ lazy decoding

  /** The record at `loc`: bytes, offset of its header in them. */
  private recordBytes(loc: number): { b: Uint8Array; off: number } | undefined {
    if (!Number.isFinite(loc) || loc === NOT_KEPT) return undefined;
    const le = this.littleEndian;
    if (loc < 0) {
      const pos = -1 - loc;
      const k = Math.floor(pos / ARENA_CHUNK);
      const b = this.arena[k];
      const off = pos - k * ARENA_CHUNK;
      if (!b || pos >= this.arenaUsed || off + 8 > b.length) return undefined;
      return { b, off };
    }
    const src = this.pd.src;
    if (!src.readSync) throw new Error('Lazy decoding needs a synchronous ByteSource (MemorySource or FileSource)');
    if (loc + 8 > src.size) return undefined;
    const start = Math.floor(loc / BLOCK) * BLOCK;
    let b = this.block(start);
    let off = loc - start;
    if (off + 8 > b.length) {
      b = src.readSync(loc, 8);
      off = 0;
    }
    const size = (b[off + 6]! | (b[off + 7]! << 8)) >>> 0;
    const sz = le ? size : ((size >> 8) | ((size & 0xff) << 8)) & 0xffff;
    if (sz < 8) return undefined;
    if (off + sz <= b.length) return { b, off };
    const whole = src.readSync(loc, sz);
    return whole.length === sz ? { b: whole, off: 0 } : undefined;
  }

  private block(start: number): Uint8Array {
    let b = this.blocks.get(start);
    if (!b) {
      b = this.pd.src.readSync!(start, Math.min(BLOCK, this.pd.src.size - start));
      if (this.blocks.size >= 16) this.blocks.delete(this.blocks.keys().next().value as number);
      this.blocks.set(start, b);
    }
    return b;
  }

  /** The sample at `loc` (the event being pushed when it is that one). */
  private sampleAt(loc: number, classId: number): PerfSample | undefined {
    if (loc === this.curLoc && this.cur) return this.cur.sample;
    const ev: PerfEvsel | undefined = this.pd.evsels[classId];
    if (!ev) return undefined;
    const r = this.recordBytes(loc);
    if (!r) return undefined;
    const { b, off } = r;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const le = this.littleEndian;
    if (dv.getUint32(off, le) !== RecordType.Sample) return undefined;
    const size = dv.getUint16(off + 6, le);
    const s = emptySample(); // (a lazy call: one sample object, fields of another attr never left over)
    try {
      parseSample(b, dv, off + 8, off + size, ev.attr, le, s, loc >= 0 ? loc + 8 : 0);
    } catch {
      return undefined;
    }
    return s;
  }

  private rawView(raw: Uint8Array): DataView {
    if (raw.buffer !== this.recBuf) {
      this.recBuf = raw.buffer;
      this.recPage = new Uint8Array(raw.buffer);
      this.recView = new DataView(raw.buffer);
    }
    return this.recView;
  }

  /** A tracepoint payload as libtraceevent's record (one reused KRecord over the payload's buffer). */
  private rawRecord(raw: Uint8Array, ts: number, cpu: number): KRecord {
    const r = this.rec;
    r.view = this.rawView(raw);
    r.page = this.recPage;
    r.offset = raw.byteOffset;
    r.size = raw.length;
    r.tsNum = ts;
    r.tsBig = undefined;
    r.cpu = cpu;
    r.missedEvents = 0;
    return r;
  }

  /** The class of the SAMPLE at `loc` (by its sample id, as the reader finds a record's evsel), or -1. */
  classAt(loc: number): number {
    if (loc === this.curLoc && this.cur) return this.cur.evsel?.index ?? -1;
    const r = this.recordBytes(loc);
    const evs = this.pd.evsels;
    if (!r || evs.length === 0) return -1;
    const le = this.littleEndian;
    const dv = new DataView(r.b.buffer, r.b.byteOffset, r.b.byteLength);
    if (dv.getUint32(r.off, le) !== RecordType.Sample) return -1;
    if (evs.length === 1) return 0;
    const pos = sampleIdPos(evs[0]!.attr);
    const size = dv.getUint16(r.off + 6, le);
    if (pos < 0 || 8 + pos * 8 + 8 > size) return -1;
    return this.pd.evselOf(Number(dv.getBigUint64(r.off + 8 + pos * 8, le)))?.index ?? -1;
  }

  /** The tracepoint payload at `loc` as a record (tracepoint classes only). */
  record(loc: number, ts: number, cpu: number): KRecord | undefined {
    const c = this.classAt(loc);
    if (c < 0 || !this.classes[c]!.format) return undefined;
    const s = this.sampleAt(loc, c);
    return s?.raw ? this.rawRecord(s.raw, ts, cpu) : undefined;
  }

  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }> {
    const c = this.classes[classId];
    const s = c ? this.sampleAt(loc, classId) : undefined;
    if (!c || !s) return [];
    const out: Array<{ name: string; value: FieldValue }> = [];
    const f = c.format;
    if (f) {
      if (!s.raw) return [];
      const r = this.rawRecord(s.raw, 0, 0);
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
    for (const fld of c.fields as readonly SampleField[]) out.push({ name: fld.name, value: sampleValue(s, fld.key) });
    return out;
  }

  info(loc: number, classId: number, ts: number, cpu: number): string {
    const c = this.classes[classId];
    const s = c ? this.sampleAt(loc, classId) : undefined;
    if (!c || !s) return '';
    if (c.format) return s.raw ? this.tep.formatInfo(this.rawRecord(s.raw, ts, cpu), c.format) : '';
    // perf script's tail without the DSO lookups: the ip (and a kernel symbol the tracing data names), the period
    const t = this.pd.evsels[classId]!.attr.sampleType;
    let out = '';
    if (t & SampleType.Ip) {
      out = hex(s.ip);
      const sym = s.ip >= CallchainContext.Max ? undefined : this.tep.findFunction(s.ip);
      if (sym) out += ` ${sym.name}+0x${(s.ip - sym.addr).toString(16)}`;
    }
    if (t & SampleType.Addr) out += `${out ? ' ' : ''}addr=${hex(s.addr)}`;
    if (t & SampleType.Period) out += `${out ? ' ' : ''}period=${s.period}`;
    return out;
  }
}

/** A sample's value for a field key. */
function sampleValue(s: PerfSample, key: number): FieldValue {
  switch (key) {
    case Key.Ip:
      return s.ip;
    case Key.Pid:
      return s.pid;
    case Key.Tid:
      return s.tid;
    case Key.Time:
      return s.time;
    case Key.Addr:
      return s.addr;
    case Key.Id:
      return s.id;
    case Key.StreamId:
      return s.streamId;
    case Key.Cpu:
      return s.cpu;
    case Key.Period:
      return s.period;
    case Key.Read:
      return s.read ? s.read.slice() : [];
    case Key.Callchain:
      return s.callchain ? Array.from(s.callchain) : [];
    case Key.Raw:
      return s.raw ? s.raw.slice() : new Uint8Array(0);
    case Key.Weight:
      return s.weight;
    case Key.DataSrc:
      return s.dataSrc;
    case Key.Transaction:
      return s.transaction;
    case Key.PhysAddr:
      return s.physAddr;
    case Key.Cgroup:
      return s.cgroup;
    default:
      return 0;
  }
}
