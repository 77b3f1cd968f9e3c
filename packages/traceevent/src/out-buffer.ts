/**
 * OutBuffer: a growable byte buffer that report-style output is emitted into, one byte
 * per character (the byte strings of the engine), with digit writers that need no
 * intermediate JS string. The owner flushes it between lines (`flushIfOver`), so a line
 * is always contiguous and can be trimmed after the fact (e.g. one trailing newline).
 */

const TWO32 = 4294967296;
const HEXC = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const HEXU = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70]);

/** Decimal digit count of an integer 0 <= n < 2^53. */
export function decLength(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  if (n < 10000000000) return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let len = 11;
  let p = 100000000000;
  while (n >= p) { len++; p *= 10; }
  return len;
}

/** Hex digit count of a 32-bit unsigned n (1 for 0). */
export function hexLength32(n: number): number {
  return n === 0 ? 1 : (35 - Math.clz32(n)) >>> 2;
}

/** Bytes of a byte string (char codes & 0xff). */
export function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

export class OutBuffer {
  /** The bytes; valid in [0, pos). Replaced (not resized in place) when it grows. */
  buf: Uint8Array;
  pos = 0;
  /**
   * @param sink receives the bytes on flush (a view: consume it before returning).
   * @param size initial capacity; flushIfOver() keeps the buffer around this size.
   */
  constructor(private readonly sink: ((bytes: Uint8Array) => void) | null = null, size = 1 << 20) {
    this.buf = new Uint8Array(size);
  }

  /** Makes room for n more bytes (grows: never flushes in the middle of a line). */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  /** Hands the bytes to the sink when more than `limit` are buffered. */
  flushIfOver(limit: number): void {
    if (this.pos > limit) this.flush();
  }

  flush(): void {
    if (this.pos === 0 || !this.sink) return;
    const n = this.pos;
    this.pos = 0;
    this.sink(this.buf.subarray(0, n));
  }

  /** The buffered bytes as a byte string, emptying the buffer (for tests and string callers). */
  take(): string {
    const b = this.buf;
    const n = this.pos;
    this.pos = 0;
    let s = '';
    for (let i = 0; i < n; i += 8192) {
      s += String.fromCharCode.apply(null, b.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
    }
    return s;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** A byte string (one char per byte). */
  latin1(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** src[start, end). */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    if (n <= 32) { for (let i = start; i < end; i++) b[p++] = src[i]!; this.pos = p; return; }
    b.set(src.subarray(start, end), p);
    this.pos = p + n;
  }

  /** n copies of byte c. */
  fill(c: number, n: number): void {
    if (n <= 0) return;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = c;
    this.pos = p;
  }

  /** Decimal digits of an integer 0 <= n < 2^53. */
  dec(n: number): void {
    const len = decLength(n);
    if (this.pos + len > this.buf.length) this.grow(len);
    this.decAt(n, len);
  }

  /** Writes exactly `len` decimal digits of n (zero-padded on the left); room must exist. */
  decAt(n: number, len: number): void {
    const b = this.buf;
    const start = this.pos;
    let p = start + len;
    this.pos = p;
    while (n >= TWO32) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
    while (p > start) {
      const q = (n / 10) >>> 0;
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
  }

  /** Signed decimal of an integer |n| < 2^53. */
  sdec(n: number): void {
    if (n < 0) { this.byte(45); this.dec(-n); } else this.dec(n);
  }

  /** Lowercase hex of a 32-bit unsigned value. */
  hex32(n: number): void {
    const len = hexLength32(n);
    if (this.pos + len > this.buf.length) this.grow(len);
    this.hexAt(n, len, HEXC);
  }

  /** Exactly `len` (<= 8) hex digits of the 32-bit n; room must exist. */
  hexAt(n: number, len: number, table: Uint8Array = HEXC): void {
    const b = this.buf;
    let p = this.pos + len;
    this.pos = p;
    for (let i = 0; i < len; i++) { b[--p] = table[n & 15]!; n >>>= 4; }
  }

  /** Lowercase hex of hi·2^32+lo (both unsigned 32-bit), no leading zeros. */
  hex64(hi: number, lo: number): void {
    if (hi === 0) { this.hex32(lo); return; }
    const hl = hexLength32(hi);
    if (this.pos + hl + 8 > this.buf.length) this.grow(hl + 8);
    this.hexAt(hi, hl, HEXC);
    this.hexAt(lo, 8, HEXC);
  }

  /**
   * printf-style integer: optional '-' sign, magnitude `mag` (0 <= mag < 2^53) in radix
   * 10 or 16 (upper for %X), padded to `width` with spaces (right or left) or zeros.
   */
  int(neg: boolean, mag: number, radix: number, upper: boolean, width: number, left: boolean, zero: boolean): void {
    let dl: number;
    let hi = 0;
    let lo = 0;
    if (radix === 10) dl = decLength(mag);
    else if (mag < TWO32) { lo = mag; dl = hexLength32(mag); }
    else { hi = Math.floor(mag / TWO32); lo = mag - hi * TWO32; dl = hexLength32(hi) + 8; }
    const len = dl + (neg ? 1 : 0);
    const padn = width > len ? width - len : 0;
    if (this.pos + len + padn > this.buf.length) this.grow(len + padn);
    const b = this.buf;
    if (padn && !left && !zero) { for (let i = 0; i < padn; i++) b[this.pos++] = 32; }
    if (neg) b[this.pos++] = 45;
    if (padn && zero && !left) { for (let i = 0; i < padn; i++) b[this.pos++] = 48; }
    if (radix === 10) this.decAt(mag, dl);
    else {
      const t = upper ? HEXU : HEXC;
      if (hi) { this.hexAt(hi, dl - 8, t); this.hexAt(lo, 8, t); } else this.hexAt(lo, dl, t);
    }
    if (padn && left) { for (let i = 0; i < padn; i++) b[this.pos++] = 32; }
  }

  /** `%x`-style hex of hi·2^32+lo with width padding (spaces or zeros). */
  hex64Padded(hi: number, lo: number, upper: boolean, width: number, left: boolean, zero: boolean): void {
    const dl = hi ? hexLength32(hi) + 8 : hexLength32(lo);
    const padn = width > dl ? width - dl : 0;
    if (this.pos + dl + padn > this.buf.length) this.grow(dl + padn);
    const b = this.buf;
    if (padn && !left) { const c = zero ? 48 : 32; for (let i = 0; i < padn; i++) b[this.pos++] = c; }
    const t = upper ? HEXU : HEXC;
    if (hi) { this.hexAt(hi, dl - 8, t); this.hexAt(lo, 8, t); } else this.hexAt(lo, dl, t);
    if (padn && left) { for (let i = 0; i < padn; i++) b[this.pos++] = 32; }
  }
}
