/**
 * A libtraceevent format field as a stream field (the sources with tracefs formats: trace.dat,
 * perf.data's tracepoints), with the format field kept as `raw` for the values' decoding.
 */
import { FieldFlag } from '@utp/traceevent';
import type { Field } from '@utp/traceevent';
import { FieldKind } from './event-stream.js';
import type { StreamField } from './event-stream.js';

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
