/**
 * Reading event payload bytes the way libtraceevent does: numbers of size 1/2/4/8 in
 * file byte order without sign extension (other sizes read as 0), `__data_loc` /
 * `__rel_loc` offsets with libtraceevent's sanitising, C strings (up to the first NUL).
 *
 * Strings are "byte strings": one JS char per byte (char code 0..255).
 */
import { decodeLatin1 } from '@utp/bytes';
import type { TraceRecord } from './types.js';
import { TWO32 } from './c-number.js';
import { FieldFlag } from './types.js';
import type { Field } from './types.js';

/** tep_read_number at payload offset `off` (no bounds check beyond the page). */
export function readNumberBig(r: TraceRecord, off: number, size: number, le: boolean): bigint {
  const at = r.offset + off;
  if (at < 0 || at + size > r.page.length) return 0n;
  switch (size) {
    case 1:
      return BigInt(r.page[at]!);
    case 2:
      return BigInt(r.view.getUint16(at, le));
    case 4:
      return BigInt(r.view.getUint32(at, le));
    case 8:
      return r.view.getBigUint64(at, le);
    default:
      return 0n;
  }
}

/** Same as readNumberBig for sizes up to 4 (and 8 when < 2^53 is not required: returns a float). */
export function readNumberSmall(r: TraceRecord, off: number, size: number, le: boolean): number {
  const at = r.offset + off;
  if (at < 0 || at + size > r.page.length) return 0;
  switch (size) {
    case 1:
      return r.page[at]!;
    case 2:
      return r.view.getUint16(at, le);
    case 4:
      return r.view.getUint32(at, le);
    case 8: {
      const lo = r.view.getUint32(at + (le ? 0 : 4), le);
      const hi = r.view.getUint32(at + (le ? 4 : 0), le);
      return hi * TWO32 + lo;
    }
    default:
      return 0;
  }
}

/** An 8-byte value as a number when it is < 2^53, else as bigint. */
export function readNumberMixed(r: TraceRecord, off: number, size: number, le: boolean): number | bigint {
  if (size !== 8) return readNumberSmall(r, off, size, le);
  const at = r.offset + off;
  if (at < 0 || at + 8 > r.page.length) return 0;
  const lo = r.view.getUint32(at + (le ? 0 : 4), le);
  const hi = r.view.getUint32(at + (le ? 4 : 0), le);
  if (hi < 0x200000) return hi * TWO32 + lo;
  return r.view.getBigUint64(at, le);
}

/**
 * dynamic_offset_field: [offset, length] of a __data_loc/__rel_loc field's data,
 * both relative to the payload start. Returns [0, 0] when the field itself lies
 * outside the record.
 */
export function dynamicOffset(r: TraceRecord, field: Field, le: boolean): [number, number] {
  const size = r.size;
  if (field.offset + field.size > size) return [0, 0];
  const val = readNumberSmall(r, field.offset, field.size, le);
  const o = field.size === 8 ? Number(BigInt(val) & 0xffffn) : val & 0xffff;
  let l: number;
  if (field.size === 2) l = size - o;
  else l = field.size === 8 ? Number((BigInt(val) >> 16n) & 0xffffn) : (val >>> 16) & 0xffff;
  let offset = o > size ? 0 : o;
  const len = o + l > size ? 0 : l;
  if (field.flags & FieldFlag.Relative) offset += field.offset + field.size;
  return [offset, len];
}

/** Bytes from payload offset `off` up to (not including) the first NUL, bounded by the page. */
export function cStringAt(r: TraceRecord, off: number): string {
  const page = r.page;
  let i = r.offset + off;
  if (i < 0) return '';
  const start = i;
  const end = page.length;
  while (i < end && page[i] !== 0) i++;
  return bytesToString(page, start, i);
}

/** Bytes of page[start, end) as a byte string. */
export function bytesToString(b: Uint8Array, start: number, end: number): string {
  return decodeLatin1(b, start, end);
}

/** A C string within [off, off+len) of the payload: stops at the first NUL or at len. */
export function boundedCString(r: TraceRecord, off: number, len: number): string {
  const page = r.page;
  const start = r.offset + off;
  if (start < 0) return '';
  const end = Math.min(page.length, start + len);
  let i = start;
  while (i < end && page[i] !== 0) i++;
  return bytesToString(page, start, i);
}

/** A byte of the payload (0 when outside the page). */
export function byteAt(r: TraceRecord, off: number): number {
  const i = r.offset + off;
  return i >= 0 && i < r.page.length ? r.page[i]! : 0;
}
