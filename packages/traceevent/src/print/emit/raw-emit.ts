/**
 * The `-R` field list (tep_print_fields, see compileFieldsRaw) as byte emitters: the
 * same per-event plan — fields printed by a matching print-fmt conversion reuse that
 * conversion, the others the type-based rules of print_field_raw — writing digits
 * straight into an OutBuffer. Arrays keep the string path (it also clears IS_STRING
 * the way libtraceevent does).
 */
import type { TraceRecord } from '../../core/types.js';
import { FieldFlag } from '../../core/types.js';
import type { TepField } from '../../core/event-format.js';
import type { ArgCompiler } from '../eval/print-eval.js';
import type { Segment } from './print-compiler.js';
import { rawFieldValue, isPrintableArray, matchRawConversions } from './print-compiler.js';
import { dynamicOffset } from '../../core/record-data.js';
import { compileEmitSegment, chainEmitters, type EmitFn } from './print-emit.js';
import { makeChunk, type Chunk } from '../../core/out-buffer.js';
import { TWO32 } from '../../core/c-number.js';

/** print_field_raw of one field after the label bytes. */
function rawValueEmitter(f: TepField, le: boolean, label: Chunk): EmitFn {
  const flags = f.flags;
  const size = f.size;
  const off = f.offset;
  if (flags & FieldFlag.Array) return rawArrayEmitter(f, le, label);
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
    return (r, o) => {
      o.chunk(label);
      o.latin1(rawFieldValue(r, f, le));
    };
  }
  const ptr = (flags & FieldFlag.Pointer) !== 0;
  const sgn = (flags & FieldFlag.Signed) !== 0;
  const lng = (flags & FieldFlag.Long) !== 0;
  if (size === 8) {
    const loOff = le ? 0 : 4;
    const hiOff = le ? 4 : 0;
    // hex: pointer, or long without sign; signed: decimal of the 64-bit signed value
    const asHex = ptr || (lng && !sgn);
    return (r, o) => {
      o.chunk(label);
      const at = r.offset + off;
      let hi = 0,
        lo = 0;
      if (at >= 0 && at + 8 <= r.page.length) {
        lo = r.view.getUint32(at + loOff, le);
        hi = r.view.getUint32(at + hiOff, le);
      }
      if (asHex) {
        o.byte(48);
        o.byte(120);
        o.hex64(hi, lo);
        return;
      }
      if (sgn && hi >= 0x80000000) {
        if (hi >= 0xffe00000) {
          o.byte(45);
          o.dec((0xffffffff - hi) * TWO32 + (TWO32 - lo));
          return;
        }
        o.latin1(String(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))));
        return;
      }
      if (hi < 0x200000) o.dec(hi * TWO32 + lo);
      else o.latin1(((BigInt(hi) << 32n) | BigInt(lo)).toString());
    };
  }
  // 1, 2 or 4 bytes (read unsigned, within the page)
  const hexOut = ptr || (lng && (!sgn || size === 4));
  return (r, o) => {
    o.chunk(label);
    const at = r.offset + off;
    let v = 0;
    if (at >= 0 && at + size <= r.page.length)
      v = size === 4 ? r.view.getUint32(at, le) : size === 2 ? r.view.getUint16(at, le) : r.page[at]!;
    if (hexOut) {
      o.byte(48);
      o.byte(120);
      o.hex32(v);
      return;
    }
    if (!sgn) {
      o.dec(v);
      return;
    }
    if (size === 4) o.sdec(v | 0);
    else if (size === 2) {
      const x = (v << 16) >> 16;
      if (x >= 0 && x < 10) o.byte(32);
      o.sdec(x);
    } else o.sdec((v << 24) >> 24);
  };
}

const ARRAY_OPEN = makeChunk('ARRAY[');

/**
 * print_field_raw of an array: its C string when the field is a string whose bytes up
 * to the first NUL are all printable, else `ARRAY[xx, xx, ...]` — which also clears
 * the field's IS_STRING flag for good, as libtraceevent does.
 */
function rawArrayEmitter(f: TepField, le: boolean, label: Chunk): EmitFn {
  const dyn = (f.flags & FieldFlag.Dynamic) !== 0;
  return (r, o) => {
    o.chunk(label);
    let off: number;
    let len: number;
    if (dyn) [off, len] = dynamicOffset(r, f, le);
    else {
      off = f.offset;
      len = f.size;
    }
    const page = r.page;
    const at = r.offset + off;
    if (f.flags & FieldFlag.String && isPrintableArray(r, off, len)) {
      if (at < 0) return;
      let j = at;
      while (j < page.length && page[j] !== 0) j++;
      o.bytes(page, at, j);
      return;
    }
    o.chunk(ARRAY_OPEN);
    const need = len * 4 + 1;
    if (o.pos + need > o.buf.length) o.grow(need);
    const b = o.buf;
    let p = o.pos;
    const n = page.length;
    for (let i = 0; i < len; i++) {
      if (i) {
        b[p++] = 44;
        b[p++] = 32;
      }
      const k = at + i;
      const v = k >= 0 && k < n ? page[k]! : 0;
      b[p++] = HEXD[v >>> 4]!;
      b[p++] = HEXD[v & 15]!;
    }
    b[p++] = 93;
    o.pos = p;
    f.flags &= ~FieldFlag.String;
  };
}
const HEXD = makeChunk('0123456789abcdef').bytes;

/**
 * compileFieldsRaw(fields, segs, le, stripNewline = true) as an emitter: ` name=value`
 * per event field, one trailing newline removed.
 */
export function compileEmitFieldsRaw(c: ArgCompiler, fields: readonly TepField[], segs: readonly Segment[] | null, le: boolean): EmitFn {
  const matches = matchRawConversions(fields, segs);
  const list: EmitFn[] = fields.map((f, i) => {
    const labelText = ' ' + f.name + '=';
    const m = matches[i];
    return m ? compileEmitSegment(c, m.seg, makeChunk(labelText + (m.has0x ? '0x' : ''))) : rawValueEmitter(f, le, makeChunk(labelText));
  });
  const body = chainEmitters(list);
  return (r: TraceRecord, o) => {
    const start = o.pos;
    body(r, o);
    if (o.pos > start && o.buf[o.pos - 1] === 10) o.pos--;
  };
}
