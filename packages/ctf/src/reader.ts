/**
 * CtfTrace: reads a CTF 1.8 trace (metadata + data streams, each a ByteSource) and prints it
 * as `babeltrace2 TRACE` does: events of all streams merged by time, one line each, and the
 * discarded-events/packets warnings (on the diagnostic channel, as babeltrace2 writes them to
 * stderr). Packets are read one at a time, so memory stays bounded.
 */
import type { ByteSource } from '@utp/bytes';
import { CtfError, CtfErrorCode } from './errors.js';
import { Compiler, DecodeError, NullOut, Out, readInt, utf8Bytes } from './decoder.js';
import type { Cursor, Printer } from './decoder.js';
import { metadataText, parseMetadata } from './metadata.js';
import type { ClockClass, EventClassT, IntT, StreamClassT, StructT, TraceClass } from './metadata.js';
import type { Diagnostic } from '@utp/traceevent';

export interface CtfStreamInput {
  name: string;
  source: ByteSource;
}

export interface CtfPrintOptions {
  /** Receives the output bytes (valid only during the call). */
  write: (bytes: Uint8Array) => void;
  /** Warnings babeltrace2 prints on stderr (discarded events/packets) and reader problems. */
  onDiagnostic?: (d: Diagnostic) => void;
  /** Time zone offset in minutes east of UTC for a given epoch second (default: the host's local time). */
  localTime?: (sec: number) => { h: number; m: number; s: number };
}

/** One event as `CtfTrace.forEachEvent` hands it over (the object is reused). */
export interface CtfEventView {
  /** The data stream file's name. */
  stream: string;
  /** The event's clock value (cycles of the trace clock, without its offset). */
  ts: number | bigint;
  /** Event class id and name. */
  id: number;
  name: string;
  /** The packet's bytes; the event's context and payload are bytes[start, end). */
  bytes: Uint8Array;
  start: number;
  end: number;
  /** The stream's running events_discarded count (-1: none read yet). */
  discarded: bigint;
  /** Index of the stream in `CtfTrace.streams` (sorted by name). */
  streamIndex: number;
  /** The stream class id and the file offset of the event's packet. */
  streamClass: number;
  packetOffset: number;
  /** The packet's content size in bits (its bytes run at least to ceil(contentBits / 8)). */
  contentBits: number;
  /** Bit position of the event's stream event context in the packet (`bytes` starts at the packet). */
  bit: number;
  /** The packet context's `cpu_id` (-1: none). */
  cpu: number;
}

const HIDDEN_CONTEXT = new Set(['timestamp_begin', 'timestamp_end', 'content_size', 'packet_size', 'packet_seq_num', 'events_discarded']);
const WINDOW = 1 << 12; // first read of a packet: its header and context (the rest once its size is known)
const U64 = (1n << 64n) - 1n;

interface StreamPlan {
  sc: StreamClassT;
  context: Printer | undefined;
  header: Printer | undefined;
  eventContext: Printer | undefined;
  events: Map<number, { ec: EventClassT; name: string; context: Printer | undefined; fields: Printer | undefined }>;
  /** Byte-aligned `{ uN id; u64 timestamp; }` header (what we write): read directly. */
  fastHeader: { idBytes: number; le: boolean; bytes: number } | undefined;
}

/** Reading state of one data stream file. */
class StreamState {
  off = 0; // file offset of the current packet
  buf: Uint8Array = new Uint8Array(0);
  cur: Cursor;
  packetEnd = 0; // content end in bits
  packetBits = 0;
  plan: StreamPlan | undefined;
  ctxText: Uint8Array | undefined;
  clock: number | bigint = 0;
  pendingTs: number | bigint = 0;
  pendingId = 0;
  hasEvent = false;
  done = false;
  discarded = -1n;
  seq = -1n;
  prevEnd: bigint | undefined;
  tsBegin: bigint | undefined;
  tsEnd: bigint | undefined;
  streamId = 0;
  /** The current packet's cpu_id (-1: none). */
  cpu = -1;
  /** Index in CtfTrace.streams. */
  index = 0;
  /** Set when the current packet runs past the end of the file. */
  cutNote: string | undefined;
  readonly clockCb = (v: number | bigint, size: number): void => {
    this.clock = updateClock(this.clock, v, size);
  };
  constructor(
    readonly input: CtfStreamInput,
    vals: Map<string, number | bigint>,
  ) {
    this.cur = { buf: this.buf, dv: new DataView(this.buf.buffer), pos: 0, end: 0, vals, onClock: undefined };
  }
}

export class CtfTrace {
  readonly tc: TraceClass;
  private readonly compiler = new Compiler();
  private readonly plans = new Map<number, StreamPlan>();
  private headerPrinter: Printer | undefined;
  /** Output of the decoders whose text is not shown (headers). */
  private readonly sink: Out = new NullOut();
  readonly hostname: string | undefined;
  readonly name: string;

  private constructor(
    tc: TraceClass,
    readonly streams: CtfStreamInput[],
    readonly path: string,
  ) {
    this.tc = tc;
    const c = this.compiler;
    prepareCompiler(c, tc);
    this.headerPrinter = tc.packetHeader ? c.compile(tc.packetHeader) : undefined;
    for (const sc of tc.streams.values()) {
      const events = new Map<number, { ec: EventClassT; name: string; context: Printer | undefined; fields: Printer | undefined }>();
      for (const ec of sc.events.values()) {
        events.set(ec.id, {
          ec,
          name: utf8Bytes(ec.name),
          context: ec.context ? c.compile(ec.context) : undefined,
          fields: ec.fields ? c.compile(ec.fields) : undefined,
        });
      }
      this.plans.set(sc.id, {
        sc,
        context: sc.packetContext ? c.struct(sc.packetContext, HIDDEN_CONTEXT) : undefined,
        header: sc.eventHeader ? c.compile(sc.eventHeader) : undefined,
        eventContext: sc.eventContext ? c.compile(sc.eventContext) : undefined,
        events,
        fastHeader: fastHeaderOf(sc.eventHeader),
      });
    }
    const h = tc.env.get('hostname');
    this.hostname = typeof h === 'string' ? h : undefined;
    this.name = this.hostname ?? '';
  }

  /** Parses the metadata (plain or packetized). `path` names the trace in messages. */
  static open(metadata: Uint8Array, streams: CtfStreamInput[], path = ''): CtfTrace {
    const tc = parseMetadata(metadataText(metadata));
    const sorted = [...streams].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new CtfTrace(tc, sorted, path);
  }

  /** The clock class the event timestamps map to (undefined: none). */
  get clock(): ClockClass | undefined {
    return this.clockOf();
  }

  private clockOf(): ClockClass | undefined {
    // the clock the event header timestamps map to (the first one)
    for (const sc of this.tc.streams.values()) {
      const ts = findClockInt(sc.eventHeader) ?? findClockInt(sc.packetContext);
      if (ts?.clock) return this.tc.clocks.get(ts.clock);
    }
    return this.tc.clocks.values().next().value;
  }

  /** Prints every event as babeltrace2 does. Returns the number of events printed. */
  async print(opts: CtfPrintOptions): Promise<number> {
    const clock = this.clockOf();
    const freq = clock?.freq ?? 1000000000n;
    const baseNs = clock ? clock.offsetS * 1000000000n + (freq === 1000000000n ? clock.offset : (clock.offset * 1000000000n) / freq) : 0n;
    const toNs =
      freq === 1000000000n ? (v: bigint) => baseNs + v : (v: bigint) => baseNs + BigInt(Math.trunc((Number(v) * 1e9) / Number(freq)));
    const hasClock = clock !== undefined;
    const localTime =
      opts.localTime ??
      ((sec: number) => {
        const d = new Date(sec * 1000);
        return { h: d.getHours(), m: d.getMinutes(), s: d.getSeconds() };
      });
    const host = this.hostname !== undefined ? utf8Bytes(this.hostname) + ' ' : '';
    const states: StreamState[] = [];
    const vals = new Map<string, number | bigint>();
    this.streams.forEach((s, i) => {
      const st = new StreamState(s, vals);
      st.streamId = i;
      states.push(st);
    });
    for (const st of states) {
      st.cur.vals = new Map();
      await this.nextEvent(st, opts, toNs);
    }
    let lastNs: bigint | undefined;
    let lastNum = -1;
    let count = 0;
    const o = new Out();
    let cacheSec = -1n,
      cacheText = '';
    const two9 = 1000000000n;
    // the clock base split into seconds and nanoseconds: event times below 2^53 stay numbers
    const baseSec = baseNs / two9,
      baseFrac = Number(baseNs % two9);
    const baseSecNum = Number(baseSec);
    let cacheSecNum = -1;
    const exactNum = freq === 1000000000n && baseNs >= 0n && Number.isSafeInteger(baseSecNum);
    for (;;) {
      // the stream whose next event is the oldest (ties: lowest stream id)
      let best: StreamState | undefined;
      for (const st of states) {
        if (!st.hasEvent) continue;
        if (!best || st.pendingTs < best.pendingTs) best = st;
      }
      if (!best) break;
      const st = best;
      const plan = st.plan!;
      const ev = plan.events.get(st.pendingId);
      const lineStart = o.pos;
      if (hasClock) {
        const raw = st.pendingTs;
        let sec: number,
          frac: number,
          nsNum = -1;
        if (exactNum && typeof raw === 'number') {
          const r = Number(raw) + baseFrac;
          const q = Math.floor(r / 1e9);
          sec = baseSecNum + q;
          frac = r - q * 1e9;
          nsNum = Number(raw);
        } else {
          const ns = toNs(BigInt(raw));
          let bs = ns / two9,
            bf = ns % two9;
          if (bf < 0n) {
            bf += two9;
            bs -= 1n;
          }
          sec = Number(bs);
          frac = Number(bf);
          void cacheSec;
        }
        if (sec !== cacheSecNum) {
          cacheSecNum = sec;
          const t = localTime(sec);
          cacheText = '[' + p2(t.h) + ':' + p2(t.m) + ':' + p2(t.s) + '.';
        }
        o.str(cacheText);
        o.dec9(frac);
        o.str('] (');
        if (nsNum >= 0 && lastNum >= 0) {
          const d = nsNum - lastNum;
          o.str('+');
          const q = Math.floor(d / 1e9);
          o.dec(q);
          o.str('.');
          o.dec9(d - q * 1e9);
          o.str(') ');
        } else {
          const ns = toNs(BigInt(raw));
          if (lastNs === undefined && lastNum < 0) o.str('+?.?????????) ');
          else {
            const d = BigInt.asUintN(64, ns - (lastNs ?? baseNs + BigInt(lastNum)));
            o.str('+' + d / two9 + '.' + String(d % two9).padStart(9, '0') + ') ');
          }
        }
        if (nsNum < 0) {
          lastNum = -1;
          lastNs = toNs(BigInt(raw));
        } else {
          lastNum = nsNum;
          lastNs = undefined;
        }
      }
      o.str(host);
      o.str(ev ? ev.name : '<unknown>');
      o.str(': ');
      let first = true;
      const c = st.cur;
      try {
        if (st.ctxText !== undefined) {
          o.bytes(st.ctxText);
          first = false;
        }
        if (plan.eventContext) {
          if (!first) o.str(', ');
          plan.eventContext(c, o);
          first = false;
        }
        if (ev?.context) {
          if (!first) o.str(', ');
          ev.context(c, o);
          first = false;
        }
        if (ev?.fields) {
          if (!first) o.str(', ');
          ev.fields(c, o);
          first = false;
        }
      } catch (e) {
        o.pos = lineStart;
        this.decodeProblem(st, e, opts);
        st.hasEvent = false;
        st.done = true;
        continue;
      }
      if (!ev) {
        o.pos = lineStart;
        opts.onDiagnostic?.({
          level: 'error',
          code: CtfErrorCode.BadPacket,
          message: `unknown event class id ${st.pendingId} in stream '${st.input.name}'`,
        });
        st.done = true;
        st.hasEvent = false;
        continue;
      }
      o.room(1);
      o.buf[o.pos++] = 10;
      count++;
      if (o.pos > 1 << 16) {
        opts.write(o.buf.subarray(0, o.pos));
        o.pos = 0;
      }
      if (!this.nextInPacket(st, opts)) await this.nextEvent(st, opts, toNs);
    }
    if (o.pos) opts.write(o.buf.subarray(0, o.pos));
    return count;
  }

  /**
   * Every event in merged time order (as print orders them), undecoded: its stream, clock value,
   * class id, and the bytes of its stream event context, event context and payload
   * (`bytes[start, end)`, byte-aligned in the layout utp writes; valid only during the call).
   * `discarded` is the stream's running `events_discarded` count (-1 when its packets have none).
   * Warnings and problems go to `onDiagnostic` as for print. Return false to stop.
   */
  async forEachEvent(cb: (ev: CtfEventView) => boolean | void, onDiagnostic?: (d: Diagnostic) => void): Promise<number> {
    const opts: CtfPrintOptions = { write: () => {}, ...(onDiagnostic ? { onDiagnostic } : {}) };
    const clock = this.clockOf();
    const freq = clock?.freq ?? 1000000000n;
    const baseNs = clock ? clock.offsetS * 1000000000n + (freq === 1000000000n ? clock.offset : (clock.offset * 1000000000n) / freq) : 0n;
    const toNs = (v: bigint): bigint => baseNs + v;
    const states: StreamState[] = [];
    this.streams.forEach((s, i) => {
      const st = new StreamState(s, new Map());
      st.streamId = i;
      st.index = i;
      states.push(st);
    });
    for (const st of states) await this.nextEvent(st, opts, toNs);
    const view: CtfEventView = {
      stream: '',
      ts: 0,
      id: 0,
      name: '',
      bytes: new Uint8Array(0),
      start: 0,
      end: 0,
      discarded: -1n,
      streamIndex: 0,
      streamClass: 0,
      packetOffset: 0,
      contentBits: 0,
      bit: 0,
      cpu: -1,
    };
    let count = 0;
    const sink = this.sink;
    for (;;) {
      let best: StreamState | undefined;
      for (const st of states) {
        if (!st.hasEvent) continue;
        if (!best || st.pendingTs < best.pendingTs) best = st;
      }
      if (!best) break;
      const st = best;
      const plan = st.plan!;
      const ev = plan.events.get(st.pendingId);
      const c = st.cur;
      const start = c.pos;
      try {
        if (plan.eventContext) plan.eventContext(c, sink);
        sink.pos = 0;
        if (ev?.context) ev.context(c, sink);
        sink.pos = 0;
        if (ev?.fields) ev.fields(c, sink);
        sink.pos = 0;
      } catch (e) {
        sink.pos = 0;
        this.decodeProblem(st, e, opts);
        st.hasEvent = false;
        st.done = true;
        continue;
      }
      if (!ev) {
        opts.onDiagnostic?.({
          level: 'error',
          code: CtfErrorCode.BadPacket,
          message: `unknown event class id ${st.pendingId} in stream '${st.input.name}'`,
        });
        st.done = true;
        st.hasEvent = false;
        continue;
      }
      view.stream = st.input.name;
      view.ts = st.pendingTs;
      view.id = st.pendingId;
      view.name = ev.ec.name;
      view.bytes = st.buf;
      view.start = start >>> 3;
      view.end = (c.pos + 7) >>> 3;
      view.discarded = st.discarded;
      view.streamIndex = st.index;
      view.streamClass = plan.sc.id;
      view.packetOffset = st.off;
      view.contentBits = st.packetEnd;
      view.bit = start;
      view.cpu = st.cpu;
      count++;
      if (cb(view) === false) break;
      if (!this.nextInPacket(st, opts)) await this.nextEvent(st, opts, toNs);
    }
    return count;
  }

  private decodeProblem(st: StreamState, e: unknown, opts: CtfPrintOptions): void {
    if (st.cutNote && (e instanceof DecodeError || e instanceof RangeError)) {
      opts.onDiagnostic?.({ level: 'warning', code: CtfErrorCode.Truncated, message: st.cutNote, offset: st.off });
      st.cutNote = undefined;
      return;
    }
    if (e instanceof DecodeError || e instanceof RangeError) {
      const bit = e instanceof DecodeError ? e.bitPos : st.cur.pos;
      opts.onDiagnostic?.({
        level: 'warning',
        code: CtfErrorCode.Truncated,
        message: `Cannot decode an event in stream '${st.input.name}' (${e.message}): offset=${st.off + Math.floor(bit / 8)}; the rest of that stream is skipped`,
        offset: st.off + Math.floor(bit / 8),
      });
      return;
    }
    throw e;
  }

  /** The next event of the current packet, without reading: false when a packet must be read. */
  private nextInPacket(st: StreamState, opts: CtfPrintOptions): boolean {
    const c = st.cur;
    if (st.done || !st.plan || c.pos >= st.packetEnd) return false;
    const fh = st.plan.fastHeader;
    if (fh && (c.pos & 7) === 0 && c.pos + fh.bytes * 8 <= c.end) {
      const at = c.pos >>> 3,
        dv = c.dv,
        le = fh.le;
      st.pendingId = fh.idBytes === 4 ? dv.getUint32(at, le) : fh.idBytes === 2 ? dv.getUint16(at, le) : dv.getUint8(at);
      const t = at + fh.idBytes;
      const lo = dv.getUint32(le ? t : t + 4, le),
        hi = dv.getUint32(le ? t + 4 : t, le);
      st.clock = hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);
      st.pendingTs = st.clock;
      c.pos += fh.bytes * 8;
      c.vals.clear();
      st.hasEvent = true;
      return true;
    }
    try {
      c.vals.clear();
      c.onClock = st.clockCb;
      if (st.plan.header) st.plan.header(c, this.sink);
      this.sink.pos = 0;
      c.onClock = undefined;
      const id = c.vals.get('id');
      st.pendingId = id === undefined ? (st.plan.events.size === 1 ? st.plan.events.keys().next().value! : 0) : Number(id);
      st.pendingTs = st.clock;
      st.hasEvent = true;
    } catch (e) {
      this.decodeProblem(st, e, opts);
      st.hasEvent = false;
      st.done = true;
    }
    return true;
  }

  /** Advances `st` to its next event (reading packets as needed); decodes the event header. */
  private async nextEvent(st: StreamState, opts: CtfPrintOptions, toNs: (v: bigint) => bigint): Promise<void> {
    st.hasEvent = false;
    const c = st.cur;
    for (;;) {
      if (st.done) return;
      if (!st.plan || c.pos >= st.packetEnd) {
        if (st.cutNote) {
          opts.onDiagnostic?.({ level: 'warning', code: CtfErrorCode.Truncated, message: st.cutNote, offset: st.off });
          st.cutNote = undefined;
          st.done = true;
          return;
        }
        if (st.plan) st.off += st.packetBits / 8;
        if (!(await this.readPacket(st, opts, toNs))) {
          st.done = true;
          return;
        }
        continue;
      }
      try {
        c.vals.clear();
        c.onClock = st.clockCb;
        if (st.plan.header) st.plan.header(c, this.sink);
        this.sink.pos = 0;
        c.onClock = undefined;
        const id = c.vals.get('id');
        st.pendingId = id === undefined ? (st.plan.events.size === 1 ? st.plan.events.keys().next().value! : 0) : Number(id);
        st.pendingTs = st.clock;
        st.hasEvent = true;
        return;
      } catch (e) {
        this.decodeProblem(st, e, opts);
        st.done = true;
        return;
      }
    }
  }

  /** Reads the packet at `st.off`: header, context, size. False at the end of the stream. */
  private async readPacket(st: StreamState, opts: CtfPrintOptions, toNs: (v: bigint) => bigint): Promise<boolean> {
    const src = st.input.source;
    if (st.off >= src.size) return false;
    let buf = await src.read(st.off, Math.min(WINDOW, src.size - st.off));
    const c = st.cur;
    const setBuf = (b: Uint8Array): void => {
      st.buf = b;
      c.buf = b;
      c.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    };
    setBuf(buf);
    c.pos = 0;
    c.end = buf.length * 8;
    c.vals.clear();
    const where = `stream '${st.input.name}' at offset=${st.off}`;
    try {
      if (this.headerPrinter) {
        const ph = this.tc.packetHeader!;
        const first = ph.fields[0];
        if (first?.name === 'magic' && first.type.k === 'int') {
          const m = readInt(c, first.type);
          if (Number(m) !== 0xc1fc1fc1) {
            throw new CtfError(CtfErrorCode.BadMagic, `Bad packet magic 0x${m.toString(16)} (expected 0xc1fc1fc1) in ${where}`, {
              offset: st.off,
            });
          }
          c.pos = 0;
        }
        this.headerPrinter(c, this.sink);
        this.sink.pos = 0;
      }
      const sid = Number(c.vals.get('stream_id') ?? this.tc.streams.keys().next().value ?? 0);
      const plan = this.plans.get(sid);
      if (!plan) throw new CtfError(CtfErrorCode.BadPacket, `Unknown stream class id ${sid} in ${where}`, { offset: st.off });
      const inst = c.vals.get('stream_instance_id');
      if (inst !== undefined) st.streamId = Number(inst);
      st.plan = plan;
      c.onClock = undefined;
      st.cpu = -1;
      if (plan.context) {
        const co = new Out();
        plan.context(c, co);
        st.ctxText = co.buf.slice(0, co.pos);
      } else st.ctxText = undefined;
      const cpu = c.vals.get('cpu_id');
      if (cpu !== undefined) st.cpu = Number(cpu);
      const cs = c.vals.get('content_size'),
        ps = c.vals.get('packet_size');
      let content = cs !== undefined ? Number(cs) : ps !== undefined ? Number(ps) : (src.size - st.off) * 8;
      let size = ps !== undefined ? Number(ps) : content;
      if (content > size)
        throw new CtfError(CtfErrorCode.BadPacket, `Packet content size ${content} exceeds its size ${size} in ${where}`, {
          offset: st.off,
        });
      if (size <= 0 || size % 8) throw new CtfError(CtfErrorCode.BadPacket, `Bad packet size ${size} in ${where}`, { offset: st.off });
      const avail = (src.size - st.off) * 8;
      if (size > avail) {
        st.cutNote = `Stream '${st.input.name}' is cut: its packet at offset=${st.off} needs ${size / 8} bytes, the file holds ${avail / 8}; the events before offset=${st.off + avail / 8} are kept`;
        size = avail;
        if (content > avail) content = avail;
      }
      if (size / 8 > buf.length) {
        const pos = c.pos;
        buf = await src.read(st.off, size / 8);
        setBuf(buf);
        c.pos = pos;
      }
      c.end = content;
      st.packetEnd = content;
      st.packetBits = size;
      const tb = c.vals.get('timestamp_begin');
      const te = c.vals.get('timestamp_end');
      const prevEnd = st.tsEnd;
      st.tsBegin = tb !== undefined ? BigInt(tb) : undefined;
      st.tsEnd = te !== undefined ? BigInt(te) : undefined;
      if (tb !== undefined) st.clock = tb;
      const disc = c.vals.get('events_discarded');
      if (disc !== undefined) {
        const d = BigInt(disc);
        if (st.discarded >= 0n ? d > st.discarded : d > 0n) {
          this.discardedMessage(
            st,
            opts,
            toNs,
            'event',
            st.discarded >= 0n ? d - st.discarded : -1n,
            st.discarded >= 0n ? prevEnd : st.tsBegin,
            st.tsEnd,
          );
        }
        st.discarded = d;
      }
      const seq = c.vals.get('packet_seq_num');
      if (seq !== undefined) {
        const q = BigInt(seq);
        if (st.seq >= 0n && q > st.seq + 1n) this.discardedMessage(st, opts, toNs, 'packet', q - st.seq - 1n, prevEnd, st.tsBegin);
        st.seq = q;
      }
      return true;
    } catch (e) {
      if (e instanceof CtfError) {
        opts.onDiagnostic?.({ level: 'error', code: e.code, message: e.message, ...(e.offset !== undefined ? { offset: e.offset } : {}) });
        return false;
      }
      if (e instanceof DecodeError || e instanceof RangeError) {
        opts.onDiagnostic?.({
          level: 'warning',
          code: CtfErrorCode.Truncated,
          message: `Cannot read the packet header/context in ${where}: the stream ends early`,
          offset: st.off,
        });
        return false;
      }
      throw e;
    }
  }

  private discardedMessage(
    st: StreamState,
    opts: CtfPrintOptions,
    toNs: (v: bigint) => bigint,
    what: string,
    count: bigint,
    from: bigint | undefined,
    to: bigint | undefined,
  ): void {
    const range =
      from !== undefined && to !== undefined ? `between [${this.wall(toNs(from))}] and [${this.wall(toNs(to))}]` : '(unknown time range)';
    const n = count < 0n ? `Tracer may have discarded ${what}s` : `Tracer discarded ${count} ${what}${count === 1n ? '' : 's'}`;
    const uuid = this.tc.uuid ? `(UUID: ${this.tc.uuid}) ` : '(no UUID) ';
    const path = this.path ? `${this.path.replace(/\/+$/, '')}/${st.input.name}` : st.input.name;
    opts.onDiagnostic?.({
      level: 'warning',
      code: 'CTF_DISCARDED',
      message: `WARNING: ${n} ${range} in trace "${this.name}" ${uuid}within stream "${path}" (stream class ID: ${st.plan?.sc.id ?? 0}, stream ID: ${st.streamId}).`,
    });
  }

  private wall(ns: bigint): string {
    const two9 = 1000000000n;
    const sec = ns / two9,
      frac = ns % two9;
    const d = new Date(Number(sec) * 1000);
    return p2(d.getHours()) + ':' + p2(d.getMinutes()) + ':' + p2(d.getSeconds()) + '.' + String(frac).padStart(9, '0');
  }
}

/** The names whose values printers keep (lengths, tags, the packet fields the reader reads) and the enums used as variant tags. */
export function prepareCompiler(c: Compiler, tc: TraceClass): void {
  for (const n of [
    'id',
    'timestamp',
    'stream_id',
    'magic',
    'content_size',
    'packet_size',
    'events_discarded',
    'packet_seq_num',
    'stream_instance_id',
    'timestamp_begin',
    'timestamp_end',
    'cpu_id',
  ])
    c.refs.add(n);
  c.collectRefs(tc.packetHeader);
  for (const sc of tc.streams.values()) {
    c.collectRefs(sc.packetContext);
    c.collectRefs(sc.eventHeader);
    c.collectRefs(sc.eventContext);
    for (const ec of sc.events.values()) {
      c.collectRefs(ec.context);
      c.collectRefs(ec.fields);
    }
  }
  const all = [
    tc.packetHeader,
    ...[...tc.streams.values()].flatMap((sc) => [
      sc.packetContext,
      sc.eventHeader,
      sc.eventContext,
      ...[...sc.events.values()].flatMap((e) => [e.context, e.fields]),
    ]),
  ];
  for (const t of all) c.noteTagEnums(t);
}

function fastHeaderOf(h: StructT | undefined): StreamPlan['fastHeader'] {
  if (h?.fields.length !== 2) return undefined;
  const [a, b] = h.fields;
  if (a!.name !== 'id' || b!.name !== 'timestamp' || a!.type.k !== 'int' || b!.type.k !== 'int') return undefined;
  const id = a!.type,
    ts = b!.type;
  if (
    id.signed ||
    ![8, 16, 32].includes(id.size) ||
    id.align > 8 ||
    ts.size !== 64 ||
    ts.align > 8 ||
    ts.signed ||
    !ts.clock ||
    id.le !== ts.le ||
    h.align > 8
  )
    return undefined;
  return { idBytes: id.size / 8, le: id.le, bytes: id.size / 8 + 8 };
}

function p2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function findClockInt(s: StructT | undefined): IntT | undefined {
  if (!s) return undefined;
  for (const m of s.fields) {
    const t = m.type;
    if (t.k === 'int' && t.clock) return t;
    if (t.k === 'enum' && t.int.clock) return t.int;
    if (t.k === 'struct') {
      const x = findClockInt(t);
      if (x) return x;
    }
    if (t.k === 'variant')
      for (const o of t.options)
        if (o.type.k === 'struct') {
          const x = findClockInt(o.type);
          if (x) return x;
        }
  }
  return undefined;
}

/** babeltrace's clock update from an N-bit value: wrap when the low bits go back. */
function updateClock(cur: number | bigint, v: number | bigint, size: number): number | bigint {
  if (typeof v === 'number' && v >= 0) {
    if (size >= 64) return v;
    if (typeof cur === 'number' && size <= 32 && cur < 4503599627370496) {
      const m = 2 ** size;
      const low = cur % m;
      const r = cur - low + v + (v < low ? m : 0);
      if (r < 9007199254740992) return r;
    }
  }
  const r = updateClockBig(typeof cur === 'bigint' ? cur : BigInt(cur), v, size);
  return r < 9007199254740992n ? Number(r) : r;
}

function updateClockBig(cur: bigint, v: number | bigint, size: number): bigint {
  const nv = BigInt.asUintN(64, BigInt(v));
  if (size >= 64) return nv;
  const mask = (1n << BigInt(size)) - 1n;
  let c = cur;
  if (nv < (c & mask)) c += mask + 1n;
  return ((c & ~mask) | nv) & U64;
}
