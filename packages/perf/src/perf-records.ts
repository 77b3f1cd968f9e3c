/**
 * Encoders of the records perf record synthesizes (COMM, MMAP, MMAP2, FORK/EXIT, SAMPLE) and of
 * the TRACING_DATA blob (trace-event-info's layout, version 0.6). Synthesized records carry a
 * zeroed sample_id trailer of the file's id_hdr_size, as perf's do.
 */
import type { PerfEventAttr } from './attr.js';
import { RecordType, SampleType, Misc } from './constants.js';
import { Bytes, encodeLatin1 } from './perf-data-writer.js';

/** Finishes a record: writes the size into the header and appends `idHdrSize` zero bytes. */
function finishRecord(b: Bytes, idHdrSize: number): Uint8Array {
  b.zeros(idHdrSize);
  const out = b.done();
  new DataView(out.buffer).setUint16(6, out.length, b.le);
  return out;
}

export function encodeComm(
  pid: number,
  tid: number,
  comm: string,
  opts: { exec?: boolean; idHdrSize?: number; le?: boolean } = {},
): Uint8Array {
  const b = new Bytes(opts.le ?? true);
  b.u32(RecordType.Comm)
    .u16(opts.exec ? Misc.CommExec : 0)
    .u16(0);
  b.u32(pid).u32(tid).cstr(comm.slice(0, 15), 8);
  return finishRecord(b, opts.idHdrSize ?? 0);
}

/** PERF_RECORD_MMAP (perf synthesizes the kernel's map this way). */
export function encodeMmap(
  m: { pid: number; tid: number; start: bigint; len: bigint; pgoff: bigint; filename: string; misc: number },
  opts: { idHdrSize?: number; le?: boolean } = {},
): Uint8Array {
  const b = new Bytes(opts.le ?? true);
  b.u32(RecordType.Mmap).u16(m.misc).u16(0);
  b.u32(m.pid).u32(m.tid).u64(m.start).u64(m.len).u64(m.pgoff).cstr(m.filename, 8);
  return finishRecord(b, opts.idHdrSize ?? 0);
}

export interface Mmap2Fields {
  pid: number;
  tid: number;
  start: bigint;
  len: bigint;
  pgoff: bigint;
  maj: number;
  min: number;
  ino: bigint;
  inoGeneration: bigint;
  prot: number;
  flags: number;
  filename: string;
  misc: number;
}

export function encodeMmap2(m: Mmap2Fields, opts: { idHdrSize?: number; le?: boolean } = {}): Uint8Array {
  const b = new Bytes(opts.le ?? true);
  b.u32(RecordType.Mmap2).u16(m.misc).u16(0);
  b.u32(m.pid).u32(m.tid).u64(m.start).u64(m.len).u64(m.pgoff);
  b.u32(m.maj).u32(m.min).u64(m.ino).u64(m.inoGeneration).u32(m.prot).u32(m.flags).cstr(m.filename, 8);
  return finishRecord(b, opts.idHdrSize ?? 0);
}

/** PERF_RECORD_FORK or PERF_RECORD_EXIT. */
export function encodeTask(
  type: typeof RecordType.Fork | typeof RecordType.Exit,
  t: { pid: number; ppid: number; tid: number; ptid: number; time: bigint },
  opts: { idHdrSize?: number; le?: boolean } = {},
): Uint8Array {
  const b = new Bytes(opts.le ?? true);
  b.u32(type).u16(0).u16(0).u32(t.pid).u32(t.ppid).u32(t.tid).u32(t.ptid).u64(t.time);
  return finishRecord(b, opts.idHdrSize ?? 0);
}

/** The fields of a SAMPLE to encode (those of attr.sample_type are written, in the kernel's order). */
export interface SampleFields {
  id: bigint;
  ip: bigint;
  pid: number;
  tid: number;
  time: bigint;
  cpu: number;
  period: bigint;
  callchain: readonly bigint[];
  raw: Uint8Array;
  misc: number;
}

/** A SAMPLE record for `attr` (IDENTIFIER, IP, TID, TIME, ID, CPU, PERIOD, CALLCHAIN, RAW). */
export function encodeSample(attr: PerfEventAttr, s: Partial<SampleFields>, le = true): Uint8Array {
  const t = attr.sampleType;
  const b = new Bytes(le);
  b.u32(RecordType.Sample)
    .u16(s.misc ?? Misc.User)
    .u16(0);
  if (t & SampleType.Identifier) b.u64(s.id ?? 0n);
  if (t & SampleType.Ip) b.u64(s.ip ?? 0n);
  if (t & SampleType.Tid) b.u32(s.pid ?? 0).u32(s.tid ?? 0);
  if (t & SampleType.Time) b.u64(s.time ?? 0n);
  if (t & SampleType.Id) b.u64(s.id ?? 0n);
  if (t & SampleType.Cpu) b.u32(s.cpu ?? 0).u32(0);
  if (t & SampleType.Period) b.u64(s.period ?? 1n);
  if (t & SampleType.Callchain) {
    const cc = s.callchain ?? [];
    b.u64(cc.length);
    for (const x of cc) b.u64(x);
  }
  if (t & SampleType.Raw) {
    const raw = s.raw ?? new Uint8Array(4);
    // u32 size + payload, padded so the record stays u64-aligned (as the kernel pads it)
    const total = Math.ceil((4 + raw.length) / 8) * 8;
    b.u32(total - 4)
      .bytes(raw)
      .zeros(total - 4 - raw.length);
  }
  return finishRecord(b, 0);
}

/** What TRACING_DATA holds (the tracefs files perf's trace-event-info.c copies). */
export interface TracingDataInput {
  littleEndian: boolean;
  longSize: number;
  pageSize: number;
  headerPage: Uint8Array;
  headerEvent: Uint8Array;
  /** ftrace's own formats (perf copies none unless an event of that name was asked for). */
  ftrace: readonly Uint8Array[];
  /** Event formats by system, in the order to write. */
  systems: ReadonlyArray<{ system: string; formats: readonly Uint8Array[] }>;
  /** perf 6.1 writes an empty kallsyms (size 0). */
  kallsyms: Uint8Array;
  printk: Uint8Array;
  savedCmdlines: Uint8Array;
}

/** The TRACING_DATA blob, version 0.6 (perf record's layout). */
export function encodeTracingData(t: TracingDataInput): Uint8Array {
  const le = t.littleEndian;
  const b = new Bytes(le);
  b.bytes(new Uint8Array([0x17, 0x08, 0x44]))
    .bytes(encodeLatin1('tracing0.6'))
    .zeros(1);
  b.bytes(new Uint8Array([le ? 0 : 1, t.longSize])).u32(t.pageSize);
  b.bytes(encodeLatin1('header_page')).zeros(1).u64(t.headerPage.length).bytes(t.headerPage);
  b.bytes(encodeLatin1('header_event')).zeros(1).u64(t.headerEvent.length).bytes(t.headerEvent);
  b.u32(t.ftrace.length);
  for (const f of t.ftrace) b.u64(f.length).bytes(f);
  b.u32(t.systems.length);
  for (const s of t.systems) {
    b.bytes(encodeLatin1(s.system)).zeros(1).u32(s.formats.length);
    for (const f of s.formats) b.u64(f.length).bytes(f);
  }
  b.u32(t.kallsyms.length).bytes(t.kallsyms);
  b.u32(t.printk.length).bytes(t.printk);
  b.u64(t.savedCmdlines.length).bytes(t.savedCmdlines);
  return b.done();
}
