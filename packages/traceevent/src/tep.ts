/**
 * Tep: the handle that holds everything needed to decode and print events
 * (libtraceevent's `struct tep_handle`): event formats by id, endianness and kernel
 * long size, kallsyms, printk formats, saved comms, plugins and print options.
 *
 * OWNERSHIP: the format/print engine helper owns this file. The method signatures
 * below are the contract other parts code against: do not change them; add freely.
 */
import type { Field, TraceRecord } from './types.js';
import type { EventFormat } from './event-format.js';

/** What the print engine prints for an event's info column. */
export type PrintMode =
  | 'default' // plugins enabled (trace-cmd report)
  | 'noplugins' // -N: the kernel's print fmt for everything
  | 'raw'; // -R: " name=value" per field

/**
 * A plugin's replacement for an event's print fmt: return the info text.
 * (libtraceevent's tep_event_handler_func, but returning a string.)
 */
export type EventHandler = (record: TraceRecord, event: EventFormat, tep: Tep) => string;

/** A plugin-registered print-fmt function, e.g. jiffies_to_msecs (tep_register_print_function). */
export interface PrintFunction {
  name: string;
  /** Called with evaluated arguments (numbers as bigint, strings as string). Returns a number or a string. */
  call(args: Array<bigint | string>, tep: Tep): bigint | string;
  /** 'number' if the result prints through a numeric conversion, 'string' for %s. */
  returns: 'number' | 'string';
}

export interface FunctionSymbol { name: string; addr: bigint; module?: string }

export class Tep {
  /** File (= kernel) byte order. */
  littleEndian = true;
  /** Kernel `long` size in bytes (from header_page's commit field; 8 on 64-bit). */
  longSize = 8;

  constructor(opts: { littleEndian?: boolean; longSize?: number } = {}) {
    if (opts.littleEndian !== undefined) this.littleEndian = opts.littleEndian;
    if (opts.longSize !== undefined) this.longSize = opts.longSize;
  }

  /** Parses one `format` file of SYSTEM and registers the event. Parse problems of the print fmt
   *  do not throw: the event is flagged `failed` and prints `[FAILED TO PARSE]` as libtraceevent 1.7.1 does. */
  addEventFormat(_text: string, _system: string): EventFormat { throw new Error('not implemented'); }
  findEventById(_id: number): EventFormat | undefined { throw new Error('not implemented'); }
  /** By system (optional) and name, e.g. ('sched', 'sched_switch'). */
  findEvent(_system: string | undefined, _name: string): EventFormat | undefined { throw new Error('not implemented'); }
  /** All registered events. */
  get events(): readonly EventFormat[] { throw new Error('not implemented'); }

  /** `/proc/kallsyms` text. */
  loadKallsyms(_text: string): void { throw new Error('not implemented'); }
  /** `printk_formats` text (`0xADDR : "fmt"` lines). */
  loadPrintk(_text: string): void { throw new Error('not implemented'); }
  /** `saved_cmdlines` text (`PID COMM` lines). */
  loadCmdlines(_text: string): void { throw new Error('not implemented'); }
  /** tep_register_comm: adds pid→comm unless the pid is known already. */
  registerComm(_pid: number, _comm: string): void { throw new Error('not implemented'); }
  /** `<idle>` for pid 0, the saved comm, else `<...>`. */
  commOf(_pid: number): string { throw new Error('not implemented'); }
  /** The symbol containing addr (libtraceevent's rule: the last symbol matches only exactly). */
  findFunction(_addr: bigint): FunctionSymbol | undefined { throw new Error('not implemented'); }

  // ---- record accessors (common fields) ----
  /** common_type of the record, or -1 if the record is too short. */
  typeOf(_record: TraceRecord): number { throw new Error('not implemented'); }
  pidOf(_record: TraceRecord): number { throw new Error('not implemented'); }
  /** common_flags */
  flagsOf(_record: TraceRecord): number { throw new Error('not implemented'); }
  /** common_preempt_count */
  preemptCountOf(_record: TraceRecord): number { throw new Error('not implemented'); }

  // ---- field accessors (used by plugins and filters) ----
  /** The field's value as an unsigned number of its size (no sign extension, like tep_read_number). */
  readField(_record: TraceRecord, _field: Field): bigint { throw new Error('not implemented'); }
  /** Same, as a JS number (exact for fields up to 6 bytes; 8-byte values may lose precision). */
  readFieldNumber(_record: TraceRecord, _field: Field): number { throw new Error('not implemented'); }
  /** Signed value honouring the field's signedness and size. */
  readFieldSigned(_record: TraceRecord, _field: Field): bigint { throw new Error('not implemented'); }
  /** A char array / __data_loc string field as text (stops at the first NUL). */
  readString(_record: TraceRecord, _field: Field): string { throw new Error('not implemented'); }
  /** Bytes of an array or dynamic-array field (a view). */
  readBytes(_record: TraceRecord, _field: Field): Uint8Array { throw new Error('not implemented'); }

  // ---- printing ----
  /** Default print mode for formatInfo. */
  printMode: PrintMode = 'default';
  /** Registers a plugin handler for SYSTEM:NAME (system may be undefined = any). */
  registerEventHandler(_system: string | undefined, _name: string, _handler: EventHandler): void { throw new Error('not implemented'); }
  registerPrintFunction(_fn: PrintFunction): void { throw new Error('not implemented'); }
  /** The info column (what follows `name: ` and padding) for a record, without a trailing newline. */
  formatInfo(_record: TraceRecord, _event: EventFormat, _mode?: PrintMode): string { throw new Error('not implemented'); }
}
