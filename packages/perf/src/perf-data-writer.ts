/**
 * perf.data writer (file mode, as perf 6.1's `perf record` lays it out): the file header
 * (PERFILE2, attr size, the attrs and data sections, the feature bitmap), the id lists and
 * attrs, the data records appended as they come, then the feature index and feature payloads.
 * Bytes go to a sink (appends plus patches of earlier bytes), so the same code writes a file in
 * Node or a buffer in the browser. The layout is described in docs/formats/perf-data.md.
 */
import type { PerfEventAttr } from './attr.js';
import { Feature, RecordType } from './constants.js';

/** Where the writer puts its bytes: appended in order, with patches of earlier bytes. */
export interface PerfWriteSink {
  write(bytes: Uint8Array): void;
  patch(offset: number, bytes: Uint8Array): void;
}

/** A sink that keeps everything in memory. */
export class PerfMemorySink implements PerfWriteSink {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + bytes.length) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.length));
      this.buf = nb;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  patch(offset: number, bytes: Uint8Array): void {
    if (offset + bytes.length > this.length) throw new RangeError(`patch past end: offset=${offset}`);
    this.buf.set(bytes, offset);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** One event of the file: its attr, the kernel's ids of its fds, and its name (EVENT_DESC). */
export interface WriterEvsel {
  attr: PerfEventAttr;
  ids: readonly (number | bigint)[];
  name: string;
}

/** The feature sections to write (each optional: a missing one leaves its bit clear). */
export interface WriterFeatures {
  tracingData: Uint8Array;
  hostname: string;
  osRelease: string;
  version: string;
  arch: string;
  nrCpus: { available: number; online: number };
  cpuDesc: string;
  cpuId: string;
  /** kB */
  totalMem: bigint;
  cmdline: readonly string[];
  /** Written from the evsels (names and ids) when true. */
  eventDesc: boolean;
  sampleTime: { first: bigint; last: bigint };
  clockId: bigint;
  clockData: { clockid: number; wallClockNs: bigint; clockidNs: bigint };
  buildIds: ReadonlyArray<{ pid: number; misc: number; buildId: Uint8Array; filename: string }>;
  /** Raw payloads of other features, by feature number. */
  raw: ReadonlyMap<number, Uint8Array>;
}

/** Latin-1 bytes of a string (perf's strings are bytes; code points above 255 keep their low byte). */
export function encodeLatin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

export const PERF_ATTR_SIZE = 128;
const HEADER_SIZE = 104;
const NAME_ALIGN = 64;

/** Growable little/big-endian byte builder. */
export class Bytes {
  buf = new Uint8Array(256);
  dv = new DataView(this.buf.buffer);
  n = 0;
  constructor(readonly le = true) {}
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.n));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u16(v: number): this {
    this.room(2);
    this.dv.setUint16(this.n, v, this.le);
    this.n += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.dv.setUint32(this.n, v >>> 0, this.le);
    this.n += 4;
    return this;
  }
  i32(v: number): this {
    this.room(4);
    this.dv.setInt32(this.n, v, this.le);
    this.n += 4;
    return this;
  }
  u64(v: bigint | number): this {
    this.room(8);
    this.dv.setBigUint64(this.n, BigInt.asUintN(64, BigInt(v)), this.le);
    this.n += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  zeros(k: number): this {
    this.room(k);
    this.buf.fill(0, this.n, this.n + k);
    this.n += k;
    return this;
  }
  /** A NUL-terminated string padded with zeros to a multiple of `align`. */
  cstr(s: string, align: number): this {
    const b = encodeLatin1(s);
    const len = Math.ceil((b.length + 1) / align) * align;
    this.bytes(b);
    return this.zeros(len - b.length);
  }
  /** perf_header_string: u32 length (NUL and padding to 64 included), the bytes. */
  hstr(s: string): this {
    const b = encodeLatin1(s);
    const len = Math.ceil((b.length + 1) / NAME_ALIGN) * NAME_ALIGN;
    this.u32(len);
    return this.cstr(s, NAME_ALIGN);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** perf_event_attr in the file's layout (PERF_ATTR_SIZE_VER7 bytes). */
export function encodeFileAttr(a: PerfEventAttr, le = true): Uint8Array {
  const b = new Bytes(le);
  b.u32(a.type).u32(PERF_ATTR_SIZE).u64(a.config).u64(a.samplePeriod).u64(a.sampleType).u64(a.readFormat).u64(a.flags);
  b.u32(a.wakeupEvents).u32(a.bpType).u64(a.config1).u64(a.config2).u64(a.branchSampleType).u64(a.sampleRegsUser);
  b.u32(a.sampleStackUser).i32(a.clockid).u64(a.sampleRegsIntr).u32(a.auxWatermark).u16(a.sampleMaxStack).u16(0);
  b.u32(0).u32(0).u64(0).u64(0); // aux_sample_size, reserved_3, sig_data, config3
  return b.done().subarray(0, PERF_ATTR_SIZE);
}

/**
 * Writes one perf.data. The constructor writes the header (patched at finish), the id lists and
 * the attrs; `record()` appends data records; `finish()` writes the features and the header.
 */
export class PerfDataWriter {
  readonly le: boolean;
  readonly dataOffset: number;
  private dataSize = 0;
  private finished = false;
  /** Records written, by type. */
  readonly counts = new Map<number, number>();

  constructor(
    readonly sink: PerfWriteSink,
    readonly evsels: readonly WriterEvsel[],
    opts: { littleEndian?: boolean } = {},
  ) {
    this.le = opts.littleEndian ?? true;
    sink.write(new Uint8Array(HEADER_SIZE));
    let pos = HEADER_SIZE;
    const idOffsets: number[] = [];
    for (const e of evsels) {
      idOffsets.push(pos);
      const b = new Bytes(this.le);
      for (const id of e.ids) b.u64(id);
      sink.write(b.done());
      pos += e.ids.length * 8;
    }
    const attrsOffset = pos;
    for (let i = 0; i < evsels.length; i++) {
      const e = evsels[i]!;
      const b = new Bytes(this.le);
      b.bytes(encodeFileAttr(e.attr, this.le))
        .u64(e.ids.length ? idOffsets[i]! : 0)
        .u64(e.ids.length * 8);
      sink.write(b.done());
      pos += PERF_ATTR_SIZE + 16;
    }
    this.attrsOffset = attrsOffset;
    this.dataOffset = pos;
  }
  private readonly attrsOffset: number;

  /** Appends one record (its perf_event_header included; the size field must be right). */
  record(rec: Uint8Array): void {
    if (this.finished) throw new Error('perf.data writer: record after finish');
    this.sink.write(rec);
    this.dataSize += rec.length;
    const type = new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(0, this.le);
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
  }

  /** PERF_RECORD_FINISHED_ROUND: everything before it may be sorted and flushed by readers. */
  finishedRound(): void {
    this.record(new Bytes(this.le).u32(RecordType.FinishedRound).u16(0).u16(8).done());
  }

  get bytesWritten(): number {
    return this.dataOffset + this.dataSize;
  }

  /** Writes the feature index and payloads after the data, then the final header. */
  finish(features: Partial<WriterFeatures> = {}): void {
    if (this.finished) return;
    this.finished = true;
    const payloads = new Map<number, Uint8Array>();
    const str = (id: number, s: string | undefined): void => {
      if (s !== undefined) payloads.set(id, new Bytes(this.le).hstr(s).done());
    };
    const f = features;
    if (f.tracingData) payloads.set(Feature.TracingData, f.tracingData);
    if (f.buildIds?.length) payloads.set(Feature.BuildId, encodeBuildIds(f.buildIds, this.le));
    str(Feature.Hostname, f.hostname);
    str(Feature.OsRelease, f.osRelease);
    str(Feature.Version, f.version);
    str(Feature.Arch, f.arch);
    if (f.nrCpus) payloads.set(Feature.NrCpus, new Bytes(this.le).u32(f.nrCpus.available).u32(f.nrCpus.online).done());
    str(Feature.CpuDesc, f.cpuDesc);
    str(Feature.CpuId, f.cpuId);
    if (f.totalMem !== undefined) payloads.set(Feature.TotalMem, new Bytes(this.le).u64(f.totalMem).done());
    if (f.cmdline) {
      const b = new Bytes(this.le).u32(f.cmdline.length);
      for (const a of f.cmdline) b.hstr(a);
      payloads.set(Feature.Cmdline, b.done());
    }
    if (f.eventDesc) {
      const b = new Bytes(this.le).u32(this.evsels.length).u32(PERF_ATTR_SIZE);
      for (const e of this.evsels) {
        b.bytes(encodeFileAttr(e.attr, this.le)).u32(e.ids.length).hstr(e.name);
        for (const id of e.ids) b.u64(id);
      }
      payloads.set(Feature.EventDesc, b.done());
    }
    if (f.sampleTime) payloads.set(Feature.SampleTime, new Bytes(this.le).u64(f.sampleTime.first).u64(f.sampleTime.last).done());
    if (f.clockId !== undefined) payloads.set(Feature.ClockId, new Bytes(this.le).u64(f.clockId).done());
    if (f.clockData)
      payloads.set(
        Feature.ClockData,
        new Bytes(this.le).u32(1).u32(f.clockData.clockid).u64(f.clockData.wallClockNs).u64(f.clockData.clockidNs).done(),
      );
    for (const [id, b] of f.raw ?? []) if (!payloads.has(id)) payloads.set(id, b);
    const ids = [...payloads.keys()].filter((id) => id > 0 && id < 256).sort((a, b) => a - b);
    const tableAt = this.dataOffset + this.dataSize;
    let at = tableAt + ids.length * 16;
    const table = new Bytes(this.le);
    for (const id of ids) {
      const p = payloads.get(id)!;
      table.u64(at).u64(p.length);
      at += p.length;
    }
    this.sink.write(table.done());
    for (const id of ids) this.sink.write(payloads.get(id)!);
    // the header, now that the sizes are known
    const h = new Bytes(this.le);
    h.bytes(encodeLatin1('PERFILE2'))
      .u64(HEADER_SIZE)
      .u64(PERF_ATTR_SIZE + 16);
    h.u64(this.attrsOffset).u64(this.evsels.length * (PERF_ATTR_SIZE + 16));
    h.u64(this.dataOffset).u64(this.dataSize);
    h.u64(0).u64(0); // event_types (unused)
    const bits = new Uint8Array(32);
    for (const id of ids) bits[id >> 3]! |= 1 << (id & 7);
    h.bytes(bits);
    this.sink.patch(0, h.done());
  }
}

/** build_id_event records of the BUILD_ID feature. */
export function encodeBuildIds(
  list: ReadonlyArray<{ pid: number; misc: number; buildId: Uint8Array; filename: string }>,
  le = true,
): Uint8Array {
  const b = new Bytes(le);
  for (const e of list) {
    const name = new Bytes(le).cstr(e.filename, NAME_ALIGN).done();
    const id = new Uint8Array(24);
    id.set(e.buildId.subarray(0, 20));
    id[20] = Math.min(e.buildId.length, 20);
    b.u32(0)
      .u16(e.misc | 0x8000)
      .u16(8 + 4 + 24 + name.length)
      .i32(e.pid)
      .bytes(id)
      .bytes(name);
  }
  return b.done();
}
