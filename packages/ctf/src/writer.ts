/**
 * CtfWriter: writes a CTF 1.8 trace (the role of babeltrace's sink.ctf.fs): one TSDL
 * metadata text plus one data stream per CPU, cut into packets. The writer never touches
 * files: every finished packet goes to `sink(streamName, bytes)`; `finish()` returns the
 * metadata text. A Node adapter (`@utp/ctf/node`) puts both in a directory.
 *
 * Layout we write (every integer byte-aligned and packed, the trace's byte order):
 *   packet.header  = { u32 magic; u8 uuid[16]; u32 stream_id; }                    24 bytes
 *   packet.context = { u64 timestamp_begin, timestamp_end, content_size, packet_size,
 *                      packet_seq_num, events_discarded; u32 cpu_id; }              52 bytes
 *   event.header   = { u32 id; u64 timestamp; }                                     12 bytes
 *   event.context (stream) = the caller's `streamContext` fields, then the payload.
 */
import { CtfError, CtfErrorCode } from './errors.js';
import type { CtfClock, CtfEventClass, CtfField, CtfFieldType, CtfIntType } from './event-class.js';

export const CTF_MAGIC = 0xc1fc1fc1;
const HEADER_BYTES = 24;
const CONTEXT_BYTES = 52;
const PACKET_PREFIX = HEADER_BYTES + CONTEXT_BYTES;
const EVENT_HEADER = 12;
const TWO32 = 4294967296;

export interface CtfWriterOptions {
  littleEndian: boolean;
  clock: CtfClock;
  /** `env` block entries (strings or integers). */
  env: Record<string, string | number | bigint>;
  /** Fields every event carries before its own (the stream event context). */
  streamContext: readonly CtfField[];
  /** Bytes per packet (events that do not fit start a new one). */
  packetSize: number;
  /** 16 bytes; random when not given. */
  uuid: Uint8Array | undefined;
  /** Receives every finished packet of a stream, in order. */
  sink: (stream: string, bytes: Uint8Array) => void;
}

const DEFAULTS: Readonly<Omit<CtfWriterOptions, 'sink' | 'clock'>> = Object.freeze({
  littleEndian: true,
  env: {},
  streamContext: [],
  packetSize: 1 << 18,
  uuid: undefined,
});

/** A TSDL identifier for `name`: letters, digits and `_`, never starting with a digit. */
export function tsdlIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? '_' + s : s;
}

/** A TSDL string literal. */
function tsdlString(s: string): string {
  return (
    '"' +
    s
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\n/g, '\\n')
      .replace(/[\x00-\x1f]/g, ' ') +
    '"'
  );
}

function intDecl(t: CtfIntType): string {
  const base = t.base && t.base !== 10 ? ` base = ${t.base};` : '';
  return `integer { size = ${t.size}; align = 8; signed = ${t.signed ? 1 : 0};${base} }`;
}

/** Field names get one `_` in front: readers strip exactly one, and it keeps TSDL keywords out. */
function fieldDecl(f: CtfField, indent: string): string {
  const n = '_' + tsdlIdent(f.name);
  const t: CtfFieldType = f.type;
  switch (t.kind) {
    case 'int':
      return `${indent}${intDecl(t)} ${n};`;
    case 'string':
      return `${indent}string { encoding = UTF8; } ${n};`;
    case 'text':
      return `${indent}integer { size = 8; align = 8; signed = 0; encoding = UTF8; } ${n}[${t.length}];`;
    case 'array':
      return `${indent}${intDecl(t.element)} ${n}[${t.length}];`;
    case 'sequence':
      return `${indent}${intDecl(t.element)} ${n}[_${tsdlIdent(t.lengthField)}];`;
  }
}

function structBody(fields: readonly CtfField[], indent: string): string {
  return fields.map((f) => fieldDecl(f, indent)).join('\n');
}

function uuidText(u: Uint8Array): string {
  const h = Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class CtfWriter {
  readonly opts: CtfWriterOptions;
  readonly uuid: Uint8Array;
  private readonly classes: CtfEventClass[] = [];
  private readonly streams: CtfStream[] = [];

  constructor(options: Partial<CtfWriterOptions> & Pick<CtfWriterOptions, 'sink' | 'clock'>) {
    this.opts = { ...DEFAULTS, ...options };
    if (this.opts.uuid) this.uuid = this.opts.uuid;
    else {
      this.uuid = new Uint8Array(16);
      globalThis.crypto.getRandomValues(this.uuid);
      this.uuid[6] = (this.uuid[6]! & 0x0f) | 0x40;
      this.uuid[8] = (this.uuid[8]! & 0x3f) | 0x80;
    }
    if (this.uuid.length !== 16)
      throw new CtfError(CtfErrorCode.BadInput, 'The trace UUID must be 16 bytes', { context: { length: this.uuid.length } });
  }

  /** Declares an event class; returns its id (for `CtfStream.event`). */
  addEventClass(ec: CtfEventClass): number {
    const seen = new Set<string>();
    for (const f of ec.fields) {
      if (f.type.kind === 'sequence' && !seen.has(f.type.lengthField)) {
        throw new CtfError(CtfErrorCode.BadInput, 'A sequence length field must come before the sequence', {
          context: { event: ec.name, field: f.name },
        });
      }
      seen.add(f.name);
    }
    this.classes.push(ec);
    return this.classes.length - 1;
  }

  get eventClasses(): readonly CtfEventClass[] {
    return this.classes;
  }

  /** Opens a data stream (one per CPU); `name` is its file name. */
  openStream(name: string, cpu: number): CtfStream {
    const s = new CtfStream(this, name, cpu);
    this.streams.push(s);
    return s;
  }

  /** Flushes every stream and returns the TSDL metadata text. */
  finish(): string {
    for (const s of this.streams) s.flush();
    return this.metadata();
  }

  /** The TSDL metadata for everything declared so far. */
  metadata(): string {
    const o = this.opts;
    const c = o.clock;
    const L: string[] = [];
    L.push('/* CTF 1.8 */', '');
    L.push(
      'trace {',
      '\tmajor = 1;',
      '\tminor = 8;',
      `\tuuid = "${uuidText(this.uuid)}";`,
      `\tbyte_order = ${o.littleEndian ? 'le' : 'be'};`,
    );
    L.push(
      '\tpacket.header := struct {',
      '\t\tinteger { size = 32; align = 8; signed = 0; base = 16; } magic;',
      '\t\tinteger { size = 8; align = 8; signed = 0; base = 16; } uuid[16];',
      '\t\tinteger { size = 32; align = 8; signed = 0; } stream_id;',
      '\t};',
      '};',
      '',
    );
    L.push('env {');
    for (const [k, v] of Object.entries(o.env)) L.push(`\t${tsdlIdent(k)} = ${typeof v === 'string' ? tsdlString(v) : String(v)};`);
    L.push('};', '');
    const cname = tsdlIdent(c.name);
    L.push('clock {', `\tname = ${cname};`, `\tuuid = "${uuidText(this.uuid)}";`);
    if (c.description) L.push(`\tdescription = ${tsdlString(c.description)};`);
    L.push(
      `\tfreq = ${c.freq};`,
      '\tprecision = 0;',
      `\toffset_s = ${c.offsetS};`,
      `\toffset = ${c.offset};`,
      '\tabsolute = false;',
      '};',
      '',
    );
    const ts = `integer { size = 64; align = 8; signed = 0; map = clock.${cname}.value; }`;
    const u64 = 'integer { size = 64; align = 8; signed = 0; }';
    L.push(
      'stream {',
      '\tid = 0;',
      '\tpacket.context := struct {',
      `\t\t${ts} timestamp_begin;`,
      `\t\t${ts} timestamp_end;`,
      `\t\t${u64} content_size;`,
      `\t\t${u64} packet_size;`,
      `\t\t${u64} packet_seq_num;`,
      `\t\t${u64} events_discarded;`,
      '\t\tinteger { size = 32; align = 8; signed = 0; } cpu_id;',
      '\t};',
      '\tevent.header := struct {',
      '\t\tinteger { size = 32; align = 8; signed = 0; } id;',
      `\t\t${ts} timestamp;`,
      '\t};',
    );
    if (o.streamContext.length) L.push('\tevent.context := struct {', structBody(o.streamContext, '\t\t'), '\t};');
    L.push('};', '');
    this.classes.forEach((ec, id) => {
      L.push('event {', `\tname = ${tsdlString(ec.name)};`, `\tid = ${id};`, '\tstream_id = 0;');
      if (ec.fields.length) L.push('\tfields := struct {', structBody(ec.fields, '\t\t'), '\t};');
      L.push('};', '');
    });
    return L.join('\n');
  }
}

/** One data stream: events go into the current packet; full packets go to the sink. */
export class CtfStream {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private seq = 0;
  private discarded = 0;
  private pendingDiscard = 0;
  private tsBegin = -1;
  private tsEnd = 0;
  private readonly le: boolean;
  private readonly size: number;
  count = 0;

  constructor(
    private readonly w: CtfWriter,
    readonly name: string,
    readonly cpu: number,
  ) {
    this.size = Math.max(256, w.opts.packetSize);
    this.buf = new Uint8Array(this.size);
    this.view = new DataView(this.buf.buffer);
    this.le = w.opts.littleEndian;
  }

  /** Events were lost before the next event (counted into the next packet's events_discarded). */
  discard(n: number): void {
    if (n > 0) this.pendingDiscard += n;
  }

  /**
   * Appends one event: class `id`, timestamp in clock ticks (a number below 2^53 or a bigint),
   * and `data[start, end)` encoded as described in event-class.ts.
   */
  event(id: number, ts: number | bigint, data: Uint8Array, start = 0, end = data.length): void {
    const n = EVENT_HEADER + end - start;
    if (this.pendingDiscard) {
      if (this.pos) this.flush();
      this.discarded += this.pendingDiscard;
      this.pendingDiscard = 0;
    }
    if (this.pos && this.pos + n > this.buf.length) this.flush();
    if (this.pos === 0) {
      if (PACKET_PREFIX + n > this.buf.length) {
        this.buf = new Uint8Array(PACKET_PREFIX + n);
        this.view = new DataView(this.buf.buffer);
      }
      this.pos = PACKET_PREFIX;
    }
    const v = this.view,
      p = this.pos,
      le = this.le;
    v.setUint32(p, id, le);
    const t = typeof ts === 'number' ? ts : Number(ts);
    if (typeof ts === 'number') this.put64(p + 4, ts);
    else v.setBigUint64(p + 4, ts, le);
    if (p === PACKET_PREFIX) {
      this.tsBegin = t;
      this.tsBeginBig = typeof ts === 'bigint' ? ts : undefined;
    }
    this.tsEnd = t;
    this.tsEndBig = typeof ts === 'bigint' ? ts : undefined;
    const b = this.buf,
      o = p + EVENT_HEADER - start;
    if (end - start <= 64) for (let k = start; k < end; k++) b[o + k] = data[k]!;
    else b.set(data.subarray(start, end), p + EVENT_HEADER);
    this.pos = p + n;
    this.count++;
  }
  private tsEndBig: bigint | undefined;
  private tsBeginBig: bigint | undefined;

  private put64(at: number, x: number): void {
    const hi = Math.floor(x / TWO32),
      lo = x - hi * TWO32;
    if (this.le) {
      this.view.setUint32(at, lo, true);
      this.view.setUint32(at + 4, hi, true);
    } else {
      this.view.setUint32(at, hi, false);
      this.view.setUint32(at + 4, lo, false);
    }
  }

  /** Closes the current packet (no-op when empty) and hands it to the sink. */
  flush(): void {
    if (this.pos === 0) {
      if (this.pendingDiscard === 0) return;
      // losses at the very end: an empty packet carries the count
      this.discarded += this.pendingDiscard;
      this.pendingDiscard = 0;
      this.pos = PACKET_PREFIX;
      if (this.tsBegin < 0) this.tsBegin = 0;
    }
    const v = this.view,
      le = this.le,
      len = this.pos;
    v.setUint32(0, CTF_MAGIC, le);
    this.buf.set(this.w.uuid, 4);
    v.setUint32(20, 0, le);
    const c = HEADER_BYTES;
    if (this.tsBeginBig !== undefined) v.setBigUint64(c, this.tsBeginBig, le);
    else this.put64(c, this.tsBegin);
    if (this.tsEndBig !== undefined) v.setBigUint64(c + 8, this.tsEndBig, le);
    else this.put64(c + 8, this.tsEnd);
    this.put64(c + 16, len * 8);
    this.put64(c + 24, len * 8);
    this.put64(c + 32, this.seq++);
    this.put64(c + 40, this.discarded);
    v.setUint32(c + 48, this.cpu, le);
    this.w.opts.sink(this.name, this.buf.slice(0, len));
    this.pos = 0;
    this.tsBegin = -1;
    this.tsBeginBig = undefined;
    this.tsEndBig = undefined;
    if (this.buf.length > this.size) {
      this.buf = new Uint8Array(this.size);
      this.view = new DataView(this.buf.buffer);
    }
  }
}
