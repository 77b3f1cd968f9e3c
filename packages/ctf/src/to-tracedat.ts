/**
 * CTF → trace.dat records: the inverse of from-tracedat.ts for a CTF that `traceDatToCtf` wrote.
 * Given the Tep of the original file (its formats, from the trace.dat skeleton stored beside the
 * CTF), each event's packed context + payload is laid back out as the tracefs record: fixed fields
 * at their offsets, strings and sequences after the fixed part with their `__data_loc` /
 * `__rel_loc` words, a trailing `char buf[]` at its offset. Universal code.
 */
import { FieldFlag, KRecord } from '@utp/traceevent';
import type { EventFormat, Tep } from '@utp/traceevent';
import { CtfError, CtfErrorCode } from './errors.js';
import { Op, hasTailArray, mapFields } from './from-tracedat.js';
import type { Step } from './from-tracedat.js';
import type { CtfEventView, CtfTrace } from './reader.js';
import type { Diagnostic } from '@utp/traceevent';

export interface CtfToRecordsOptions {
  /** Added to every CTF clock value to give the value stored in the trace.dat pages. */
  tsDelta: bigint;
  /** The (buffer index, CPU) of each data stream file, by file name. */
  streams: ReadonlyMap<string, { buffer: number; cpu: number }>;
  /** Losses of unknown size: stream name → the event indexes (0-based) they come before. */
  unknownLosses?: ReadonlyMap<string, ReadonlySet<number>>;
  onDiagnostic?: (d: Diagnostic) => void;
}

interface Plan {
  steps: Step[];
  fixedEnd: number;
}

/**
 * Calls `cb` with each event of `trace` as a trace.dat record (the record and its bytes are
 * reused: copy to keep), in merged time order. Returns the number of records.
 */
export async function ctfToRecords(
  trace: CtfTrace,
  tep: Tep,
  o: CtfToRecordsOptions,
  cb: (rec: KRecord, buffer: number) => boolean | void,
): Promise<number> {
  const le = tep.littleEndian;
  const common = tep.events.find((e) => e.commonFields.length)?.commonFields ?? [];
  const commonSteps = mapFields(common).steps;
  const commonEnd = common.reduce((m, f) => Math.max(m, f.offset + f.size), 0);
  const typeField = common.find((f) => f.name === 'common_type');
  if (!typeField) throw new CtfError(CtfErrorCode.BadInput, 'The trace.dat formats have no common_type field');
  const plans = new Map<number, Plan | null>();
  const planOf = (id: number): Plan | null => {
    let p = plans.get(id);
    if (p === undefined) {
      const ev: EventFormat | undefined = tep.findEventById(id);
      if (!ev || ev.failed) p = null;
      else {
        const tail = hasTailArray(ev);
        const last = ev.fields[ev.fields.length - 1];
        p = {
          steps: mapFields(ev.fields, tail).steps,
          fixedEnd: ev.fields.reduce((m, f) => Math.max(m, f.size && !(tail && f === last) ? f.offset + f.size : f.offset), commonEnd),
        };
      }
      plans.set(id, p);
    }
    return p;
  };
  let page = new Uint8Array(4096);
  let view = new DataView(page.buffer);
  const grow = (n: number): void => {
    if (n <= page.length) return;
    const b = new Uint8Array(Math.max(n, page.length * 2));
    b.set(page);
    page = b;
    view = new DataView(b.buffer);
  };
  const rec = new KRecord();
  const lastDiscarded = new Map<string, bigint>();
  const index = new Map<string, number>();
  let count = 0;
  let bad = 0;

  const copyFixed = (src: Uint8Array, p: number, s: Step): number => {
    grow(s.offset + s.size);
    page.set(src.subarray(p, p + s.size), s.offset);
    return p + s.size;
  };

  await trace.forEachEvent((e: CtfEventView) => {
    const where = o.streams.get(e.stream);
    if (!where) return;
    const src = e.bytes;
    const end = e.end;
    let p = e.start;
    page.fill(0, 0, Math.min(page.length, 256));
    for (const s of commonSteps) p = copyFixed(src, p, s);
    const id = typeField.size === 2 ? view.getUint16(typeField.offset, le) : view.getUint8(typeField.offset);
    const plan = planOf(id);
    if (!plan) {
      bad++;
      return;
    }
    grow(plan.fixedEnd + 64);
    page.fill(0, commonEnd, plan.fixedEnd);
    let dyn = plan.fixedEnd;
    for (const s of plan.steps) {
      if (s.op === Op.Fixed) {
        p = copyFixed(src, p, s);
        continue;
      }
      let len: number;
      let from: number;
      if (s.op === Op.String) {
        let z = p;
        while (z < end && src[z] !== 0) z++;
        from = p;
        len = Math.min(end, z + 1) - p; // the NUL is part of the string's extent
        p = z + 1;
      } else {
        const n = new DataView(src.buffer, src.byteOffset + p, 4).getUint32(0, le);
        from = p + 4;
        len = n * s.elem;
        p = from + len;
      }
      const f = s.field;
      if (f.flags & FieldFlag.Dynamic) {
        grow(dyn + len + 8);
        page.set(src.subarray(from, from + len), dyn);
        const off = f.flags & FieldFlag.Relative ? dyn - (f.offset + f.size) : dyn;
        view.setUint32(f.offset, ((len & 0xffff) << 16) | (off & 0xffff), le);
        dyn += len;
      } else {
        // a trailing `char buf[]`: the data is at the field's offset
        grow(f.offset + len + 8);
        page.set(src.subarray(from, from + len), f.offset);
        dyn = Math.max(dyn, f.offset + len);
      }
    }
    const size = (dyn + 3) & ~3;
    grow(size);
    page.fill(0, dyn, size);
    const n = index.get(e.stream) ?? 0;
    index.set(e.stream, n + 1);
    const last = lastDiscarded.get(e.stream) ?? 0n;
    let missed = 0;
    if (e.discarded > last) {
      missed = Number(e.discarded - last);
      lastDiscarded.set(e.stream, e.discarded);
    }
    if (o.unknownLosses?.get(e.stream)?.has(n)) missed = -1;
    rec.page = page;
    rec.view = view;
    rec.offset = 0;
    rec.size = size;
    rec.cpu = where.cpu;
    rec.missedEvents = missed;
    rec.ts = BigInt(e.ts) + o.tsDelta;
    count++;
    return cb(rec, where.buffer);
  }, o.onDiagnostic);
  if (bad)
    o.onDiagnostic?.({
      level: 'warning',
      code: CtfErrorCode.BadInput,
      message: `${bad} events whose common_type has no format in the trace.dat skeleton were left out`,
    });
  return count;
}
