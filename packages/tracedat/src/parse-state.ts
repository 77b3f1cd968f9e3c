/**
 * What parsing a trace.dat produces, filled in by the file header, v6 and v7 readers, the
 * option reducer and the metadata readers, then handed to the TraceDat facade. Also the
 * metadata readers' sink (header page, formats, diagnostics).
 */
import type { ByteSource } from '@utp/bytes';
import { parseHeaderPage } from '@utp/traceevent';
import type { HeaderPage, Tep } from '@utp/traceevent';
import type { Decompressor } from './decompress.js';
import type { RawOption } from './options.js';
import type { TraceDatBuffer, TraceDatOptions, TraceDatSection } from './types.js';

export class ParseState {
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
  /** The µs display as the options and clocks decide it (finishClock copies it to inUsecs). */
  usecs = true;
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
  decompressor: Decompressor | undefined;
  /** v7 STRINGS (section descriptions). */
  strings = new Uint8Array(0);
  /** v7 BUFFER options of the top buffer and the instances. */
  v7Top: TraceDatBuffer | undefined;
  v7Instances: TraceDatBuffer[] = [];
  /** v7 metadata sections named by options, read after all options. */
  pendingSections: Array<{ id: number; offset: number }> = [];
  /** v6 BUFFER options: where each instance's flyrecord block is. */
  v6InstanceOffsets: Array<{ name: string; offset: number }> = [];

  constructor(
    readonly src: ByteSource,
    readonly opts: TraceDatOptions,
    readonly tep: Tep,
  ) {}

  diag(level: 'error' | 'warning' | 'info', code: string, message: string, offset?: number): void {
    this.opts.onDiagnostic?.({ level, code, message, ...(offset !== undefined ? { offset } : {}) });
  }

  /** Called by metadata readers. */
  setHeaderPage(pageText: string, eventText: string): void {
    this.headerPageText = pageText;
    this.headerEventText = eventText;
    // the commit size (the kernel's long) is for the kbuffer only: trace-cmd 3.1.6 leaves
    // libtraceevent's long size at the file header's byte (set in parse())
    this.headerPage = parseHeaderPage(pageText, this.userLongSize, this.pageSize);
  }
}
