/** The public shapes of a parsed trace.dat: buffers, CPUs, sections, reader options. */
import type { DiagnosticHandler, KRecord, Tep } from '@utp/traceevent';
import type { Decompressor } from './decompress.js';

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

export interface TraceDatSection {
  offset: number;
  id: number;
  flags: number;
  size: number;
  description: string | undefined;
}

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
  /**
   * Reuse the CPU streams' window buffers: a record's bytes stay valid only while its CPU reads
   * its next two windows (readers that print records as they come, not ones that keep them).
   */
  recycleWindows: boolean;
}

export const DEFAULTS: Readonly<TraceDatOptions> = Object.freeze({
  onDiagnostic: undefined,
  tep: undefined,
  ignoreDate: false,
  rawTs: false,
  tsOffset: 0n,
  decompressors: {},
  windowPages: 64,
  skipMetadata: false,
  keepFormatTexts: false,
  ts2secsHz: 0n,
  exactPages: true,
  recycleWindows: false,
});

/** Called for each record in merged order. `handleCpu` is trace-cmd's CPU slot across buffers. Return false to stop. */
export type RecordCallback = (rec: KRecord, buffer: TraceDatBuffer, handleCpu: number) => boolean | void;
