/**
 * Byte-emitting variants of the compiled print cache: each segment of an event's print
 * fmt becomes a closure that writes its text straight into an OutBuffer (literal text
 * as prepared bytes, integers digit by digit, 64-bit values by 32-bit halves without
 * bigint, char arrays and __get_str copied from the record). Conversions without a fast
 * path run the segment's string closure (the reference behaviour) and copy its text,
 * so the bytes are always exactly what the string path prints.
 */
import type { TraceRecord } from '../../core/types.js';
import { FieldFlag } from '../../core/types.js';
import type { TepField } from '../../core/event-format.js';
import type { PrintArg } from '../parse/print-fmt-parser.js';
import { findAnyField } from '../parse/context.js';
import type { ArgCompiler } from '../eval/print-eval.js';
import type { Segment } from './print-compiler.js';
import { parseConvSpec, formatIntSpec, type ConvSpec } from '../../core/printf.js';
import { dynamicOffset } from '../../core/record-data.js';
import { type OutBuffer, makeChunk, putChunk, putDec, putHex32, putHex64, MAX_NUMBER_BYTES, type Chunk } from '../../core/out-buffer.js';
import { LS_BITS, TWO32 } from '../../core/c-number.js';

/** Writes (part of) a record's text into `o`. */
export type EmitFn = (r: TraceRecord, o: OutBuffer) => void;

const NOTHING: EmitFn = () => {};

/** Emits constant text. */
export function emitText(text: string): EmitFn {
  const n = text.length;
  if (n === 0) return NOTHING;
  if (n === 1) {
    const c = text.charCodeAt(0) & 0xff;
    return (_r, o) => o.byte(c);
  }
  const t = makeChunk(text);
  return (_r, o) => o.chunk(t);
}

/** Runs a string closure and copies its text (the general fallback). */
export function emitString(fn: (r: TraceRecord) => string): EmitFn {
  return (r, o) => o.latin1(fn(r));
}

const NO_CHUNK = makeChunk('');

function fallback(seg: Segment, pre: Chunk): EmitFn {
  const run = seg.run!;
  const pl = pre.length;
  if (!pl) return (r, o) => o.latin1(run(r, -1));
  return (r, o) => {
    o.chunk(pre);
    o.latin1(run(r, -1));
  };
}

/**
 * Emitters for a print cache (the segments' string closures must be compiled already).
 * Literal text is folded into the conversion that follows it.
 */
export function compileEmitSegments(c: ArgCompiler, segs: readonly Segment[]): EmitFn[] {
  const out: EmitFn[] = [];
  let text = '';
  for (const seg of segs) {
    if (seg.type === 'text') {
      text += seg.text;
      continue;
    }
    out.push(compileEmitSegment(c, seg, text.length ? makeChunk(text) : NO_CHUNK));
    text = '';
  }
  if (text.length) out.push(emitText(text));
  return out;
}

/** One function running a list of emitters in order. */
export function chainEmitters(list: readonly EmitFn[]): EmitFn {
  const n = list.length;
  if (n === 0) return NOTHING;
  if (n === 1) return list[0]!;
  if (n === 2) {
    const [a, b] = list as [EmitFn, EmitFn];
    return (r, o) => {
      a(r, o);
      b(r, o);
    };
  }
  if (n === 3) {
    const [a, b, c] = list as [EmitFn, EmitFn, EmitFn];
    return (r, o) => {
      a(r, o);
      b(r, o);
      c(r, o);
    };
  }
  if (n === 4) {
    const [a, b, c, d] = list as [EmitFn, EmitFn, EmitFn, EmitFn];
    return (r, o) => {
      a(r, o);
      b(r, o);
      c(r, o);
      d(r, o);
    };
  }
  const fns = list.slice();
  return (r, o) => {
    for (let i = 0; i < n; i++) fns[i]!(r, o);
  };
}

/** One conversion segment written after the literal bytes `pre`. */
export function compileEmitSegment(c: ArgCompiler, seg: Segment, pre: Chunk): EmitFn {
  if (seg.lenArg) return fallback(seg, pre);
  if (seg.type === 'digit') return compileEmitInt(c, seg, pre) ?? fallback(seg, pre);
  if (seg.type === 'str') return compileEmitStr(c, seg, pre) ?? fallback(seg, pre);
  if (seg.type === 'ptr') return compileEmitPtr(c, seg, pre) ?? fallback(seg, pre);
  return fallback(seg, pre);
}

/** The plain/width-only integer conversions we write directly, else null. */
function simpleSpec(text: string): ConvSpec | null {
  const s = parseConvSpec(text);
  if (s.invalid || s.alt || s.precision >= 0 || s.starWidth || s.starPrecision) return null;
  const cv = s.conv;
  if (cv !== 'd' && cv !== 'i' && cv !== 'u' && cv !== 'x' && cv !== 'X') return null;
  return s;
}

function compileEmitInt(c: ArgCompiler, seg: Segment, pre: Chunk): EmitFn | null {
  const pl = pre.length;
  const bits = LS_BITS[String(seg.ls)];
  if (bits === undefined) return null;
  const s = simpleSpec(seg.text);
  if (!s) return null;
  const arg = seg.arg!;
  const le = c.host.littleEndian;
  const cv = s.conv;
  const signed = cv === 'd' || cv === 'i';
  const hex = cv === 'x' || cv === 'X';
  const radix = hex ? 16 : 10;
  const upper = cv === 'X';
  const width = s.width > 0 ? Math.min(s.width, 1 << 20) : 0;
  const left = s.left;
  const zero = s.zero && !left;
  // the common forms (no width, lowercase) write in place after one room check
  const plain = width === 0 && !upper;
  const K = pre.room + MAX_NUMBER_BYTES;
  const loc = c.loc(arg);
  if (loc && loc.size === 8) {
    const off = loc.off;
    const end = off + 8;
    const loOff = le ? 0 : 4;
    const hiOff = le ? 4 : 0;
    if (bits !== 64) {
      // only the low word matters
      return (r, o) => {
        if (pl) o.chunk(pre);
        const v = end <= r.size ? r.view.getUint32(r.offset + off + loOff, le) : 0;
        writeSmall(o, v, bits, signed, radix, upper, width, left, zero);
      };
    }
    const slow = (o: OutBuffer, hi: number, lo: number): void => {
      o.latin1(formatIntSpec(s, (BigInt(hi) << 32n) | BigInt(lo), 64, -1));
    };
    if (hex && plain) {
      return (r, o) => {
        let p = o.pos;
        if (p + K > o.buf.length) o.grow(K);
        const b = o.buf;
        if (pl) p = putChunk(o.dv, p, pre);
        let hi = 0,
          lo = 0;
        if (end <= r.size) {
          const at = r.offset + off;
          lo = r.view.getUint32(at + loOff, le);
          hi = r.view.getUint32(at + hiOff, le);
        }
        o.pos = putHex64(b, p, hi, lo);
      };
    }
    if (hex) {
      return (r, o) => {
        if (pl) o.chunk(pre);
        let hi = 0,
          lo = 0;
        if (end <= r.size) {
          const at = r.offset + off;
          lo = r.view.getUint32(at + loOff, le);
          hi = r.view.getUint32(at + hiOff, le);
        }
        o.hex64Padded(hi, lo, upper, width, left, zero);
      };
    }
    if (plain) {
      return (r, o) => {
        let p = o.pos;
        if (p + K > o.buf.length) o.grow(K);
        const b = o.buf;
        if (pl) p = putChunk(o.dv, p, pre);
        let hi = 0,
          lo = 0;
        if (end <= r.size) {
          const at = r.offset + off;
          lo = r.view.getUint32(at + loOff, le);
          hi = r.view.getUint32(at + hiOff, le);
        }
        if (hi < 0x200000) o.pos = putDec(b, p, hi * TWO32 + lo);
        else if (signed && hi >= 0xffe00000) {
          b[p++] = 45;
          o.pos = putDec(b, p, (0xffffffff - hi) * TWO32 + (TWO32 - lo));
        } else {
          o.pos = p;
          slow(o, hi, lo);
        }
      };
    }
    return (r, o) => {
      if (pl) o.chunk(pre);
      let hi = 0,
        lo = 0;
      if (end <= r.size) {
        const at = r.offset + off;
        lo = r.view.getUint32(at + loOff, le);
        hi = r.view.getUint32(at + hiOff, le);
      }
      if (hi < 0x200000) o.int(false, hi * TWO32 + lo, 10, false, width, left, zero);
      else if (signed && hi >= 0xffe00000) o.int(true, (0xffffffff - hi) * TWO32 + (TWO32 - lo), 10, false, width, left, zero);
      else slow(o, hi, lo);
    };
  }
  if (loc && (loc.size === 4 || loc.size === 2 || loc.size === 1)) {
    const off = loc.off;
    const size = loc.size;
    const end = off + size;
    if (plain && (bits === 64 || (bits === 32 && (!signed || size < 4)))) {
      // the value cannot be negative after the cast: plain digits
      const rd = size === 4 ? 0 : size === 2 ? 1 : 2;
      return (r, o) => {
        let p = o.pos;
        if (p + K > o.buf.length) o.grow(K);
        const b = o.buf;
        if (pl) p = putChunk(o.dv, p, pre);
        const v =
          end > r.size
            ? 0
            : rd === 0
              ? r.view.getUint32(r.offset + off, le)
              : rd === 1
                ? r.view.getUint16(r.offset + off, le)
                : r.page[r.offset + off]!;
        o.pos = hex ? putHex32(b, p, v) : putDec(b, p, v);
      };
    }
    if (size === 4) {
      return (r, o) => {
        if (pl) o.chunk(pre);
        writeSmall(o, end <= r.size ? r.view.getUint32(r.offset + off, le) : 0, bits, signed, radix, upper, width, left, zero);
      };
    }
    if (size === 2) {
      return (r, o) => {
        if (pl) o.chunk(pre);
        writeSmall(o, end <= r.size ? r.view.getUint16(r.offset + off, le) : 0, bits, signed, radix, upper, width, left, zero);
      };
    }
    return (r, o) => {
      if (pl) o.chunk(pre);
      writeSmall(o, end <= r.size ? r.page[r.offset + off]! : 0, bits, signed, radix, upper, width, left, zero);
    };
  }
  const sm = c.small(arg);
  if (sm) {
    return (r, o) => {
      if (pl) o.chunk(pre);
      const v = sm(r);
      if (v >= 0 && v < TWO32 && v === Math.floor(v)) writeSmall(o, v, bits, signed, radix, upper, width, left, zero);
      else o.latin1(formatIntSpec(s, v, bits, -1));
    };
  }
  if (bits !== 64) return null;
  // any other expression: unsigned 64-bit, as a number while below 2^53
  const num = c.num(arg);
  return (r, o) => {
    if (pl) o.chunk(pre);
    const v = num(r);
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) o.int(false, v, radix, upper, width, left, zero);
    else o.latin1(formatIntSpec(s, v, bits, -1));
  };
}

/**
 * `%p` (glibc: `(nil)` or 0x + hex) and `%pS`/`%ps`/`%pF`/`%pf` (symbol, with +0xoffset
 * for the capitals): the text of a symbol conversion is kept per address.
 */
function compileEmitPtr(c: ArgCompiler, seg: Segment, pre: Chunk): EmitFn | null {
  const spec = seg.text;
  const arg = seg.arg!;
  if (arg.kind === 'bstring') return null;
  const pl = pre.length;
  const ext = spec.slice(spec.indexOf('p') + 1);
  if (ext === '') {
    const loc = c.loc(arg);
    if (loc && loc.size === 8) {
      const le = c.host.littleEndian;
      const off = loc.off;
      const loOff = le ? 0 : 4;
      const hiOff = le ? 4 : 0;
      const K = pre.room + 18;
      return (r, o) => {
        let p = o.pos;
        if (p + K > o.buf.length) o.grow(K);
        const b = o.buf;
        if (pl) p = putChunk(o.dv, p, pre);
        let hi = 0,
          lo = 0;
        if (off + 8 <= r.size) {
          const at = r.offset + off;
          lo = r.view.getUint32(at + loOff, le);
          hi = r.view.getUint32(at + hiOff, le);
        }
        if (hi === 0 && lo === 0) {
          o.pos = putChunk(o.dv, p, NIL);
          return;
        }
        b[p++] = 48;
        b[p++] = 120;
        o.pos = putHex64(b, p, hi, lo);
      };
    }
    const num = c.num(arg);
    const K = pre.room + 18;
    return (r, o) => {
      const v = num(r);
      if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        // computed addresses below 2^53 (e.g. vmemmap_base + pfn): in place, no bigint
        let p = o.pos;
        if (p + K > o.buf.length) o.grow(K);
        const b = o.buf;
        if (pl) p = putChunk(o.dv, p, pre);
        if (v === 0) {
          o.pos = putChunk(o.dv, p, NIL);
          return;
        }
        b[p++] = 48;
        b[p++] = 120;
        o.pos = putHex64(b, p, Math.floor(v / TWO32), v % TWO32);
        return;
      }
      if (pl) o.chunk(pre);
      // biome-ignore lint/suspicious/noDoubleEquals: v is a number or a bigint; 0n === 0 is false
      if (v == 0) {
        o.chunk(NIL);
        return;
      }
      o.byte(48);
      o.byte(120);
      if (typeof v === 'number' && v <= Number.MAX_SAFE_INTEGER) o.int(false, v, 16, false, 0, false, false);
      else o.latin1(v.toString(16));
    };
  }
  if (ext === 'S' || ext === 's' || ext === 'F' || ext === 'f') {
    const loc = c.loc(arg);
    if (loc?.size !== 8) return null;
    const run = seg.run!;
    const le = c.host.littleEndian;
    const off = loc.off;
    const loOff = le ? 0 : 4;
    const hiOff = le ? 4 : 0;
    const kallsyms = c.host.kallsyms;
    let version = -1;
    // the text per address: low word → [high word, text] (a new high word replaces the entry)
    const cache = new Map<number, { hi: number; text: Chunk }>();
    return (r, o) => {
      if (pl) o.chunk(pre);
      let hi = 0,
        lo = 0;
      if (off + 8 <= r.size) {
        const at = r.offset + off;
        lo = r.view.getUint32(at + loOff, le);
        hi = r.view.getUint32(at + hiOff, le);
      }
      if (version !== kallsyms.version) {
        cache.clear();
        version = kallsyms.version;
      }
      let e = cache.get(lo);
      if (e === undefined || e.hi !== hi) {
        if (cache.size >= 65536) cache.clear();
        e = { hi, text: makeChunk(run(r, -1)) };
        cache.set(lo, e);
      }
      o.chunk(e.text);
    };
  }
  return null;
}
const NIL = makeChunk('(nil)');

/** An unsigned value 0 <= v < 2^32 printed after the C cast to `bits`. */
function writeSmall(
  o: OutBuffer,
  v: number,
  bits: number,
  signed: boolean,
  radix: number,
  upper: boolean,
  width: number,
  left: boolean,
  zero: boolean,
): void {
  let x: number;
  if (bits === 64) x = v;
  else if (bits === 32) x = signed ? v | 0 : v >>> 0;
  else if (bits === 16) {
    x = v & 0xffff;
    if (signed && x & 0x8000) x -= 0x10000;
  } else {
    x = v & 0xff;
    if (signed && x & 0x80) x -= 0x100;
  }
  if (x < 0) o.int(true, -x, radix, upper, width, left, zero);
  else if (width === 0 && radix === 10) o.dec(x);
  else o.int(false, x, radix, upper, width, left, zero);
}

/** Copies the C string page[start, limit) up to its NUL, padded to width. */
function writeCString(o: OutBuffer, page: Uint8Array, start: number, limit: number, width: number, left: boolean): void {
  let i = start;
  while (i < limit && page[i] !== 0) i++;
  const n = i - start;
  if (width > n && !left) o.fill(32, width - n);
  o.bytes(page, start, i);
  if (width > n && left) o.fill(32, width - n);
}

function compileEmitStr(c: ArgCompiler, seg: Segment, pre: Chunk): EmitFn | null {
  const pl = pre.length;
  const s = parseConvSpec(seg.text);
  if (s.invalid || s.precision >= 0 || s.starWidth || s.starPrecision) return null;
  const width = s.width > 0 ? Math.min(s.width, 1 << 20) : 0;
  const left = s.left;
  const arg: PrintArg = seg.arg!;
  const le = c.host.littleEndian;
  if (arg.kind === 'field') {
    const f: TepField | null = arg.field ?? findAnyField(c.ctx, arg.fieldName);
    if (!f) return null;
    if (!(f.flags & FieldFlag.Array) && f.size === c.host.longSize) return null; // printk address lookup
    const off = f.offset;
    const size = f.size;
    return (r, o) => {
      if (pl) o.chunk(pre);
      const len = size || r.size - off;
      const start = r.offset + off;
      if (start < 0) {
        writeCString(o, r.page, 0, 0, width, left);
        return;
      }
      writeCString(o, r.page, start, Math.min(r.page.length, start + len), width, left);
    };
  }
  if (arg.kind === 'string') {
    const f = arg.field ?? findAnyField(c.ctx, arg.strName);
    if (!f) return null;
    return (r, o) => {
      if (pl) o.chunk(pre);
      const [off, len] = dynamicOffset(r, f, le);
      if (!len) return; // prints nothing at all, not even the padding
      const start = r.offset + off;
      writeCString(o, r.page, Math.max(start, 0), start < 0 ? 0 : r.page.length, width, left);
    };
  }
  if (width || left) return null;
  const e = plainStrEmitter(c, arg, 0);
  if (!e) return null;
  if (!pl) return e;
  return (r, o) => {
    o.chunk(pre);
    e(r, o);
  };
}

/**
 * Plain `%s` of constant text, `cond ? a : b`, or __print_flags / __print_symbolic (whose
 * text depends only on the value: kept per value, a bounded cache).
 */
function plainStrEmitter(c: ArgCompiler, arg: PrintArg, depth: number): EmitFn | null {
  if (depth > 8) return null;
  switch (arg.kind) {
    case 'atom':
    case 'bstring':
      return emitText(arg.atom);
    case 'op': {
      if (arg.op[0] !== '?' || !arg.left || !arg.right?.left || !arg.right.right) return null;
      const cond = c.num(arg.left);
      const id = (x: string): string => x;
      const a = plainStrEmitter(c, arg.right.left, depth + 1) ?? emitStrFn(c.str(arg.right.left, id));
      const b = plainStrEmitter(c, arg.right.right, depth + 1) ?? emitStrFn(c.str(arg.right.right, id));
      return (r, o) => {
        if (cond(r)) a(r, o);
        else b(r, o);
      };
    }
    case 'flags':
    case 'symbol': {
      const num = c.num(arg.sub!);
      const text = c.str(arg, (x) => x);
      const cache = new Map<number, Chunk>();
      return (r, o) => {
        const v = num(r);
        if (typeof v !== 'number') {
          o.latin1(text(r, -1));
          return;
        }
        let t = cache.get(v);
        if (t === undefined) {
          if (cache.size >= 4096) cache.clear();
          t = makeChunk(text(r, -1));
          cache.set(v, t);
        }
        o.chunk(t);
      };
    }
    default:
      return null;
  }
}

function emitStrFn(fn: (r: TraceRecord, star: number) => string): EmitFn {
  return (r, o) => o.latin1(fn(r, -1));
}
