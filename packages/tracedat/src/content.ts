/**
 * The content of an opened trace.dat as the writer takes it: the metadata blocks as stored
 * (header page/event, ftrace and event formats, kallsyms, printk, cmdlines), the options that
 * are not structural (copied verbatim), and each buffer's CPU data as uncompressed sub-buffers.
 * What `trace-cmd convert` and `split` copy from their input (tracecmd_copy). Needs a source
 * with `readSync` (the writer pulls CPU data synchronously).
 */
import { readFullySync } from './read-fully.js';
import { decompressorFor, type Decompressor } from './decompress.js';
import { TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId } from './options.js';
import type { TraceDat } from './trace-dat.js';
import type { TraceDatMetadata } from './writer/trace-dat-writer.js';

export interface ContentCpu {
  cpu: number;
  /** Uncompressed sub-buffers, read on demand (each chunk a multiple of the page size). */
  data: Iterable<Uint8Array>;
}

export interface ContentBuffer {
  name: string;
  clock: string;
  pageSize: number;
  cpus: ContentCpu[];
}

export interface TraceDatContent {
  meta: TraceDatMetadata;
  /** Options other than DONE, BUFFER, CPUCOUNT and the v7 section pointers, in file order. */
  options: Array<{ id: number; data: Uint8Array }>;
  buffers: ContentBuffer[];
  /** The CPU count to store (CPUCOUNT, the v6 header count, or the highest CPU id + 1). */
  cpuCount: number;
}

/** Options that the writer makes itself from the content (never copied). */
const STRUCTURAL: ReadonlySet<number> = new Set([
  OptionId.Done,
  OptionId.Buffer,
  OptionId.CpuCount,
  OptionId.Strings,
  OptionId.HeaderInfo,
  OptionId.FtraceEvents,
  OptionId.EventFormats,
  OptionId.Kallsyms,
  OptionId.Printk,
  OptionId.Cmdlines,
  OptionId.BufferText,
]);

const bad = (msg: string, offset: number): never => {
  throw new TraceDatError(TraceDatErrorCode.Truncated, msg, { offset });
};

/** A little reader over one metadata block, or over the file itself (v6). */
class Blk {
  p: number;
  constructor(
    /** Bytes at an absolute position (exactly `len` of them, or an error). */
    private get: (pos: number, len: number) => Uint8Array,
    private le: boolean,
    start = 0,
  ) {
    this.p = start;
  }
  static of(b: Uint8Array, le: boolean, at: number): Blk {
    return new Blk((pos, len) => (pos + len <= b.length ? b.subarray(pos, pos + len) : bad('Metadata block is cut short', at + pos)), le);
  }
  private dv(n: number): DataView {
    const b = this.get(this.p, n);
    this.p += n;
    return new DataView(b.buffer, b.byteOffset, n);
  }
  u32(): number {
    return this.dv(4).getUint32(0, this.le);
  }
  u64(): number {
    return Number(this.dv(8).getBigUint64(0, this.le));
  }
  bytes(n: number): Uint8Array {
    const x = this.get(this.p, n);
    this.p += n;
    return x;
  }
  cstr(): string {
    let s = '';
    for (;;) {
      const c = this.get(this.p++, 1)[0]!;
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
}

type MetaPart = 'headers' | 'ftrace' | 'events' | 'kallsyms' | 'printk' | 'cmdlines';

function parsePart(part: MetaPart, k: Blk, meta: Partial<TraceDatMetadata>): void {
  switch (part) {
    case 'headers':
      k.cstr();
      meta.headerPage = k.bytes(k.u64()).slice();
      k.cstr();
      meta.headerEvent = k.bytes(k.u64()).slice();
      break;
    case 'ftrace': {
      const n = k.u32();
      meta.ftraceFormats = [];
      for (let i = 0; i < n; i++) meta.ftraceFormats.push(k.bytes(k.u64()).slice());
      break;
    }
    case 'events': {
      const n = k.u32();
      meta.systems = [];
      for (let i = 0; i < n; i++) {
        const name = k.cstr();
        const m = k.u32();
        const formats: Uint8Array[] = [];
        for (let j = 0; j < m; j++) formats.push(k.bytes(k.u64()).slice());
        meta.systems.push({ name, formats });
      }
      break;
    }
    case 'kallsyms':
      meta.kallsyms = k.bytes(k.u32()).slice();
      break;
    case 'printk':
      meta.printk = k.bytes(k.u32()).slice();
      break;
    case 'cmdlines':
      meta.cmdlines = k.bytes(k.u64()).slice();
      break;
  }
}

const PARTS: Array<[MetaPart, number]> = [
  ['headers', OptionId.HeaderInfo],
  ['ftrace', OptionId.FtraceEvents],
  ['events', OptionId.EventFormats],
  ['kallsyms', OptionId.Kallsyms],
  ['printk', OptionId.Printk],
  ['cmdlines', OptionId.Cmdlines],
];

/** Reads what a copy of `td` needs. Latency (text) files are refused. */
export function readTraceDatContent(td: TraceDat, decompressors: Partial<Record<string, Decompressor>> = {}): TraceDatContent {
  const src = td.src;
  if (!src.readSync) throw new TraceDatError(TraceDatErrorCode.Truncated, 'Copying a trace.dat needs a synchronous source');
  if (td.isLatency) throw new TraceDatError(TraceDatErrorCode.Truncated, 'Latency (text) traces cannot be copied');
  const le = td.littleEndian;
  const dec = decompressorFor(td.compression, decompressors);
  const read = (off: number, len: number): Uint8Array => {
    const b = readFullySync(src, off, len);
    if (b.length < len) bad('File is cut short', off + b.length);
    return b;
  };
  const meta: Partial<TraceDatMetadata> = {};
  if (td.version >= 7) {
    for (const [part, id] of PARTS) {
      const s = td.sections.find((x) => x.id === id);
      if (!s) {
        bad(`No ${part} section`, 0);
        continue;
      }
      let body = read(s.offset + 16, s.size);
      if (s.flags & 1) {
        if (!dec) bad('Compressed section in an uncompressed file', s.offset);
        const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
        const zsize = v.getUint32(0, le),
          usize = v.getUint32(4, le);
        body = dec!(body.subarray(8, 8 + zsize), usize);
      }
      parsePart(part, Blk.of(body, le, s.offset + 16), meta);
    }
  } else {
    // v6: the blocks follow the file header (magic, "tracing", version string, endianness,
    // long size, page size) in a fixed order
    const k = new Blk(read, le, 10);
    k.cstr();
    k.p += 1 + 1 + 4;
    for (const [part] of PARTS) parsePart(part, k, meta);
  }
  return finish(td, meta, dec, read);
}

function finish(
  td: TraceDat,
  meta: Partial<TraceDatMetadata>,
  dec: Decompressor | undefined,
  read: (off: number, len: number) => Uint8Array,
): TraceDatContent {
  const options = td.options.filter((o) => !STRUCTURAL.has(o.id)).map((o) => ({ id: o.id, data: o.data }));
  let maxCpu = -1;
  const buffers: ContentBuffer[] = td.buffers.map((b) => ({
    name: b.name,
    clock: b.clock,
    pageSize: b.pageSize,
    cpus: b.cpus
      .filter((c) => c.size > 0)
      .map((c) => {
        maxCpu = Math.max(maxCpu, c.cpu);
        return {
          cpu: c.cpu,
          data: b.compressed ? compressedPages(c.offset, td.littleEndian, dec, read) : rawPages(c.offset, c.size, read),
        };
      }),
  }));
  if (!buffers.some((b) => b.name === ''))
    buffers.unshift({ name: '', clock: buffers[0]?.clock ?? 'local', pageSize: td.pageSize, cpus: [] });
  return { meta: meta as TraceDatMetadata, options, buffers, cpuCount: Math.max(td.cpuCount, maxCpu + 1, 1) };
}

function rawPages(offset: number, size: number, read: (off: number, len: number) => Uint8Array): Iterable<Uint8Array> {
  return {
    *[Symbol.iterator]() {
      const step = 1 << 20;
      for (let o = 0; o < size; o += step) yield read(offset + o, Math.min(step, size - o));
    },
  };
}

function compressedPages(
  offset: number,
  le: boolean,
  dec: Decompressor | undefined,
  read: (off: number, len: number) => Uint8Array,
): Iterable<Uint8Array> {
  return {
    *[Symbol.iterator]() {
      if (!dec) bad('Compressed CPU data without a decompressor', offset);
      const h = read(offset, 4);
      const count = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, le);
      let at = offset + 4;
      for (let i = 0; i < count; i++) {
        const ch = read(at, 8);
        const v = new DataView(ch.buffer, ch.byteOffset, 8);
        const zsize = v.getUint32(0, le),
          usize = v.getUint32(4, le);
        yield dec!(read(at + 8, zsize), usize);
        at += 8 + zsize;
      }
    },
  };
}
