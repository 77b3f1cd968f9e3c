import type { ByteSource } from '@utp/bytes';
import { decodeLatin1 } from '@utp/bytes';
import { readFully } from './read-fully.js';
import { TraceDatError, TraceDatErrorCode } from './errors.js';

const WINDOW = 1 << 16;

/**
 * A sequential reader over a ByteSource with a read-ahead window, for the
 * metadata parts of a trace.dat (headers, options, section bodies). Reads past
 * the end throw TRACEDAT_TRUNCATED with the file offset and what was being read.
 */
export class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private bufStart = 0;
  /** Offsets reported in errors are `pos + reportBase` (for in-memory section bodies). */
  constructor(
    private readonly src: ByteSource,
    public pos: number,
    public littleEndian: boolean,
    readonly end: number = src.size,
    readonly where: string = 'file',
  ) {}

  /** `end` is the end of a v7 section (the whole rest belongs to one metadata block). */
  bounded = false;

  /** The bytes from here to `end` (a view when they fit the window), moving to `end`. */
  async rest(what = 'data'): Promise<Uint8Array> {
    return this.bytes(this.end - this.pos, what);
  }

  /** True when positions of this cursor are offsets in `src`. */
  readsFrom(src: ByteSource): boolean {
    return this.src === src;
  }

  private async ensure(n: number, what: string): Promise<void> {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    if (this.pos + n > this.end) {
      throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${this.where} reading ${what}`, {
        offset: this.pos,
        context: { need: n, have: Math.max(0, this.end - this.pos) },
      });
    }
    const len = Math.min(Math.max(n, WINDOW), this.end - this.pos);
    const b = await readFully(this.src, this.pos, len);
    if (b.length < n) {
      throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${this.where} reading ${what}`, {
        offset: this.pos,
        context: { need: n, have: b.length },
      });
    }
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.bufStart = this.pos;
  }

  async u8(what = 'u8'): Promise<number> {
    await this.ensure(1, what);
    return this.buf[this.pos++ - this.bufStart]!;
  }
  async u16(what = 'u16'): Promise<number> {
    await this.ensure(2, what);
    const v = this.view.getUint16(this.pos - this.bufStart, this.littleEndian);
    this.pos += 2;
    return v;
  }
  async u32(what = 'u32'): Promise<number> {
    await this.ensure(4, what);
    const v = this.view.getUint32(this.pos - this.bufStart, this.littleEndian);
    this.pos += 4;
    return v;
  }
  async u64(what = 'u64'): Promise<bigint> {
    await this.ensure(8, what);
    const v = this.view.getBigUint64(this.pos - this.bufStart, this.littleEndian);
    this.pos += 8;
    return v;
  }
  /** A u64 size/offset as a number (throws if it cannot be one). */
  async u64n(what = 'u64'): Promise<number> {
    const at = this.pos;
    const v = await this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new TraceDatError(TraceDatErrorCode.BadHeader, `Value out of range reading ${what}`, { offset: at, context: { value: v } });
    }
    return Number(v);
  }
  /** n bytes (a copy-free view when inside the window). */
  async bytes(n: number, what = 'data'): Promise<Uint8Array> {
    if (n > this.end - this.pos) {
      throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${this.where} reading ${what}`, {
        offset: this.pos,
        context: { need: n, have: Math.max(0, this.end - this.pos) },
      });
    }
    if (n > WINDOW) {
      const b = await readFully(this.src, this.pos, n);
      if (b.length < n) {
        throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${this.where} reading ${what}`, {
          offset: this.pos,
          context: { need: n, have: b.length },
        });
      }
      this.pos += n;
      return b;
    }
    await this.ensure(n, what);
    const s = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(s, s + n);
  }
  async text(n: number, what = 'text'): Promise<string> {
    return decodeLatin1(await this.bytes(n, what));
  }
  /** A NUL-terminated string. */
  async cstring(what = 'string', max = 1 << 20): Promise<string> {
    let n = 64;
    for (;;) {
      const avail = Math.min(n, this.end - this.pos);
      if (avail <= 0) {
        throw new TraceDatError(TraceDatErrorCode.Truncated, `Unterminated ${what}`, { offset: this.pos });
      }
      await this.ensure(avail, what);
      const s = this.pos - this.bufStart;
      const i = this.buf.subarray(s, s + avail).indexOf(0);
      if (i >= 0) {
        const str = decodeLatin1(this.buf.subarray(s, s + i));
        this.pos += i + 1;
        return str;
      }
      if (avail < n || n >= max) {
        throw new TraceDatError(TraceDatErrorCode.Truncated, `Unterminated ${what}`, { offset: this.pos });
      }
      n *= 4;
    }
  }
  async skip(n: number, what = 'data'): Promise<void> {
    if (n > this.end - this.pos) {
      throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${this.where} reading ${what}`, {
        offset: this.pos,
        context: { need: n, have: Math.max(0, this.end - this.pos) },
      });
    }
    this.pos += n;
  }
}
