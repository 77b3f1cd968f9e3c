/**
 * C printf emulation (glibc behaviour) for the conversions libtraceevent hands to
 * the host printf: integers d i u x X o with flags `-0#`, width, precision and `*`,
 * and %s with width/precision. Each conversion spec is compiled once into a closure.
 *
 * Integer values come in as non-negative JS numbers (< 2^53) or as bigint (any
 * 64-bit pattern); `lengthBits` (from the length modifier) says to which C type the
 * value is cast before printing (8, 16, 32 or 64 bits).
 */

export interface ConvSpec {
  left: boolean;
  zero: boolean;
  alt: boolean;
  /** -1: none. */
  width: number;
  /** -1: none. */
  precision: number;
  starWidth: boolean;
  starPrecision: boolean;
  conv: string;
  /** True when glibc would not recognise the spec and print it literally. */
  invalid: boolean;
}

/** Parses `%[flags][width][.prec][len]conv`. */
export function parseConvSpec(spec: string): ConvSpec {
  const s: ConvSpec = {
    left: false,
    zero: false,
    alt: false,
    width: -1,
    precision: -1,
    starWidth: false,
    starPrecision: false,
    conv: spec[spec.length - 1]!,
    invalid: false,
  };
  let i = 1;
  const n = spec.length - 1;
  for (; i < n; i++) {
    const c = spec[i];
    if (c === '-') s.left = true;
    else if (c === '0') s.zero = true;
    else if (c === '#') s.alt = true;
    else break;
  }
  if (spec[i] === '*') {
    s.starWidth = true;
    i++;
  } else {
    let w = '';
    while (i < n && spec[i]! >= '0' && spec[i]! <= '9') w += spec[i++];
    if (w) s.width = Number(w);
  }
  if (spec[i] === '.') {
    i++;
    if (spec[i] === '*') {
      s.starPrecision = true;
      i++;
    } else {
      let p = '';
      while (i < n && spec[i]! >= '0' && spec[i]! <= '9') p += spec[i++];
      s.precision = p ? Number(p) : 0;
    }
  }
  while (i < n && 'hlLqjzZt'.includes(spec[i]!)) i++;
  if (i !== n) s.invalid = true;
  return s;
}

/** Widths/precisions beyond this are clamped (C would try to allocate gigabytes). */
const MAX_WIDTH = 1 << 20;

function pad(body: string, width: number, left: boolean): string {
  if (body.length >= width) return body;
  if (width > MAX_WIDTH) width = MAX_WIDTH;
  return left ? body + ' '.repeat(width - body.length) : ' '.repeat(width - body.length) + body;
}

/** Formats an integer with a parsed spec. `star` is the `*` argument (width or precision). */
export function formatIntSpec(s: ConvSpec, value: number | bigint, bits: number, star: number): string {
  let width = s.width;
  let precision = s.precision;
  let left = s.left;
  if (s.starWidth) {
    width = star;
    if (width < 0) {
      left = true;
      width = -width;
    }
  }
  if (s.starPrecision) precision = star < 0 ? -1 : star;
  const conv = s.conv;
  const signed = conv === 'd' || conv === 'i';
  let neg = false;
  let mag: number | bigint;
  if (typeof value === 'number') {
    if (bits === 64) {
      mag = value;
    } else if (bits === 32) {
      if (signed) {
        const v = value | 0;
        neg = v < 0;
        mag = neg ? -v : v;
      } else mag = value >>> 0;
    } else if (bits === 16) {
      const v = value & 0xffff;
      if (signed && v & 0x8000) {
        neg = true;
        mag = 0x10000 - v;
      } else mag = v;
    } else {
      const v = value & 0xff;
      if (signed && v & 0x80) {
        neg = true;
        mag = 0x100 - v;
      } else mag = v;
    }
  } else {
    const v = signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
    if (v < 0n) {
      neg = true;
      mag = -v;
    } else mag = v;
    if (mag <= 0xffffffffffff) mag = Number(mag);
  }
  let digits: string;
  if (conv === 'x' || conv === 'X') {
    digits = mag.toString(16);
    if (conv === 'X') digits = digits.toUpperCase();
  } else if (conv === 'o') digits = mag.toString(8);
  else digits = mag.toString(10);
  const isZero = digits === '0';
  if (precision > MAX_WIDTH) precision = MAX_WIDTH;
  if (width > MAX_WIDTH) width = MAX_WIDTH;
  if (precision >= 0) {
    if (precision === 0 && isZero) digits = '';
    if (digits.length < precision) digits = '0'.repeat(precision - digits.length) + digits;
  }
  let prefix = neg ? '-' : '';
  if (s.alt) {
    if (conv === 'o') {
      if (digits[0] !== '0') digits = '0' + digits;
    } else if ((conv === 'x' || conv === 'X') && !isZero) prefix += conv === 'x' ? '0x' : '0X';
  }
  if (width > 0 && s.zero && !left && precision < 0) {
    const len = prefix.length + digits.length;
    if (len < width) digits = '0'.repeat(width - len) + digits;
  }
  return width > 0 ? pad(prefix + digits, width, left) : prefix + digits;
}

/** Formats a string (`%s`) with a parsed spec. */
export function formatStrSpec(s: ConvSpec, str: string, star: number): string {
  let width = s.width;
  let precision = s.precision;
  let left = s.left;
  if (s.starWidth) {
    width = star;
    if (width < 0) {
      left = true;
      width = -width;
    }
  }
  if (s.starPrecision) precision = star < 0 ? -1 : star;
  if (precision >= 0 && str.length > precision) str = str.slice(0, precision);
  return width > 0 ? pad(str, width, left) : str;
}

export type IntFormatter = (value: number | bigint, star: number) => string;
export type StrFormatter = (str: string, star: number) => string;

/** Compiles an integer conversion into a closure (fast paths for the plain forms). */
export function compileIntFormat(spec: string, bits: number): IntFormatter {
  const s = parseConvSpec(spec);
  if (s.invalid) return () => spec;
  const plain = !s.left && !s.zero && !s.alt && s.width < 0 && s.precision < 0 && !s.starWidth && !s.starPrecision;
  if (plain) {
    const c = s.conv;
    if ((c === 'd' || c === 'i') && bits === 32) return (v) => (typeof v === 'number' ? String(v | 0) : String(BigInt.asIntN(32, v)));
    if (c === 'u' && bits === 32) return (v) => (typeof v === 'number' ? String(v >>> 0) : String(BigInt.asUintN(32, v)));
    if (c === 'u' && bits === 64) return (v) => String(v);
    if ((c === 'd' || c === 'i') && bits === 64) return (v) => (typeof v === 'number' ? String(v) : String(BigInt.asIntN(64, v)));
    if (c === 'x' && bits === 64) return (v) => v.toString(16);
    if (c === 'x' && bits === 32) return (v) => (typeof v === 'number' ? (v >>> 0).toString(16) : BigInt.asUintN(32, v).toString(16));
  }
  // width/flags only, on values that fit a JS number: no bigint, no precision logic
  if (!s.starWidth && !s.starPrecision && s.precision < 0 && !s.alt && s.width > 0) {
    const c = s.conv;
    const radix = c === 'x' || c === 'X' ? 16 : c === 'o' ? 8 : 10;
    const upper = c === 'X';
    const signed = c === 'd' || c === 'i';
    const width = s.width;
    const left = s.left;
    const zero = s.zero && !left;
    return (v, star) => {
      if (typeof v !== 'number' || (bits === 64 && v > 0xffffffff)) return formatIntSpec(s, v, bits, star);
      let x: number;
      if (bits === 32) x = signed ? v | 0 : v >>> 0;
      else if (bits === 16) {
        x = v & 0xffff;
        if (signed && x & 0x8000) x -= 0x10000;
      } else if (bits === 8) {
        x = v & 0xff;
        if (signed && x & 0x80) x -= 0x100;
      } else x = v;
      const neg = x < 0;
      let d = (neg ? -x : x).toString(radix);
      if (upper) d = d.toUpperCase();
      const len = d.length + (neg ? 1 : 0);
      if (len >= width) return neg ? '-' + d : d;
      if (zero) return (neg ? '-' : '') + '0'.repeat(width - len) + d;
      const body = neg ? '-' + d : d;
      return left ? body + ' '.repeat(width - len) : ' '.repeat(width - len) + body;
    };
  }
  return (v, star) => formatIntSpec(s, v, bits, star);
}

export function compileStrFormat(spec: string): StrFormatter {
  const s = parseConvSpec(spec);
  if (s.invalid) return () => spec;
  if (!s.left && s.width < 0 && s.precision < 0 && !s.starWidth && !s.starPrecision) return (str) => str;
  // libtraceevent drops a negative `*` argument and calls printf without it; glibc then
  // prints the spec itself (observed with trace-cmd 3.1.6)
  if (s.starWidth || s.starPrecision) return (str, star) => (star < 0 ? spec : formatStrSpec(s, str, star));
  return (str, star) => formatStrSpec(s, str, star);
}

/** C `%llx` of an unsigned 64-bit value. */
export function hex64(v: number | bigint): string {
  return v.toString(16);
}

/** glibc `%p`: `(nil)` for 0, else `0x` + hex. */
export function pointerText(v: number | bigint): string {
  // biome-ignore lint/suspicious/noDoubleEquals: v is a number or a bigint; 0n === 0 is false
  return v == 0 ? '(nil)' : '0x' + v.toString(16);
}
