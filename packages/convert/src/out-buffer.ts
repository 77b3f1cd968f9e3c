/**
 * ByteOut: the bounded output buffer both sinks write into. Bytes collect in one buffer of
 * `chunkSize`; a full buffer goes to the caller's `ByteSink` and is reused, so memory stays at
 * one chunk whatever the trace's size.
 */

/**
 * Where converted bytes go, in order. The chunk is reused after the call returns: write it out
 * or copy it before returning (Node: `writeSync`; browser: `chunks.push(chunk.slice())`).
 */
export type ByteSink = (chunk: Uint8Array) => void;

export class ByteOut {
  private buf: Uint8Array;
  private pos = 0;
  /** Bytes handed to the sink so far, plus those buffered. */
  get length(): number {
    return this.flushed + this.pos;
  }
  private flushed = 0;

  constructor(
    private readonly sink: ByteSink,
    chunkSize = 1 << 20,
  ) {
    this.buf = new Uint8Array(Math.max(4096, chunkSize));
  }

  /** Room for `n` more bytes (flushes first when they do not fit). Returns the buffer and the write position. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }

  bytes(b: Uint8Array): void {
    if (b.length > this.buf.length - this.pos) {
      this.flush();
      if (b.length > this.buf.length) {
        this.sink(b);
        this.flushed += b.length;
        return;
      }
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** ASCII/UTF-8 text. */
  text(s: string): void {
    // a JS char takes at most 3 UTF-8 bytes
    if (s.length * 3 > this.buf.length - this.pos) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        for (let i = 0; i < s.length; i += 8192) this.text(s.slice(i, i + 8192));
        return;
      }
    }
    this.pos += encodeUtf8Into(s, this.buf, this.pos);
  }

  /** ASCII text (every char below 0x80: keys, numbers, constants). */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) {
      this.text(s);
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** The decimal digits of an integer below 2^53 in magnitude. */
  int(v: number): void {
    if (this.pos + 17 > this.buf.length) this.flush();
    const b = this.buf;
    if (v < 0) {
      b[this.pos++] = 45; // '-'
      v = -v;
    }
    if (v < 10) {
      b[this.pos++] = 48 + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      b[--p] = 48 + (v - q * 10);
      v = q;
    }
    b[--p] = 48 + v;
  }

  /** Nanoseconds as microseconds with three decimals (0 ≤ ns < 2^53): 1234567 → 1234.567. */
  micros(ns: number): void {
    const us = Math.floor(ns / 1000);
    const r = ns - us * 1000;
    this.int(us);
    if (this.pos + 4 > this.buf.length) this.flush();
    const b = this.buf;
    b[this.pos] = 46; // '.'
    b[this.pos + 1] = 48 + Math.floor(r / 100);
    b[this.pos + 2] = 48 + (Math.floor(r / 10) % 10);
    b[this.pos + 3] = 48 + (r % 10);
    this.pos += 4;
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }
}

/** Writes `s` as UTF-8 at `at` (room checked by the caller); returns the bytes written. Lone surrogates become U+FFFD. */
export function encodeUtf8Into(s: string, out: Uint8Array, at: number): number {
  let p = at;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[p++] = 0xf0 | (cp >> 18);
          out[p++] = 0x80 | ((cp >> 12) & 63);
          out[p++] = 0x80 | ((cp >> 6) & 63);
          out[p++] = 0x80 | (cp & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return p - at;
}
