/**
 * CtfSource: a CTF 1.8 trace (utp's own, LTTng's, any babeltrace2 reads) as a unified event stream
 * (see event-stream.ts). Events come from `CtfTrace.forEachEvent` (every stream merged by time, as
 * babeltrace2 orders them); their fields are decoded by `CtfEventDecoder` from the packet bytes.
 *
 * `loc = row * ROW_BITS + bit`, `bit` the event's position (its stream event context) in its packet
 * less the row's base: the source keeps one row per packet (stream, file offset, content size; a
 * packet longer than ROW_BITS bits takes a row per ROW_BITS), so decoding an event later re-reads
 * that packet (16 are cached) and decodes at the bit. Lazy decoding needs ByteSources with
 * `readSync` (MemorySource, Node's FileSource).
 *
 * A CTF that `utp convert` wrote from a trace.dat may come with its trace.dat skeleton (the hidden
 * `.utp-tracedat.dat`, opened as a TraceDat, and `.utp-tracedat.json`): it gives the events' systems,
 * the saved cmdlines, uname, the CPU count, the buffer of each stream and the losses of unknown size,
 * so that the stream is the one the original trace.dat gives.
 */
import type { ByteSource } from '@utp/bytes';
import { MemorySource } from '@utp/bytes';
import { CtfEventDecoder, CtfTrace } from '@utp/ctf';
import type { CtfEventView, CtfFieldDesc, CtfValue, StructT } from '@utp/ctf';
import type { Diagnostic, TraceRecord } from '@utp/traceevent';
import type { TraceDat } from '@utp/tracedat';
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
import { valuesFields } from './format-field.js';
import { GrowF64, GrowI32 } from './grow.js';

/** What `utp convert --to ctf` keeps beside the CTF (docs/convert.md, "CTF → trace.dat"). */
export interface CtfSkeleton {
  /** `.utp-tracedat.dat`: the original's metadata (formats, cmdlines, options) without event data. */
  td: TraceDat;
  /** `.utp-tracedat.json`'s streams and losses of unknown size. */
  streams: ReadonlyArray<{ name: string; buffer: string; cpu: number }>;
  unknownLosses: ReadonlyArray<{ stream: string; index: number }>;
}

export interface CtfSourceOptions {
  /** Names the trace in messages and in `meta.name` (the directory). */
  name: string;
  onDiagnostic: ((d: Diagnostic) => void) | undefined;
  skeleton: CtfSkeleton | undefined;
}

const DEFAULTS: Readonly<CtfSourceOptions> = Object.freeze({ name: '', onDiagnostic: undefined, skeleton: undefined });

/** Bits of a packet one row of the packet table covers (2 MiB); loc = row * ROW_BITS + bit in the row. */
export const ROW_BITS = 1 << 24;
const CACHE = 16;

type IndexedField = StreamField & { index: number };

class CtfClass implements EventClass {
  readonly format = undefined;
  constructor(
    readonly id: number,
    readonly fileId: number,
    readonly streamClass: number,
    public system: string,
    readonly name: string,
    readonly fields: readonly IndexedField[],
    readonly commonFields: readonly IndexedField[],
    /** Skeleton: several formats share the name, the first event's common_type decides. */
    public systemPending: boolean,
  ) {}
}

function streamField(d: CtfFieldDesc, index: number): IndexedField {
  return {
    name: d.name,
    type: d.type,
    kind: d.kind,
    size: d.size,
    signed: d.signed,
    length: d.length,
    elementSize: d.elementSize,
    dynamic: d.dynamic,
    offset: -1,
    index,
  };
}

/** Byte offsets of named integers in a struct of byte-aligned integers (from its aligned start); undefined past the first other member. */
function fixedOffsets(t: StructT | undefined): Map<string, { at: number; size: number; signed: boolean; le: boolean }> {
  const m = new Map<string, { at: number; size: number; signed: boolean; le: boolean }>();
  if (!t) return m;
  let bits = 0;
  for (const f of t.fields) {
    const it = f.type.k === 'int' ? f.type : f.type.k === 'enum' ? f.type.int : undefined;
    if (!it || it.size % 8 || it.align % 8 || it.size > 32 || t.align % it.align) break;
    bits = Math.ceil(bits / it.align) * it.align;
    m.set(f.name.startsWith('_') ? f.name.slice(1) : f.name, { at: bits >>> 3, size: it.size >>> 3, signed: it.signed, le: it.le });
    bits += it.size;
  }
  return m;
}

export class CtfSource implements EventSource {
  readonly meta: SourceMeta;
  readonly classes: CtfClass[] = [];
  readonly trace: CtfTrace;
  readonly decoder: CtfEventDecoder;
  private readonly opts: CtfSourceOptions;
  private readonly classKey = new Map<number, number>();
  private readonly sources: ByteSource[];
  /** Packet table: stream index, file offset, content bits, bit base of the row. */
  private readonly rowStream = new GrowI32(256);
  private readonly rowOffset = new GrowF64(256);
  private readonly rowBits = new GrowF64(256);
  private readonly rowBase = new GrowF64(256);
  private readonly cache = new Map<string, Uint8Array>();
  private readonly comms = new Map<number, string>();
  private readonly streamCpu: number[];
  private readonly streamBuffer: number[];
  /** The event being pushed (for values() during the call and `fields`). */
  private cur: CtfEventView | undefined;
  private curLoc = -1;
  private curClass = -1;
  private curVals: CtfValue[] | undefined;
  private readonly toNs: (v: number | bigint) => bigint;
  /** Fast clock conversion: `baseNum + v` exact (freq 1 GHz, small offset). */
  private readonly baseNum: number | undefined;

  private constructor(trace: CtfTrace, sources: ByteSource[], opts: CtfSourceOptions, cpus: number[]) {
    this.trace = trace;
    this.sources = sources;
    this.opts = opts;
    const tc = trace.tc;
    this.decoder = new CtfEventDecoder(tc);
    const sk = opts.skeleton;
    const tep = sk?.td.tep;
    for (const sc of tc.streams.values()) {
      for (const ec of sc.events.values()) {
        const id = this.classes.length;
        const d = this.decoder.fieldsOf(sc.id, ec.id)!;
        const nf = d.fields.length;
        const fields = d.fields.map((f, i) => streamField(f, i));
        const common = d.context.map((f, i) => streamField(f, nf + i));
        let system = '',
          name = ec.name,
          pending = false;
        if (tep) {
          const cands = tep.events.filter((f) => f.name === ec.name);
          system = cands[0]?.system ?? '';
          pending = cands.length > 1;
        } else {
          const colon = name.indexOf(':');
          if (colon > 0) {
            system = name.slice(0, colon);
            name = name.slice(colon + 1);
          }
        }
        this.classes.push(new CtfClass(id, ec.id, sc.id, system, name, fields, common, pending));
        this.classKey.set(sc.id * 4294967296 + ec.id, id);
      }
    }
    // the clock of the event timestamps; ns as babeltrace2 shows them (offset included)
    const clock = trace.clock;
    const freq = clock?.freq ?? 1000000000n;
    const baseNs = clock ? clock.offsetS * 1000000000n + (freq === 1000000000n ? clock.offset : (clock.offset * 1000000000n) / freq) : 0n;
    this.toNs = freq === 1000000000n ? (v) => baseNs + BigInt(v) : (v) => baseNs + BigInt(Math.trunc((Number(v) * 1e9) / Number(freq)));
    this.baseNum = freq === 1000000000n && baseNs >= 0n && baseNs < 2n ** 52n ? Number(baseNs) : undefined;
    const env = tc.env;
    const envStr = (k: string): string | undefined => {
      const v = env.get(k);
      return v === undefined ? undefined : String(v);
    };
    // buffers: the skeleton's, else the stream file names less their _CPU suffix (utp's top buffer: stream_N)
    const buffers: string[] = [];
    const bufferOf = (n: string): number => {
      let i = buffers.indexOf(n);
      if (i < 0) i = buffers.push(n) - 1;
      return i;
    };
    const skStreams = new Map(sk?.streams.map((s) => [s.name, s]) ?? []);
    if (sk) for (const s of sk.streams) if (s.buffer === '') bufferOf('');
    this.streamCpu = [];
    this.streamBuffer = [];
    trace.streams.forEach((s, i) => {
      const k = skStreams.get(s.name);
      const base = s.name.replace(/_\d+$/, '');
      this.streamBuffer.push(bufferOf(k ? k.buffer : base === 'stream' && envStr('tracer_name') === 'utp' ? '' : base));
      this.streamCpu.push(cpus[i]! >= 0 ? cpus[i]! : (k?.cpu ?? i));
    });
    if (!buffers.length) buffers.push('');
    const hostname = envStr('hostname');
    const sysname = envStr('sysname');
    const unameEnv = sysname
      ? [sysname, hostname ?? '', envStr('kernel_release'), envStr('kernel_version'), envStr('machine')]
          .filter((x) => x !== undefined)
          .join(' ')
      : undefined;
    let cpuCount = 0;
    for (const c of this.streamCpu) cpuCount = Math.max(cpuCount, c + 1);
    this.meta = {
      format: 'ctf',
      name: opts.name,
      clock: sk ? (sk.td.traceClock ?? 'local') : (clock?.name ?? ''),
      nanoseconds: sk ? sk.td.inUsecs : clock !== undefined,
      tsOffset: baseNs,
      date: undefined,
      hostname: sk ? (sk.td.uname?.split(' ')[1] ?? hostname) : hostname,
      uname: sk ? sk.td.uname : unameEnv,
      cpuCount: sk ? sk.td.cpuCount : cpuCount,
      buffers,
      traceId: undefined,
    };
  }

  /**
   * Opens a CTF trace: its metadata (plain or packetized) and data streams (ByteSources with
   * `readSync` for lazy decoding, or bytes). Reads the first packet of each stream for its CPU.
   */
  static async open(
    metadata: Uint8Array,
    streams: ReadonlyArray<{ name: string; source: ByteSource | Uint8Array }>,
    options: Partial<CtfSourceOptions> = {},
  ): Promise<CtfSource> {
    const opts = { ...DEFAULTS, ...options };
    const inputs = streams.map((s) => ({
      name: s.name,
      source: s.source instanceof Uint8Array ? new MemorySource(s.source, s.name) : s.source,
    }));
    const trace = CtfTrace.open(metadata, inputs, opts.name);
    const dec = new CtfEventDecoder(trace.tc);
    const cpus: number[] = [];
    for (const s of trace.streams) {
      const head = s.source.size > 0 ? await s.source.read(0, Math.min(4096, s.source.size)) : new Uint8Array(0);
      let cpu = -1;
      try {
        const v = dec.packetValues(head).get('cpu_id');
        if (v !== undefined) cpu = Number(v);
      } catch {
        /* a damaged first packet: the reader reports it */
      }
      cpus.push(cpu);
    }
    return new CtfSource(
      trace,
      trace.streams.map((s) => s.source),
      opts,
      cpus,
    );
  }

  /** Dense class id of (stream class, event id); -1 when unknown. */
  classOf(streamClass: number, eventId: number): number {
    return this.classKey.get(streamClass * 4294967296 + eventId) ?? -1;
  }

  commOf(pid: number): string | undefined {
    const sk = this.opts.skeleton;
    if (sk) return sk.td.tep.commOf(pid);
    return this.comms.get(pid);
  }

  /** Rows of the packet table so far. */
  get rowCount(): number {
    return this.rowStream.length;
  }

  async read(sink: EventSink, options: Partial<ReadOptions> = {}): Promise<void> {
    const trace = this.trace;
    const nstreams = trace.streams.length;
    const lastOff = new Float64Array(nstreams).fill(-1);
    const lastRow = new Int32Array(nstreams).fill(-1);
    const lastDiscarded: bigint[] = new Array(nstreams).fill(0n);
    const index = new Float64Array(nstreams);
    let totalBytes = 0;
    for (const s of this.sources) totalBytes += s.size;
    sink.expect?.(Math.ceil(totalBytes / 32));
    const sk = this.opts.skeleton;
    const unknown = new Map<number, Set<number>>();
    if (sk) {
      const byName = new Map(trace.streams.map((s, i) => [s.name, i]));
      for (const l of sk.unknownLosses) {
        const i = byName.get(l.stream);
        if (i === undefined) continue;
        let set = unknown.get(i);
        if (!set) unknown.set(i, (set = new Set()));
        set.add(l.index);
      }
    }
    // per stream class: where flags / preempt / pid are in the stream event context
    const ctxOf = new Map<number, ReturnType<typeof fixedOffsets> & { align?: number }>();
    const ctxAlign = new Map<number, number>();
    for (const sc of trace.tc.streams.values()) {
      ctxOf.set(sc.id, fixedOffsets(sc.eventContext));
      ctxAlign.set(sc.id, sc.eventContext?.align ?? 8);
    }
    const comm = this.commLearners();
    const fields: CurrentFields = valuesFields(() => this.currentValues());
    const ev: StreamEvent = { ts: 0, tsBig: undefined, cpu: 0, pid: -1, classId: -1, flags: 0, preempt: 0, buffer: 0, loc: 0, fields };
    const progressEvery = options.progressEvery ?? 65536;
    const signal = options.signal;
    const baseNum = this.baseNum;
    let n = 0;
    let stopped = false;
    type Off = { at: number; size: number; signed: boolean; le: boolean } | undefined;
    let lastSc = -1,
      al = 8,
      pidO: Off,
      flagsO: Off,
      preemptO: Off;
    let dvBytes: Uint8Array | undefined;
    let dv: DataView = new DataView(new ArrayBuffer(0));
    const readCtx = (
      view: CtfEventView,
      o: { at: number; size: number; signed: boolean; le: boolean } | undefined,
      start: number,
    ): number | undefined => {
      if (!o) return undefined;
      const at = start + o.at;
      if (at + o.size > view.contentBits >>> 3) return undefined;
      if (view.bytes !== dvBytes) {
        dvBytes = view.bytes;
        dv = new DataView(dvBytes.buffer, dvBytes.byteOffset, dvBytes.byteLength);
      }
      switch (o.size) {
        case 1:
          return o.signed ? dv.getInt8(at) : dv.getUint8(at);
        case 2:
          return o.signed ? dv.getInt16(at, o.le) : dv.getUint16(at, o.le);
        default:
          return o.signed ? dv.getInt32(at, o.le) : dv.getUint32(at, o.le);
      }
    };
    await trace.forEachEvent((view) => {
      const si = view.streamIndex;
      // the packet table
      let row = lastRow[si]!;
      if (view.packetOffset !== lastOff[si] || view.bit - this.rowBase.get(row) >= ROW_BITS) {
        row = this.rowStream.length;
        this.rowStream.push(si);
        this.rowOffset.push(view.packetOffset);
        this.rowBits.push(view.contentBits);
        this.rowBase.push(view.packetOffset === lastOff[si] ? Math.floor(view.bit / ROW_BITS) * ROW_BITS : 0);
        lastOff[si] = view.packetOffset;
        lastRow[si] = row;
      }
      const classId = this.classOf(view.streamClass, view.id);
      this.cur = view;
      this.curLoc = row * ROW_BITS + (view.bit - this.rowBase.get(row));
      this.curClass = classId;
      this.curVals = undefined;
      if (view.cpu >= 0) ev.cpu = view.cpu;
      else ev.cpu = this.streamCpu[si]!;
      ev.buffer = this.streamBuffer[si]!;
      ev.classId = classId;
      ev.loc = this.curLoc;
      if (baseNum !== undefined && typeof view.ts === 'number' && baseNum + view.ts <= Number.MAX_SAFE_INTEGER) {
        ev.ts = baseNum + view.ts;
        ev.tsBig = undefined;
      } else {
        const ns = this.toNs(view.ts);
        ev.ts = Number(ns);
        ev.tsBig = ns <= BigInt(Number.MAX_SAFE_INTEGER) && ns >= 0n ? undefined : ns;
      }
      // pid, flags, preempt from the stream event context: read in place when it is fixed integers
      if (view.streamClass !== lastSc) {
        lastSc = view.streamClass;
        const offs = ctxOf.get(lastSc)!;
        al = ctxAlign.get(lastSc)!;
        pidO = offs.get('common_pid') ?? offs.get('tid') ?? offs.get('vtid');
        flagsO = offs.get('common_flags');
        preemptO = offs.get('common_preempt_count');
      }
      const start = Math.ceil(view.bit / al) * al;
      let pid: number | undefined, flags: number | undefined, preempt: number | undefined;
      if ((start & 7) === 0) {
        const b = start >>> 3;
        pid = readCtx(view, pidO, b);
        flags = readCtx(view, flagsO, b);
        preempt = readCtx(view, preemptO, b);
      }
      const cls = this.classes[classId];
      if (pid === undefined && cls) pid = this.contextInt(cls, ['common_pid', 'tid', 'vtid']);
      ev.pid = pid ?? -1;
      ev.flags = flags ?? 0;
      ev.preempt = preempt ?? 0;
      if (cls?.systemPending) this.settleSystem(cls);
      if (cls && comm[classId]) comm[classId]!(ev.pid);
      // losses: an events_discarded increase (counted); the skeleton's losses of unknown size
      const k = index[si]!;
      index[si] = k + 1;
      let missed = 0;
      if (view.discarded > lastDiscarded[si]!) {
        missed = Number(view.discarded - lastDiscarded[si]!);
        lastDiscarded[si] = view.discarded;
      }
      if (unknown.get(si)?.has(k)) missed = -1;
      if (missed !== 0 && sink.lost) sink.lost({ ts: ev.ts, cpu: ev.cpu, buffer: ev.buffer, count: missed });
      const r = sink.event(ev);
      this.cur = undefined;
      this.curVals = undefined;
      if (r === false) {
        stopped = true;
        return false;
      }
      n++;
      if (n % progressEvery === 0) {
        if (options.onProgress) {
          let d = 0;
          for (let i = 0; i < nstreams; i++) d += Math.max(0, lastOff[i]!);
          options.onProgress(d, totalBytes, n);
        }
        if (signal?.aborted) {
          stopped = true;
          return false;
        }
      }
      return true;
    }, this.opts.onDiagnostic);
    if (!stopped) options.onProgress?.(totalBytes, totalBytes, n);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  }

  /** The current event's values (decoded once per event). */
  private currentValues(): CtfValue[] | undefined {
    if (this.curVals) return this.curVals;
    const v = this.cur;
    const cls = this.classes[this.curClass];
    if (!v || !cls) return undefined;
    const out: CtfValue[] = [];
    try {
      this.decoder.values(cls.streamClass, cls.fileId, v.bytes, v.bit, v.contentBits, out);
    } catch {
      out.length = 0;
    }
    this.curVals = out;
    return out;
  }

  private contextInt(cls: CtfClass, names: string[]): number | undefined {
    for (const nm of names) {
      const f = cls.commonFields.find((x) => x.name === nm);
      if (!f) continue;
      const v = this.currentValues()?.[f.index];
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
    }
    return undefined;
  }

  /** Skeleton formats sharing a name: the event's common_type says which. */
  private settleSystem(cls: CtfClass): void {
    const f = cls.commonFields.find((x) => x.name === 'common_type');
    const v = f ? this.currentValues()?.[f.index] : undefined;
    const fmt = typeof v === 'number' ? this.opts.skeleton?.td.tep.findEventById(v) : undefined;
    if (fmt && fmt.name === cls.name) cls.system = fmt.system;
    cls.systemPending = false;
  }

  /**
   * Per class, what it says of task names (without a skeleton, commOf's table): sched_switch's
   * prev/next comm and pid (tid in LTTng), a `comm` with a `pid`/`tid` field, a `procname` context
   * (LTTng) for the event's task.
   */
  private commLearners(): Array<((pid: number) => void) | undefined> {
    if (this.opts.skeleton) return [];
    return this.classes.map((c) => {
      const idx = (n: string): number => c.fields.find((f) => f.name === n)?.index ?? c.commonFields.find((f) => f.name === n)?.index ?? -1;
      const pairs: Array<[number, number]> = [];
      for (const [cn, pn] of [
        ['prev_comm', 'prev_pid'],
        ['prev_comm', 'prev_tid'],
        ['next_comm', 'next_pid'],
        ['next_comm', 'next_tid'],
        ['comm', 'pid'],
        ['comm', 'tid'],
      ] as const) {
        const a = idx(cn),
          b = idx(pn);
        if (a >= 0 && b >= 0) pairs.push([a, b]);
      }
      const proc = idx('procname');
      if (!pairs.length && proc < 0) return undefined;
      return (pid: number) => {
        const v = this.currentValues();
        if (!v) return;
        for (const [a, b] of pairs) {
          const name = v[a],
            p = v[b];
          if (typeof name === 'string' && name && (typeof p === 'number' || typeof p === 'bigint')) this.comms.set(Number(p), name);
        }
        if (proc >= 0 && pid >= 0 && typeof v[proc] === 'string' && v[proc]) this.comms.set(pid, v[proc] as string);
      };
    });
  }

  // ------------------------------------------------------------------ lazy decoding

  /** The packet bytes and the event's bit position for `loc`. */
  private locate(loc: number): { bytes: Uint8Array; bit: number; end: number } | undefined {
    const row = Math.floor(loc / ROW_BITS);
    if (row < 0 || row >= this.rowStream.length) return undefined;
    if (this.cur && loc === this.curLoc) return { bytes: this.cur.bytes, bit: this.cur.bit, end: this.cur.contentBits };
    const si = this.rowStream.get(row);
    const off = this.rowOffset.get(row);
    const bits = this.rowBits.get(row);
    const key = `${si}:${off}`;
    let b = this.cache.get(key);
    if (!b) {
      const src = this.sources[si]!;
      if (!src.readSync) throw new Error('Lazy decoding needs a synchronous ByteSource (MemorySource or FileSource)');
      b = src.readSync(off, Math.ceil(bits / 8));
      if (this.cache.size >= CACHE) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, b);
    }
    return { bytes: b, bit: this.rowBase.get(row) + (loc - row * ROW_BITS), end: bits };
  }

  record(_loc: number, _ts: number, _cpu: number): TraceRecord | undefined {
    return undefined;
  }

  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }> {
    const cls = this.classes[classId];
    if (!cls) return [];
    let vals: CtfValue[] | undefined;
    if (this.cur && loc === this.curLoc && classId === this.curClass) vals = this.currentValues();
    else {
      const at = this.locate(loc);
      if (!at) return [];
      vals = [];
      try {
        this.decoder.values(cls.streamClass, cls.fileId, at.bytes, at.bit, at.end, vals);
      } catch {
        return [];
      }
    }
    if (!vals) return [];
    const out: Array<{ name: string; value: FieldValue }> = [];
    const nf = cls.fields.length;
    for (let i = 0; i < vals.length; i++) {
      const f = i < nf ? cls.fields[i] : cls.commonFields[i - nf];
      if (f) out.push({ name: f.name, value: vals[i]! });
    }
    return out;
  }

  /** babeltrace2's text of the event after its name: packet context, contexts, payload. */
  info(loc: number, classId: number, _ts: number, _cpu: number): string {
    const cls = this.classes[classId];
    const at = cls ? this.locate(loc) : undefined;
    if (!cls || !at) return '';
    try {
      return this.decoder.text(cls.streamClass, cls.fileId, at.bytes, at.bit, at.end);
    } catch {
      return '';
    }
  }
}
