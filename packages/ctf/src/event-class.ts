/**
 * The source-neutral input of the CTF writer: what an event looks like (its class) and how
 * its values are laid out in bytes. Any source (trace.dat, perf.data, a text trace, a test)
 * describes its events with these types and hands the writer each event's encoded values.
 *
 * Encoding contract (what `CtfStream.event()` expects as `data`): the stream event context
 * fields, then the event's fields, in declaration order, packed with no padding, in the
 * trace's byte order:
 * - `int`: `size / 8` bytes;
 * - `string`: the bytes, then one NUL;
 * - `text`: exactly `length` bytes (a fixed `char[length]`, shown as text up to the first NUL);
 * - `array`: `length` elements;
 * - `sequence`: as many elements as the value of the (earlier) `lengthField` of the same struct.
 */

export type CtfIntBase = 2 | 8 | 10 | 16;

export interface CtfIntType {
  kind: 'int';
  /** Width in bits: 8, 16, 32 or 64. */
  size: 8 | 16 | 32 | 64;
  signed: boolean;
  /** Preferred display base (default 10). */
  base?: CtfIntBase;
}
export interface CtfStringType {
  kind: 'string';
}
export interface CtfTextType {
  kind: 'text';
  length: number;
}
export interface CtfArrayType {
  kind: 'array';
  element: CtfIntType;
  length: number;
}
export interface CtfSequenceType {
  kind: 'sequence';
  element: CtfIntType;
  lengthField: string;
}
export type CtfFieldType = CtfIntType | CtfStringType | CtfTextType | CtfArrayType | CtfSequenceType;

export interface CtfField {
  name: string;
  type: CtfFieldType;
}

export interface CtfEventClass {
  /** Event name as readers show it (e.g. `sched_switch`). */
  name: string;
  fields: readonly CtfField[];
}

export interface CtfClock {
  /** A TSDL identifier; anything else is replaced by `_`. */
  name: string;
  /** Ticks per second (1e9 for nanoseconds). */
  freq: number;
  /** Offset of the clock's origin: whole seconds plus ticks. */
  offsetS: bigint;
  offset: bigint;
  description?: string;
}

/** Encodes values into the writer's byte layout (for sources that hold decoded values). */
export class ValueEncoder {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;
  constructor(readonly littleEndian = true) {}

  reset(): this {
    this.pos = 0;
    return this;
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  int(type: CtfIntType, v: number | bigint): this {
    const n = type.size >> 3;
    this.room(n);
    const le = this.littleEndian,
      d = this.view,
      p = this.pos;
    if (n === 1) d.setUint8(p, Number(BigInt.asUintN(8, BigInt(v))));
    else if (n === 2) d.setUint16(p, Number(BigInt.asUintN(16, BigInt(v))), le);
    else if (n === 4) d.setUint32(p, Number(BigInt.asUintN(32, BigInt(v))), le);
    else d.setBigUint64(p, BigInt.asUintN(64, BigInt(v)), le);
    this.pos += n;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  string(s: string): this {
    const b = new TextEncoder().encode(s);
    this.bytes(b);
    this.room(1);
    this.buf[this.pos++] = 0;
    return this;
  }
  /** A fixed text field: `s` (UTF-8) cut or NUL-padded to `length` bytes. */
  text(s: string, length: number): this {
    const b = new TextEncoder().encode(s).subarray(0, length);
    this.room(length);
    this.buf.fill(0, this.pos, this.pos + length);
    this.buf.set(b, this.pos);
    this.pos += length;
    return this;
  }
  /** Encodes `values` (one per field, arrays for array/sequence) for `fields`. */
  fields(fields: readonly CtfField[], values: readonly unknown[]): this {
    fields.forEach((f, i) => {
      const v = values[i];
      const t = f.type;
      switch (t.kind) {
        case 'int':
          this.int(t, v as number | bigint);
          break;
        case 'string':
          this.string(String(v));
          break;
        case 'text':
          this.text(String(v), t.length);
          break;
        case 'array':
        case 'sequence':
          for (const e of v as Array<number | bigint>) this.int(t.element, e);
          break;
      }
    });
    return this;
  }
  get data(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
