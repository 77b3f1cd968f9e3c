import { UtpError, BytesErrorCode } from './errors.js';
import { decodeLatin1 } from './latin1.js';

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A cursor over a Uint8Array with a fixed endianness. Reads past the end throw
 * with the offset (never return 0). `base` is added to offsets in error messages
 * so that a reader over a slice of a file reports file offsets.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly littleEndian: boolean;
  /** Offset of bytes[0] in the whole input, for error messages. */
  readonly base: number;
  pos: number;

  constructor(bytes: Uint8Array, littleEndian = true, base = 0, pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = littleEndian;
    this.base = base;
    this.pos = pos;
  }

  get length(): number {
    return this.bytes.length;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  get eof(): boolean {
    return this.pos >= this.bytes.length;
  }

  need(n: number, what = 'data'): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new UtpError(BytesErrorCode.OutOfBounds, `Unexpected end of input reading ${what}`, {
        offset: this.base + this.pos,
        context: { need: n, have: Math.max(0, this.bytes.length - this.pos) },
      });
    }
  }

  u8(what?: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }
  u16(what?: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }
  u32(what?: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  i32(what?: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  u64(what?: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** A u64 that must fit in a JS number (sizes and offsets); throws otherwise. */
  u64n(what = 'u64'): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new UtpError(BytesErrorCode.OutOfBounds, `Value too large for ${what}`, { offset: this.base + at, context: { value: v } });
    }
    return Number(v);
  }

  /** A view (no copy) of the next n bytes. */
  take(n: number, what?: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(n: number, what?: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A NUL-terminated string (the NUL is consumed). */
  cstring(what = 'string'): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) {
      throw new UtpError(BytesErrorCode.BadString, `Unterminated ${what}`, { offset: this.base + this.pos });
    }
    const s = decodeLatin1(this.bytes, this.pos, end);
    this.pos = end + 1;
    return s;
  }

  /** n bytes as text (UTF-8, invalid sequences replaced). */
  text(n: number, what?: string): string {
    return decodeUtf8(this.take(n, what));
  }
}

export function decodeUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}
export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
