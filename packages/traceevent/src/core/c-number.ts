/**
 * The small C-number helpers the engine shares: strtoull/strtoll as libtraceevent calls
 * them (base 0, saturating), the 2^32 and 2^64-1 constants, the bit width a printf length
 * modifier casts to, and two-digit hex strings of byte values.
 */

/** 2^32, for splitting 64-bit values into 32-bit halves as JS numbers. */
export const TWO32 = 4294967296;
/** 2^64 - 1: C unsigned 64-bit arithmetic is `& U64_MASK`. */
export const U64_MASK = 0xffffffffffffffffn;
/** printf length modifier (hh=-2, h=-1, none=0, l=1, ll=2) -> the bits the value is cast to. */
export const LS_BITS: Record<string, number> = { '-2': 8, '-1': 16, '0': 32, '1': 64, '2': 64 };
/** Two lowercase hex digits per byte value. */
export const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** An ASCII decimal digit. */
export function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** C strtoul/strtoull with base 0, as a JS number (values here are small). */
export function strtoulNum(s: string): number {
  return Number(strtoull(s));
}

/** C strtoull(s, NULL, 0): leading space, sign, 0x/0 prefixes, stops at the first bad char; saturates. */
export function strtoull(s: string): bigint {
  let i = 0;
  const n = s.length;
  while (i < n && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && isHex(s.charCodeAt(i + 2))) {
      base = 16;
      i += 2;
    } else base = 8;
  }
  let v = 0n;
  const b = BigInt(base);
  let any = false;
  let overflow = false;
  for (; i < n; i++) {
    const d = digitVal(s.charCodeAt(i));
    if (d < 0 || d >= base) break;
    any = true;
    v = v * b + BigInt(d);
    if (v > 0xffffffffffffffffn) overflow = true;
  }
  if (!any) return 0n;
  if (overflow) return 0xffffffffffffffffn;
  return neg ? BigInt.asUintN(64, -v) : v;
}

/** C strtoll(s, NULL, 0) as a signed bigint (saturating at the long long limits). */
export function strtoll(s: string): bigint {
  let i = 0;
  const n = s.length;
  while (i < n && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const mag = strtoull(s.slice(i));
  // strtoull of the unsigned part; detect overflow beyond the signed range
  const rest = s.slice(i);
  if (rest.startsWith('-') || rest.startsWith('+')) return 0n;
  if (!neg) return mag > 0x7fffffffffffffffn ? 0x7fffffffffffffffn : mag;
  return mag > 0x8000000000000000n ? -0x8000000000000000n : -mag;
}

function isHex(c: number): boolean {
  return digitVal(c) >= 0 && digitVal(c) < 16;
}
function digitVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 97 + 10;
  if (c >= 65 && c <= 90) return c - 65 + 10;
  return -1;
}
