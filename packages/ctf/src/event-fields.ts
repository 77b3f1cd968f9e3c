/**
 * An event's fields as values (not text): what a consumer of decoded events needs (the unified
 * event stream of @utp/model). For each event class: its payload fields and its context fields
 * (stream event context, then event context) described by name, kind, size and signedness, and
 * one compiled reader per struct that decodes an event from its bytes at a bit position.
 *
 * Values: integers as numbers (bigint above 32 bits), enums as their integer, floats as numbers,
 * strings and text arrays (`char[N]`, text sequences: up to the first NUL) as byte strings (one
 * char per byte), arrays and sequences of integers as their bytes in the trace's byte order, any
 * other compound (struct, variant, array of those) as babeltrace2's text of it. A sequence's length
 * member is not a field of its own (the array carries its length). Names lose one leading `_`, as
 * babeltrace2 shows them.
 */
import { Compiler, NullOut, Out, intReader, readInt, shownName } from './decoder.js';
import type { Cursor, Printer } from './decoder.js';
import type { CtfType, IntT, StructT, TraceClass } from './metadata.js';
import { prepareCompiler } from './reader.js';

export type CtfValue = number | bigint | string | Uint8Array;

export interface CtfFieldDesc {
  /** As babeltrace2 shows it (one leading `_` removed). */
  readonly name: string;
  /** The TSDL type, shortly: `int32_t`, `uint64_t`, `string`, `char[16]`, `uint8_t[]`, `enum`, `double`, `struct`… */
  readonly type: string;
  readonly kind: 'integer' | 'string' | 'array' | 'float';
  /** Bytes of the whole field (0: dynamic). */
  readonly size: number;
  readonly signed: boolean;
  /** Arrays: element count (0: a sequence). */
  readonly length: number;
  readonly elementSize: number;
  /** A sequence or a string. */
  readonly dynamic: boolean;
}

type Reader = (c: Cursor) => CtfValue;

interface StructPlan {
  fields: CtfFieldDesc[];
  /** One per member; `show` false for sequence lengths. */
  members: Array<{ raw: string; read: Reader; show: boolean }>;
  align: number;
}

interface EventPlan {
  /** The payload's fields (values() gives them first, then the contexts'). */
  fields: CtfFieldDesc[];
  context: CtfFieldDesc[];
  structs: StructPlan[];
  payload: StructPlan | undefined;
  printers: Printer[];
}

const HIDDEN_CONTEXT = new Set(['timestamp_begin', 'timestamp_end', 'content_size', 'packet_size', 'packet_seq_num', 'events_discarded']);

function align(c: Cursor, a: number): void {
  if (a > 1) {
    const r = c.pos % a;
    if (r) c.pos += a - r;
  }
}

function byteString(b: Uint8Array, a: number, z: number): string {
  let s = '';
  if (z - a < 64) {
    for (let i = a; i < z; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  for (let i = a; i < z; i += 4096) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(z, i + 4096))));
  return s;
}

const isText = (t: CtfType): boolean => t.k === 'int' && t.size === 8 && t.encoding;
const intName = (t: IntT): string =>
  t.size % 8 === 0 && t.size <= 64 ? `${t.signed ? '' : 'u'}int${t.size}_t` : `${t.signed ? 's' : 'u'}${t.size}`;

export class CtfEventDecoder {
  private readonly compiler = new Compiler();
  private readonly plans = new Map<number, EventPlan | null>();
  private readonly out = new Out();
  private readonly nullOut = new NullOut();
  private readonly header: Printer | undefined;
  private readonly packetContexts = new Map<number, Printer | undefined>();

  constructor(readonly tc: TraceClass) {
    prepareCompiler(this.compiler, tc);
    this.header = tc.packetHeader ? this.compiler.compile(tc.packetHeader) : undefined;
  }

  /** The fields of an event class (undefined: no such class). */
  fieldsOf(streamClass: number, eventId: number): { fields: readonly CtfFieldDesc[]; context: readonly CtfFieldDesc[] } | undefined {
    const p = this.plan(streamClass, eventId);
    return p ? { fields: p.fields, context: p.context } : undefined;
  }

  /**
   * Decodes the event whose stream event context starts at bit `bit` of `bytes` (the packet, bit 0 its
   * first bit; content up to `endBit`): `out` gets the payload values, then the contexts' values, in
   * the order of `fieldsOf`. Returns the number of values (0: unknown class). Throws a RangeError-like
   * DecodeError past the content.
   */
  values(streamClass: number, eventId: number, bytes: Uint8Array, bit: number, endBit: number, out: CtfValue[]): number {
    const p = this.plan(streamClass, eventId);
    if (!p) return 0;
    const c = this.cursor(bytes, bit, endBit);
    const ctx: CtfValue[] = [];
    let n = 0;
    for (const s of p.structs) {
      align(c, s.align);
      const target = s === p.payload ? out : ctx;
      let k = s === p.payload ? 0 : ctx.length;
      for (const m of s.members) {
        const v = m.read(c);
        if (m.show) target[k++] = v;
      }
      if (s === p.payload) n = k;
    }
    for (let i = 0; i < ctx.length; i++) out[n + i] = ctx[i]!;
    out.length = n + ctx.length;
    return out.length;
  }

  /** babeltrace2's text of the event after `NAME: `: packet context, contexts and payload, as it prints them. */
  text(streamClass: number, eventId: number, bytes: Uint8Array, bit: number, endBit: number): string {
    const p = this.plan(streamClass, eventId);
    if (!p) return '';
    const o = this.out;
    o.pos = 0;
    const parts: string[] = [];
    const pc = this.packetContextPrinter(streamClass);
    if (pc) {
      const c = this.cursor(bytes, 0, endBit);
      if (this.header) {
        this.header(c, this.nullOut);
        this.nullOut.pos = 0;
      }
      pc(c, o);
      parts.push(byteString(o.buf, 0, o.pos));
    }
    const c = this.cursor(bytes, bit, endBit);
    for (const pr of p.printers) {
      o.pos = 0;
      pr(c, o);
      parts.push(byteString(o.buf, 0, o.pos));
    }
    return parts.join(', ');
  }

  /** The integers of a packet's header and context (stream_id, cpu_id, content_size, events_discarded…), decoded from its first bytes. */
  packetValues(bytes: Uint8Array): Map<string, number | bigint> {
    const c = this.cursor(bytes, 0, bytes.length * 8);
    if (this.header) {
      this.header(c, this.nullOut);
      this.nullOut.pos = 0;
    }
    const sid = Number(c.vals.get('stream_id') ?? this.tc.streams.keys().next().value ?? 0);
    const t = this.tc.streams.get(sid)?.packetContext;
    if (t) {
      const pc = this.packetContextPrinter(sid)!;
      pc(c, this.nullOut);
      this.nullOut.pos = 0;
    }
    return new Map(c.vals);
  }

  private packetContextPrinter(sc: number): Printer | undefined {
    if (!this.packetContexts.has(sc)) {
      const t = this.tc.streams.get(sc)?.packetContext;
      this.packetContexts.set(sc, t ? this.compiler.struct(t, HIDDEN_CONTEXT) : undefined);
    }
    return this.packetContexts.get(sc);
  }

  /** One cursor, reused (its DataView is made again only for other bytes). */
  private readonly cur: Cursor = {
    buf: new Uint8Array(0),
    dv: new DataView(new ArrayBuffer(0)),
    pos: 0,
    end: 0,
    vals: new Map(),
    onClock: undefined,
  };

  private cursor(bytes: Uint8Array, bit: number, endBit: number): Cursor {
    const c = this.cur;
    if (c.buf !== bytes) {
      c.buf = bytes;
      c.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    c.pos = bit;
    c.end = Math.min(endBit, bytes.length * 8);
    c.vals.clear();
    return c;
  }

  private plan(streamClass: number, eventId: number): EventPlan | undefined {
    const key = streamClass * 4294967296 + eventId;
    let p = this.plans.get(key);
    if (p === undefined) {
      const sc = this.tc.streams.get(streamClass);
      const ec = sc?.events.get(eventId);
      if (!sc || !ec) p = null;
      else {
        const structs: StructPlan[] = [];
        const printers: Printer[] = [];
        const context: CtfFieldDesc[] = [];
        let payload: StructPlan | undefined;
        for (const [t, isPayload] of [
          [sc.eventContext, false],
          [ec.context, false],
          [ec.fields, true],
        ] as Array<[StructT | undefined, boolean]>) {
          if (!t) continue;
          const s = this.struct(t);
          structs.push(s);
          printers.push(this.compiler.compile(t));
          if (isPayload) payload = s;
          else context.push(...s.fields);
        }
        p = { fields: payload?.fields ?? [], context, structs, payload, printers };
      }
      this.plans.set(key, p);
    }
    return p ?? undefined;
  }

  private struct(t: StructT): StructPlan {
    const lengths = new Set<string>();
    for (const m of t.fields) if (m.type.k === 'seq' && m.type.lenPath.length === 1) lengths.add(m.type.lenPath[0]!);
    const fields: CtfFieldDesc[] = [];
    const members: StructPlan['members'] = [];
    for (const m of t.fields) {
      const show = !(lengths.has(m.name) && (m.type.k === 'int' || m.type.k === 'enum'));
      const { desc, read } = this.member(m.name, m.type);
      members.push({ raw: m.name, read, show });
      if (show) fields.push(desc);
    }
    return { fields, members, align: t.align };
  }

  private member(raw: string, t: CtfType): { desc: CtfFieldDesc; read: Reader } {
    const name = shownName(raw);
    const le = this.tc.le;
    switch (t.k) {
      case 'int':
      case 'enum': {
        const it = t.k === 'int' ? t : t.int;
        const big = it.size > 32;
        // sequence lengths and variant tags are kept for the members after them
        const keep = this.compiler.refs.has(raw);
        const rd = intReader(it);
        return {
          desc: {
            name,
            type: t.k === 'enum' ? 'enum' : intName(it),
            kind: 'integer',
            size: Math.ceil(it.size / 8),
            signed: it.signed,
            length: 0,
            elementSize: Math.ceil(it.size / 8),
            dynamic: false,
          },
          read: keep
            ? (c) => {
                const v = rd(c);
                c.vals.set(raw, v);
                return big && typeof v === 'number' ? BigInt(v) : v;
              }
            : big
              ? (c) => {
                  const v = rd(c);
                  return typeof v === 'number' ? BigInt(v) : v;
                }
              : rd,
        };
      }
      case 'float':
        return {
          desc: {
            name,
            type: t.size === 32 ? 'float' : 'double',
            kind: 'float',
            size: t.size / 8,
            signed: true,
            length: 0,
            elementSize: t.size / 8,
            dynamic: false,
          },
          read: (c) => {
            align(c, t.align);
            if (c.pos & 7 || c.pos + t.size > c.end) throw new RangeError(`float at bit ${c.pos} is unaligned or past the content`);
            const at = c.pos >>> 3;
            c.pos += t.size;
            return t.size === 32 ? c.dv.getFloat32(at, t.le) : c.dv.getFloat64(at, t.le);
          },
        };
      case 'string':
        return {
          desc: { name, type: 'string', kind: 'string', size: 0, signed: false, length: 0, elementSize: 1, dynamic: true },
          read: (c) => {
            align(c, 8);
            const a = c.pos >>> 3,
              endB = c.end >>> 3,
              b = c.buf;
            let z = a;
            while (z < endB && b[z] !== 0) z++;
            if (z >= endB) throw new RangeError(`unterminated string at byte ${a}`);
            c.pos = (z + 1) * 8;
            return byteString(b, a, z);
          },
        };
      case 'array':
      case 'seq': {
        const el = t.elem;
        const fixed = t.k === 'array' ? t.len : 0;
        const lenName = t.k === 'seq' ? t.lenPath[t.lenPath.length - 1]! : '';
        const count = (c: Cursor): number => {
          if (t.k === 'array') return t.len;
          const n = c.vals.get(lenName);
          if (n === undefined) throw new RangeError(`sequence length '${t.lenPath.join('.')}' not found`);
          return Number(n);
        };
        if (isText(el)) {
          return {
            desc: {
              name,
              type: `char[${fixed || ''}]`,
              kind: 'string',
              size: fixed,
              signed: false,
              length: fixed,
              elementSize: 1,
              dynamic: !fixed,
            },
            read: (c) => {
              const n = count(c);
              align(c, 8);
              if (c.pos + n * 8 > c.end) throw new RangeError(`text of ${n} bytes past the content at bit ${c.pos}`);
              const a = c.pos >>> 3;
              c.pos += n * 8;
              let z = a;
              while (z < a + n && c.buf[z] !== 0) z++;
              return byteString(c.buf, a, z);
            },
          };
        }
        if (el.k === 'int' || el.k === 'enum') {
          const it = el.k === 'int' ? el : el.int;
          const es = Math.ceil(it.size / 8);
          const direct = it.size % 8 === 0 && it.align % 8 === 0 && (es === 1 || it.le === le);
          return {
            desc: {
              name,
              type: `${intName(it)}[${fixed || ''}]`,
              kind: 'array',
              size: fixed * es,
              signed: it.signed,
              length: fixed,
              elementSize: es,
              dynamic: !fixed,
            },
            read: (c) => {
              const n = count(c);
              align(c, it.align);
              if (n === 0) return new Uint8Array(0);
              if (direct && (c.pos & 7) === 0) {
                if (c.pos + n * it.size > c.end) throw new RangeError(`array of ${n} past the content at bit ${c.pos}`);
                const a = c.pos >>> 3;
                c.pos += n * it.size;
                return c.buf.slice(a, a + n * es);
              }
              // bit fields or another byte order: re-encoded in the trace's byte order
              const out = new Uint8Array(n * es);
              const dv = new DataView(out.buffer);
              for (let i = 0; i < n; i++) {
                const v = BigInt(readInt(c, it));
                const u = BigInt.asUintN(es * 8, v);
                for (let k = 0; k < es; k++) {
                  const byte = Number((u >> BigInt(8 * k)) & 0xffn);
                  dv.setUint8(i * es + (le ? k : es - 1 - k), byte);
                }
              }
              return out;
            },
          };
        }
        return this.compound(name, t);
      }
      default:
        return this.compound(name, t);
    }
  }

  /** A struct, variant or array of them: babeltrace2's text of the value. */
  private compound(name: string, t: CtfType): { desc: CtfFieldDesc; read: Reader } {
    const pr = this.compiler.compile(t);
    const o = new Out();
    return {
      desc: {
        name,
        type: t.k === 'seq' ? 'sequence' : t.k,
        kind: 'string',
        size: 0,
        signed: false,
        length: 0,
        elementSize: 1,
        dynamic: true,
      },
      read: (c) => {
        o.pos = 0;
        pr(c, o);
        return byteString(o.buf, 0, o.pos);
      },
    };
  }
}
