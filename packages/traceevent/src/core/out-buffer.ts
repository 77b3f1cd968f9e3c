/**
 * OutBuffer: a growable byte buffer that report-style output is emitted into, one byte
 * per character (the byte strings of the engine), with digit writers that need no
 * intermediate JS string. The owner flushes it between lines (`flushIfOver`), so a line
 * is always contiguous and can be trimmed after the fact (e.g. one trailing newline).
 *
 * The `put*` functions are the hot-path form: they write into a byte array at `p`
 * (the caller has reserved room) and return the new position.
 */
import { TWO32 } from './c-number.js';

import { decodeLatin1 } from '@utp/bytes';
const HEXC = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const HEXU = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70]);
// two digits at a time: high and low digit of a byte in hex, of 0..99 in decimal
const HEX2H = new Uint8Array(256);
const HEX2L = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX2H[i] = HEXC[i >>> 4]!;
  HEX2L[i] = HEXC[i & 15]!;
}
const DEC2H = new Uint8Array(100);
const DEC2L = new Uint8Array(100);
for (let i = 0; i < 100; i++) {
  DEC2H[i] = 48 + ((i / 10) | 0);
  DEC2L[i] = 48 + (i % 10);
}

// three decimal digits of 0..999 as a little-endian 24-bit value (for 4-byte writes)
const DEC3 = new Int32Array(1000);
for (let i = 0; i < 1000; i++) DEC3[i] = (48 + ((i / 100) | 0)) | ((48 + (((i / 10) | 0) % 10)) << 8) | ((48 + (i % 10)) << 16);

/**
 * Exactly 6 (or 9) decimal digits of 0 <= n < 10^6 (10^9), zero-padded, through `dv`
 * (which may write one byte past them: reserve 1 more); returns p + 6 (p + 9).
 */
export function putDec6(dv: DataView, p: number, n: number): number {
  const a = (n / 1000) | 0;
  dv.setInt32(p, DEC3[a]!, true);
  dv.setInt32(p + 3, DEC3[n - a * 1000]!, true);
  return p + 6;
}
export function putDec9(dv: DataView, p: number, n: number): number {
  const a = (n / 1000000) | 0;
  const r = n - a * 1000000;
  const b = (r / 1000) | 0;
  dv.setInt32(p, DEC3[a]!, true);
  dv.setInt32(p + 3, DEC3[b]!, true);
  dv.setInt32(p + 6, DEC3[r - b * 1000]!, true);
  return p + 9;
}

/** Most bytes one put* number writer produces (64-bit decimal with sign). */
export const MAX_NUMBER_BYTES = 24;

/** Decimal digit count of an integer 0 <= n < 2^53. */
export function decLength(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  if (n < 10000000000) return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let len = 11;
  let p = 100000000000;
  while (n >= p) {
    len++;
    p *= 10;
  }
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

/** Exactly `len` decimal digits of 0 <= n < 2^53 (zero-padded) at b[p]; returns p + len. */
export function putDecFixed(b: Uint8Array, p: number, n: number, len: number): number {
  const start = p;
  p += len;
  const end = p;
  while (n >= TWO32 && p > start) {
    const q = Math.floor(n / 10);
    b[--p] = 48 + (n - q * 10);
    n = q;
  }
  while (p - start >= 2) {
    const q = (n / 100) >>> 0;
    const r = n - q * 100;
    b[--p] = DEC2L[r]!;
    b[--p] = DEC2H[r]!;
    n = q;
  }
  if (p > start) b[--p] = 48 + (n % 10);
  return end;
}

/** Decimal digits of an integer 0 <= n < 2^53. */
export function putDec(b: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    b[p] = 48 + n;
    return p + 1;
  }
  return putDecFixed(b, p, n, decLength(n));
}

/** Exactly `len` (<= 8) lowercase hex digits of the 32-bit n. */
export function putHexFixed(b: Uint8Array, p: number, n: number, len: number): number {
  const end = p + len;
  p = end;
  for (; len >= 2; len -= 2) {
    const v = n & 255;
    b[--p] = HEX2L[v]!;
    b[--p] = HEX2H[v]!;
    n >>>= 8;
  }
  if (len) b[--p] = HEXC[n & 15]!;
  return end;
}

/** Lowercase hex of a 32-bit unsigned n. */
export function putHex32(b: Uint8Array, p: number, n: number): number {
  if (n < 16) {
    b[p] = HEXC[n]!;
    return p + 1;
  }
  return putHexFixed(b, p, n, hexLength32(n));
}

/** Lowercase hex of hi·2^32+lo (both unsigned 32-bit), no leading zeros. */
export function putHex64(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi === 0) return putHex32(b, p, lo);
  p = putHexFixed(b, p, hi, hexLength32(hi));
  return putHexFixed(b, p, lo, 8);
}

/**
 * Constant text prepared for fast copying: its bytes and the same bytes as
 * little-endian 32-bit words (the last one zero-padded). putChunk writes whole words,
 * so it may scribble up to 3 bytes past the text: reserve `room` bytes, not `length`.
 */
export interface Chunk {
  readonly length: number;
  /** length rounded up to a multiple of 4. */
  readonly room: number;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

export function makeChunk(text: string | Uint8Array): Chunk {
  const bytes = typeof text === 'string' ? latin1Bytes(text) : text.slice();
  const n = bytes.length;
  const room = (n + 3) & ~3;
  const words = new Int32Array(room >> 2);
  for (let i = 0; i < n; i++) words[i >> 2]! |= bytes[i]! << ((i & 3) * 8);
  return { length: n, room, bytes, words };
}

/** Writes a chunk at p through `dv` (over the same bytes as the output array); returns p + length. */
export function putChunk(dv: DataView, p: number, c: Chunk): number {
  const w = c.words;
  for (let i = 0; i < w.length; i++) dv.setInt32(p + 4 * i, w[i]!, true);
  return p + c.length;
}

/** src[0, n) at b[p]. */
export function putBytes(b: Uint8Array, p: number, src: Uint8Array, n: number): number {
  for (let i = 0; i < n; i++) b[p++] = src[i]!;
  return p;
}

export class OutBuffer {
  /** The bytes; valid in [0, pos). Replaced (not resized in place) when it grows. */
  buf: Uint8Array;
  /** A DataView over `buf` (replaced with it). */
  dv: DataView;
  pos = 0;
  /**
   * @param sink receives the bytes on flush (a view: consume it before returning).
   * @param size initial capacity; flushIfOver() keeps the buffer around this size.
   */
  constructor(
    private readonly sink: ((bytes: Uint8Array) => void) | null = null,
    size = 1 << 20,
  ) {
    this.buf = new Uint8Array(Math.max(16, size));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes (grows: never flushes in the middle of a line). */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /** Makes room for n more bytes after pos and returns the (possibly new) array. */
  room(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) this.grow(n);
    return this.buf;
  }

  grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
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
    return decodeLatin1(b, 0, n);
  }

  /** Constant text prepared with makeChunk. */
  chunk(c: Chunk): void {
    if (this.pos + c.room > this.buf.length) this.grow(c.room);
    this.pos = putChunk(this.dv, this.pos, c);
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
    if (n <= 32) {
      for (let i = start; i < end; i++) b[p++] = src[i]!;
      this.pos = p;
      return;
    }
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
    if (this.pos + MAX_NUMBER_BYTES > this.buf.length) this.grow(MAX_NUMBER_BYTES);
    this.pos = putDec(this.buf, this.pos, n);
  }

  /** Writes exactly `len` decimal digits of n (zero-padded on the left). */
  decAt(n: number, len: number): void {
    if (this.pos + len > this.buf.length) this.grow(len);
    this.pos = putDecFixed(this.buf, this.pos, n, len);
  }

  /** Signed decimal of an integer |n| < 2^53. */
  sdec(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.dec(-n);
    } else this.dec(n);
  }

  /** Lowercase hex of a 32-bit unsigned value. */
  hex32(n: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.pos = putHex32(this.buf, this.pos, n);
  }

  /** Lowercase hex of hi·2^32+lo (both unsigned 32-bit), no leading zeros. */
  hex64(hi: number, lo: number): void {
    if (this.pos + 16 > this.buf.length) this.grow(16);
    this.pos = putHex64(this.buf, this.pos, hi, lo);
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
    else if (mag < TWO32) {
      lo = mag;
      dl = hexLength32(mag);
    } else {
      hi = Math.floor(mag / TWO32);
      lo = mag - hi * TWO32;
      dl = hexLength32(hi) + 8;
    }
    const len = dl + (neg ? 1 : 0);
    const padn = width > len ? width - len : 0;
    if (this.pos + len + padn > this.buf.length) this.grow(len + padn);
    const b = this.buf;
    let p = this.pos;
    if (padn && !left && !zero) {
      for (let i = 0; i < padn; i++) b[p++] = 32;
    }
    if (neg) b[p++] = 45;
    if (padn && zero && !left) {
      for (let i = 0; i < padn; i++) b[p++] = 48;
    }
    if (radix === 10) p = putDecFixed(b, p, mag, dl);
    else if (upper) {
      const hl = hi ? dl - 8 : dl;
      if (hi) {
        p = putHexUpper(b, p, hi, hl);
        p = putHexUpper(b, p, lo, 8);
      } else p = putHexUpper(b, p, lo, hl);
    } else if (hi) {
      p = putHexFixed(b, p, hi, dl - 8);
      p = putHexFixed(b, p, lo, 8);
    } else p = putHexFixed(b, p, lo, dl);
    if (padn && left) {
      for (let i = 0; i < padn; i++) b[p++] = 32;
    }
    this.pos = p;
  }

  /** `%x`-style hex of hi·2^32+lo with width padding (spaces or zeros). */
  hex64Padded(hi: number, lo: number, upper: boolean, width: number, left: boolean, zero: boolean): void {
    const dl = hi ? hexLength32(hi) + 8 : hexLength32(lo);
    const padn = width > dl ? width - dl : 0;
    if (this.pos + dl + padn > this.buf.length) this.grow(dl + padn);
    const b = this.buf;
    let p = this.pos;
    if (padn && !left) {
      const c = zero ? 48 : 32;
      for (let i = 0; i < padn; i++) b[p++] = c;
    }
    if (upper) {
      if (hi) {
        p = putHexUpper(b, p, hi, dl - 8);
        p = putHexUpper(b, p, lo, 8);
      } else p = putHexUpper(b, p, lo, dl);
    } else if (hi) {
      p = putHexFixed(b, p, hi, dl - 8);
      p = putHexFixed(b, p, lo, 8);
    } else p = putHexFixed(b, p, lo, dl);
    if (padn && left) {
      for (let i = 0; i < padn; i++) b[p++] = 32;
    }
    this.pos = p;
  }
}

function putHexUpper(b: Uint8Array, p: number, n: number, len: number): number {
  const end = p + len;
  p = end;
  for (let i = 0; i < len; i++) {
    b[--p] = HEXU[n & 15]!;
    n >>>= 4;
  }
  return end;
}
