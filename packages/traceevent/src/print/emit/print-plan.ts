/**
 * The fastest form of an event's print fmt: when every conversion is a plain read of a
 * fixed field (`%d %u %x %ld %lu %lx %llx` without width, `%s` of a char array or of
 * __get_str), the whole info column runs as one function — generated JavaScript source
 * (new Function: one straight-line function per format, constants folded in) where code
 * generation is allowed, else a loop over a compact op list; one room check, one pass, no
 * closure per conversion. Anything else returns null and the per-segment emitters of
 * print-emit.ts are chained. (Generating one function per format for those too, calling
 * their emitters from call sites of their own, measured slower: every event type then warms
 * up its own code, which costs more than the shared closures on traces of many types.)
 * `new Tep({ codegen: false })`, or a page that forbids code generation (detected), keeps
 * to the op-list loop; print-cases.test.ts runs the trace-cmd cases through both.
 */
import { FieldFlag } from '../../core/types.js';
import { findAnyField } from '../parse/context.js';
import type { ArgCompiler } from '../eval/print-eval.js';
import type { Segment } from './print-compiler.js';
import { parseConvSpec, formatIntSpec } from '../../core/printf.js';
import { makeChunk, putChunk, putDec, putHex32, putHex64, MAX_NUMBER_BYTES, type Chunk, type OutBuffer } from '../../core/out-buffer.js';
import type { EmitFn } from './print-emit.js';
import { LS_BITS, TWO32 } from '../../core/c-number.js';

const enum Op {
  /** 8-byte value, %lx */
  Hex64,
  /** 8-byte value, %lu */
  Dec64U,
  /** 8-byte value, %ld */
  Dec64S,
  /** 1/2/4-byte value that prints unsigned: decimal */
  U32,
  /** 1/2/4-byte value, hex */
  Hex32,
  /** 4-byte value, %d */
  S32,
  /** char array field, %s */
  CStr,
  /** __get_str with a 4-byte __data_loc / __rel_loc field, %s */
  DStr,
}

/** The plan of a print cache, or null when some conversion needs the general emitters. */
export function compilePlan(c: ArgCompiler, segs: readonly Segment[], codegen = true): EmitFn | null {
  const ops: Op[] = [];
  const offs: number[] = [];
  const sizes: number[] = [];
  const pres: Array<Chunk | null> = [];
  let text = '';
  let room = 0;
  for (const seg of segs) {
    if (seg.type === 'text') {
      text += seg.text;
      continue;
    }
    if (seg.lenArg) return null;
    let op: Op;
    let off = 0;
    let size = 0;
    if (seg.type === 'digit') {
      const bits = LS_BITS[String(seg.ls)];
      const s = parseConvSpec(seg.text);
      if (
        bits === undefined ||
        s.invalid ||
        s.alt ||
        s.left ||
        s.zero ||
        s.width >= 0 ||
        s.precision >= 0 ||
        s.starWidth ||
        s.starPrecision
      )
        return null;
      const cv = s.conv;
      if (cv !== 'd' && cv !== 'i' && cv !== 'u' && cv !== 'x') return null;
      const loc = c.loc(seg.arg!);
      if (!loc) return null;
      off = loc.off;
      size = loc.size;
      const signed = cv === 'd' || cv === 'i';
      if (size === 8) {
        if (bits !== 64) return null;
        op = cv === 'x' ? Op.Hex64 : signed ? Op.Dec64S : Op.Dec64U;
      } else if (size === 4 || size === 2 || size === 1) {
        if (bits !== 64 && bits !== 32) return null;
        // read unsigned; only a signed 32-bit cast of a 4-byte value can turn negative
        op = cv === 'x' ? Op.Hex32 : signed && bits === 32 && size === 4 ? Op.S32 : Op.U32;
      } else return null;
      room += MAX_NUMBER_BYTES;
    } else if (seg.type === 'str') {
      const s = parseConvSpec(seg.text);
      if (s.invalid || s.width >= 0 || s.precision >= 0 || s.starWidth || s.starPrecision) return null;
      const arg = seg.arg!;
      if (arg.kind === 'field') {
        const f = arg.field ?? findAnyField(c.ctx, arg.fieldName);
        if (!f || f.size <= 0 || (!(f.flags & FieldFlag.Array) && f.size === c.host.longSize)) return null;
        op = Op.CStr;
        off = f.offset;
        size = f.size;
        room += size;
      } else if (arg.kind === 'string') {
        const f = arg.field ?? findAnyField(c.ctx, arg.strName);
        if (f?.size !== 4) return null;
        op = Op.DStr;
        off = f.offset;
        size = f.flags & FieldFlag.Relative ? 1 : 0;
      } else return null;
    } else return null;
    const pre = text.length ? makeChunk(text) : null;
    text = '';
    if (pre) room += pre.room;
    ops.push(op);
    offs.push(off);
    sizes.push(size);
    pres.push(pre);
  }
  const n = ops.length;
  if (n === 0) return null;
  const suffix = text.length ? makeChunk(text) : null;
  if (suffix) room += suffix.room;
  const le = c.host.littleEndian;
  const loOff = le ? 0 : 4;
  const hiOff = le ? 4 : 0;
  const opA = Int32Array.from(ops);
  const offA = Int32Array.from(offs);
  const sizeA = Int32Array.from(sizes);
  const gen = codegen ? generate(opA, offA, sizeA, pres, suffix, room, le) : null;
  if (gen) return gen;
  const big = bigDec;
  return (r, o) => {
    let p = o.pos;
    if (p + room > o.buf.length) o.grow(room);
    let b = o.buf;
    let dv = o.dv;
    const view = r.view;
    const page = r.page;
    const base = r.offset;
    const rsize = r.size;
    for (let i = 0; i < n; i++) {
      const pre = pres[i]!;
      if (pre !== null) p = putChunk(dv, p, pre);
      const off = offA[i]!;
      switch (opA[i]) {
        case Op.Hex64:
        case Op.Dec64U:
        case Op.Dec64S: {
          let hi = 0,
            lo = 0;
          if (off + 8 <= rsize) {
            lo = view.getUint32(base + off + loOff, le);
            hi = view.getUint32(base + off + hiOff, le);
          }
          const k = opA[i];
          if (k === Op.Hex64) p = putHex64(b, p, hi, lo);
          else if (hi < 0x200000) p = putDec(b, p, hi * TWO32 + lo);
          else if (k === Op.Dec64S && hi >= 0xffe00000) {
            b[p++] = 45;
            p = putDec(b, p, (0xffffffff - hi) * TWO32 + (TWO32 - lo));
          } else {
            p = big(b, p, hi, lo, k === Op.Dec64S);
          }
          break;
        }
        case Op.U32:
        case Op.Hex32:
        case Op.S32: {
          const sz = sizeA[i]!;
          let v = 0;
          if (off + sz <= rsize)
            v = sz === 4 ? view.getUint32(base + off, le) : sz === 2 ? view.getUint16(base + off, le) : page[base + off]!;
          const k = opA[i];
          if (k === Op.Hex32) p = putHex32(b, p, v);
          else if (k === Op.S32 && v >= 0x80000000) {
            b[p++] = 45;
            p = putDec(b, p, TWO32 - v);
          } else p = putDec(b, p, v);
          break;
        }
        case Op.CStr: {
          const start = base + off;
          const limit = Math.min(page.length, start + sizeA[i]!);
          let j = start;
          while (j < limit) {
            const ch = page[j]!;
            if (ch === 0) break;
            b[p++] = ch;
            j++;
          }
          break;
        }
        case Op.DStr: {
          // dynamic_offset_field of a 4-byte __data_loc (or __rel_loc) field
          if (off + 4 > rsize) break;
          const val = view.getUint32(base + off, le);
          const lo16 = val & 0xffff;
          const l = val >>> 16;
          if (lo16 + l > rsize || l === 0) break; // no length: prints nothing
          let start = base + (lo16 > rsize ? 0 : lo16);
          if (sizeA[i]) start += off + 4;
          let j = start;
          const end = page.length;
          while (j < end && page[j] !== 0) j++;
          const len = j - start;
          if (p + len + room > b.length) {
            o.pos = p;
            o.grow(len + room);
            b = o.buf;
            dv = o.dv;
          }
          for (let q = start; q < j; q++) b[p++] = page[q]!;
          break;
        }
      }
    }
    if (suffix !== null) p = putChunk(dv, p, suffix);
    o.pos = p;
  };
}

/** The decimal text of a 64-bit value (signed or not) at b[p]; returns the new position. */
function bigDec(b: Uint8Array, p: number, hi: number, lo: number, signed: boolean): number {
  const t = formatIntSpec(parseConvSpec(signed ? '%lld' : '%llu'), (BigInt(hi) << 32n) | BigInt(lo), 64, -1);
  for (let j = 0; j < t.length; j++) b[p++] = t.charCodeAt(j);
  return p;
}

/** __get_str at o.pos (reserving `room` more after it); returns the new position. */
function dstr(
  o: OutBuffer,
  p: number,
  page: Uint8Array,
  view: DataView,
  base: number,
  rsize: number,
  off: number,
  rel: boolean,
  le: boolean,
  room: number,
): number {
  if (off + 4 > rsize) return p;
  const val = view.getUint32(base + off, le);
  const lo16 = val & 0xffff;
  const l = val >>> 16;
  if (lo16 + l > rsize || l === 0) return p;
  let start = base + lo16;
  if (rel) start += off + 4;
  let j = start;
  const end = page.length;
  while (j < end && page[j] !== 0) j++;
  const len = j - start;
  if (p + len + room > o.buf.length) {
    o.pos = p;
    o.grow(len + room);
  }
  const b = o.buf;
  for (let q = start; q < j; q++) b[p++] = page[q]!;
  return p;
}

function cstr(b: Uint8Array, p: number, page: Uint8Array, start: number, len: number): number {
  const limit = Math.min(page.length, start + len);
  for (let j = start; j < limit; j++) {
    const ch = page[j]!;
    if (ch === 0) break;
    b[p++] = ch;
  }
  return p;
}

type Maker = (...helpers: unknown[]) => EmitFn;
let canGenerate: boolean | undefined;

/**
 * The plan as straight-line code (new Function), so that V8 compiles one function per
 * event format with its constants folded in. Only numbers are spliced into the source.
 * Returns null where code generation is not allowed (e.g. a CSP without unsafe-eval).
 */
function generate(
  ops: Int32Array,
  offs: Int32Array,
  sizes: Int32Array,
  pres: ReadonlyArray<Chunk | null>,
  suffix: Chunk | null,
  room: number,
  le: boolean,
): EmitFn | null {
  if (canGenerate === false) return null;
  const L = le ? 'true' : 'false';
  const loOff = le ? 0 : 4;
  const hiOff = le ? 4 : 0;
  const src: string[] = [];
  const chunk = (c: Chunk): void => {
    const w = c.words;
    for (let k = 0; k < w.length; k++) src.push(`dv.setInt32(p + ${4 * k}, ${w[k]! | 0}, true);`);
    src.push(`p += ${c.length};`);
  };
  let usesDv = suffix !== null;
  for (let i = 0; i < ops.length; i++) {
    const pre = pres[i];
    if (pre) {
      chunk(pre);
      usesDv = true;
    }
    const off = offs[i]!;
    const size = sizes[i]!;
    switch (ops[i]) {
      case Op.Hex64:
      case Op.Dec64U:
      case Op.Dec64S: {
        src.push(
          `hi = 0; lo = 0; if (${off + 8} <= rsize) { lo = view.getUint32(base + ${off + loOff}, ${L}); hi = view.getUint32(base + ${off + hiOff}, ${L}); }`,
        );
        if (ops[i] === Op.Hex64) src.push('p = putHex64(b, p, hi, lo);');
        else if (ops[i] === Op.Dec64U)
          src.push('if (hi < 0x200000) p = putDec(b, p, hi * 4294967296 + lo); else p = bigDec(b, p, hi, lo, false);');
        else {
          src.push('if (hi < 0x200000) p = putDec(b, p, hi * 4294967296 + lo);');
          src.push('else if (hi >= 0xffe00000) { b[p++] = 45; p = putDec(b, p, (0xffffffff - hi) * 4294967296 + (4294967296 - lo)); }');
          src.push('else p = bigDec(b, p, hi, lo, true);');
        }
        break;
      }
      case Op.U32:
      case Op.Hex32:
      case Op.S32: {
        const read =
          size === 4 ? `view.getUint32(base + ${off}, ${L})` : size === 2 ? `view.getUint16(base + ${off}, ${L})` : `page[base + ${off}]`;
        src.push(`v = ${off + size} <= rsize ? ${read} : 0;`);
        if (ops[i] === Op.Hex32) src.push('p = putHex32(b, p, v);');
        else if (ops[i] === Op.S32)
          src.push('if (v >= 0x80000000) { b[p++] = 45; p = putDec(b, p, 4294967296 - v); } else p = putDec(b, p, v);');
        else src.push('p = putDec(b, p, v);');
        break;
      }
      case Op.CStr:
        src.push(`p = cstr(b, p, page, base + ${off}, ${size});`);
        break;
      case Op.DStr:
        src.push(`p = dstr(o, p, page, view, base, rsize, ${off}, ${size ? 'true' : 'false'}, ${L}, ${room}); b = o.buf; dv = o.dv;`);
        break;
    }
  }
  if (suffix) chunk(suffix);
  const body = [
    'return function emitPlan(r, o) {',
    `let p = o.pos; if (p + ${room} > o.buf.length) o.grow(${room});`,
    `let b = o.buf; let dv = ${usesDv ? 'o.dv' : 'null'};`,
    'const view = r.view, page = r.page, base = r.offset, rsize = r.size;',
    'let hi = 0, lo = 0, v = 0;',
    ...src,
    'o.pos = p;',
    '};',
  ].join('\n');
  try {
    // code generation on purpose (one straight-line function per format); a CSP page refuses it and the catch falls back
    const make = new Function('putHex64', 'putHex32', 'putDec', 'bigDec', 'cstr', 'dstr', body) as Maker;
    canGenerate = true;
    return make(putHex64, putHex32, putDec, bigDec, cstr, dstr);
  } catch {
    canGenerate = false;
    return null;
  }
}
