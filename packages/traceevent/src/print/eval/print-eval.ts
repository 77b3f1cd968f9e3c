/**
 * Compiles print-argument trees into closures over a record: numeric evaluation
 * (libtraceevent's eval_num_arg: unsigned 64-bit arithmetic, casts that only mask,
 * `^` and unknown ops give 0, array indexing, ?:) and string evaluation
 * (print_str_arg: fields, __get_str, __print_flags/__print_symbolic, __print_hex,
 * __print_array, bitmasks, cpumasks, plugin functions).
 *
 * Fast path: values known to fit in 32 bits are computed as JS numbers; everything
 * else as bigint. 8-byte fields read directly come back as a number when < 2^53.
 */
import type { TraceRecord } from '../../core/types.js';
import { FieldFlag } from '../../core/types.js';
import type { TepField } from '../../core/event-format.js';
import { type PrintArg, castMask } from '../parse/print-fmt-parser.js';
import { findAnyField, type ParserContext } from '../parse/context.js';

import {
  readNumberBig,
  readNumberSmall,
  readNumberMixed,
  dynamicOffset,
  boundedCString,
  cStringAt,
  byteAt,
} from '../../core/record-data.js';
import type { StrFormatter } from '../../core/printf.js';
import { bitmaskText, cpumaskText } from './mask-format.js';
import { compileSafe, isViaBig } from './print-safe.js';
import { HEX2, U64_MASK, isDigit, strtoull } from '../../core/c-number.js';

import type { EvalHost, BigFn, SmallFn, NumFn, StrFn, NumberCompiler } from './eval-types.js';

const ZERO_BIG: BigFn = () => 0n;
const ZERO_SMALL: SmallFn = () => 0;

/** eval_flag: the value of a flag/symbol table entry (as signed 64-bit). */
export function evalFlagValue(s: string): bigint {
  if (isDigit(s[0])) return BigInt.asIntN(64, strtoull(s));
  switch (s) {
    case 'HI_SOFTIRQ':
      return 0n;
    case 'TIMER_SOFTIRQ':
      return 1n;
    case 'NET_TX_SOFTIRQ':
      return 2n;
    case 'NET_RX_SOFTIRQ':
      return 3n;
    case 'BLOCK_SOFTIRQ':
      return 4n;
    case 'IRQ_POLL_SOFTIRQ':
      return 5n;
    case 'TASKLET_SOFTIRQ':
      return 6n;
    case 'SCHED_SOFTIRQ':
      return 7n;
    case 'HRTIMER_SOFTIRQ':
      return 8n;
    case 'RCU_SOFTIRQ':
      return 9n;
    case 'HRTIMER_NORESTART':
      return 0n;
    case 'HRTIMER_RESTART':
      return 1n;
    default:
      return -1n;
  }
}

export class ArgCompiler implements NumberCompiler {
  constructor(
    readonly host: EvalHost,
    readonly ctx: ParserContext,
  ) {}

  private fieldOf(arg: PrintArg): TepField | null {
    if (!arg.field) arg.field = findAnyField(this.ctx, arg.fieldName);
    return arg.field;
  }

  /**
   * The fixed payload location [offset, size] whose unsigned value the argument is
   * (a field, `field[constant]`, or either under a cast that masks nothing), or null.
   * Reading it is 0 when offset+size > record size, as for eval_num_arg.
   */
  loc(arg: PrintArg): { off: number; size: number } | null {
    if (arg.kind === 'type') return castMask(U64_MASK, arg.typeName, false) === U64_MASK ? this.loc(arg.item!) : null;
    if (arg.kind === 'field') {
      const f = this.fieldOf(arg);
      return f ? { off: f.offset, size: f.size } : null;
    }
    if (arg.kind === 'op' && arg.op === '[' && arg.left?.kind === 'field' && arg.right?.kind === 'atom') {
      const a = arg.right.atom;
      const idx = strtoull(a);
      if (idx === 0n && !isDigit(a[0])) return null; // a symbol, looked up at run time
      const f = this.fieldOf(arg.left);
      if (!f) return null;
      const es = f.elementsize;
      return { off: f.offset + Number(BigInt.asUintN(32, idx * BigInt(es))), size: es };
    }
    return null;
  }

  /** Numeric value as number when it fits in 32 bits (null when not provable). */
  small(arg: PrintArg): SmallFn | null {
    const le = this.host.littleEndian;
    switch (arg.kind) {
      case 'null':
        return ZERO_SMALL;
      case 'atom': {
        const v = strtoull(arg.atom);
        if (v === 0n && !isDigit(arg.atom[0])) return null; // symbol lookup
        if (v > 0xffffffffn) return null;
        const n = Number(v);
        return () => n;
      }
      case 'field': {
        const f = this.fieldOf(arg);
        if (!f) return ZERO_SMALL;
        const off = f.offset;
        const size = f.size;
        if (size !== 1 && size !== 2 && size !== 4) return size === 8 ? null : ZERO_SMALL;
        const end = off + size;
        if (size === 4) return (r) => (end <= r.size ? r.view.getUint32(r.offset + off, le) : 0);
        if (size === 2) return (r) => (end <= r.size ? r.view.getUint16(r.offset + off, le) : 0);
        return (r) => (end <= r.size ? r.page[r.offset + off]! : 0);
      }
      case 'type': {
        const mask = castMask(U64_MASK, arg.typeName, false);
        if (mask > 0xffffffffn) return null;
        const inner = this.small(arg.item!);
        const m = Number(mask);
        if (inner) {
          if (m === 0xffffffff) return inner;
          return (r) => inner(r) & m;
        }
        const big = this.big(arg.item!);
        return (r) => Number(big(r) & mask);
      }
      case 'op':
        return this.smallOp(arg);
      case 'dynarraylen': {
        const f = arg.field!;
        return (r) => dynamicOffset(r, f, le)[1];
      }
      case 'func':
      case 'dynarray':
        return null;
      default:
        return ZERO_SMALL; // flags, symbol, hex, string... evaluate to 0
    }
  }

  private smallOp(arg: PrintArg): SmallFn | null {
    const op = arg.op;
    if (op === '[') return null;
    if (op === '?') {
      const c = this.small(arg.left!);
      const a = this.small(arg.right!.left!);
      const b = this.small(arg.right!.right!);
      if (!a || !b) return null;
      if (c) return (r) => (c(r) ? a(r) : b(r));
      const cb = this.big(arg.left!);
      return (r) => (cb(r) ? a(r) : b(r));
    }
    const l = this.small(arg.left!);
    const rr = this.small(arg.right!);
    if (!l || !rr) {
      // comparisons of big values still give small results
      if (['==', '!=', '<', '>', '<=', '>=', '&&', '||', '!'].includes(op)) {
        const big = this.bigOp(arg);
        return (r) => Number(big(r));
      }
      return null;
    }
    switch (op) {
      case '&':
        return (r) => (l(r) & rr(r)) >>> 0;
      case '|':
        return (r) => (l(r) | rr(r)) >>> 0;
      case '&&':
        return (r) => (l(r) && rr(r) ? 1 : 0);
      case '||':
        return (r) => (l(r) || rr(r) ? 1 : 0);
      case '==':
        return (r) => (l(r) === rr(r) ? 1 : 0);
      case '!=':
        return (r) => (l(r) !== rr(r) ? 1 : 0);
      case '<':
        return (r) => (l(r) < rr(r) ? 1 : 0);
      case '>':
        return (r) => (l(r) > rr(r) ? 1 : 0);
      case '<=':
        return (r) => (l(r) <= rr(r) ? 1 : 0);
      case '>=':
        return (r) => (l(r) >= rr(r) ? 1 : 0);
      case '>>':
        return (r) => {
          const s = rr(r) & 63;
          return s >= 32 ? 0 : l(r) >>> s;
        };
      case '!':
        return (r) => (rr(r) ? 0 : 1);
      case '/':
        return (r) => {
          const d = rr(r);
          return d === 0 ? 0 : Math.floor(l(r) / d);
        };
      case '%':
        return (r) => {
          const d = rr(r);
          return d === 0 ? 0 : l(r) % d;
        };
      default:
        return null;
    }
  }

  /** Numeric value, as a number when small, else bigint. */
  num(arg: PrintArg): NumFn {
    const s = this.small(arg);
    if (s) return s;
    if (arg.kind === 'field') {
      const f = this.fieldOf(arg);
      if (f && f.size === 8) {
        const le = this.host.littleEndian;
        const off = f.offset;
        return (r) => (off + 8 <= r.size ? readNumberMixed(r, off, 8, le) : 0);
      }
    }
    // computed values: numbers while the exact result stays below 2^53, else bigint
    const safe = compileSafe(this, arg);
    const big = this.big(arg);
    if (isViaBig(safe)) return big;
    return (r) => {
      const v = safe(r);
      return v >= 0 ? v : big(r);
    };
  }

  /** The value as lowercase hex digits (C `%llx`), fast for 8-byte fields (no bigint). */
  hex(arg: PrintArg): (r: TraceRecord) => string {
    if (arg.kind === 'type' && castMask(U64_MASK, arg.typeName, false) === U64_MASK) return this.hex(arg.item!);
    if (arg.kind === 'field') {
      const f = this.fieldOf(arg);
      if (f && f.size === 8) {
        const le = this.host.littleEndian;
        const off = f.offset;
        return (r) => hex64At(r, off, le);
      }
    }
    const n = this.num(arg);
    return (r) => n(r).toString(16);
  }

  /** Numeric value as unsigned 64-bit bigint (eval_num_arg). */
  big(arg: PrintArg): BigFn {
    const le = this.host.littleEndian;
    switch (arg.kind) {
      case 'null':
        return ZERO_BIG;
      case 'atom': {
        const v = strtoull(arg.atom);
        if (v !== 0n || isDigit(arg.atom[0])) return () => v;
        // test_for_symbol: an identifier is looked up as a kernel symbol (once)
        let cached: bigint | undefined;
        const name = arg.atom;
        return () => (cached ??= this.host.kallsyms.addressOf(name));
      }
      case 'field': {
        const f = this.fieldOf(arg);
        if (!f) return ZERO_BIG;
        const off = f.offset;
        const size = f.size;
        return (r) => (off + size <= r.size ? readNumberBig(r, off, size, le) : 0n);
      }
      case 'type': {
        const inner = this.big(arg.item!);
        const mask = castMask(U64_MASK, arg.typeName, false);
        if (mask === U64_MASK) return inner;
        return (r) => inner(r) & mask;
      }
      case 'func': {
        const fn = this.funcArgs(arg);
        const name = arg.fn!.name;
        return (r) => {
          const v = this.host.callFunction(name, fn(r));
          return typeof v === 'bigint' ? BigInt.asUintN(64, v) : 0n;
        };
      }
      case 'op':
        return this.bigOp(arg);
      case 'dynarraylen': {
        const f = arg.field!;
        return (r) => BigInt(dynamicOffset(r, f, le)[1]);
      }
      case 'dynarray': {
        // a host pointer in libtraceevent; we can only give the payload offset
        const f = arg.field!;
        return (r) => BigInt(dynamicOffset(r, f, le)[0]);
      }
      default:
        return ZERO_BIG;
    }
  }

  private bigOp(arg: PrintArg): BigFn {
    const op = arg.op;
    const le = this.host.littleEndian;
    if (op === '[') {
      const right = this.big(arg.right!);
      let larg = arg.left!;
      let typearg: PrintArg | null = null;
      while (larg.kind === 'type') {
        if (!typearg) typearg = larg;
        larg = larg.item!;
      }
      const tname = typearg ? typearg.typeName : null;
      const finish = (v: bigint): bigint => (tname !== null ? castMask(v, tname, true) : v);
      if (larg.kind === 'dynarray') {
        const f = larg.field!;
        const fsize = f.elementsize || this.host.longSize;
        return (r) => {
          const off = dynamicOffset(r, f, le)[0] + Number(BigInt.asUintN(32, right(r)));
          if (off + fsize > r.size) return 0n;
          return finish(readNumberBig(r, off, fsize, le));
        };
      }
      if (larg.kind === 'field') {
        const f = this.fieldOf(larg);
        if (!f) return ZERO_BIG;
        const es = f.elementsize;
        return (r) => {
          const off = f.offset + Number(BigInt.asUintN(32, right(r) * BigInt(es)));
          if (off + es > r.size) return 0n;
          return finish(readNumberBig(r, off, es, le));
        };
      }
      // all bets off: evaluate as a plain binary op (unknown op → 0)
      return ZERO_BIG;
    }
    if (op === '?') {
      const c = this.big(arg.left!);
      const a = this.big(arg.right!.left!);
      const b = this.big(arg.right!.right!);
      return (r) => (c(r) ? a(r) : b(r));
    }
    const l = this.big(arg.left!);
    const rr = this.big(arg.right!);
    switch (op) {
      case '!':
        return (r) => {
          l(r);
          return rr(r) ? 0n : 1n;
        };
      case '!=':
        return (r) => (l(r) !== rr(r) ? 1n : 0n);
      case '~':
        return (r) => ~rr(r) & U64_MASK;
      case '|':
        return (r) => l(r) | rr(r);
      case '||':
        return (r) => {
          const a = l(r);
          const b = rr(r);
          return a || b ? 1n : 0n;
        };
      case '&':
        return (r) => l(r) & rr(r);
      case '&&':
        return (r) => {
          const a = l(r);
          const b = rr(r);
          return a && b ? 1n : 0n;
        };
      case '<':
        return (r) => (l(r) < rr(r) ? 1n : 0n);
      case '<<':
        return (r) => {
          const a = l(r);
          return (a << (rr(r) & 63n)) & U64_MASK;
        };
      case '<=':
        return (r) => (l(r) <= rr(r) ? 1n : 0n);
      case '>':
        return (r) => (l(r) > rr(r) ? 1n : 0n);
      case '>>':
        return (r) => {
          const a = l(r);
          return a >> (rr(r) & 63n);
        };
      case '>=':
        return (r) => (l(r) >= rr(r) ? 1n : 0n);
      case '==':
        return (r) => (l(r) === rr(r) ? 1n : 0n);
      case '-':
        return (r) => {
          const a = l(r);
          return (a - rr(r)) & U64_MASK;
        };
      case '+':
        return (r) => {
          const a = l(r);
          return (a + rr(r)) & U64_MASK;
        };
      case '/':
        return (r) => {
          const a = l(r);
          const d = rr(r);
          return d === 0n ? 0n : a / d;
        };
      case '%':
        return (r) => {
          const a = l(r);
          const d = rr(r);
          return d === 0n ? 0n : a % d;
        };
      case '*':
        return (r) => {
          const a = l(r);
          return (a * rr(r)) & U64_MASK;
        };
      default:
        return ZERO_BIG; // '^' and anything else: warning + 0
    }
  }

  /** Evaluated arguments of a plugin function call. */
  private funcArgs(arg: PrintArg): (r: TraceRecord) => Array<bigint | string> {
    const params = arg.fn!.params;
    const fns = arg.fnArgs.map((a, i) => {
      if (params && params[i] === 'string') {
        const s = this.str(a, (x) => x);
        return (r: TraceRecord): bigint | string => s(r, -1);
      }
      return this.big(a);
    });
    return (r) => fns.map((f) => f(r));
  }

  /** print_str_arg: the text of an argument printed with `%s`-like spec `fmt`. */
  str(arg: PrintArg, fmt: StrFormatter): StrFn {
    const host = this.host;
    const le = host.littleEndian;
    switch (arg.kind) {
      case 'atom': {
        const a = arg.atom;
        return (_r, star) => fmt(a, star);
      }
      case 'bstring': {
        const a = arg.atom;
        return (_r, star) => fmt(a, star);
      }
      case 'field': {
        const f = this.fieldOf(arg);
        if (!f) return () => '';
        const off = f.offset;
        if (!(f.flags & FieldFlag.Array) && f.size === host.longSize) {
          const ls = host.longSize;
          // libtraceevent reads this address natively (host = little-endian order, no byte swap)
          return (r) => {
            const addr = readNumberBig(r, off, ls, true);
            const p = host.printk.find(addr);
            return p !== undefined ? p : addr.toString(16);
          };
        }
        const size = f.size;
        return (r, star) => {
          const len = size || r.size - off;
          return fmt(boundedCString(r, off, len), star);
        };
      }
      case 'flags': {
        const num = this.num(arg.sub!);
        const table = arg.table.map((e) => ({ v: evalFlagValue(e.value), s: e.str }));
        const delim = arg.delim;
        // number fast path when every table value fits in 32 bits
        const small = table.every((e) => e.v >= -0x80000000n && e.v <= 0xffffffffn);
        const tv = table.map((e) => Number(e.v));
        const ts = table.map((e) => e.s);
        const slow = (x: bigint, star: number): string => {
          let v = BigInt.asIntN(64, x);
          let out = '';
          let printed = false;
          for (const e of table) {
            if (v === 0n && e.v < 0n) {
              out += fmt(e.s, star);
              break;
            }
            if (e.v > 0n && (v & e.v) === e.v) {
              if (printed && delim !== null) out += delim;
              out += fmt(e.s, star);
              printed = true;
              v &= ~e.v;
            }
          }
          if (v !== 0n) {
            if (printed && delim !== null) out += delim;
            out += '0x' + BigInt.asUintN(64, v).toString(16);
          }
          return out;
        };
        const n = tv.length;
        return (r, star) => {
          const x = num(r);
          if (!small || typeof x !== 'number' || x > 0xffffffff) return slow(BigInt(x), star);
          let v = x;
          let out = '';
          let printed = false;
          for (let i = 0; i < n; i++) {
            const f = tv[i]!;
            if (v === 0 && f < 0) {
              out += fmt(ts[i]!, star);
              break;
            }
            if (f > 0 && (v & f) >>> 0 === f) {
              if (printed && delim !== null) out += delim;
              out += fmt(ts[i]!, star);
              printed = true;
              v = (v & ~f) >>> 0;
            }
          }
          if (v !== 0) {
            if (printed && delim !== null) out += delim;
            out += '0x' + v.toString(16);
          }
          return out;
        };
      }
      case 'symbol': {
        const num = this.num(arg.sub!);
        const map = new Map<bigint, string>();
        const nmap = new Map<number, string>();
        for (const e of arg.table) {
          const v = BigInt.asUintN(64, evalFlagValue(e.value));
          if (!map.has(v)) map.set(v, e.str);
          if (v <= 0x1fffffffffffffn && !nmap.has(Number(v))) nmap.set(Number(v), e.str);
        }
        return (r, star) => {
          const v = num(r);
          const s = typeof v === 'number' ? nmap.get(v) : map.get(v);
          return s !== undefined ? fmt(s, star) : '0x' + v.toString(16);
        };
      }
      case 'hex':
      case 'hexstr': {
        const sep = arg.kind === 'hex' ? ' ' : '';
        const start = this.dataStart(arg.sub!);
        const lenFn = this.big(arg.size!);
        return (r) => {
          const off = start(r);
          if (off === null) return '';
          // bytes past the page would be unmapped memory for the C code: stop there
          const len = Math.min(Number(BigInt.asUintN(32, lenFn(r))), Math.max(0, r.page.length - (r.offset + off)));
          let out = '';
          for (let i = 0; i < len; i++) {
            if (i && sep) out += sep;
            out += HEX2[byteAt(r, off + i)];
          }
          return out;
        };
      }
      case 'intarray': {
        const start = this.dataStart(arg.sub!);
        const countFn = this.big(arg.size!);
        const elFn = this.big(arg.elSize!);
        return (r) => {
          const off0 = start(r);
          if (off0 === null) return '';
          let el = Number(BigInt.asIntN(32, elFn(r)));
          const room = Math.max(0, r.page.length - (r.offset + off0));
          const len = Math.min(Number(BigInt.asUintN(32, countFn(r))), el >= 1 && el <= 8 ? Math.ceil(room / el) : room);
          let off = off0;
          let out = '';
          for (let i = 0; i < len; i++) {
            if (i) out += ' ';
            // libtraceevent reads these in host (little-endian) order
            if (el === 1 || el === 2 || el === 4 || el === 8) out += readNumberBig(r, off, el, true).toString();
            else {
              out += `BAD SIZE:${el} 0x${byteAt(r, off).toString(16)}`;
              el = 1;
            }
            off += el;
          }
          return out;
        };
      }
      case 'string': {
        const name = arg.strName;
        return (r, star) => {
          const f = arg.field ?? (arg.field = findAnyField(this.ctx, name));
          if (!f) return '';
          const [off, len] = dynamicOffset(r, f, le);
          if (!len) return '';
          return fmt(cStringAt(r, off), star);
        };
      }
      case 'bitmask':
      case 'cpumask': {
        const name = arg.strName;
        const cpu = arg.kind === 'cpumask';
        return (r, star) => {
          const f = arg.field ?? (arg.field = findAnyField(this.ctx, name));
          if (!f) return '';
          const [off, len] = dynamicOffset(r, f, le);
          return fmt(cpu ? cpumaskText(r, off, len, le) : bitmaskText(r, off, len, le), star);
        };
      }
      case 'op': {
        if (arg.op[0] !== '?') return () => '';
        const c = this.num(arg.left!);
        const a = this.str(arg.right!.left!, fmt);
        const b = this.str(arg.right!.right!, fmt);
        return (r, star) => (c(r) ? a(r, star) : b(r, star));
      }
      case 'func': {
        const fa = this.funcArgs(arg);
        const name = arg.fn!.name;
        if (host.functionReturns(name) !== 'string')
          return (r) => {
            host.callFunction(name, fa(r));
            return '';
          };
        return (r) => {
          const v = host.callFunction(name, fa(r));
          return typeof v === 'string' ? v : '';
        };
      }
      default:
        return () => '';
    }
  }

  /** Payload offset of the data of a __print_hex/__print_array argument (null: field not found). */
  private dataStart(sub: PrintArg): (r: TraceRecord) => number | null {
    const le = this.host.littleEndian;
    if (sub.kind === 'dynarray') {
      const f = sub.field!;
      return (r) => dynamicOffset(r, f, le)[0];
    }
    const f = sub.kind === 'field' ? this.fieldOf(sub) : null;
    if (!f) return () => null;
    const off = f.offset;
    return () => off;
  }
}

/** `%llx` of the 8-byte value at payload offset `off` (0 when outside the record). */
export function hex64At(r: TraceRecord, off: number, le: boolean, withinPage = false): string {
  const at = r.offset + off;
  if (withinPage ? at < 0 || at + 8 > r.page.length : off + 8 > r.size) return '0';
  const lo = r.view.getUint32(at + (le ? 0 : 4), le);
  const hi = r.view.getUint32(at + (le ? 4 : 0), le);
  return hexHiLo(hi, lo);
}

let HEX4: string[] | null = null;
const hiHex = new Map<number, string>();

/** Hex digits of hi·2^32+lo without a bigint (tables for the low word, a cache for the high word). */
export function hexHiLo(hi: number, lo: number): string {
  if (!hi) return lo.toString(16);
  let h = hiHex.get(hi);
  if (h === undefined) {
    h = hi.toString(16);
    if (hiHex.size > 4096) hiHex.clear();
    hiHex.set(hi, h);
  }
  const t = (HEX4 ??= Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, '0')));
  return h + t[lo >>> 16]! + t[lo & 0xffff]!;
}

export { readNumberSmall };
