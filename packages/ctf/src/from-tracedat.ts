/**
 * trace.dat → CTF: maps every event format of a TraceDat (its Tep) to a CTF event class
 * and copies each record's field bytes into the writer's packed layout. One compiled
 * copier per event format; no object per event.
 *
 * Mapping of tracefs field types:
 * - integers of 1/2/4/8 bytes keep width and signedness; pointers are shown in hex;
 * - fixed `char[N]` (and u8/s8 arrays) → a `text` of N bytes;
 * - other fixed arrays → an array of integers of the element size;
 * - `__data_loc char[]`/`__rel_loc char[]`, and `char x[]` running to the record end → string;
 * - other `__data_loc` arrays → a sequence preceded by a u32 `__NAME_length` field;
 * - any other size → an array of bytes.
 * The common fields (`common_type`, …) form the stream event context.
 */
import { FieldFlag } from '@utp/traceevent';
import type { EventFormat, Field, KRecord, Tep } from '@utp/traceevent';
import type { TraceDat, TraceDatBuffer } from '@utp/tracedat';
import type { CtfField, CtfFieldType, CtfIntType } from './event-class.js';
import { CtfWriter, tsdlIdent } from './writer.js';
import type { CtfStream, CtfWriterOptions } from './writer.js';

export const enum Op {
  Fixed,
  String,
  Seq,
}
/** One copy step between a tracefs record and the packed CTF layout (to-tracedat.ts runs them backwards). */
export interface Step {
  op: Op;
  field: Field;
  offset: number;
  size: number;
  elem: number;
  /** A fixed array that runs on to the end of the record (ftrace's kernel_stack/user_stack `caller`). */
  tail?: boolean;
}
interface Plan {
  id: number;
  steps: Step[];
}

function intType(size: number, signed: boolean, hex: boolean): CtfIntType | undefined {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  return { kind: 'int', size: (size * 8) as 8 | 16 | 32 | 64, signed, ...(hex ? { base: 16 as const } : {}) };
}

/** The CTF fields (and copy steps) for tracefs fields. */
export function mapFields(fields: readonly Field[], tailArray = false): { ctf: CtfField[]; steps: Step[] } {
  const ctf: CtfField[] = [];
  const steps: Step[] = [];
  for (const f of fields) {
    // ftrace's bprint ends in `u32 buf[]` (size 0): trace_printk's binary arguments, to the end of the record
    const binaryTail = f.size === 0 && !(f.flags & FieldFlag.Dynamic) && !/\bchar\b/.test(f.type);
    if (binaryTail || (tailArray && f === fields[fields.length - 1] && f.flags & FieldFlag.Array && f.elementsize > 0)) {
      // the format says `caller[8]`, the record holds as many entries as the stack had
      // (as bytes, as trace-cmd report -R shows them: the record's length need not be a multiple of the entry size)
      const el: CtfIntType = { kind: 'int', size: 8, signed: false, base: 16 };
      const lenName = `__${f.name}_length`;
      ctf.push({ name: lenName, type: { kind: 'int', size: 32, signed: false } });
      ctf.push({ name: f.name, type: { kind: 'sequence', element: el, lengthField: lenName } });
      steps.push({ op: Op.Seq, field: f, offset: f.offset, size: f.size, elem: 1, tail: true });
      continue;
    }
    const signed = (f.flags & FieldFlag.Signed) !== 0;
    const isChar = /\bchar\b/.test(f.type);
    if (f.flags & FieldFlag.Dynamic) {
      if (isChar) {
        ctf.push({ name: f.name, type: { kind: 'string' } });
        steps.push({ op: Op.String, field: f, offset: f.offset, size: f.size, elem: 1 });
      } else {
        const elem = f.elementsize > 0 ? f.elementsize : 1;
        const el = intType(elem, signed, false) ?? { kind: 'int', size: 8, signed: false, base: 16 };
        const lenName = `__${f.name}_length`;
        ctf.push({ name: lenName, type: { kind: 'int', size: 32, signed: false } });
        ctf.push({ name: f.name, type: { kind: 'sequence', element: el, lengthField: lenName } });
        steps.push({ op: Op.Seq, field: f, offset: f.offset, size: f.size, elem: el.size >> 3 });
      }
      continue;
    }
    if (f.size === 0) {
      // `char buf[]` at the end of the record (ftrace's print)
      ctf.push({ name: f.name, type: { kind: 'string' } });
      steps.push({ op: Op.String, field: f, offset: f.offset, size: 0, elem: 1 });
      continue;
    }
    let t: CtfFieldType | undefined;
    if (f.flags & FieldFlag.Array) {
      if (isChar && f.elementsize <= 1) t = { kind: 'text', length: f.size };
      else {
        const el = intType(f.elementsize, signed, (f.flags & FieldFlag.Pointer) !== 0 || f.elementsize === 1);
        if (el && f.size % f.elementsize === 0) t = { kind: 'array', element: el, length: f.size / f.elementsize };
      }
    } else {
      t = intType(f.size, signed, (f.flags & FieldFlag.Pointer) !== 0);
    }
    t ??= { kind: 'array', element: { kind: 'int', size: 8, signed: false, base: 16 }, length: f.size };
    ctf.push({ name: f.name, type: t });
    steps.push({ op: Op.Fixed, field: f, offset: f.offset, size: f.size, elem: 1 });
  }
  // adjacent fixed fields are one copy
  const merged: Step[] = [];
  for (const st of steps) {
    const last = merged[merged.length - 1];
    if (last && last.op === Op.Fixed && st.op === Op.Fixed && last.offset + last.size === st.offset)
      merged[merged.length - 1] = { ...last, size: last.size + st.size };
    else merged.push(st);
  }
  return { ctf, steps: merged };
}

/** ftrace's stack events: their last array runs to the end of the record, past its declared size. */
export function hasTailArray(ev: EventFormat): boolean {
  return ev.system === 'ftrace' && (ev.name === 'kernel_stack' || ev.name === 'user_stack');
}

export interface TraceDatToCtfOptions {
  /** Receives the stream packets (see CtfWriterOptions.sink). */
  sink: CtfWriterOptions['sink'];
  packetSize?: number;
  uuid?: Uint8Array;
  /** Called every ~64k events with the count so far (progress). */
  onProgress?: (events: number) => void;
  /** Declare a class for every event format of the file, not only those with records (default false). */
  allFormats?: boolean;
  /** Checked between batches. */
  signal?: AbortSignal;
}

export interface TraceDatToCtfResult {
  metadata: string;
  events: number;
  streams: string[];
  /** Losses of unknown size (trace-cmd's "[LOST EVENTS]"), which CTF 1.8 cannot count. */
  unknownLosses: number;
  /** Each stream's buffer (index in td.buffers order of first use: see `buffers`) and CPU. */
  streamInfo: Array<{ name: string; buffer: string; cpu: number; events: number }>;
  /** Where each loss of unknown size was: before the stream's event number `index` (0-based). */
  unknownLossAt: Array<{ stream: string; index: number }>;
}

/** Writes every record of `td` (all buffers, merged by time) as CTF. */
export async function traceDatToCtf(td: TraceDat, options: TraceDatToCtfOptions): Promise<TraceDatToCtfResult> {
  const tep: Tep = td.tep;
  const off = td.tsOffset > 0n ? td.tsOffset : 0n;
  const offNum = Number(off);
  const clockName = td.traceClock ?? td.topBuffer?.clock ?? 'local';
  const env: Record<string, string | number> = {};
  const un = (td.uname ?? '').split(' ');
  if (un[1]) env['hostname'] = un[1];
  env['domain'] = 'kernel';
  if (un[0]) env['sysname'] = un[0];
  if (un[2]) env['kernel_release'] = un[2];
  if (un.length > 3) env['machine'] = un.slice(3).join(' ');
  env['tracer_name'] = 'utp';
  env['tracer_major'] = 0;
  env['tracer_minor'] = 1;
  env['trace_clock'] = clockName;
  env['source_format'] = `trace.dat v${td.version}`;
  const common = tep.events.find((e) => e.commonFields.length)?.commonFields ?? [];
  const commonMap = mapFields(common);
  const w = new CtfWriter({
    littleEndian: td.littleEndian,
    clock: {
      name: tsdlIdent(clockName),
      freq: 1e9,
      offsetS: off / 1000000000n,
      offset: off % 1000000000n,
      description: `trace-cmd trace clock "${clockName}"`,
    },
    env,
    streamContext: commonMap.ctf,
    sink: options.sink,
    ...(options.packetSize ? { packetSize: options.packetSize } : {}),
    ...(options.uuid ? { uuid: options.uuid } : {}),
  });

  const plans = new Map<number, Plan>();
  const planFor = (ev: EventFormat): Plan => {
    let p = plans.get(ev.id);
    if (!p) {
      const m = mapFields(ev.fields, hasTailArray(ev));
      p = { id: w.addEventClass({ name: ev.name, fields: m.ctf }), steps: m.steps };
      plans.set(ev.id, p);
    }
    return p;
  };
  if (options.allFormats) for (const ev of tep.events) if (!ev.failed) planFor(ev);
  const streams = new Map<TraceDatBuffer, Array<CtfStream | undefined>>();
  const names: string[] = [];
  const info: TraceDatToCtfResult['streamInfo'] = [];
  const infoOf = new Map<CtfStream, TraceDatToCtfResult['streamInfo'][number]>();
  const unknownLossAt: TraceDatToCtfResult['unknownLossAt'] = [];
  let scratch = new Uint8Array(4096);
  let sv = new DataView(scratch.buffer);
  const le = td.littleEndian;
  let events = 0;
  let unknownLosses = 0;
  let nextProgress = 65536;

  const run = (rec: KRecord, steps: Step[], start: number): number => {
    let p = start;
    const page = rec.page,
      base = rec.offset,
      end = rec.offset + rec.size;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (s.op === Op.Fixed) {
        if (p + s.size > scratch.length) grow(p + s.size);
        const a = base + s.offset,
          n = s.size;
        if (a + n <= end) {
          if (n <= 32) for (let k = 0; k < n; k++) scratch[p + k] = page[a + k]!;
          else scratch.set(page.subarray(a, a + n), p);
        } else {
          scratch.fill(0, p, p + n);
          if (a < end) scratch.set(page.subarray(a, end), p);
        }
        p += n;
      } else {
        const [o, len] = s.tail ? [s.offset, rec.size - s.offset] : tep.fieldExtent(rec, s.field);
        const a = Math.min(end, base + o),
          b = Math.min(end, a + Math.max(0, len));
        if (s.op === Op.String) {
          let z = a;
          while (z < b && page[z] !== 0) z++;
          if (p + (z - a) + 1 > scratch.length) grow(p + (z - a) + 1);
          for (let k = a; k < z; k++) scratch[p++] = page[k]!;
          scratch[p++] = 0;
        } else {
          const n = Math.floor((b - a) / s.elem);
          if (p + 4 + n * s.elem > scratch.length) grow(p + 4 + n * s.elem);
          sv.setUint32(p, n, le);
          scratch.set(page.subarray(a, a + n * s.elem), p + 4);
          p += 4 + n * s.elem;
        }
      }
    }
    return p;
  };
  function grow(n: number): void {
    const b = new Uint8Array(Math.max(n, scratch.length * 2));
    b.set(scratch);
    scratch = b;
    sv = new DataView(b.buffer);
  }

  await td.forEachRecord((rec, buffer) => {
    let list = streams.get(buffer);
    if (!list) {
      list = [];
      streams.set(buffer, list);
    }
    let st = list[rec.cpu];
    if (!st) {
      const name = (buffer.name ? tsdlIdent(buffer.name) + '_' : 'stream_') + rec.cpu;
      st = w.openStream(name, rec.cpu);
      list[rec.cpu] = st;
      names.push(name);
      const si = { name, buffer: buffer.name, cpu: rec.cpu, events: 0 };
      info.push(si);
      infoOf.set(st, si);
    }
    const si = infoOf.get(st)!;
    if (rec.missedEvents > 0) st.discard(rec.missedEvents);
    else if (rec.missedEvents < 0) {
      unknownLosses++;
      unknownLossAt.push({ stream: si.name, index: si.events });
    }
    const ev: EventFormat | undefined = tep.eventOf(rec);
    if (!ev || ev.failed) return;
    si.events++;
    const plan = planFor(ev);
    let len = run(rec, commonMap.steps, 0);
    len = run(rec, plan.steps, len);
    let ts: number | bigint;
    if (rec.tsBig === undefined && rec.tsNum >= offNum) ts = rec.tsNum - offNum;
    else ts = BigInt.asUintN(64, rec.ts - off);
    st.event(plan.id, ts, scratch, 0, len);
    if (++events >= nextProgress) {
      nextProgress += 65536;
      options.onProgress?.(events);
      if (options.signal?.aborted) return false;
    }
    return true;
  });
  options.signal?.throwIfAborted();
  const metadata = w.finish();
  return { metadata, events, streams: names, unknownLosses, streamInfo: info, unknownLossAt };
}
