/**
 * TraceDat: reads a trace-cmd `trace.dat` file (v6 and v7) over a ByteSource
 * (libtracecmd's tracecmd_input). Metadata is parsed at open; the per-CPU ring
 * buffer data is streamed page by page (or chunk by chunk) while iterating, so
 * memory stays bounded whatever the file size.
 */
import type { ByteSource } from '@utp/bytes';
import { MemorySource, decodeLatin1 as latin1 } from '@utp/bytes';
import { Tep, parseHeaderPage } from '@utp/traceevent';
import type { DiagnosticHandler, HeaderPage, KRecord } from '@utp/traceevent';
import { Cursor } from './cursor.js';
import { decompressorFor } from './decompress.js';
import type { Decompressor } from './decompress.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId, optionString, strtoll } from './options.js';
import type { RawOption } from './options.js';
import { CpuStream } from './cpu-stream.js';
import type { TsAdjust } from './cpu-stream.js';
import { readMetadataSection } from './metadata.js';
import { readFully } from './read-fully.js';
import { mergeRecords } from './merge.js';
import { recoverCompressedCpus } from './recover-buffers.js';
import { BufferPlaces } from './page-layout.js';
import { deferKallsymsSection, lazyKallsymsOf } from './lazy-kallsyms.js';

export interface TraceDatCpu {
  cpu: number;
  /** File offset of the CPU's data (0 when the CPU has none). */
  offset: number;
  /** Size as stored in the file (raw bytes, or compressed size for compressed data). */
  size: number;
}

export interface TraceDatBuffer {
  /** '' for the top (main) buffer, else the instance name. */
  name: string;
  /** v7: the clock from the BUFFER option; v6: the file's clock. */
  clock: string;
  pageSize: number;
  /** Per CPU id (index = cpu id; CPUs without data have size 0). */
  cpus: TraceDatCpu[];
  compressed: boolean;
  /** A latency (text) buffer. */
  latency: boolean;
  /** v7: offset of the BUFFER section; v6: offset of the "flyrecord" tag. */
  sectionOffset: number;
  /** The handle's CPU slot count used by trace-cmd to number CPUs across buffers (max_cpu). */
  maxCpu: number;
}

export interface TraceDatSection { offset: number; id: number; flags: number; size: number; description: string | undefined }

export interface TraceDatOptions {
  onDiagnostic: DiagnosticHandler | undefined;
  /** The Tep to fill (a new one by default). */
  tep: Tep | undefined;
  /** Ignore the DATE option (--nodate). */
  ignoreDate: boolean;
  /** Raw timestamps: no DATE/OFFSET/TSC2NSEC (--raw-ts). */
  rawTs: boolean;
  /** Extra nanoseconds added to every timestamp (--ts-offset). */
  tsOffset: bigint;
  /** Replacement decompressors by algorithm name. */
  decompressors: Partial<Record<string, Decompressor>>;
  /** Pages per read for uncompressed CPU data. */
  windowPages: number;
  /** Skip reading event formats, kallsyms, printk and cmdlines (header-only uses). */
  skipMetadata: boolean;
  /** --ts2secs HZ: multiply raw timestamps by 1e9/HZ (a double, as trace-cmd); 0 = off. */
  ts2secsHz: bigint;
  /** Keep the raw text of every event format in `formatTexts` (for `report --events`). */
  keepFormatTexts: boolean;
  /**
   * Read the CPU pages as trace-cmd 3.1.6 does (default): each handle steps by its own
   * page size (the file header's for the top buffer and v6, the BUFFER option's for v7
   * instances) over trace-cmd's (virtual) offsets, and a page offset that is not a
   * multiple of it ends that CPU ("bad page offset", a TRACEDAT_PAGES_SKIPPED diagnostic).
   * false: decode every page of every buffer with its real sub-buffer size.
   */
  exactPages: boolean;
}

const DEFAULTS: Readonly<TraceDatOptions> = Object.freeze({
  onDiagnostic: undefined, tep: undefined, ignoreDate: false, rawTs: false, tsOffset: 0n,
  decompressors: {}, windowPages: 64, skipMetadata: false, keepFormatTexts: false, ts2secsHz: 0n, exactPages: true,
});

const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67];
const USEC_CLOCKS = ['local', 'global', 'uptime', 'perf', 'tai', 'x86-tsc-nsec'];

/** Called for each record in merged order. `handleCpu` is trace-cmd's CPU slot across buffers. Return false to stop. */
export type RecordCallback = (rec: KRecord, buffer: TraceDatBuffer, handleCpu: number) => boolean | void;

export class TraceDat {
  readonly src: ByteSource;
  readonly opts: TraceDatOptions;
  readonly tep: Tep;
  version = 0;
  littleEndian = true;
  /** User-space long size from the file header. */
  userLongSize = 8;
  /** Page (sub-buffer) size from the file header. */
  pageSize = 4096;
  compression = 'none';
  compressionVersion = '';
  headerPage: HeaderPage | undefined;
  headerPageText = '';
  headerEventText = '';
  /** trace-cmd's max_cpu of the top handle (what `cpus=N` shows): v6 header / CPUCOUNT, or max(CPUCOUNT, top BUFFER CPUs) in v7. */
  cpuCount = 0;
  options: RawOption[] = [];
  sections: TraceDatSection[] = [];
  /** The bracketed clock name from TRACECLOCK (or the top BUFFER option in v7). */
  traceClock: string | undefined;
  /** TRACECLOCK option seen (trace-cmd's use_trace_clock). */
  useTraceClock = false;
  /** Timestamps are in nanoseconds and shown as seconds.microseconds (TRACECMD_FL_IN_USECS). */
  inUsecs = true;
  private usecs = true;
  uname: string | undefined;
  versionString: string | undefined;
  /** Concatenated CPUSTAT options, each NUL replaced by '\n' (as trace-cmd --stat shows them). */
  cpustats: string | undefined;
  traceId: bigint | undefined;
  tsc2nsec: { mult: number; shift: number; offset: bigint } | undefined;
  /** DATE + OFFSET (+ tsOffset option) in ns, applied to every timestamp. */
  tsOffset = 0n;
  /** Buffers in trace-cmd's handle order: the top buffer first, then instances in option order. */
  buffers: TraceDatBuffer[] = [];
  /** Raw format texts in file order (only with the keepFormatTexts option). */
  formatTexts: Array<{ system: string; text: string }> = [];
  /** For latency files: offset of the text. */
  latencyOffset: number | undefined;
  latencyEnd = 0;
  private decompressor: Decompressor | undefined;
  private strings = new Uint8Array(0);
  private v7Top: TraceDatBuffer | undefined;
  private v7Instances: TraceDatBuffer[] = [];
  private pendingSections: Array<{ id: number; offset: number }> = [];
  private v6InstanceOffsets: Array<{ name: string; offset: number }> = [];
  /** trace-cmd's placement of each buffer's CPUs (made on first use). */
  private placer: BufferPlaces<TraceDatBuffer> | undefined;

  private constructor(src: ByteSource, opts: TraceDatOptions) {
    this.src = src;
    this.opts = opts;
    this.tep = opts.tep ?? new Tep();
  }

  /** Opens and parses the metadata of a trace.dat. Throws TraceDatError on garbage. */
  static async open(src: ByteSource, options: Partial<TraceDatOptions> = {}): Promise<TraceDat> {
    const opts = { ...DEFAULTS, ...options };
    const td = new TraceDat(src, opts);
    await td.parse();
    return td;
  }

  diag(level: 'error' | 'warning' | 'info', code: string, message: string, offset?: number): void {
    this.opts.onDiagnostic?.({ level, code, message, ...(offset !== undefined ? { offset } : {}) });
  }

  get topBuffer(): TraceDatBuffer | undefined { return this.buffers.find((b) => b.name === ''); }
  get instances(): TraceDatBuffer[] { return this.buffers.filter((b) => b.name !== ''); }
  /** True when the file holds a latency-tracer text dump instead of ring-buffer data. */
  get isLatency(): boolean { return this.latencyOffset !== undefined; }

  private async parse(): Promise<void> {
    const src = this.src;
    if (src.size < 12) {
      throw new TraceDatError(TraceDatErrorCode.BadMagic, src.size === 0 ? 'Empty file, not a trace.dat' : 'File too small for a trace.dat header', { offset: 0, context: { size: src.size } });
    }
    const c = new Cursor(src, 0, true);
    const magic = await c.bytes(10, 'magic');
    for (let i = 0; i < 10; i++) {
      if (magic[i] !== MAGIC[i]) throw new TraceDatError(TraceDatErrorCode.BadMagic, 'Not a trace.dat file (bad magic)', { offset: i });
    }
    const vstr = await c.cstring('version', 16);
    const version = Number(vstr);
    if (!/^\d+$/.test(vstr) || (version !== 6 && version !== 7)) {
      throw new TraceDatError(TraceDatErrorCode.BadVersion, 'Unsupported trace.dat version', { offset: 10, context: { version: vstr } });
    }
    this.version = version;
    const endian = await c.u8('endian');
    if (endian > 1) throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Bad endian byte', { offset: c.pos - 1, context: { value: endian } });
    this.littleEndian = endian === 0;
    c.littleEndian = this.littleEndian;
    this.tep.littleEndian = this.littleEndian;
    this.userLongSize = await c.u8('long size');
    // tep_set_long_size(handle->long_size): %s of pointer fields, long arrays and bprint use it
    this.tep.longSize = this.userLongSize;
    this.pageSize = await c.u32('page size');
    if (this.pageSize < 64 || this.pageSize > (1 << 28)) {
      throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Bad page size', { offset: c.pos - 4, context: { pageSize: this.pageSize } });
    }
    if (version === 6) await this.parseV6(c);
    else await this.parseV7(c);
  }

  // ------------------------------------------------------------------ v6

  private async parseV6(c: Cursor): Promise<void> {
    await readMetadataSection(this, c, OptionId.HeaderInfo);
    await readMetadataSection(this, c, OptionId.FtraceEvents);
    await readMetadataSection(this, c, OptionId.EventFormats);
    await readMetadataSection(this, c, OptionId.Kallsyms);
    await readMetadataSection(this, c, OptionId.Printk);
    await readMetadataSection(this, c, OptionId.Cmdlines);
    this.cpuCount = await c.u32('cpu count');
    if (this.cpuCount > 65536) throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Implausible CPU count', { offset: c.pos - 4, context: { cpus: this.cpuCount } });
    let tag = await c.text(10, 'options tag');
    if (tag.startsWith('options')) {
      await this.readOptionsV6(c);
      tag = await c.text(10, 'data tag');
    }
    const top = await this.readV6DataBlock(c, tag, '', true);
    if (top) this.buffers.push(top);
    for (const inst of this.v6InstanceOffsets) {
      try {
        const ic = new Cursor(this.src, inst.offset, this.littleEndian);
        let t = await ic.text(10, 'buffer tag');
        if (t.startsWith('options')) { await this.readOptionsV6(ic); t = await ic.text(10, 'buffer tag'); }
        const b = await this.readV6DataBlock(ic, t, inst.name, false);
        if (b) this.buffers.push(b);
      } catch (e) {
        this.diag('warning', TraceDatDiagnostic.Truncated, `failed to read sub buffer ${inst.name}: ${(e as Error).message}`, inst.offset);
      }
    }
    this.finishClock();
  }

  private async readOptionsV6(c: Cursor): Promise<void> {
    for (;;) {
      const at = c.pos;
      const id = await c.u16('option id');
      if (id === OptionId.Done) return;
      const size = await c.u32('option size');
      const data = (await c.bytes(size, 'option data')).slice();
      this.handleOption({ id, data, offset: at });
    }
  }

  private async readV6DataBlock(c: Cursor, tag: string, name: string, top: boolean): Promise<TraceDatBuffer | undefined> {
    if (tag.startsWith('latency')) {
      if (top) {
        // init_data_v6 still reads "u64 size + [clock]" when there is a TRACECLOCK option,
        // eating the start of the latency text (trace-cmd 3.1.6 does exactly this)
        let pos = c.pos;
        if (this.useTraceClock && pos + 8 <= this.src.size) {
          const len = await c.u64('latency clock size');
          pos += 8;
          const left = this.src.size - pos;
          if (len <= BigInt(left)) pos += Number(len);
          else if (len < 1n << 40n) pos = this.src.size;
        }
        this.latencyOffset = pos;
        this.latencyEnd = this.src.size;
      }
      return undefined;
    }
    if (!tag.startsWith('flyrecord')) {
      throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Expected "flyrecord" or "latency" tag', { offset: c.pos - 10, context: { tag: JSON.stringify(tag.replace(/\0.*$/, '')) } });
    }
    const sectionOffset = c.pos - 10;
    const cpus: TraceDatCpu[] = [];
    for (let i = 0; i < this.cpuCount; i++) {
      const offset = await c.u64n('cpu data offset');
      const size = await c.u64n('cpu data size');
      cpus.push({ cpu: i, offset, size });
    }
    let clock = this.traceClock ?? '';
    if (top && this.useTraceClock) {
      try {
        const len = await c.u64n('trace clock size');
        const text = await c.text(len, 'trace clock');
        this.parseTraceClock(text);
        clock = this.traceClock ?? clock;
      } catch {
        this.parseTraceClock('[local]');
        this.diag('warning', TraceDatDiagnostic.BadEventFormat, 'File has trace_clock bug, using local clock');
      }
    }
    return { name, clock, pageSize: this.pageSize, cpus, compressed: false, latency: false, sectionOffset, maxCpu: this.cpuCount };
  }

  // ------------------------------------------------------------------ v7

  private async parseV7(c: Cursor): Promise<void> {
    this.compression = await c.cstring('compression name', 64);
    this.compressionVersion = await c.cstring('compression version', 64);
    this.decompressor = decompressorFor(this.compression, this.opts.decompressors);
    const firstOptions = await c.u64n('options offset');
    await this.scanSections(c.pos);
    let next = firstOptions;
    const seen = new Set<number>();
    while (next !== 0) {
      if (seen.has(next)) throw new TraceDatError(TraceDatErrorCode.BadSection, 'Options sections form a loop', { offset: next });
      seen.add(next);
      try {
        next = await this.readOptionsV7(next);
      } catch (e) {
        // a cut file loses the options sections written after the data (with the BUFFER
        // options of instances): keep what was read, salvage those buffers below
        if (seen.size === 1 || !isCut(e, next, this.src.size)) throw e;
        this.diag('warning', TraceDatDiagnostic.Truncated, `The options section at offset ${next} is missing; the trace is truncated`, next);
        break;
      }
    }
    {
      for (const s of this.pendingSections) {
        if (this.opts.skipMetadata && s.id !== OptionId.HeaderInfo) continue;
        const lazy = s.id === OptionId.Kallsyms ? lazyKallsymsOf(this.tep) : undefined;
        if (lazy) { await deferKallsymsSection(this, lazy, s.offset, this.decompressor); continue; }
        const body = await this.openSection(s.offset, s.id);
        await readMetadataSection(this, body, s.id);
      }
    }
    await this.salvageBuffers();
    if (this.v7Top) this.buffers.push(this.v7Top);
    this.buffers.push(...this.v7Instances);
    // trace-cmd: handle->cpus = top buffer's cpus; max_cpu (what `cpus=` shows) = max(CPUCOUNT, that).
    let maxCpu = this.cpuCount;
    if (this.v7Top) {
      maxCpu = Math.max(maxCpu, this.v7Top.cpus.length);
      this.v7Top.maxCpu = maxCpu;
    }
    this.cpuCount = maxCpu;
    for (const b of this.v7Instances) b.maxCpu = Math.max(maxCpu, b.cpus.length);
    this.finishClock();
    await this.prepareBuffers();
  }

  /** Compressed BUFFER sections no BUFFER option describes (their option was cut off): CPUs found by scanning. */
  private async salvageBuffers(): Promise<void> {
    const known = new Set([this.v7Top, ...this.v7Instances].map((b) => b?.sectionOffset));
    for (const s of this.sections) {
      if (s.id !== OptionId.Buffer || known.has(s.offset) || !(s.flags & 1) || !this.decompressor) continue;
      const end = Math.min(this.src.size, s.offset + 16 + s.size);
      const cpus = await recoverCompressedCpus(this.src, s.offset + 16, end, this.pageSize, this.littleEndian);
      if (!cpus.length) continue;
      const name = s.description?.startsWith('buffer flyrecord ') ? s.description.slice(17) : `buffer@${s.offset}`;
      this.diag('warning', TraceDatDiagnostic.Truncated, `Buffer ${JSON.stringify(name)} has no CPU table (cut off); ${cpus.length} CPU(s) found by scanning its data, CPU ids may be wrong`, s.offset);
      const b: TraceDatBuffer = { name, clock: this.traceClock ?? '', pageSize: this.pageSize, cpus, compressed: true, latency: false, sectionOffset: s.offset, maxCpu: 0 };
      if (name === '' && (!this.v7Top || this.v7Top.cpus.length === 0)) this.v7Top = b; else this.v7Instances.push(b);
    }
  }

  /** Walks all section headers after the file header (to collect STRINGS for descriptions). */
  private async scanSections(start: number): Promise<void> {
    let off = start;
    const parts: Uint8Array[] = [];
    const found: Array<Omit<TraceDatSection, 'description'> & { desc: number }> = [];
    while (off + 16 <= this.src.size && found.length < 100000) {
      const c = new Cursor(this.src, off, this.littleEndian);
      let id: number, flags: number, desc: number, size: number;
      try {
        id = await c.u16(); flags = await c.u16(); desc = await c.u32(); size = await c.u64n();
      } catch { break; }
      found.push({ offset: off, id, flags, size, desc });
      if (id === OptionId.Strings) {
        try {
          const body = await this.sectionBody(off + 16, size, flags, id);
          parts.push(body.slice());
        } catch { /* descriptions are cosmetic */ }
      }
      if (off + 16 + size > this.src.size) break;
      off += 16 + size;
    }
    let total = 0;
    for (const p of parts) total += p.length;
    this.strings = new Uint8Array(total);
    total = 0;
    for (const p of parts) { this.strings.set(p, total); total += p.length; }
    for (const s of found) {
      let description: string | undefined;
      if (s.desc >= 0 && s.desc < this.strings.length && s.desc !== 0xffffffff) {
        const z = this.strings.indexOf(0, s.desc);
        description = optionString(this.strings.subarray(s.desc, z < 0 ? this.strings.length : z));
      }
      this.sections.push({ offset: s.offset, id: s.id, flags: s.flags, size: s.size, description });
    }
  }

  /** Reads (and decompresses) a metadata section body. */
  private async sectionBody(bodyOffset: number, size: number, flags: number, id: number): Promise<Uint8Array> {
    const c = new Cursor(this.src, bodyOffset, this.littleEndian, Math.min(this.src.size, bodyOffset + size), 'section');
    if (!(flags & 1)) return c.bytes(size, 'section body');
    if (!this.decompressor) throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Compressed section in a file without compression', { offset: bodyOffset - 16, context: { sectionId: id } });
    const csize = await c.u32('compressed size');
    const usize = await c.u32('uncompressed size');
    const data = await c.bytes(csize, 'compressed section');
    try {
      return this.decompressor(data, usize);
    } catch (e) {
      throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Cannot decompress section', { offset: bodyOffset - 16, context: { sectionId: id }, cause: e });
    }
  }

  /** A cursor over a section's body after checking its id. */
  private async openSection(offset: number, id: number): Promise<Cursor> {
    const c = new Cursor(this.src, offset, this.littleEndian, this.src.size, 'section header');
    const sid = await c.u16('section id');
    const flags = await c.u16('section flags');
    await c.u32('section description');
    const size = await c.u64n('section size');
    if (sid !== id) {
      throw new TraceDatError(TraceDatErrorCode.BadSection, 'Section id does not match its option', { offset, context: { expected: id, found: sid } });
    }
    if (flags & 1) {
      const body = await this.sectionBody(offset + 16, size, flags, id);
      const mc = new Cursor(new MemorySource(body), 0, this.littleEndian, body.length, `section ${id}`);
      mc.bounded = true;
      return mc;
    }
    const fc = new Cursor(this.src, offset + 16, this.littleEndian, Math.min(this.src.size, offset + 16 + size), `section ${id}`);
    fc.bounded = true;
    return fc;
  }

  private async readOptionsV7(offset: number): Promise<number> {
    const body = await this.openSection(offset, OptionId.Done).catch((e: unknown) => {
      throw new TraceDatError(TraceDatErrorCode.BadSection, 'Cannot read options section', { offset, cause: e });
    });
    for (;;) {
      const at = body.pos;
      const id = await body.u16('option id');
      const size = await body.u32('option size');
      const data = (await body.bytes(size, 'option data')).slice();
      if (id === OptionId.Done) {
        if (size < 8) return 0;
        const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, this.littleEndian);
        return Number(v);
      }
      this.handleOption({ id, data, offset: at });
    }
  }

  // ------------------------------------------------------------------ options

  private handleOption(o: RawOption): void {
    this.options.push(o);
    const d = o.data;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const le = this.littleEndian;
    switch (o.id) {
      case OptionId.Date:
        if (this.opts.ignoreDate || this.opts.rawTs) break;
        this.tsOffset += strtoll(optionString(d)) * 1000n;
        break;
      case OptionId.Offset:
        if (this.opts.rawTs) break;
        this.tsOffset += strtoll(optionString(d));
        break;
      case OptionId.CpuStat:
        // trace-cmd turns the final byte (the NUL) into '\n' and concatenates
        if (d.length) this.cpustats = (this.cpustats ?? '') + latin1(d.subarray(0, d.length - 1)) + '\n';
        break;
      case OptionId.Buffer:
      case OptionId.BufferText:
        this.bufferOption(o);
        break;
      case OptionId.TraceClock:
        this.parseTraceClock(latin1(d));
        if (this.opts.ts2secsHz === 0n) this.useTraceClock = true;
        break;
      case OptionId.Uname: this.uname = optionString(d); break;
      case OptionId.Version: this.versionString = optionString(d); break;
      case OptionId.CpuCount:
        if (d.length >= 4) this.cpuCount = dv.getUint32(0, le);
        break;
      case OptionId.TraceId:
        if (d.length >= 8) this.traceId = dv.getBigUint64(0, le);
        break;
      case OptionId.Tsc2Nsec:
        if (d.length < 16 || this.opts.rawTs) break;
        this.tsc2nsec = { mult: dv.getUint32(0, le), shift: dv.getUint32(4, le), offset: dv.getBigUint64(8, le) };
        this.usecs = true;
        break;
      case OptionId.HeaderInfo: case OptionId.FtraceEvents: case OptionId.EventFormats:
      case OptionId.Kallsyms: case OptionId.Printk: case OptionId.Cmdlines:
        if (d.length < 8) break;
        this.addPendingSection(o.id, Number(dv.getBigUint64(0, le)));
        break;
      case OptionId.Hook: case OptionId.ProcMaps: case OptionId.TimeShift: case OptionId.Guest:
        break;
      default:
        this.diag('warning', TraceDatDiagnostic.UnknownOption, `unknown option ${o.id}`, o.offset);
    }
  }

  private addPendingSection(id: number, offset: number): void {
    const e = this.pendingSections.find((s) => s.id === id);
    if (e) e.offset = offset; else this.pendingSections.push({ id, offset });
  }

  private bufferOption(o: RawOption): void {
    const d = o.data;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const le = this.littleEndian;
    const bad = (): never => { throw new TraceDatError(TraceDatErrorCode.BadOption, 'Malformed BUFFER option', { offset: o.offset }); };
    if (d.length < 9) bad();
    const offset = Number(dv.getBigUint64(0, le));
    let p = 8;
    const str = (): string => { const z = d.indexOf(0, p); if (z < 0) bad(); const s = latin1(d.subarray(p, z)); p = z + 1; return s; };
    const name = str();
    if (this.version === 6) {
      this.v6InstanceOffsets.push({ name, offset });
      return;
    }
    const clock = str();
    if (name === '' && this.traceClock === undefined) this.traceClock = clock;
    const buf: TraceDatBuffer = { name, clock, pageSize: this.pageSize, cpus: [], compressed: false, latency: o.id === OptionId.BufferText, sectionOffset: offset, maxCpu: 0 };
    if (o.id === OptionId.Buffer) {
      if (p + 8 > d.length) bad();
      buf.pageSize = dv.getUint32(p, le); p += 4;
      const n = dv.getUint32(p, le); p += 4;
      const list: TraceDatCpu[] = [];
      let maxId = -1;
      for (let i = 0; i < n; i++) {
        if (p + 20 > d.length) bad();
        const cpu = dv.getUint32(p, le);
        const off = Number(dv.getBigUint64(p + 4, le));
        const size = Number(dv.getBigUint64(p + 12, le));
        p += 20;
        list.push({ cpu, offset: off, size });
        if (cpu > maxId) maxId = cpu;
      }
      if (maxId > 65535) bad();
      for (let i = 0; i <= maxId; i++) buf.cpus.push({ cpu: i, offset: 0, size: 0 });
      for (const e of list) buf.cpus[e.cpu] = e;
      if (buf.pageSize < 64) buf.pageSize = this.pageSize;
    } else {
      this.latencyOffset = offset;
    }
    if (name === '') this.v7Top = buf; else this.v7Instances.push(buf);
  }

  /** tracecmd_parse_trace_clock + extract_trace_clock (including how they clear the µs display). */
  private parseTraceClock(text: string): void {
    for (const w of text.split(' ')) {
      if (!w.startsWith('[')) continue;
      const m = /^\[*([^\][\s]+)/.exec(w);
      if (!m) return;
      const c = m[1]!;
      this.traceClock = c;
      if (this.opts.rawTs) this.usecs = false;
      if (this.tsc2nsec) return;
      if (!USEC_CLOCKS.includes(c) && !c.startsWith('mono')) this.usecs = false;
      return;
    }
  }

  private finishClock(): void {
    this.inUsecs = this.usecs;
    for (const b of this.buffers) if (!b.clock) b.clock = this.traceClock ?? '';
  }

  /** Called by metadata readers. */
  setHeaderPage(pageText: string, eventText: string): void {
    this.headerPageText = pageText;
    this.headerEventText = eventText;
    // the commit size (the kernel's long) is for the kbuffer only: trace-cmd 3.1.6 leaves
    // libtraceevent's long size at the file header's byte (set in parse())
    this.headerPage = parseHeaderPage(pageText, this.userLongSize, this.pageSize);
  }

  // ------------------------------------------------------------------ data

  /** Timestamp adjustment of this file (undefined when there is none). */
  private makeAdjust(): TsAdjust | undefined {
    const off = this.tsOffset + this.opts.tsOffset;
    const t = this.opts.rawTs ? undefined : this.tsc2nsec;
    const mask = (1n << 64n) - 1n;
    if (this.opts.ts2secsHz > 0n && !this.opts.rawTs) {
      // trace-cmd: ts *= (double)NSEC_PER_SEC / hz, in double precision, truncated
      const factor = 1e9 / Number(this.opts.ts2secsHz);
      return (rec) => {
        const v = Math.trunc(Number(rec.ts) * factor);
        // out of range of u64, x86-64's double→u64 conversion gives 0
        rec.ts = ((Number.isFinite(v) && v >= 0 && v < 18446744073709551616 ? BigInt(v) : 0n) + off) & mask;
      };
    }
    if (!t && off === 0n) return undefined;
    const offNum = Number(off);
    if (!t) {
      return (rec) => {
        if (rec.tsBig === undefined) {
          const s = rec.tsNum + offNum;
          if (s >= 0 && s <= Number.MAX_SAFE_INTEGER) { rec.tsNum = s; return; }
        }
        rec.ts = (rec.ts + off) & mask;
      };
    }
    // trace-cmd's mul_u64_u32_shr with its `int` mult/shift (sign-extended) and 64-bit wrap-around
    const mult = BigInt.asUintN(64, BigInt(t.mult | 0));
    const shift = BigInt(t.shift | 0);
    const back = 32n - shift;
    return (rec) => {
      const a = rec.ts;
      const al = a & 0xffffffffn;
      const ah = a >> 32n;
      let r = ((al * mult) & mask) >> shift;
      if (ah) r = (r + ((((ah * mult) & mask) << back) & mask)) & mask;
      rec.ts = (r + off) & mask;
    };
  }

  /** trace-cmd's page size for the handle of buffer `b`: the file header's, except for v7 instances. */
  handlePageSize(b: TraceDatBuffer): number {
    return this.version === 7 && b.name !== '' ? b.pageSize : this.pageSize;
  }

  /** One stream per CPU slot of a buffer (slots beyond the buffer's CPUs stay empty). */
  private streamsFor(b: TraceDatBuffer, adjust: TsAdjust | undefined): Array<CpuStream | undefined> {
    const out: Array<CpuStream | undefined> = [];
    const longSize = this.headerPage?.commitSize ?? this.userLongSize;
    const slots = Math.max(b.maxCpu, b.cpus.length);
    const exact = this.opts.exactPages;
    const pageSize = exact ? this.handlePageSize(b) : b.pageSize;
    for (let i = 0; i < slots; i++) {
      const c = b.cpus[i];
      if (!c || c.size <= 0 || b.latency) { out.push(undefined); continue; }
      const compressed = b.compressed && this.decompressor !== undefined;
      out.push(new CpuStream({
        src: this.src, cpu: c.cpu, offset: c.offset, size: c.size, pageSize,
        littleEndian: this.littleEndian, longSize, decompressor: compressed ? this.decompressor : undefined,
        adjust, onDiagnostic: this.opts.onDiagnostic, windowPages: this.opts.windowPages, bufferName: b.name,
        exactPages: exact, place: exact && compressed ? () => this.places().of(b, i) : undefined,
      }));
    }
    return out;
  }

  /** trace-cmd's placement of the buffers' CPUs. */
  private places(): BufferPlaces<TraceDatBuffer> {
    this.placer ??= new BufferPlaces(this.src, this.littleEndian, this.pageSize, this.topBuffer, this.instances, (b) => this.handlePageSize(b));
    return this.placer;
  }

  /** Reads each BUFFER section header to learn whether its data is compressed (v7). */
  private async prepareBuffers(): Promise<void> {
    if (this.version !== 7) return;
    for (const b of this.buffers) {
      if (b.sectionOffset <= 0 || b.sectionOffset + 16 > this.src.size) continue;
      const c = new Cursor(this.src, b.sectionOffset, this.littleEndian);
      await c.u16();
      const flags = await c.u16();
      b.compressed = (flags & 1) !== 0 && this.decompressor !== undefined;
    }
  }

  /** trace-cmd's --stat offsets/sizes of a buffer's CPU data (virtual offsets and uncompressed sizes for compressed data). */
  async cpuDataInfo(b: TraceDatBuffer): Promise<Array<{ offset: number; size: number }>> {
    const places = (await this.places().all()).get(b) ?? [];
    return b.cpus.map((c, i) => {
      const p = places[i];
      return b.compressed && c.size > 0 && p ? { offset: p.start, size: p.size } : { offset: c.offset, size: c.size };
    });
  }

  /**
   * What trace-cmd 3.1.6's handle setup rejects (init_cpu → update_page_info): it maps the first
   * page of every CPU with data, in CPU order, and fails the whole handle at the first page whose
   * commit is larger than the handle's page size. A failed top handle makes `trace-cmd report`
   * print nothing at all (stderr `failed to init data`, exit status 2); a failed instance handle
   * is left out ("could not retrieve handle NAME", exit 0). One entry per failing buffer (its first bad CPU). Reads one page (compressed:
   * one chunk) per CPU.
   */
  async initFailures(): Promise<Array<{ buffer: TraceDatBuffer; cpu: number; commit: number }>> {
    const out: Array<{ buffer: TraceDatBuffer; cpu: number; commit: number }> = [];
    const long = this.headerPage?.commitSize ?? this.userLongSize;
    const places = this.buffers.some((b) => b.compressed) ? await this.places().all() : undefined;
    for (const b of this.buffers) {
      if (b.latency) continue;
      const ps = this.handlePageSize(b);
      for (let i = 0; i < b.cpus.length; i++) {
        const c = b.cpus[i]!;
        if (c.size <= 0) continue;
        let head: Uint8Array | undefined;
        if (b.compressed && this.decompressor) {
          const ch = places?.get(b)?.[i]?.table?.chunks[0];
          if (!ch) continue;
          const data = await readFully(this.src, ch.zoffset + 8, ch.zsize);
          try { head = this.decompressor(data, ch.size).subarray(0, 16); } catch { continue; }
        } else head = await readFully(this.src, c.offset, 16);
        if (head.length < 8 + long) continue;
        const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
        const commit = dv.getUint32(long === 8 && !this.littleEndian ? 12 : 8, this.littleEndian) & ((1 << 27) - 1);
        if (commit > ps) { out.push({ buffer: b, cpu: c.cpu, commit }); break; }
      }
    }
    return out;
  }

  /**
   * trace-cmd's input handles of this file, in its order: the top handle (whose buffer
   * may be absent: it still owns `cpuCount` CPU slots), then one per instance. Each
   * gets fresh streams positioned before its first record.
   */
  handles(): Array<{ buffer: TraceDatBuffer | undefined; streams: Array<CpuStream | undefined> }> {
    const adjust = this.makeAdjust();
    const top = this.topBuffer;
    const out: Array<{ buffer: TraceDatBuffer | undefined; streams: Array<CpuStream | undefined> }> = [];
    out.push(top ? { buffer: top, streams: this.streamsFor(top, adjust) } : { buffer: undefined, streams: new Array<CpuStream | undefined>(this.cpuCount).fill(undefined) });
    for (const b of this.instances) out.push({ buffer: b, streams: this.streamsFor(b, adjust) });
    return out;
  }

  /**
   * Calls `cb` for every record of the selected buffers (all by default), merged in
   * trace-cmd's order: smallest timestamp first, ties to the lowest CPU slot (top
   * buffer's CPUs first, then each instance's). The record object is reused: copy
   * what you need before returning.
   */
  async forEachRecord(cb: RecordCallback, select?: { buffers?: TraceDatBuffer[] }): Promise<void> {
    let hs = this.handles();
    if (select?.buffers) {
      const adjust = this.makeAdjust();
      hs = select.buffers.map((b) => ({ buffer: b, streams: this.streamsFor(b, adjust) }));
    }
    await mergeRecords(hs.map((h) => ({ streams: h.streams, tag: h.buffer! })), cb);
  }

  /** The latency (text) trace, for files recorded with a latency tracer. */
  async latencyText(): Promise<string> {
    if (this.latencyOffset === undefined) return '';
    let off = this.latencyOffset;
    if (this.version === 7) {
      const c = await this.openSection(off, OptionId.BufferText);
      return c.text(c.end - c.pos, 'latency text');
    }
    const len = this.src.size - off;
    const b = await readFully(this.src, off, len);
    off += b.length;
    return latin1(b);
  }

  async close(): Promise<void> { await this.src.close?.(); }
}

/** The error says the data at `offset` is missing (the file ends before it). */
function isCut(e: unknown, offset: number, size: number): boolean {
  if (offset + 16 > size) return true;
  for (let x = e as { code?: string; cause?: unknown } | undefined; x; x = x.cause as typeof x) {
    if (x.code === TraceDatErrorCode.Truncated) return true;
  }
  return false;
}

