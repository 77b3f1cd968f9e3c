/**
 * Splits a print format into libtraceevent's "print cache" (parse_args: literal text,
 * number, pointer and string conversions bound to their arguments) and compiles each
 * piece into a closure, once per event. Also: the `-R` raw field printer (which reuses
 * matching conversions of the print cache), and `ftrace:bprint` argument decoding.
 */
import type { TraceRecord } from '../../core/types.js';
import { FieldFlag } from '../../core/types.js';
import type { TepField } from '../../core/event-format.js';
import { PrintArg } from '../parse/print-fmt-parser.js';
import type { ArgCompiler } from '../eval/print-eval.js';
import type { StrFn } from '../eval/eval-types.js';
import { hex64At } from '../eval/print-eval.js';
import { compileIntFormat, compileStrFormat } from '../../core/printf.js';
import { compilePointer, pointerExtLength } from '../eval/pointer-format.js';
import { readNumberBig, readNumberSmall, dynamicOffset, cStringAt, byteAt } from '../../core/record-data.js';
import { HEX2, LS_BITS } from '../../core/c-number.js';

export type SegmentType = 'text' | 'digit' | 'ptr' | 'str';

export interface Segment {
  type: SegmentType;
  /** Literal text (type text) or the conversion spec (`%-5d`, `%pS`, ...). */
  text: string;
  arg: PrintArg | null;
  lenArg: PrintArg | null;
  ls: number;
  run: StrFn | null;
}

export interface SegmentList {
  segs: Segment[];
  /** A conversion without argument, a bad length modifier... (TEP_EVENT_FL_FAILED). */
  failed: boolean;
}

/** parse_args: the print cache of a format with its argument list. */
export function buildSegments(format: string, args: readonly PrintArg[]): SegmentList {
  const out: SegmentList = { segs: [], failed: false };
  const n = format.length;
  let argIdx = 0;
  let i = 0;
  let remaining = n;
  const add = (type: SegmentType, text: string, arg: PrintArg | null, lenArg: PrintArg | null, ls: number): void => {
    out.segs.push({ type, text, arg, lenArg, ls, run: null });
  };
  const parseString = (): number => {
    let ret = 0;
    let s = '';
    let k = i;
    for (; k < n; k++) {
      const c = format[k]!;
      if (c === '\\') {
        k++;
        ret++;
        if (k >= n) break;
        const e = format[k]!;
        s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else if (c === '%') {
        if (format[k + 1] === '%') {
          s += '%';
          k++;
          ret++;
        } else break;
      } else s += c;
      ret++;
    }
    add('text', s, null, null, 0);
    return ret;
  };
  const parseFormat = (): number => {
    const start = i;
    let k = i + 1;
    let ret = 1;
    let ls = 0;
    let lenArg: PrintArg | null = null;
    for (; k < n; k++) {
      const c = format[k]!;
      switch (c) {
        case '#':
        case '.':
        case '-':
          break;
        case 'h':
          ls--;
          break;
        case 'l':
          ls++;
          break;
        case 'L':
          ls = 2;
          break;
        case 'z':
        case 'Z':
          ls = 1;
          break;
        case '*':
          if (argIdx >= args.length || lenArg) {
            out.failed = true;
            return ret;
          }
          lenArg = args[argIdx++]!;
          break;
        case 'p': {
          if (argIdx >= args.length) {
            out.failed = true;
            return ret;
          }
          const res = pointerExtLength(format, k + 1);
          if (res > 0) {
            k += res;
            ret += res;
          }
          const spec = format.slice(start, k + 1);
          if (spec.length > 31) out.failed = true;
          add('ptr', spec, args[argIdx++]!, lenArg, ls);
          return ret + 1;
        }
        case 'd':
        case 'u':
        case 'i':
        case 'x':
        case 'X':
        case 'o': {
          if (argIdx >= args.length) {
            out.failed = true;
            return ret;
          }
          const spec = format.slice(start, k + 1);
          if (spec.length > 30) out.failed = true;
          if (ls < -2 || ls > 2) out.failed = true;
          add('digit', spec, args[argIdx++]!, lenArg, ls);
          return ret + 1;
        }
        case 's': {
          if (argIdx >= args.length) {
            out.failed = true;
            return ret;
          }
          const spec = format.slice(start, k + 1);
          if (spec.length > 31) out.failed = true;
          add('str', spec, args[argIdx++]!, lenArg, 0);
          return ret + 1;
        }
        default:
          if (c >= '0' && c <= '9') break;
          // libtraceevent 1.7.1 does not know this conversion (%c, %+d, % d...)
          add('text', '>' + c + '<', null, null, 0);
          return ret + 1;
      }
      ret++;
    }
    return ret;
  };
  while (i < n) {
    const consumed = format[i] === '%' && format[i + 1] !== '%' ? parseFormat() : parseString();
    remaining -= consumed;
    if (remaining > 0) i += consumed;
    else break;
  }
  return out;
}

/** Compiles every segment's closure. */
export function compileSegments(c: ArgCompiler, list: SegmentList): void {
  for (const seg of list.segs) {
    if (seg.run) continue;
    seg.run = compileSegment(c, seg);
  }
}

function starFn(c: ArgCompiler, lenArg: PrintArg | null, dflt: number): (r: TraceRecord) => number {
  if (!lenArg) return () => dflt;
  const v = c.big(lenArg);
  return (r) => Number(BigInt.asIntN(32, v(r)));
}

function compileSegment(c: ArgCompiler, seg: Segment): StrFn {
  switch (seg.type) {
    case 'text': {
      const t = seg.text;
      return () => t;
    }
    case 'digit': {
      const bits = LS_BITS[String(seg.ls)];
      if (bits === undefined) return () => '';
      const hx = bits === 64 && !seg.lenArg ? /^%(-?)(0?)([1-9][0-9]*)?(ll|l|L|z|Z)x$/.exec(seg.text) : null;
      if (hx) {
        // %llx / %016lx / %-8lx of 64-bit values without bigint
        const h = c.hex(seg.arg!);
        const width = hx[3] ? Number(hx[3]) : 0;
        if (!width) return (r) => h(r);
        const left = hx[1] === '-';
        const padc = hx[2] && !left ? '0' : ' ';
        return (r) => {
          const x = h(r);
          if (x.length >= width) return x;
          return left ? x + ' '.repeat(width - x.length) : padc.repeat(width - x.length) + x;
        };
      }
      const fmt = compileIntFormat(seg.text, bits);
      const v = c.num(seg.arg!);
      if (!seg.lenArg) return (r) => fmt(v(r), -1);
      const star = starFn(c, seg.lenArg, -1);
      return (r) => {
        const s = star(r);
        return fmt(v(r), s);
      };
    }
    case 'ptr': {
      const p = compilePointer(c, seg.text, seg.arg!);
      if (!seg.lenArg) return (r) => p(r, 1);
      const star = starFn(c, seg.lenArg, 1);
      return (r) => p(r, star(r));
    }
    case 'str': {
      const s = c.str(seg.arg!, compileStrFormat(seg.text));
      if (!seg.lenArg) return (r) => s(r, -1);
      const star = starFn(c, seg.lenArg, -1);
      return (r) => s(r, star(r));
    }
  }
}

/** Runs a compiled print cache over a record. */
export function runSegments(segs: readonly Segment[], r: TraceRecord): string {
  let out = '';
  for (let i = 0; i < segs.length; i++) out += segs[i]!.run!(r, -1);
  return out;
}

// ---- raw (-R) field printing ----

export function isPrintableArray(r: TraceRecord, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) {
    const b = byteAt(r, off + i);
    if (b === 0) break;
    const print = b >= 32 && b <= 126;
    const space = b === 32 || (b >= 9 && b <= 13);
    if (!print && !space) return false;
  }
  return true;
}

/** print_field_raw: one field's value with the type-based rules. */
export function rawFieldValue(r: TraceRecord, f: TepField, le: boolean): string {
  if (f.flags & FieldFlag.Array) {
    let off: number;
    let len: number;
    if (f.flags & FieldFlag.Dynamic) [off, len] = dynamicOffset(r, f, le);
    else {
      off = f.offset;
      len = f.size;
    }
    if (f.flags & FieldFlag.String && isPrintableArray(r, off, len)) return cStringAt(r, off);
    let out = 'ARRAY[';
    for (let i = 0; i < len; i++) {
      if (i) out += ', ';
      out += HEX2[byteAt(r, off + i)];
    }
    f.flags &= ~FieldFlag.String;
    return out + ']';
  }
  const size = f.size;
  const flags = f.flags;
  if (size === 4 || size === 2 || size === 1) {
    const v = readNumberSmall(r, f.offset, size, le);
    if (flags & FieldFlag.Pointer) return '0x' + v.toString(16);
    if (flags & FieldFlag.Signed) {
      if (size === 4) return flags & FieldFlag.Long ? '0x' + v.toString(16) : String(v | 0);
      if (size === 2) {
        const x = (v << 16) >> 16;
        return x >= 0 && x < 10 ? ' ' + x : String(x);
      }
      return String((v << 24) >> 24);
    }
    return flags & FieldFlag.Long ? '0x' + v.toString(16) : String(v);
  }
  if (size === 8 && flags & (FieldFlag.Pointer | FieldFlag.Long) && !(flags & FieldFlag.Signed))
    return '0x' + hex64At(r, f.offset, le, true);
  const val = readNumberBig(r, f.offset, size, le);
  if (flags & FieldFlag.Pointer) return '0x' + val.toString(16);
  if (flags & FieldFlag.Signed) return String(BigInt.asIntN(64, val));
  return flags & FieldFlag.Long ? '0x' + val.toString(16) : val.toString();
}

type FieldPrinter = (r: TraceRecord) => string;

/**
 * tep_print_fields as a per-event plan: ` name=value` for every event field. A field
 * printed directly by a conversion of the print fmt uses that conversion (searching from
 * after the previous match, wrapping; a literal `0x` just before it is kept); others use
 * rawFieldValue. The search depends only on the format, so it is done once.
 */
/** For each event field, the print-fmt conversion that prints it directly (or null) and whether
 *  a literal `0x` stands just before it — libtraceevent's raw-mode search: from after the previous
 *  match, wrapping around; arrays and strings never match. Depends only on the format. */
export function matchRawConversions(
  fields: readonly TepField[],
  segs: readonly Segment[] | null,
): Array<{ seg: Segment; has0x: boolean } | null> {
  const out: Array<{ seg: Segment; has0x: boolean } | null> = [];
  let parse: number | null = segs?.length ? 0 : null;
  for (const f of fields) {
    let found: { seg: Segment; has0x: boolean } | null = null;
    if (parse !== null && segs && !(f.flags & (FieldFlag.Array | FieldFlag.String))) {
      const start = parse;
      let p = start;
      let has0x = false;
      do {
        const seg = segs[p]!;
        if (seg.type === 'text') {
          const t = seg.text;
          has0x = t.length > 1 && t.endsWith('0x');
        } else {
          let a = seg.arg;
          while (a && a.kind === 'type') a = a.item;
          if (a?.kind !== 'field' || a.field !== f) has0x = false;
          else {
            found = { seg, has0x };
            parse = p + 1 < segs.length ? p + 1 : null;
            break;
          }
        }
        p = p + 1 < segs.length ? p + 1 : 0;
      } while (p !== start);
    }
    out.push(found);
  }
  return out;
}

export function compileFieldsRaw(
  fields: readonly TepField[],
  segs: readonly Segment[] | null,
  le: boolean,
  stripNewline = false,
): (r: TraceRecord) => string {
  const matches = matchRawConversions(fields, segs);
  const printers: FieldPrinter[] = fields.map((f, i) => {
    const label = ' ' + f.name + '=';
    const m = matches[i];
    if (!m) return (r: TraceRecord) => label + rawFieldValue(r, f, le);
    const run = m.seg.run!;
    const pre = label + (m.has0x ? '0x' : '');
    return (r: TraceRecord) => pre + run(r, -1);
  });
  const n = printers.length;
  if (stripNewline && n) {
    const last = printers[n - 1]!;
    printers[n - 1] = (r) => stripOneNewline(last(r));
  }
  if (n === 1) return printers[0]!;
  return (r) => {
    let out = '';
    for (let i = 0; i < n; i++) out += printers[i]!(r);
    return out;
  };
}

/** Removes one trailing `\n` (trace-cmd does this to every info column). */
export function stripOneNewline(s: string): string {
  return s.length && s.charCodeAt(s.length - 1) === 10 ? s.slice(0, -1) : s;
}

/** Runs a print cache and removes one trailing newline, looking only at the last pieces. */
export function compileSegmentsStripped(segs: readonly Segment[]): (r: TraceRecord) => string {
  const n = segs.length;
  if (n === 0) return () => '';
  const runs = segs.map((s) => s.run!);
  const lastSeg = segs[n - 1]!;
  if (lastSeg.type === 'text') {
    const t = stripOneNewline(lastSeg.text);
    if (t.length || n === 1) {
      if (n === 1) return () => t;
      return (r) => {
        let out = '';
        for (let i = 0; i < n - 1; i++) out += runs[i]!(r, -1);
        return out + t;
      };
    }
  }
  const last = runs[n - 1]!;
  return (r) => {
    let out = '';
    for (let i = 0; i < n - 1; i++) out += runs[i]!(r, -1);
    const l = last(r, -1);
    if (l.length) return l.charCodeAt(l.length - 1) === 10 ? out + l.slice(0, -1) : out + l;
    return stripOneNewline(out);
  };
}

/** One-shot tep_print_fields (compiles a plan and runs it). */
export function printFieldsRaw(r: TraceRecord, fields: readonly TepField[], segs: readonly Segment[] | null, le: boolean): string {
  return compileFieldsRaw(fields, segs, le)(r);
}

// ---- ftrace:bprint ----

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[0-9A-Za-z]/.test(c);
}

/** make_bprint_args: the argument list of a trace_printk record (ip first). */
export function bprintArgs(fmt: string, r: TraceRecord, ipValue: bigint, bufOffset: number, le: boolean, longSize: number): PrintArg[] {
  const args: PrintArg[] = [];
  const atom = (v: bigint): void => {
    const a = new PrintArg();
    a.kind = 'atom';
    a.atom = v.toString();
    args.push(a);
  };
  atom(ipValue);
  let b = bufOffset;
  const size = r.size;
  for (let k = 5; b < size && k < fmt.length; k++) {
    if (fmt[k] !== '%') continue;
    let ls = 0;
    let vsize = 0;
    for (;;) {
      k++;
      const c = fmt[k];
      if (c === undefined) break;
      if (c === 'l') {
        ls++;
        continue;
      }
      if (c === 'L') {
        ls = 2;
        continue;
      }
      if ((c >= '0' && c <= '9') || c === '.' || c === '#') continue;
      if (c === 'z' || c === 'Z') {
        ls = 1;
        continue;
      }
      let isString = c === 's';
      let numeric = c === 'd' || c === 'u' || c === 'i' || c === 'x' || c === 'X' || c === 'o' || c === '*';
      if (c === 'p') {
        ls = 1;
        numeric = true;
        if (isAlnum(fmt[k + 1])) {
          k++;
          const e = fmt[k];
          const special = e === 's' || e === 'S' || e === 'x' || ((e === 'f' || e === 'F') && fmt[k + 1] !== 'w');
          if (!special) {
            const ch = byteAt(r, b);
            if (ch >= 32 && ch <= 126) {
              isString = true;
              numeric = false;
            }
          }
        }
      }
      if (numeric) {
        if (c === '*') vsize = 4;
        else vsize = ls === 0 ? 4 : ls === 1 ? longSize : ls === 2 ? 8 : ls;
        b = (b + 3) & ~3;
        atom(readNumberBig(r, b, vsize, le));
        b += vsize;
        if (c === '*') continue; // the length argument: keep going for the conversion
        break;
      }
      if (isString) {
        const s = cStringAt(r, b);
        const a = new PrintArg();
        a.kind = 'bstring';
        a.atom = s;
        args.push(a);
        b += s.length + 1;
      }
      break;
    }
  }
  return args;
}
