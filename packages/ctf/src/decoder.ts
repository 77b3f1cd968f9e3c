/**
 * Compiles CTF types into decode-and-print closures (one per type, built once), producing
 * babeltrace2's text for each value as it decodes it (`babeltrace2` 2.0.4 `sink.text.pretty`
 * default options: field names shown, one `_` stripped from each name).
 *
 * Text is kept as "byte strings" (one char per byte, latin1) so that bytes come out unchanged.
 */
import { alignOf } from './metadata.js';
import type { CtfType, EnumT, IntT, Member, StructT } from './metadata.js';

/** The bit cursor over one packet (bit 0 = the packet's first bit). */
export interface Cursor {
  buf: Uint8Array;
  dv: DataView;
  /** Position in bits. */
  pos: number;
  /** End of the readable content in bits. */
  end: number;
  /** Integers recorded by name for sequence lengths and variant tags. */
  vals: Map<string, number | bigint>;
  /** Set when an integer mapped to a clock was read (value, width). */
  onClock: ((v: number | bigint, size: number) => void) | undefined;
}

export class DecodeError extends Error {
  constructor(
    readonly bitPos: number,
    message: string,
  ) {
    super(message);
  }
}

/** Output bytes: printers append here. */
export class Out {
  buf = new Uint8Array(1 << 17);
  pos = 0;
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }
  /** A byte string (chars < 256). */
  str(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }
  bytes(src: Uint8Array, a = 0, e = src.length): void {
    const n = e - a;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    if (n < 48) for (let i = a; i < e; i++) b[p++] = src[i]!;
    else {
      b.set(src.subarray(a, e), p);
      p += n;
    }
    this.pos = p;
  }
  /** A non-negative integer below 2^53 in decimal. */
  dec(v: number): void {
    this.room(20);
    this.pos = decAt(this.buf, this.pos, v);
  }
  /** `0x` and upper-case hex digits of a non-negative integer below 2^53. */
  hex(v: number): void {
    this.room(18);
    const b = this.buf;
    b[this.pos++] = 48;
    b[this.pos++] = 120;
    let n = v,
      len = 0;
    do {
      n = Math.floor(n / 16);
      len++;
    } while (n >= 1);
    let p = this.pos + len;
    this.pos = p;
    n = v;
    while (len-- > 0) {
      const q = Math.floor(n / 16);
      const d = n - q * 16;
      b[--p] = d < 10 ? 48 + d : 55 + d;
      n = q;
    }
  }
  /** Zero-padded 9-digit fraction. */
  dec9(v: number): void {
    this.room(9);
    const b = this.buf;
    let p = this.pos + 9,
      n = v | 0;
    this.pos = p;
    for (let i = 0; i < 9; i++) {
      const q = (n / 10) | 0;
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
  }
}

/** An Out that keeps nothing (for headers, whose text is never shown). */
export class NullOut extends Out {
  override str(): void {
    /* dropped */
  }
  override bytes(): void {
    /* dropped */
  }
  override dec(): void {
    /* dropped */
  }
  override hex(): void {
    /* dropped */
  }
  override dec9(): void {
    /* dropped */
  }
}

export type Printer = (c: Cursor, o: Out) => void;

const TWO32 = 4294967296;

function need(c: Cursor, bits: number): void {
  if (c.pos + bits > c.end) throw new DecodeError(c.pos, 'past the end of the packet content');
}

function align(c: Cursor, a: number): void {
  if (a > 1) {
    const r = c.pos % a;
    if (r) c.pos += a - r;
  }
}

/** Reads an integer (value as number when exact, else bigint). */
export function readInt(c: Cursor, t: IntT): number | bigint {
  align(c, t.align);
  const size = t.size;
  need(c, size);
  const pos = c.pos;
  c.pos = pos + size;
  if ((pos & 7) === 0 && (size & 7) === 0) {
    const o = pos >>> 3,
      dv = c.dv,
      le = t.le;
    switch (size) {
      case 8:
        return t.signed ? dv.getInt8(o) : dv.getUint8(o);
      case 16:
        return t.signed ? dv.getInt16(o, le) : dv.getUint16(o, le);
      case 32:
        return t.signed ? dv.getInt32(o, le) : dv.getUint32(o, le);
      case 64: {
        const lo = dv.getUint32(le ? o : o + 4, le),
          hi = dv.getUint32(le ? o + 4 : o, le);
        if (t.signed) {
          if (hi < 0x200000) return hi * TWO32 + lo;
          if (hi >= 0xffe00000) return (hi - TWO32) * TWO32 + lo;
          return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
        }
        if (hi < 0x200000) return hi * TWO32 + lo;
        return (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
  }
  // bit field: LE fills from the least significant bit of each byte, BE from the most significant
  let v = 0n;
  if (t.le) {
    for (let i = 0; i < size; ) {
      const bit = pos + i,
        byte = c.buf[bit >>> 3]!,
        sh = bit & 7;
      const take = Math.min(8 - sh, size - i);
      v |= BigInt((byte >>> sh) & ((1 << take) - 1)) << BigInt(i);
      i += take;
    }
  } else {
    for (let i = 0; i < size; ) {
      const bit = pos + i,
        byte = c.buf[bit >>> 3]!,
        sh = bit & 7;
      const take = Math.min(8 - sh, size - i);
      v = (v << BigInt(take)) | BigInt((byte >>> (8 - sh - take)) & ((1 << take) - 1));
      i += take;
    }
  }
  if (t.signed) v = BigInt.asIntN(size, v);
  return size <= 53 ? Number(v) : v;
}

/** A reader specialised for one integer class (byte-aligned classes read through the DataView directly). */
export function intReader(t: IntT): (c: Cursor) => number | bigint {
  const size = t.size,
    le = t.le,
    al = t.align;
  if (al % 8 !== 0 || size % 8 !== 0 || size === 64) return (c) => readInt(c, t);
  const get =
    size === 8
      ? t.signed
        ? (dv: DataView, o: number) => dv.getInt8(o)
        : (dv: DataView, o: number) => dv.getUint8(o)
      : size === 16
        ? t.signed
          ? (dv: DataView, o: number) => dv.getInt16(o, le)
          : (dv: DataView, o: number) => dv.getUint16(o, le)
        : size === 32
          ? t.signed
            ? (dv: DataView, o: number) => dv.getInt32(o, le)
            : (dv: DataView, o: number) => dv.getUint32(o, le)
          : undefined;
  if (!get) return (c) => readInt(c, t);
  return (c) => {
    let pos = c.pos;
    if (al > 8) {
      const r = pos % al;
      if (r) pos += al - r;
    }
    if (pos + size > c.end) {
      c.pos = pos;
      throw new DecodeError(pos, 'past the end of the packet content');
    }
    c.pos = pos + size;
    return get(c.dv, pos >>> 3);
  };
}

function hexUpper(v: number | bigint): string {
  return v.toString(16).toUpperCase();
}

/** babeltrace2's text for an integer of class `t`. */
export function formatInt(t: IntT, v: number | bigint): string {
  switch (t.base) {
    case 16: {
      let u = v;
      if (typeof u === 'number' ? u < 0 : u < 0n) {
        const bits = t.size < 64 ? (t.size + 3) & ~3 : 64;
        u = BigInt.asUintN(bits, BigInt(u));
      }
      return '0x' + hexUpper(u);
    }
    case 8: {
      let u = v;
      if (typeof u === 'number' ? u < 0 : u < 0n) {
        const bits = t.size < 64 ? Math.floor((t.size - 1) / 3 + 1) * 3 : 64;
        u = BigInt.asUintN(bits, BigInt(u));
      }
      return '0' + u.toString(8);
    }
    case 2: {
      const u = BigInt.asUintN(t.size, BigInt(v));
      return '0b' + u.toString(2).padStart(t.size, '0');
    }
    default:
      return typeof v === 'number' ? String(v) : v.toString();
  }
}

/** C's printf("%g"). */
export function formatG(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  let s = x.toExponential(5);
  let [m, ex] = s.split('e') as [string, string];
  const exp = Number(ex);
  if (exp < -4 || exp >= 6) {
    m = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  void e;
  s = x.toFixed(Math.max(0, 5 - exp));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

const ESC: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 27: '\\e', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

/** babeltrace2's quoted string: bytes[a, b) escaped as its pretty printer does. */
export function quoteBytes(buf: Uint8Array, a: number, b: number): string {
  let s = '"';
  let run = a;
  for (let i = a; i < b; i++) {
    const ch = buf[i]!;
    if (ch >= 32 && ch !== 127 && ch !== 92 && ch !== 39 && ch !== 34 && ch !== 63) continue;
    if (i > run) s += latin1(buf, run, i);
    run = i + 1;
    if (ch === 92) s += '\\\\';
    else if (ch === 39) s += "\\'";
    else if (ch === 34) s += '\\"';
    else if (ch === 63) s += '\\?';
    else s += ESC[ch] ?? '\\x' + ch.toString(16).padStart(2, '0');
  }
  if (b > run) s += latin1(buf, run, b);
  return s + '"';
}

function latin1(buf: Uint8Array, a: number, b: number): string {
  if (b - a < 64) {
    let s = '';
    for (let i = a; i < b; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  let s = '';
  for (let i = a; i < b; i += 4096) s += String.fromCharCode.apply(null, Array.from(buf.subarray(i, Math.min(b, i + 4096))));
  return s;
}

/** A UTF-8 metadata string as a byte string. */
export function utf8Bytes(s: string): string {
  const b = new TextEncoder().encode(s);
  return latin1(b, 0, b.length);
}

/** Field name as babeltrace2 shows it: one leading underscore removed. */
export function shownName(n: string): string {
  return n.startsWith('_') ? n.slice(1) : n;
}

const isText = (t: CtfType): boolean => t.k === 'int' && t.size === 8 && t.encoding;

export class Compiler {
  /** Names whose integer values must be kept (sequence lengths, variant tags). */
  readonly refs = new Set<string>();
  private readonly cache = new Map<CtfType, Printer>();

  collectRefs(t: CtfType | undefined): void {
    if (!t) return;
    switch (t.k) {
      case 'struct':
        for (const m of t.fields) this.collectRefs(m.type);
        break;
      case 'variant':
        this.refs.add(t.tag[t.tag.length - 1]!);
        for (const m of t.options) this.collectRefs(m.type);
        break;
      case 'array':
        this.collectRefs(t.elem);
        break;
      case 'seq':
        this.refs.add(t.lenPath[t.lenPath.length - 1]!);
        this.collectRefs(t.elem);
        break;
      default:
        break;
    }
  }

  /** A printer for a value of type `t` stored under `name` (for refs). */
  compile(t: CtfType, name = ''): Printer {
    const key = this.refs.has(name) || t.k === 'int' || t.k === 'enum' ? undefined : t;
    if (key) {
      const c = this.cache.get(key);
      if (c) return c;
    }
    const p = this.make(t, name);
    if (key) this.cache.set(key, p);
    return p;
  }

  private make(t: CtfType, name: string): Printer {
    const keep = this.refs.has(name);
    switch (t.k) {
      case 'int': {
        const clock = t.clock !== undefined;
        if (keep || clock) {
          return (c, o) => {
            const v = readInt(c, t);
            if (keep) c.vals.set(name, v);
            if (clock && c.onClock) c.onClock(v, t.size);
            putInt(o, t, v);
          };
        }
        const rd = intReader(t);
        if (t.base === 10) {
          return (c, o) => {
            const v = rd(c);
            if (typeof v === 'number' && v >= 0) o.dec(v);
            else o.str(String(v));
          };
        }
        return (c, o) => putInt(o, t, rd(c));
      }
      case 'enum': {
        const e: EnumT = t;
        return (c, o) => {
          const v = readInt(c, e.int);
          if (keep) c.vals.set(name, v);
          if (e.int.clock !== undefined && c.onClock) c.onClock(v, e.int.size);
          o.str('( ' + enumLabels(e, v) + ' : container = ');
          putInt(o, e.int, v);
          o.str(' )');
        };
      }
      case 'float': {
        return (c, o) => {
          align(c, t.align);
          need(c, t.size);
          if (c.pos & 7) throw new DecodeError(c.pos, 'unaligned floating point numbers are not supported');
          const at = c.pos >>> 3;
          c.pos += t.size;
          o.str(formatG(t.size === 32 ? c.dv.getFloat32(at, t.le) : c.dv.getFloat64(at, t.le)));
        };
      }
      case 'string': {
        return (c, o) => {
          align(c, 8);
          const a = c.pos >>> 3,
            endB = c.end >>> 3,
            buf = c.buf;
          let z = a;
          while (z < endB && buf[z] !== 0) z++;
          if (z >= endB) throw new DecodeError(c.pos, 'unterminated string');
          c.pos = (z + 1) * 8;
          putQuoted(o, buf, a, z);
        };
      }
      case 'struct':
        return this.struct(t);
      case 'variant': {
        const opts = t.options.map((m) => ({ label: m.name, p: this.compile(m.type, m.name) }));
        const tagName = t.tag[t.tag.length - 1]!;
        return (c, o) => {
          const v = c.vals.get(tagName);
          if (v === undefined) throw new DecodeError(c.pos, `variant tag '${t.tag.join('.')}' not found`);
          const e = this.tagEnums.get(tagName);
          const lbl = e ? firstLabel(e, v) : undefined;
          const opt = opts.find((x) => x.label === lbl || shownName(x.label) === lbl);
          if (!opt) throw new DecodeError(c.pos, `no variant option for tag value ${v}`);
          o.str('{ ');
          opt.p(c, o);
          o.str(' }');
        };
      }
      case 'array': {
        if (isText(t.elem)) {
          const n = t.len;
          return (c, o) => {
            align(c, 8);
            need(c, n * 8);
            const a = c.pos >>> 3;
            c.pos += n * 8;
            let z = a;
            while (z < a + n && c.buf[z] !== 0) z++;
            putQuoted(o, c.buf, a, z);
          };
        }
        const el = this.compile(t.elem);
        const n = t.len,
          al = alignOf(t.elem);
        const pre = Array.from({ length: n }, (_, i) => Uint8Array.from((i ? ', [' : ' [') + i + '] = ', (ch) => ch.charCodeAt(0)));
        return (c, o) => {
          align(c, al);
          if (n === 0) {
            o.str('[ ]');
            return;
          }
          o.room(1);
          o.buf[o.pos++] = 91;
          for (let i = 0; i < n; i++) {
            o.bytes(pre[i]!);
            el(c, o);
          }
          o.str(' ]');
        };
      }
      case 'seq': {
        const lenName = t.lenPath[t.lenPath.length - 1]!;
        const al = alignOf(t.elem);
        const text = isText(t.elem);
        const el = text ? undefined : this.compile(t.elem);
        return (c, o) => {
          const n = Number(c.vals.get(lenName) ?? -1);
          if (n < 0) throw new DecodeError(c.pos, `sequence length '${t.lenPath.join('.')}' not found`);
          if (text) {
            align(c, 8);
            need(c, n * 8);
            const a = c.pos >>> 3;
            c.pos += n * 8;
            let z = a;
            while (z < a + n && c.buf[z] !== 0) z++;
            putQuoted(o, c.buf, a, z);
            return;
          }
          align(c, al);
          if (n === 0) {
            o.str('[ ]');
            return;
          }
          o.str('[');
          for (let i = 0; i < n; i++) {
            o.str(i ? ', [' : ' [');
            o.dec(i);
            o.str('] = ');
            el!(c, o);
          }
          o.str(' ]');
        };
      }
    }
  }

  /** Enums used as variant tags, by member name. */
  readonly tagEnums = new Map<string, EnumT>();

  noteTagEnums(t: CtfType | undefined, parent?: StructT): void {
    if (!t) return;
    if (t.k === 'struct') {
      for (const m of t.fields) {
        if (m.type.k === 'enum' && this.refs.has(m.name)) this.tagEnums.set(m.name, m.type);
        this.noteTagEnums(m.type, t);
      }
    } else if (t.k === 'variant') for (const m of t.options) this.noteTagEnums(m.type, parent);
    else if (t.k === 'array' || t.k === 'seq') this.noteTagEnums(t.elem, parent);
  }

  /** A struct printer; `hide` lists member names decoded but not shown. */
  struct(t: StructT, hide?: Set<string>): Printer {
    const enc = (x: string): Uint8Array => Uint8Array.from(x, (ch) => ch.charCodeAt(0));
    const ms = t.fields.map((m: Member) => ({
      first: enc('{ ' + utf8Bytes(shownName(m.name)) + ' = '),
      next: enc(', ' + utf8Bytes(shownName(m.name)) + ' = '),
      p: this.compile(m.type, m.name),
      show: !hide?.has(m.name),
    }));
    const al = t.align;
    const n = ms.length;
    const general: Printer = (c, o) => {
      align(c, al);
      let shown = 0;
      for (let i = 0; i < n; i++) {
        const m = ms[i]!;
        const at = o.pos;
        o.bytes(shown ? m.next : m.first);
        m.p(c, o);
        if (m.show) shown++;
        else o.pos = at;
      }
      o.str(shown ? ' }' : '{ }');
    };
    return (hide === undefined && this.flatStruct(t, general)) || general;
  }

  /**
   * The common case, a struct of byte-aligned integers and static arrays of them (every tracepoint's
   * context and most payloads): their offsets from the aligned start are fixed, so one bounds check
   * covers the struct and each value is read straight from the DataView. Anything else (strings,
   * sequences, bit fields, enums, kept or clock-mapped integers) goes through the general printer,
   * which a struct near the end of the content also takes, for its exact error position.
   */
  private flatStruct(t: StructT, general: Printer): Printer | undefined {
    const ops: number[] = []; // per value: kind, byte offset, prefix index
    const prefixes: Uint8Array[] = [];
    const enc = (x: string): Uint8Array => Uint8Array.from(x, (ch) => ch.charCodeAt(0));
    const al = t.align;
    let bits = 0;
    let worst = 4;
    const kindOf = (it: CtfType): number => {
      if (it.k !== 'int' || it.encoding || it.clock !== undefined || it.align % 8 !== 0 || al % it.align !== 0) return -1;
      if (it.base !== 10 && it.base !== 16) return -1;
      const sz = it.size;
      if (sz !== 8 && sz !== 16 && sz !== 32 && sz !== 64) return -1;
      // kind: bits 0-1 size class, bit 2 signed, bit 3 big-endian, bit 4 hex
      return (sz === 8 ? 0 : sz === 16 ? 1 : sz === 32 ? 2 : 3) | (it.signed ? 4 : 0) | (it.le ? 0 : 8) | (it.base === 16 ? 16 : 0);
    };
    for (const [i, m] of t.fields.entries()) {
      if (this.refs.has(m.name)) return undefined;
      const name = (i ? ', ' : '{ ') + utf8Bytes(shownName(m.name)) + ' = ';
      const mt = m.type;
      if (mt.k === 'array') {
        const k = kindOf(mt.elem);
        if (k < 0 || mt.len === 0) return undefined;
        const el = mt.elem as IntT;
        bits = Math.ceil(bits / el.align) * el.align;
        for (let j = 0; j < mt.len; j++) {
          const pre = (j ? ', [' : name + '[ [') + j + '] = ';
          prefixes.push(enc(pre));
          ops.push(k, bits >>> 3, prefixes.length - 1);
          bits += el.size;
          worst += pre.length + 24;
        }
        // the closing bracket of the array rides on the next prefix (or the struct's end)
        prefixes.push(enc(' ]'));
        ops.push(-1, 0, prefixes.length - 1);
        worst += 2;
        continue;
      }
      const k = kindOf(mt);
      if (k < 0) return undefined;
      bits = Math.ceil(bits / mt.align) * mt.align;
      prefixes.push(enc(name));
      ops.push(k, bits >>> 3, prefixes.length - 1);
      bits += (mt as IntT).size;
      worst += name.length + 24;
    }
    if (ops.length === 0) return undefined;
    const total = bits;
    const generated = generateFlat(ops, prefixes, al, total, worst, general);
    if (generated) return generated;
    const nOps = ops.length;
    const opv = Int32Array.from(ops);
    return (c, o) => {
      align(c, al);
      const start = c.pos;
      if ((start & 7) !== 0 || start + total > c.end) return general(c, o);
      const b0 = start >>> 3,
        dv = c.dv;
      o.room(worst);
      for (let i = 0; i < nOps; i += 3) {
        const kind = opv[i]!;
        o.bytes(prefixes[opv[i + 2]!]!);
        if (kind < 0) continue;
        const at = b0 + opv[i + 1]!;
        const le = (kind & 8) === 0;
        let v: number | bigint;
        switch (kind & 7) {
          case 0:
            v = dv.getUint8(at);
            break;
          case 4:
            v = dv.getInt8(at);
            break;
          case 1:
            v = dv.getUint16(at, le);
            break;
          case 5:
            v = dv.getInt16(at, le);
            break;
          case 2:
            v = dv.getUint32(at, le);
            break;
          case 6:
            v = dv.getInt32(at, le);
            break;
          default: {
            const lo = dv.getUint32(le ? at : at + 4, le),
              hi = dv.getUint32(le ? at + 4 : at, le);
            if (hi < 0x200000) v = hi * TWO32 + lo;
            else if (kind & 4) v = hi >= 0xffe00000 ? (hi - TWO32) * TWO32 + lo : BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
            else v = (BigInt(hi) << 32n) | BigInt(lo);
          }
        }
        if (typeof v === 'number' && v >= 0) {
          if (kind & 16) o.hex(v);
          else o.dec(v);
        } else o.str(kind & 16 ? formatInt(HEX_OF[kind & 7]!, v) : String(v));
      }
      o.str(' }');
      c.pos = start + total;
    };
  }
}

/** Writes a non-negative integer below 2^53 in decimal at `p`; returns the position after it. */
function decAt(b: Uint8Array, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  if (v >= 2147483648) {
    let n = v,
      len = 0;
    while (n >= 1) {
      n = Math.floor(n / 10);
      len++;
    }
    const end = p + len;
    let q = end;
    n = v;
    while (q > p) {
      const d = Math.floor(n / 10);
      b[--q] = 48 + (n - d * 10);
      n = d;
    }
    return end;
  }
  let x = v | 0;
  const len =
    x < 100
      ? 2
      : x < 1000
        ? 3
        : x < 10000
          ? 4
          : x < 100000
            ? 5
            : x < 1000000
              ? 6
              : x < 10000000
                ? 7
                : x < 100000000
                  ? 8
                  : x < 1000000000
                    ? 9
                    : 10;
  const end = p + len;
  let q = end;
  while (x >= 10) {
    const d = (x / 10) | 0;
    b[--q] = 48 + (x - d * 10);
    x = d;
  }
  b[--q] = 48 + x;
  return end;
}

/** Whether this realm may compile code at run time (not under a CSP without 'unsafe-eval'). */
let codegenAllowed: boolean | undefined;

/**
 * Turns the generated struct printers off (false) or back on (true) for printers compiled from
 * now on: tests run both paths, which must print the same bytes.
 */
export function setStructCodegen(allowed: boolean): void {
  codegenAllowed = allowed ? undefined : false;
}

/**
 * A flat struct's printer as one straight-line function (V8 then sees each struct's reads and
 * text as one block, with no loop over descriptors): built once per struct class, from the same
 * ops the descriptor loop runs. Undefined where code generation is refused (a CSP page); the loop
 * then serves, with the same output.
 */
function generateFlat(
  ops: number[],
  prefixes: Uint8Array[],
  al: number,
  total: number,
  worst: number,
  general: Printer,
): Printer | undefined {
  if (codegenAllowed === false) return undefined;
  const src: string[] = [];
  src.push('return function flatStruct(c, o) {');
  if (al > 1) src.push(`  { const r = c.pos % ${al}; if (r) c.pos += ${al} - r; }`);
  src.push('  const start = c.pos;');
  src.push(`  if ((start & 7) !== 0 || start + ${total} > c.end) return general(c, o);`);
  src.push('  const b0 = start >>> 3, dv = c.dv;');
  src.push(`  o.room(${worst});`);
  src.push('  let buf = o.buf, p = o.pos, v, lo, hi;');
  const slow = (call: string): string => `{ o.pos = p; ${call}; p = o.pos; }`;
  for (let i = 0; i < ops.length; i += 3) {
    const kind = ops[i]!;
    const pre = prefixes[ops[i + 2]!]!;
    src.push('  ' + Array.from(pre, (ch) => `buf[p++] = ${ch};`).join(' '));
    if (kind < 0) continue;
    const at = `b0 + ${ops[i + 1]}`;
    const le = (kind & 8) === 0;
    const hex = (kind & 16) !== 0;
    const sz = kind & 3;
    const signed = (kind & 4) !== 0;
    if (sz === 3) {
      src.push(`  lo = dv.getUint32(${le ? at : `${at} + 4`}, ${le}); hi = dv.getUint32(${le ? `${at} + 4` : at}, ${le});`);
      if (signed)
        src.push(
          '  v = hi < 0x200000 ? hi * 4294967296 + lo : hi >= 0xffe00000 ? (hi - 4294967296) * 4294967296 + lo : BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));',
        );
      else src.push('  v = hi < 0x200000 ? hi * 4294967296 + lo : (BigInt(hi) << 32n) | BigInt(lo);');
    } else {
      const get = `get${signed ? 'Int' : 'Uint'}${8 << sz}`;
      src.push(`  v = dv.${get}(${at}${sz ? `, ${le}` : ''});`);
    }
    if (hex)
      src.push(`  if (typeof v === 'number' && v >= 0) ${slow('o.hex(v)')} else ${slow(`o.str(formatInt(HEX_OF[${kind & 7}], v))`)}`);
    else if (sz <= 1 && !signed) src.push('  p = decAt(buf, p, v);');
    else src.push(`  if (typeof v === 'number' && v >= 0) p = decAt(buf, p, v); else ${slow('o.str(String(v))')}`);
    // o.str / o.hex may have grown the buffer
    if (hex || signed || sz === 3) src.push('  buf = o.buf;');
  }
  src.push('  buf[p++] = 32; buf[p++] = 125;');
  src.push('  o.pos = p;');
  src.push(`  c.pos = start + ${total};`);
  src.push('};');
  try {
    const make = new Function('general', 'decAt', 'formatInt', 'HEX_OF', src.join('\n')) as (
      g: Printer,
      d: typeof decAt,
      f: typeof formatInt,
      h: IntT[],
    ) => Printer;
    codegenAllowed = true;
    return make(general, decAt, formatInt, HEX_OF);
  } catch {
    codegenAllowed = false;
    return undefined;
  }
}

/** Integer classes for formatInt's hex of negative values, by kind & 7 (size class, signed). */
const HEX_OF: IntT[] = [8, 16, 32, 64, 8, 16, 32, 64].map((size, i) => ({
  k: 'int',
  size,
  align: 8,
  signed: i >= 4,
  le: true,
  base: 16,
  encoding: false,
  clock: undefined,
}));

/** babeltrace2's text for an integer. */
function putInt(o: Out, t: IntT, v: number | bigint): void {
  if (typeof v === 'number' && v >= 0) {
    if (t.base === 10) {
      o.dec(v);
      return;
    }
    if (t.base === 16) {
      o.hex(v);
      return;
    }
  }
  o.str(formatInt(t, v));
}

/** A quoted, escaped string (see quoteBytes). */
function putQuoted(o: Out, buf: Uint8Array, a: number, b: number): void {
  for (let i = a; i < b; i++) {
    const ch = buf[i]!;
    if (ch < 32 || ch === 127 || ch === 92 || ch === 39 || ch === 34 || ch === 63) {
      o.str(quoteBytes(buf, a, b));
      return;
    }
  }
  o.room(b - a + 2);
  o.buf[o.pos++] = 34;
  o.bytes(buf, a, b);
  o.buf[o.pos++] = 34;
}

function firstLabel(e: EnumT, v: number | bigint): string | undefined {
  const x = BigInt(v);
  for (const m of e.mappings) if (x >= m.lo && x <= m.hi) return m.label;
  return undefined;
}

function enumLabels(e: EnumT, v: number | bigint): string {
  const x = BigInt(v);
  const out: string[] = [];
  for (const m of e.mappings) if (x >= m.lo && x <= m.hi) out.push(quoteLabel(m.label));
  return out.length ? out.join(', ') : '<unknown>';
}

function quoteLabel(l: string): string {
  const b = new TextEncoder().encode(l);
  return quoteBytes(b, 0, b.length);
}
