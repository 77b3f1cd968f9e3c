/**
 * The `%p` family as libtraceevent 1.7.1 prints it (print_arg_pointer):
 * %pS/%pF `sym+0xoff`, %ps/%pf `sym`, %pM/%pMR/%pMF/%pm, %pI4/%pi4 [hnbl], %pI6/%pi6/%pI6c,
 * %pIS[p][c][hnbl] from a sockaddr, %pU[bBlL], %*ph[CDN], and plain `%p` (glibc `%p`:
 * `(nil)` for 0). Letters libtraceevent does not know are printed literally after the
 * pointer by the caller (they are not part of the spec).
 */
import type { TraceRecord } from '../../core/types.js';
import type { PrintArg } from '../parse/print-fmt-parser.js';
import { findAnyField } from '../parse/context.js';
import type { ArgCompiler } from './print-eval.js';
import type { StrFn } from './eval-types.js';

import { dynamicOffset, byteAt } from '../../core/record-data.js';
import { HEX2 } from '../../core/c-number.js';

const KIND_CODE: Record<string, number> = {
  null: 0,
  atom: 1,
  field: 2,
  flags: 3,
  symbol: 4,
  hex: 5,
  intarray: 6,
  type: 7,
  string: 8,
  bstring: 9,
  dynarray: 10,
  op: 11,
  func: 12,
  bitmask: 13,
  dynarraylen: 14,
  hexstr: 15,
  cpumask: 16,
};
/** Length of the extension letters after `p` that libtraceevent consumes (parse_arg_format_pointer). */
export function pointerExtLength(f: string, i: number): number {
  let ret = 0;
  const c = f[i];
  switch (c) {
    case 'F':
    case 'S':
    case 'f':
    case 's':
      ret++;
      break;
    case 'M':
    case 'm':
      if (f[i + 1] === 'R' || f[i + 1] === 'F') ret++;
      ret++;
      break;
    case 'I':
    case 'i': {
      let index = 2;
      const v = f[i + 1];
      if (v === 'S' || v === '4' || v === '6') {
        let fall = v;
        if (fall === 'S') {
          while (f[i + index] === 'p' || f[i + index] === 'f' || f[i + index] === 's') {
            ret++;
            index++;
          }
          fall = '4';
        }
        if (fall === '4') {
          const h = f[i + index];
          if (h === 'h' || h === 'n' || h === 'l' || h === 'b') {
            ret++;
            index++;
          }
          if (v === '4') {
            ret++;
            ret++;
            break;
          }
        }
        if (f[i + index] === 'c') ret++;
        ret++;
      }
      ret++;
      break;
    }
    case 'U':
      if ('LlBb'.includes(f[i + 1] ?? '\0')) ret++;
      ret++;
      break;
    case 'h':
      if ('CDN'.includes(f[i + 1] ?? '\0')) ret++;
      ret++;
      break;
    default:
      break;
  }
  return ret;
}

/** Compiles one pointer conversion; `spec` is the text from `%` to the last consumed letter. */
export function compilePointer(c: ArgCompiler, spec: string, arg: PrintArg): StrFn {
  const host = c.host;
  if (arg.kind === 'bstring') {
    const s = arg.atom;
    return () => s;
  }
  const pi = spec.indexOf('p');
  const ext = spec.slice(pi + 1);
  const e0 = ext[0];
  const unwrap = (): PrintArg => {
    let a = arg;
    while (a.kind === 'type') a = a.item!;
    return a;
  };
  const funcOut = (): StrFn | null => {
    if (arg.kind !== 'func') return null;
    const s = c.str(arg, (x) => x);
    return (r) => s(r, -1);
  };
  switch (e0) {
    case 'F':
    case 'f':
    case 'S':
    case 's': {
      const v = c.big(arg);
      const withOff = e0 === 'F' || e0 === 'S';
      return (r) => {
        const val = v(r);
        const sym = host.kallsyms.find(val);
        if (!sym) return '0x' + val.toString(16);
        return withOff ? sym.name + '+0x' + BigInt.asUintN(64, val - sym.addr).toString(16) : sym.name;
      };
    }
    case 'M':
    case 'm': {
      const fo = funcOut();
      if (fo) return fo;
      const a = unwrap();
      if (a.kind !== 'field') return () => `ARG TYPE NOT FIELD BUT ${KIND_CODE[a.kind]}`;
      const sep = e0 === 'm' ? '' : ext[1] === 'F' ? '-' : ':';
      const reverse = ext[1] === 'R';
      return (r) => {
        const f = a.field ?? (a.field = findAnyField(c.ctx, a.fieldName));
        if (!f) return '';
        if (f.size !== 6) return 'INVALIDMAC';
        const parts: string[] = [];
        for (let i = 0; i < 6; i++) parts.push(HEX2[byteAt(r, f.offset + (reverse ? 5 - i : i))]!);
        return parts.join(sep);
      };
    }
    case 'I':
    case 'i':
      return compileIp(c, ext, arg, funcOut, unwrap);
    case 'U': {
      const fo = funcOut();
      if (fo) return fo;
      const a = unwrap();
      if (a.kind !== 'field') return () => `ARG TYPE NOT FIELD BUT ${KIND_CODE[a.kind]}`;
      const upper = ext[1] === 'L' || ext[1] === 'B';
      const guid = ext[1] === 'L' || ext[1] === 'l';
      const order = guid ? [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
      return (r) => {
        const f = a.field ?? (a.field = findAnyField(c.ctx, a.fieldName));
        if (!f) return '';
        if (f.size !== 16) return 'INVALIDUUID';
        let out = '';
        for (let i = 0; i < 16; i++) {
          const h = HEX2[byteAt(r, f.offset + order[i]!)]!;
          out += upper ? h.toUpperCase() : h;
          if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
        }
        return out;
      };
    }
    case 'h': {
      const fo = funcOut();
      if (fo) return fo;
      if (arg.kind !== 'dynarray') return () => `ARG TYPE NOT FIELD BUT ${KIND_CODE[arg.kind]}`;
      const delim = ext[1] === 'C' ? ':' : ext[1] === 'D' ? '-' : ext[1] === 'N' ? '' : ' ';
      const f = arg.field!;
      const le = host.littleEndian;
      return (r, plen) => {
        const [off, len] = dynamicOffset(r, f, le);
        let n = plen;
        if (len < n) n = len;
        if (n < 1) return '';
        let out = HEX2[byteAt(r, off)]!;
        for (let i = 1; i < n; i++) out += delim + HEX2[byteAt(r, off + i)];
        return out;
      };
    }
    default: {
      const h = c.hex(arg);
      return (r) => {
        const x = h(r);
        return x === '0' ? '(nil)' : '0x' + x;
      };
    }
  }
}

function ip4(r: TraceRecord, off: number, leading: boolean, reverse: boolean): string {
  const b = [byteAt(r, off), byteAt(r, off + 1), byteAt(r, off + 2), byteAt(r, off + 3)];
  if (reverse) b.reverse();
  return b.map((x) => (leading ? String(x).padStart(3, '0') : String(x))).join('.');
}

function ip6(r: TraceRecord, off: number, colons: boolean): string {
  let out = '';
  for (let j = 0; j < 16; j += 2) {
    out += HEX2[byteAt(r, off + j)]! + HEX2[byteAt(r, off + j + 1)]!;
    if (colons && j < 14) out += ':';
  }
  return out;
}

function ip6c(r: TraceRecord, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((byteAt(r, off + 2 * i) << 8) | byteAt(r, off + 2 * i + 1));
  const v4mapped = w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff;
  const isatap = (w[4]! | 0x0200) === 0x0200 && w[5] === 0x5efe;
  const useV4 = v4mapped || isatap;
  const range = useV4 ? 6 : 8;
  const zl: number[] = new Array<number>(8).fill(0);
  for (let i = 0; i < range; i++)
    for (let j = i; j < range; j++) {
      if (w[j] !== 0) break;
      zl[i]!++;
    }
  let longest = 1;
  let colonpos = -1;
  for (let i = 0; i < range; i++)
    if (zl[i]! > longest) {
      longest = zl[i]!;
      colonpos = i;
    }
  if (longest === 1) colonpos = -1;
  let out = '';
  let needcolon = false;
  for (let i = 0; i < range; i++) {
    if (i === colonpos) {
      if (needcolon || i === 0) out += ':';
      out += ':';
      needcolon = false;
      i += longest - 1;
      continue;
    }
    if (needcolon) {
      out += ':';
      needcolon = false;
    }
    const word = w[i]!;
    const hi = word >> 8;
    const lo = word & 0xff;
    out += hi ? hi.toString(16) + HEX2[lo] : lo.toString(16);
    needcolon = true;
  }
  if (useV4) {
    if (needcolon) out += ':';
    out += ip4(r, off + 12, false, false);
  }
  return out;
}

function compileIp(c: ArgCompiler, ext: string, _arg: PrintArg, funcOut: () => StrFn | null, unwrap: () => PrintArg): StrFn {
  const i = ext[0]!;
  const ver = ext[1];
  const le = c.host.littleEndian;
  const reverseOf = (h: string | undefined): boolean => (h === 'h' ? le : h === 'l');
  const fieldFn = (a: PrintArg) => (_r: TraceRecord) => a.field ?? (a.field = findAnyField(c.ctx, a.fieldName));
  if (ver === '4') {
    const reverse = reverseOf(ext[2]);
    const fo = funcOut();
    if (fo) return fo;
    const a = unwrap();
    if (a.kind !== 'field') return () => `ARG TYPE NOT FIELD BUT ${KIND_CODE[a.kind]}`;
    const ff = fieldFn(a);
    return (r) => {
      const f = ff(r);
      if (!f) return '';
      if (f.size !== 4) return 'INVALIDIPv4';
      return ip4(r, f.offset, i === 'i', reverse);
    };
  }
  if (ver === '6') {
    const haveC = i === 'I' && ext[2] === 'c';
    const fo = funcOut();
    if (fo) return fo;
    const a = unwrap();
    if (a.kind !== 'field') return () => `ARG TYPE NOT FIELD BUT ${KIND_CODE[a.kind]}`;
    const ff = fieldFn(a);
    return (r) => {
      const f = ff(r);
      if (!f) return '';
      if (f.size !== 16) return 'INVALIDIPv6';
      return haveC ? ip6c(r, f.offset) : ip6(r, f.offset, i === 'I');
    };
  }
  if (ver === 'S') {
    let k = 2;
    let haveP = false;
    let haveC = false;
    if (i === 'I') {
      if (ext[k] === 'p') {
        haveP = true;
        k++;
      }
      if (ext[k] === 'c') {
        haveC = true;
        k++;
      }
    }
    const reverse = reverseOf(ext[k]);
    const fo = funcOut();
    if (fo) return fo;
    const a = unwrap();
    let loc: (r: TraceRecord) => [number, number] | null;
    if (a.kind === 'field') {
      const ff = fieldFn(a);
      loc = (r) => {
        const f = ff(r);
        return f ? [f.offset, f.size] : null;
      };
    } else if (a.kind === 'dynarray') {
      const f = a.field!;
      loc = (r) => dynamicOffset(r, f, le);
    } else {
      return () => `ARG NOT FIELD NOR DYNAMIC ARRAY BUT TYPE ${KIND_CODE[a.kind]}`;
    }
    return (r) => {
      const l = loc(r);
      if (!l) return '';
      const [off, len] = l;
      // sa_family in host (little-endian) layout
      const family = byteAt(r, off) | (byteAt(r, off + 1) << 8);
      const port = (byteAt(r, off + 2) << 8) | byteAt(r, off + 3);
      if (family === 2) {
        if (len < 16) return 'INVALIDIPv4';
        return ip4(r, off + 4, i === 'i', reverse) + (haveP ? ':' + port : '');
      }
      if (family === 10) {
        if (len < 28) return 'INVALIDIPv6';
        const a6 = haveC ? ip6c(r, off + 8) : ip6(r, off + 8, i === 'I');
        return haveP ? '[' + a6 + ']:' + port : a6;
      }
      return '';
    };
  }
  // %pI followed by something else: print_ip_arg prints nothing
  return () => '';
}
