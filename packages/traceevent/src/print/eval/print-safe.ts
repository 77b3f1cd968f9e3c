/**
 * Computed 64-bit expressions without bigint while they stay below 2^53: each closure
 * returns the exact unsigned 64-bit value (as eval_num_arg computes it) when that value
 * is an integer in [0, 2^53), or -1 meaning "not known here" (the caller then runs the
 * bigint closure). Every operator checks that its exact result is representable, so a
 * wrap-around of C unsigned arithmetic is never approximated: it falls back instead.
 */
import type { TraceRecord } from '../../core/types.js';
import { castMask, type PrintArg } from '../parse/print-fmt-parser.js';
import { findAnyField } from '../parse/context.js';

import type { NumberCompiler } from './eval-types.js';
import { TWO32, U64_MASK, isDigit, strtoull } from '../../core/c-number.js';

/** The value when in [0, 2^53), else -1. */
export type SafeFn = (r: TraceRecord) => number;

const MAXS = Number.MAX_SAFE_INTEGER;
const MAXS_BIG = BigInt(MAXS);
const UNKNOWN: SafeFn = () => -1;

const VIA_BIG = new WeakSet<SafeFn>();

/** The bigint closure's value, as a number when below 2^53. */
function viaBig(c: NumberCompiler, arg: PrintArg): SafeFn {
  const big = c.big(arg);
  const fn: SafeFn = (r) => {
    const v = big(r);
    return v >= 0n && v <= MAXS_BIG ? Number(v) : -1;
  };
  VIA_BIG.add(fn);
  return fn;
}

/** True when `fn` only converts the bigint closure's value (no gain over calling it). */
export function isViaBig(fn: SafeFn): boolean {
  return VIA_BIG.has(fn);
}

/** A numeric constant atom's value (null when the atom is a symbol). */
function constOf(arg: PrintArg): bigint | null {
  if (arg.kind !== 'atom') return null;
  const v = strtoull(arg.atom);
  if (v === 0n && !isDigit(arg.atom[0])) return null;
  return v;
}

function and53(a: number, b: number): number {
  if (a < TWO32 && b < TWO32) return (a & b) >>> 0;
  const ah = Math.floor(a / TWO32),
    bh = Math.floor(b / TWO32);
  return ((ah & bh) >>> 0) * TWO32 + (((a % TWO32) & (b % TWO32)) >>> 0);
}

function or53(a: number, b: number): number {
  if (a < TWO32 && b < TWO32) return (a | b) >>> 0;
  const ah = Math.floor(a / TWO32),
    bh = Math.floor(b / TWO32);
  return ((ah | bh) >>> 0) * TWO32 + (((a % TWO32) | (b % TWO32)) >>> 0);
}

/** Compiles `arg` to a SafeFn (depth-bounded; deep trees use the bigint closure). */
export function compileSafe(c: NumberCompiler, arg: PrintArg, depth = 0): SafeFn {
  const sm = c.small(arg);
  if (sm) return sm;
  if (depth > 32) return viaBig(c, arg);
  const le = c.host.littleEndian;
  switch (arg.kind) {
    case 'atom': {
      const v = constOf(arg);
      if (v === null) {
        // a kernel symbol, looked up once (as the bigint closure does)
        const big = c.big(arg);
        let cached = -2;
        return (r) => {
          if (cached === -2) {
            const b = big(r);
            cached = b >= 0n && b <= MAXS_BIG ? Number(b) : -1;
          }
          return cached;
        };
      }
      if (v < 0n || v > MAXS_BIG) return UNKNOWN;
      const n = Number(v);
      return () => n;
    }
    case 'field': {
      const f = arg.field ?? findAnyField(c.ctx, arg.fieldName);
      if (f?.size !== 8) return viaBig(c, arg);
      const off = f.offset;
      const loOff = le ? 0 : 4;
      const hiOff = le ? 4 : 0;
      return (r) => {
        if (off + 8 > r.size) return 0;
        const at = r.offset + off;
        if (at < 0 || at + 8 > r.page.length) return 0;
        const hi = r.view.getUint32(at + hiOff, le);
        return hi < 0x200000 ? hi * TWO32 + r.view.getUint32(at + loOff, le) : -1;
      };
    }
    case 'type': {
      const mask = castMask(U64_MASK, arg.typeName, false);
      const inner = compileSafe(c, arg.item!, depth + 1);
      if (mask === U64_MASK) return inner;
      if (mask > 0xffffffffn) return viaBig(c, arg);
      const m = Number(mask);
      return (r) => {
        const x = inner(r);
        return x < 0 ? -1 : ((x % TWO32) & m) >>> 0;
      };
    }
    case 'op':
      return safeOp(c, arg, depth);
    default:
      return viaBig(c, arg);
  }
}

function safeOp(c: NumberCompiler, arg: PrintArg, depth: number): SafeFn {
  const op = arg.op;
  if (op === '?') {
    // a value we cannot represent is at least 2^53, so it is true
    const k = compileSafe(c, arg.left!, depth + 1);
    const a = compileSafe(c, arg.right!.left!, depth + 1);
    const b = compileSafe(c, arg.right!.right!, depth + 1);
    return (r) => (k(r) !== 0 ? a(r) : b(r));
  }
  if (op === '[' || op === '~' || !arg.left || !arg.right) return viaBig(c, arg);
  const l = compileSafe(c, arg.left, depth + 1);
  const rr = compileSafe(c, arg.right, depth + 1);
  switch (op) {
    case '!':
      return (r) => {
        l(r);
        return rr(r) === 0 ? 1 : 0;
      };
    case '&&':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        return a !== 0 && b !== 0 ? 1 : 0;
      };
    case '||':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        return a !== 0 || b !== 0 ? 1 : 0;
      };
    case '==':
    case '!=':
    case '<':
    case '>':
    case '<=':
    case '>=': {
      // against a constant of 2^53 or more, a representable value is always below it
      const lc = constOf(arg.left);
      const rc = constOf(arg.right);
      if (rc !== null && rc > MAXS_BIG) {
        const res = op === '!=' || op === '<' || op === '<=' ? 1 : 0;
        return (r) => (l(r) < 0 ? -1 : res);
      }
      if (lc !== null && lc > MAXS_BIG) {
        const res = op === '!=' || op === '>' || op === '>=' ? 1 : 0;
        return (r) => (rr(r) < 0 ? -1 : res);
      }
      const cmp = op;
      return (r) => {
        const a = l(r);
        const b = rr(r);
        if (a < 0 || b < 0) return -1;
        switch (cmp) {
          case '==':
            return a === b ? 1 : 0;
          case '!=':
            return a !== b ? 1 : 0;
          case '<':
            return a < b ? 1 : 0;
          case '>':
            return a > b ? 1 : 0;
          case '<=':
            return a <= b ? 1 : 0;
          default:
            return a >= b ? 1 : 0;
        }
      };
    }
    case '+':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        if (a < 0 || b < 0) return -1;
        const s = a + b;
        return s <= MAXS ? s : -1;
      };
    case '-':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        return a < 0 || b < 0 || a < b ? -1 : a - b;
      };
    case '*':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        if (a < 0 || b < 0) return -1;
        const p = a * b;
        return p <= MAXS ? p : -1;
      };
    case '<<':
      return (r) => {
        const a = l(r);
        const s = rr(r);
        if (a < 0 || s < 0) return -1;
        const p = a * 2 ** (s % 64);
        return p <= MAXS ? p : -1;
      };
    case '>>':
      return (r) => {
        const a = l(r);
        const s = rr(r);
        if (a < 0 || s < 0) return -1;
        return Math.floor(a / 2 ** (s % 64));
      };
    case '&':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        return a < 0 || b < 0 ? -1 : and53(a, b);
      };
    case '|':
      return (r) => {
        const a = l(r);
        const b = rr(r);
        return a < 0 || b < 0 ? -1 : or53(a, b);
      };
    case '/':
      return (r) => {
        const a = l(r);
        const d = rr(r);
        if (a < 0 || d < 0) return -1;
        return d === 0 ? 0 : (a - (a % d)) / d;
      };
    case '%':
      return (r) => {
        const a = l(r);
        const d = rr(r);
        if (a < 0 || d < 0) return -1;
        return d === 0 ? 0 : a % d;
      };
    default:
      return viaBig(c, arg);
  }
}
