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
