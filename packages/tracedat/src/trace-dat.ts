/**
 * TraceDat: reads a trace-cmd `trace.dat` file (v6 and v7) over a ByteSource
 * (libtracecmd's tracecmd_input). Metadata is parsed at open (file-header.ts, v6-reader.ts,
 * v7-sections.ts, option-reducer.ts, metadata.ts into a ParseState); the per-CPU ring
 * buffer data is streamed page by page (or chunk by chunk) while iterating, so memory
 * stays bounded whatever the file size. This file is the facade over those parts.
 */
import type { ByteSource } from '@utp/bytes';
import { decodeLatin1 as latin1 } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import type { HeaderPage } from '@utp/traceevent';
import type { Decompressor } from './decompress.js';
import { OptionId } from './options.js';
import type { RawOption } from './options.js';
import { CpuStream } from './cpu-stream.js';
import type { TsAdjust } from './cpu-stream.js';
import { readFully } from './read-fully.js';
import { mergeRecords } from './merge.js';
import { BufferPlaces } from './page-layout.js';
import { ParseState } from './parse-state.js';
import { parseFile } from './file-header.js';
import { openSection } from './v7-sections.js';
import { makeAdjust } from './timestamps.js';
import { handlePageSize, initFailures } from './page-checks.js';
import type { InitFailure } from './page-checks.js';
import { DEFAULTS } from './types.js';
import type { RecordCallback, TraceDatBuffer, TraceDatOptions, TraceDatSection } from './types.js';

export type { TraceDatBuffer, TraceDatCpu, TraceDatOptions, TraceDatSection, RecordCallback } from './types.js';

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
  private readonly state: ParseState;
  private readonly decompressor: Decompressor | undefined;
  /** trace-cmd's placement of each buffer's CPUs (made on first use). */
  private placer: BufferPlaces<TraceDatBuffer> | undefined;

  private constructor(s: ParseState) {
    this.state = s;
    this.src = s.src;
    this.opts = s.opts;
    this.tep = s.tep;
    this.version = s.version;
    this.littleEndian = s.littleEndian;
    this.userLongSize = s.userLongSize;
    this.pageSize = s.pageSize;
    this.compression = s.compression;
    this.compressionVersion = s.compressionVersion;
    this.headerPage = s.headerPage;
    this.headerPageText = s.headerPageText;
    this.headerEventText = s.headerEventText;
    this.cpuCount = s.cpuCount;
    this.options = s.options;
    this.sections = s.sections;
    this.traceClock = s.traceClock;
    this.useTraceClock = s.useTraceClock;
    this.inUsecs = s.inUsecs;
    this.uname = s.uname;
    this.versionString = s.versionString;
    this.cpustats = s.cpustats;
    this.traceId = s.traceId;
    this.tsc2nsec = s.tsc2nsec;
    this.tsOffset = s.tsOffset;
    this.buffers = s.buffers;
    this.formatTexts = s.formatTexts;
    this.latencyOffset = s.latencyOffset;
    this.latencyEnd = s.latencyEnd;
    this.decompressor = s.decompressor;
  }

  /** Opens and parses the metadata of a trace.dat. Throws TraceDatError on garbage. */
  static async open(src: ByteSource, options: Partial<TraceDatOptions> = {}): Promise<TraceDat> {
    const opts = { ...DEFAULTS, ...options };
    const s = new ParseState(src, opts, opts.tep ?? new Tep());
    await parseFile(s);
    return new TraceDat(s);
  }

  diag(level: 'error' | 'warning' | 'info', code: string, message: string, offset?: number): void {
    this.state.diag(level, code, message, offset);
  }

  get topBuffer(): TraceDatBuffer | undefined {
    return this.buffers.find((b) => b.name === '');
  }
  get instances(): TraceDatBuffer[] {
    return this.buffers.filter((b) => b.name !== '');
  }
  /** True when the file holds a latency-tracer text dump instead of ring-buffer data. */
  get isLatency(): boolean {
    return this.latencyOffset !== undefined;
  }

  /** Sets the header_page / header_event texts (as the metadata readers do). */
  setHeaderPage(pageText: string, eventText: string): void {
    this.state.setHeaderPage(pageText, eventText);
    this.headerPage = this.state.headerPage;
    this.headerPageText = pageText;
    this.headerEventText = eventText;
  }

  /** Timestamp adjustment of this file (undefined when there is none); also for pages read apart from it (a live recording's). */
  makeAdjust(): TsAdjust | undefined {
    return makeAdjust({
      fileOffset: this.tsOffset,
      extraOffset: this.opts.tsOffset,
      rawTs: this.opts.rawTs,
      tsc2nsec: this.tsc2nsec,
      ts2secsHz: this.opts.ts2secsHz,
    });
  }

  /** trace-cmd's page size for the handle of buffer `b`: the file header's, except for v7 instances. */
  handlePageSize(b: TraceDatBuffer): number {
    return handlePageSize(this.version, this.pageSize, b);
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
      if (!c || c.size <= 0 || b.latency) {
        out.push(undefined);
        continue;
      }
      const compressed = b.compressed && this.decompressor !== undefined;
      out.push(
        new CpuStream({
          src: this.src,
          cpu: c.cpu,
          offset: c.offset,
          size: c.size,
          pageSize,
          littleEndian: this.littleEndian,
          longSize,
          decompressor: compressed ? this.decompressor : undefined,
          adjust,
          onDiagnostic: this.opts.onDiagnostic,
          windowPages: this.opts.windowPages,
          bufferName: b.name,
          exactPages: exact,
          place: exact && compressed ? () => this.places().of(b, i) : undefined,
          recycleWindows: this.opts.recycleWindows,
        }),
      );
    }
    return out;
  }

  /** trace-cmd's placement of the buffers' CPUs. */
  private places(): BufferPlaces<TraceDatBuffer> {
    this.placer ??= new BufferPlaces(this.src, this.littleEndian, this.pageSize, this.topBuffer, this.instances, (b) =>
      this.handlePageSize(b),
    );
    return this.placer;
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
   * What trace-cmd 3.1.6's handle setup rejects: see page-checks.ts. One entry per failing
   * buffer (its first bad CPU).
   */
  async initFailures(): Promise<InitFailure[]> {
    return initFailures({
      src: this.src,
      buffers: this.buffers,
      littleEndian: this.littleEndian,
      longSize: this.headerPage?.commitSize ?? this.userLongSize,
      decompressor: this.decompressor,
      pageSizeOf: (b) => this.handlePageSize(b),
      places: () => this.places().all(),
    });
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
    out.push(
      top
        ? { buffer: top, streams: this.streamsFor(top, adjust) }
        : { buffer: undefined, streams: new Array<CpuStream | undefined>(this.cpuCount).fill(undefined) },
    );
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
    await mergeRecords(
      hs.map((h) => ({ streams: h.streams, tag: h.buffer! })),
      cb,
    );
  }

  /** The latency (text) trace, for files recorded with a latency tracer. */
  async latencyText(): Promise<string> {
    if (this.latencyOffset === undefined) return '';
    let off = this.latencyOffset;
    if (this.version === 7) {
      const c = await openSection(this.state, off, OptionId.BufferText);
      return c.text(c.end - c.pos, 'latency text');
    }
    const len = this.src.size - off;
    const b = await readFully(this.src, off, len);
    off += b.length;
    return latin1(b);
  }

  async close(): Promise<void> {
    await this.src.close?.();
  }
}
