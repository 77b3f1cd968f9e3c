/**
 * ProtoWriter: the few protobuf encodings the Perfetto sink needs, into a growable buffer:
 * varints (numbers up to 2^53 and 64-bit bigints; negative int32/int64 as their 64-bit two's
 * complement, 10 bytes, as protobuf does), length-delimited fields (strings as their bytes,
 * nested messages with the length written after the body: `fork()` … `join(field)`), and
 * packed repeated varints. Written from the protobuf encoding spec
 * (https://protobuf.dev/programming-guides/encoding/).
 */

export const WireType = { Varint: 0, I64: 1, Len: 2, I32: 5 } as const;

/** Bytes of the varint of a non-negative number below 2^53. */
export function varintSize(n: number): number {
  let s = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

export class ProtoWriter {
  buf: Uint8Array;
  pos = 0;
  private readonly forks: number[] = [];

  constructor(size = 4096) {
    this.buf = new Uint8Array(size);
  }

  reset(): this {
    this.pos = 0;
    this.forks.length = 0;
    return this;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let s = this.buf.length * 2;
    while (s < this.pos + n) s *= 2;
    const b = new Uint8Array(s);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** Varint of a non-negative integer below 2^53. */
  uvarint(n: number): void {
    this.room(10);
    const b = this.buf;
    let p = this.pos;
    while (n >= 128) {
      b[p++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    b[p++] = n;
    this.pos = p;
  }

  /** Varint of the 64-bit value hi:lo (both as unsigned 32-bit numbers). */
  private varint64(lo: number, hi: number): void {
    this.room(10);
    const b = this.buf;
    let p = this.pos;
    while (hi > 0 || lo >= 128) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** Varint of an integer (number or bigint; negatives as 64-bit two's complement). */
  varint(v: number | bigint): void {
    if (typeof v === 'number') {
      if (v >= 0 && v < 9007199254740992) {
        this.uvarint(Math.floor(v));
        return;
      }
      v = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
    }
    const u = BigInt.asUintN(64, v);
    this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  tag(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  /** An integer field (int32/int64/uint32/uint64/bool/enum). */
  int(field: number, v: number | bigint): void {
    this.tag(field, WireType.Varint);
    this.varint(v);
  }

  /** A string field from a byte string (one char per byte: its bytes are written as they are). */
  byteString(field: number, s: string): void {
    this.tag(field, WireType.Len);
    const n = s.length;
    this.uvarint(n);
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i) & 0xff;
    this.pos = p;
  }

  /** A string field from text (UTF-8). */
  text(field: number, s: string): void {
    const b = new TextEncoderLite().encode(s);
    this.bytes(field, b);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WireType.Len);
    this.uvarint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Starts a nested message (or packed field) body. */
  fork(): void {
    this.forks.push(this.pos);
  }

  /** Ends the body started by the last fork() and makes it field `field` (length-delimited). */
  join(field: number): void {
    const start = this.forks.pop()!;
    const len = this.pos - start;
    const head = varintSize(field * 8 + WireType.Len) + varintSize(len);
    this.room(head);
    this.buf.copyWithin(start + head, start, this.pos);
    const end = this.pos + head;
    this.pos = start;
    this.tag(field, WireType.Len);
    this.uvarint(len);
    this.pos = end;
  }

  /** The bytes written so far (a view). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** UTF-8 without the platform's TextEncoder (universal packages compile without DOM types). */
class TextEncoderLite {
  encode(s: string): Uint8Array {
    const out: number[] = [];
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return Uint8Array.from(out);
  }
}
