/**
 * Shared data types of @utp/traceevent (the libtraceevent role).
 * This file is the contract between the format/print engine, the ring-buffer decoder
 * (kbuffer), the plugins, the filter engine and the readers (tracedat, tracecmd, cli).
 */

/** Field flags, as libtraceevent's TEP_FIELD_IS_* (values are ours). */
export const FieldFlag = {
  Array: 1,
  Pointer: 2,
  Signed: 4,
  String: 8,
  Dynamic: 16, // __data_loc
  Long: 32,
  Flag: 64,
  Symbol: 128,
  Relative: 256, // __rel_loc
} as const;

/** One field of an event format (`field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;`). */
export interface Field {
  /** Field name, e.g. `prev_pid`. */
  readonly name: string;
  /** Type text as in the format, without the name and array suffix, e.g. `char`, `__data_loc char[]`, `unsigned long`. */
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  /** Bitwise-or of FieldFlag. */
  readonly flags: number;
  /** For fixed arrays: element count (0 for flexible `[]`); otherwise 0. */
  readonly arraylen: number;
  /** For arrays: size of one element; otherwise the field size. */
  readonly elementsize: number;
}

/**
 * A record: a view into a ring-buffer sub-buffer (never a copy). The event payload
 * (starting at `common_type`) is `page[offset .. offset+size)`.
 */
export interface TraceRecord {
  /** Timestamp in trace clock units (ns for time clocks), after file-level adjustments. */
  ts: bigint;
  cpu: number;
  /** The sub-buffer bytes. */
  page: Uint8Array;
  /** DataView over the same bytes as `page` (same byteOffset). */
  view: DataView;
  /** Offset of the payload in `page`. */
  offset: number;
  /** Payload length in bytes (libtraceevent's record->size). */
  size: number;
  /**
   * Events lost just before this record: 0 none, -1 some (count unknown), n>0 that many.
   * Set only on the first data record of a sub-buffer that carries the missed-events flag
   * and only when that record sits at data offset 0 (libtraceevent's rule).
   */
  missedEvents: number;
  /** File offset of the record header, when known (for --debug output). */
  fileOffset?: number;
}

/** Where libraries report what they skipped or repaired; they never print. */
export interface Diagnostic {
  level: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  offset?: number;
}
export type DiagnosticHandler = (d: Diagnostic) => void;

/** A kernel symbol (kallsyms entry or tep_register_function). */
export interface FunctionSymbol {
  name: string;
  addr: bigint;
  module?: string;
}
