/**
 * A libtraceevent format field as a stream field (the sources with tracefs formats: trace.dat,
 * perf.data's tracepoints), with the format field kept as `raw` for the values' decoding.
 */
import { FieldFlag } from '@utp/traceevent';
import type { Field } from '@utp/traceevent';
import { FieldKind } from './event-stream.js';
import type { CurrentFields, FieldValue, StreamField } from './event-stream.js';

export type FormatField = StreamField & { readonly raw: Field };

export function formatField(f: Field): FormatField {
  const dynamic = (f.flags & (FieldFlag.Dynamic | FieldFlag.Relative)) !== 0;
  const kind = f.flags & FieldFlag.String ? FieldKind.String : f.flags & FieldFlag.Array ? FieldKind.Array : FieldKind.Integer;
  return {
    name: f.name,
    type: f.type,
    kind,
    size: f.size,
    signed: (f.flags & FieldFlag.Signed) !== 0,
    length: f.arraylen,
    elementSize: f.elementsize,
    dynamic,
    offset: f.offset,
    raw: f,
  };
}

/** A stream field's integer at byte `o` of `v` (1, 2, 4 or 8 bytes; 64-bit values may round), 0 for other sizes. */
export function readIntAt(v: DataView, o: number, f: StreamField, le: boolean): number {
  switch (f.size) {
    case 1:
      return f.signed ? v.getInt8(o) : v.getUint8(o);
    case 2:
      return f.signed ? v.getInt16(o, le) : v.getUint16(o, le);
    case 4:
      return f.signed ? v.getInt32(o, le) : v.getUint32(o, le);
    case 8:
      return Number(f.signed ? v.getBigInt64(o, le) : v.getBigUint64(o, le));
    default:
      return 0;
  }
}

/**
 * CurrentFields over the decoded values of the event being pushed (sources that decode a whole
 * event at once: CTF, ftrace text), each field carrying its `index` in those values.
 */
export function valuesFields(current: () => readonly FieldValue[] | undefined): CurrentFields {
  return {
    int: (f) => {
      const v = current()?.[(f as StreamField & { index: number }).index];
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
    },
    str: (f) => {
      const v = current()?.[(f as StreamField & { index: number }).index];
      return typeof v === 'string' ? v : '';
    },
  };
}
