/**
 * Field values as the stream's sources give them (`EventSource.values`): byte strings (one char
 * per byte), numbers, bigints (8-byte integers) and raw bytes for arrays. Helpers the sinks share.
 */
import type { FieldValue, StreamField } from '@utp/model';

const TWO53 = 2n ** 53n;

/** Is `v` exact as a JSON / JS number? */
export function fitsDouble(v: bigint): boolean {
  return v < TWO53 && v > -TWO53;
}

/** The elements of an array field's bytes, as numbers (bigints for 8-byte elements). */
export function arrayElements(bytes: Uint8Array, f: StreamField, littleEndian: boolean): Array<number | bigint> {
  const size = f.elementSize > 0 ? f.elementSize : 1;
  const n = Math.floor(bytes.length / size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<number | bigint> = new Array(n);
  for (let i = 0, o = 0; i < n; i++, o += size) {
    switch (size) {
      case 1:
        out[i] = f.signed ? dv.getInt8(o) : dv.getUint8(o);
        break;
      case 2:
        out[i] = f.signed ? dv.getInt16(o, littleEndian) : dv.getUint16(o, littleEndian);
        break;
      case 4:
        out[i] = f.signed ? dv.getInt32(o, littleEndian) : dv.getUint32(o, littleEndian);
        break;
      case 8:
        out[i] = f.signed ? dv.getBigInt64(o, littleEndian) : dv.getBigUint64(o, littleEndian);
        break;
      default:
        out[i] = bytes[o]!;
    }
  }
  return out;
}

/** Bytes of a byte string (char codes 0..255). */
export function byteStringBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Is every char of the byte string below 0x80 (the same text in UTF-8 and as bytes)? */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Are the byte string's bytes valid UTF-8? */
export function isUtf8(s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= n) return false;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = s.charCodeAt(i + k);
      if ((d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < (need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

type Utf8Decoder = { decode(b: Uint8Array): string };
// The platform's decoder where there is one (Node, browsers; typed structurally: no DOM types here)
const Decoder = (globalThis as unknown as { TextDecoder?: new (label: string) => Utf8Decoder }).TextDecoder;
const platformUtf8: Utf8Decoder | undefined = Decoder ? new Decoder('utf-8') : undefined;

/** A byte string's bytes read as UTF-8 (invalid sequences become U+FFFD, as the Encoding standard says), as a JS string. */
export function utf8Text(s: string): string {
  if (isAscii(s)) return s;
  if (platformUtf8) return platformUtf8.decode(byteStringBytes(s));
  let out = '';
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out += s[i];
      i++;
      continue;
    }
    const need = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? (c <= 0xef ? 2 : -1) : c >= 0xc2 && c <= 0xdf ? 1 : -1;
    if (need < 0) {
      out += '\ufffd';
      i++;
      continue;
    }
    let cp = need === 1 ? c & 0x1f : need === 2 ? c & 0x0f : c & 0x07;
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const d = s.charCodeAt(i + k);
      if (i + k >= n || (d & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (d & 0x3f);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += '\ufffd';
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

export type { FieldValue };
