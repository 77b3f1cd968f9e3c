/**
 * Tep: the handle that holds everything needed to decode and print events
 * (libtraceevent's `struct tep_handle`): event formats by id, endianness and kernel
 * long size, kallsyms, printk formats, saved comms, plugins and print options.
 *
 * TEXT ENCODING: every string this class takes (format files, kallsyms, printk formats,
 * saved_cmdlines) and returns (formatInfo, commOf, readString) is a *byte string*: one
 * JS char per byte (char codes 0..255), so that output is byte-identical to the C
 * tools. Decode input bytes with `decodeLatin1` of @utp/bytes and write output with
 * `Buffer.from(text, 'latin1')` (not UTF-8, and not TextDecoder('latin1'), which is
 * windows-1252 in browsers).
 */
import { UtpError, decodeLatin1 } from '@utp/bytes';
import type { Field, TraceRecord, DiagnosticHandler, FunctionSymbol } from '../core/types.js';
import { FieldFlag } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { parseFormatHead, plainHeadOfBytes } from '../format/format-parser.js';
import type { ParserFunction, PrintFunctionParam } from '../print/parse/print-fmt-parser.js';
import { TepEvent, type EventHost } from '../event/tep-event.js';
import { KallsymsTable } from '../symbols/kallsyms.js';
import { PrintkTable } from '../symbols/printk.js';
import { CmdlineTable } from '../symbols/cmdlines.js';
import type { OutBuffer } from '../core/out-buffer.js';
import type { EmitFn } from '../print/emit/print-emit.js';
import { readNumberBig, readNumberSmall, dynamicOffset, boundedCString, bytesToString } from '../core/record-data.js';

/** What the print engine prints for an event's info column. */
export type PrintMode =
  | 'default' // plugins enabled (trace-cmd report)
  | 'noplugins' // -N: the kernel's print fmt for everything
  | 'raw'; // -R: " name=value" per field

/**
 * A plugin's replacement for an event's print fmt: return the info text.
 * (libtraceevent's tep_event_handler_func, but returning a string.)
 */
export type EventHandler = ((record: TraceRecord, event: EventFormat, tep: Tep) => string) & {
  /**
   * Optional byte-writing form of the same handler: writes exactly the text the function
   * returns into `out` (Tep.emitInfo uses it when present).
   */
  emit?: (record: TraceRecord, event: EventFormat, tep: Tep, out: OutBuffer) => void;
};

/** A plugin-registered print-fmt function, e.g. jiffies_to_msecs (tep_register_print_function). */
export interface PrintFunction {
  name: string;
  /** Called with evaluated arguments (numbers as bigint, strings as string). Returns a number or a string. */
  call(args: Array<bigint | string>, tep: Tep): bigint | string;
  /** 'number' if the result prints through a numeric conversion, 'string' for %s. */
  returns: 'number' | 'string';
  /**
   * Parameter kinds, as given to tep_register_print_function. libtraceevent requires the
   * call in the print fmt to have exactly this many arguments; 'string' arguments are
   * rendered as %s text. Without it any number of numeric arguments is accepted.
   */
  params?: readonly PrintFunctionParam[];
}

export const TepErrorCode = {
  BadFormat: 'TRACEEVENT_BAD_FORMAT',
  UnknownEvent: 'TRACEEVENT_UNKNOWN_EVENT',
} as const;

/** Decodes bytes into a byte string (one char per byte). */
export function bytesToLatin1(b: Uint8Array): string {
  return bytesToString(b, 0, b.length);
}

interface CommonLoc {
  type: [number, number];
  pid: [number, number];
  flags: [number, number];
  pc: [number, number];
}
interface HandlerEntry {
  system: string | undefined;
  name: string;
  handler: EventHandler;
}

export class Tep {
  /** File (= kernel) byte order. */
  littleEndian = true;
  /**
   * libtraceevent's long size (tep_set_long_size). trace-cmd sets it from the trace.dat
   * header's long-size byte, not from header_page's commit size (that one is kbuffer's).
   * Used for `%s` of pointer-sized fields, sizeof(long), `[]` defaults and %p printing.
   */
  longSize = 8;
  /** Where parse problems are reported (libtraceevent's warnings). */
  onDiagnostic: DiagnosticHandler | undefined;

  readonly kallsyms = new KallsymsTable();
  readonly printk = new PrintkTable();
  readonly cmdlines = new CmdlineTable();

  readonly #byId = new Map<number, TepEvent>();
  #list: TepEvent[] = [];
  #sortedList: TepEvent[] | null = null;
  readonly #handlers: HandlerEntry[] = [];
  #handlerVersion = 1;
  readonly #functions = new Map<string, PrintFunction>();
  #lastEvent: TepEvent | undefined;
  // common field locations, taken from the event with the lowest id (libtraceevent's events[0])
  #common: CommonLoc | null = null;
  readonly #host: EventHost;

  /**
   * Whether print formats made only of plain field reads may be compiled to JavaScript source
   * (new Function, one straight-line function per format: the fastest path). Off, or where the
   * page forbids it (a CSP without unsafe-eval, detected), the same bytes come from a loop over
   * the format's op list.
   */
  readonly codegen: boolean;

  constructor(opts: { littleEndian?: boolean; longSize?: number; onDiagnostic?: DiagnosticHandler; codegen?: boolean } = {}) {
    this.codegen = opts.codegen ?? true;
    if (opts.littleEndian !== undefined) this.littleEndian = opts.littleEndian;
    if (opts.longSize !== undefined) this.longSize = opts.longSize;
    this.onDiagnostic = opts.onDiagnostic;
    // the getters below are not arrow functions, so they reach the Tep through this name
    const tep = this;
    this.#host = {
      get littleEndian() {
        return tep.littleEndian;
      },
      get longSize() {
        return tep.longSize;
      },
      codegen: this.codegen,
      kallsyms: this.kallsyms,
      printk: this.printk,
      callFunction: (name, args) => {
        const fn = tep.#functions.get(name);
        return fn ? fn.call(args, tep) : 0n;
      },
      functionReturns: (name) => tep.#functions.get(name)?.returns ?? 'number',
      findParserFunction: (name): ParserFunction | undefined => tep.#functions.get(name),
      onFormatFailed: (ev) => tep.#diag('warning', 'TRACEEVENT_FORMAT_FAILED', `Cannot read the fields of event ${ev.system}:${ev.name}`),
    };
  }

  /** Parses one `format` file of SYSTEM and registers the event. Parse problems of the print fmt
   *  do not throw: the event is flagged `failed` and prints `[FAILED TO PARSE]` as libtraceevent 1.7.1 does. */
  addEventFormat(text: string, system: string): EventFormat {
    let head;
    try {
      head = parseFormatHead(text, system);
    } catch (e) {
      throw new UtpError(TepErrorCode.BadFormat, 'Cannot parse event format', { cause: e, context: { system } });
    }
    return this.#register(new TepEvent(this.#host, head, system, text));
  }

  /**
   * addEventFormat for a format file given as latin1 bytes: when it starts with the usual name and
   * ID lines, only those are read now and the text is decoded when the event is first used (most
   * events of a file never occur in it).
   */
  addEventFormatBytes(bytes: Uint8Array, system: string): EventFormat {
    const head = plainHeadOfBytes(bytes);
    if (!head) return this.addEventFormat(decodeLatin1(bytes), system);
    return this.#register(new TepEvent(this.#host, head, system, () => decodeLatin1(bytes)));
  }

  #register(ev: TepEvent): EventFormat {
    this.#byId.set(ev.id, ev);
    this.#idTable = [];
    this.#list.push(ev);
    this.#sortedList = null;
    this.#common = null;
    this.#fastReady = false;
    this.#lastEvent = undefined;
    return ev;
  }

  findEventById(id: number): EventFormat | undefined {
    const last = this.#lastEvent;
    if (last !== undefined && last.id === id) return last;
    let ev: TepEvent | undefined;
    if (id >= 0 && id < this.#idTable.length) ev = this.#idTable[id] ?? undefined;
    else {
      ev = this.#byId.get(id);
      if (ev && id >= 0 && id < 65536) this.#fillIdTable();
    }
    if (ev) this.#lastEvent = ev;
    return ev;
  }

  /** Events by id for ids below 65536 (common_type is 16 bits), null where none. */
  #idTable: Array<TepEvent | null> = [];
  #fillIdTable(): void {
    let max = -1;
    for (const id of this.#byId.keys()) if (id < 65536 && id > max) max = id;
    const t: Array<TepEvent | null> = new Array<TepEvent | null>(max + 1).fill(null);
    for (const [id, ev] of this.#byId) if (id >= 0 && id < 65536) t[id] = ev;
    this.#idTable = t;
  }

  /** By system (optional) and name, e.g. ('sched', 'sched_switch'). */
  findEvent(system: string | undefined, name: string): EventFormat | undefined {
    for (const ev of this.#sorted()) {
      if (ev.name === name && (system === undefined || ev.system === system)) return ev;
    }
    return undefined;
  }

  /** All registered events (sorted by id, as libtraceevent keeps them). */
  get events(): readonly EventFormat[] {
    return this.#sorted();
  }

  /** The event with the lowest id (libtraceevent's events[0]), without sorting them all. */
  #firstEvent(): TepEvent | undefined {
    if (this.#sortedList) return this.#sortedList[0];
    let first: TepEvent | undefined;
    for (const ev of this.#list) if (first === undefined || ev.id < first.id) first = ev;
    return first;
  }

  #sorted(): TepEvent[] {
    if (!this.#sortedList) this.#sortedList = this.#list.slice().sort((a, b) => a.id - b.id);
    return this.#sortedList;
  }

  /** `/proc/kallsyms` text. */
  loadKallsyms(text: string): void {
    this.kallsyms.onMalformed ??= () => this.#diag('warning', 'TRACEEVENT_KALLSYMS', 'Failed to parse kallsyms; the rest is ignored');
    this.kallsyms.load(text);
  }
  /**
   * `/proc/kallsyms` text given as a function called on the first symbol lookup, returning
   * the text or its bytes (the trace.dat reader uses it so that opening a file neither
   * decompresses nor decodes them; bytes are parsed without being decoded at all).
   */
  loadKallsymsLazy(get: () => string | Uint8Array): void {
    this.kallsyms.onMalformed ??= () => this.#diag('warning', 'TRACEEVENT_KALLSYMS', 'Failed to parse kallsyms; the rest is ignored');
    this.kallsyms.loadLazy(get);
  }
  /** `printk_formats` text (`0xADDR : "fmt"` lines). */
  loadPrintk(text: string): void {
    this.printk.parse(text);
  }
  /** `saved_cmdlines` text (`PID COMM` lines). */
  loadCmdlines(text: string): void {
    if (!this.cmdlines.parse(text)) this.#diag('warning', 'TRACEEVENT_CMDLINES', 'Failed to parse saved cmdlines; the rest is ignored');
  }
  /** tep_register_comm: adds pid→comm unless the pid is known already. */
  registerComm(pid: number, comm: string): void {
    this.cmdlines.register(pid, comm);
  }
  /** tep_override_comm: sets pid→comm even when the pid is known. */
  overrideComm(pid: number, comm: string): void {
    this.cmdlines.override(pid, comm);
  }
  /** tep_is_pid_registered. */
  isPidRegistered(pid: number): boolean {
    return this.cmdlines.has(pid);
  }
  /** `<idle>` for pid 0, the saved comm, else `<...>`. */
  commOf(pid: number): string {
    return this.cmdlines.comm(pid);
  }
  /** The symbol containing addr (libtraceevent's rule: the last symbol matches only exactly). */
  findFunction(addr: bigint): FunctionSymbol | undefined {
    return this.kallsyms.find(addr);
  }
  /** tep_register_function. */
  registerFunction(name: string, addr: bigint, module?: string): void {
    this.kallsyms.register(name, addr, module);
  }
  /** The printk format stored for a kernel address. */
  findPrintk(addr: bigint): string | undefined {
    return this.printk.find(addr);
  }

  // ---- record accessors (common fields) ----
  #commonInfo(): CommonLoc | null {
    if (this.#common) return this.#common;
    const first = this.#firstEvent();
    if (!first) return null;
    const loc = (name: string): [number, number] => {
      const f = first.commonFields.find((x) => x.name === name);
      return f ? [f.offset, f.size] : [-1, 0];
    };
    this.#common = { type: loc('common_type'), pid: loc('common_pid'), flags: loc('common_flags'), pc: loc('common_preempt_count') };
    return this.#common;
  }

  #readCommon(r: TraceRecord, which: 'type' | 'pid' | 'flags' | 'pc'): number {
    const c = this.#commonInfo();
    if (!c) return -1;
    const [off, size] = c[which];
    if (off < 0 || off + size > r.size) return -1;
    return readNumberSmall(r, off, size, this.littleEndian);
  }

  // common_type / common_pid locations as plain numbers for the per-record fast paths
  #fastReady = false;
  #typeOff = -1;
  #typeSize = 0;
  #pidOff = -1;
  #pidSize = 0;
  #initFast(): void {
    const c = this.#commonInfo();
    this.#fastReady = c !== null;
    if (!c) return;
    [this.#typeOff, this.#typeSize] = c.type;
    [this.#pidOff, this.#pidSize] = c.pid;
  }

  /** common_type of the record, or -1 if the record is too short. */
  typeOf(record: TraceRecord): number {
    if (!this.#fastReady) {
      this.#initFast();
      if (!this.#fastReady) return -1;
    }
    const off = this.#typeOff;
    if (this.#typeSize === 2 && off >= 0 && off + 2 <= record.size) return record.view.getUint16(record.offset + off, this.littleEndian);
    return this.#readCommon(record, 'type');
  }
  pidOf(record: TraceRecord): number {
    if (!this.#fastReady) {
      this.#initFast();
      if (!this.#fastReady) return -1;
    }
    const off = this.#pidOff;
    if (this.#pidSize === 4 && off >= 0 && off + 4 <= record.size) return record.view.getInt32(record.offset + off, this.littleEndian);
    const v = this.#readCommon(record, 'pid');
    return v === -1 ? -1 : v | 0;
  }
  /** common_flags */
  flagsOf(record: TraceRecord): number {
    return this.#readCommon(record, 'flags');
  }
  /** common_preempt_count */
  preemptCountOf(record: TraceRecord): number {
    return this.#readCommon(record, 'pc');
  }
  /** Any common field by name (e.g. common_migrate_disable), or undefined when absent. */
  commonFieldOf(record: TraceRecord, name: string): number | undefined {
    const first = this.#firstEvent();
    const f = first?.commonFields.find((x) => x.name === name);
    if (!f || f.offset + f.size > record.size) return undefined;
    return readNumberSmall(record, f.offset, f.size, this.littleEndian);
  }
  /** The event of a record (tep_find_event_by_record), or undefined. */
  eventOf(record: TraceRecord): EventFormat | undefined {
    const t = this.typeOf(record);
    return t < 0 ? undefined : this.findEventById(t);
  }

  // ---- field accessors (used by plugins and filters) ----
  /** The field's value as an unsigned number of its size (no sign extension, like tep_read_number). */
  readField(record: TraceRecord, field: Field): bigint {
    if (field.offset + field.size > record.size) return 0n;
    return readNumberBig(record, field.offset, field.size, this.littleEndian);
  }
  /** Same, as a JS number (exact for fields up to 6 bytes; 8-byte values may lose precision). */
  readFieldNumber(record: TraceRecord, field: Field): number {
    if (field.offset + field.size > record.size) return 0;
    return readNumberSmall(record, field.offset, field.size, this.littleEndian);
  }
  /** Signed value honouring the field's signedness and size. */
  readFieldSigned(record: TraceRecord, field: Field): bigint {
    const v = this.readField(record, field);
    if (!(field.flags & FieldFlag.Signed) || field.size < 1 || field.size > 8) return v;
    return BigInt.asIntN(field.size * 8, v);
  }
  /** A char array / __data_loc string field as text (stops at the first NUL). */
  readString(record: TraceRecord, field: Field): string {
    const [off, len] = this.fieldExtent(record, field);
    return boundedCString(record, off, len);
  }
  /** Bytes of an array or dynamic-array field (a view). */
  readBytes(record: TraceRecord, field: Field): Uint8Array {
    const [off, len] = this.fieldExtent(record, field);
    const start = Math.min(record.page.length, record.offset + off);
    return record.page.subarray(start, Math.min(record.page.length, start + len));
  }
  /** [payload offset, length] of a field's data (dynamic fields resolved; size-0 arrays run to the record end). */
  fieldExtent(record: TraceRecord, field: Field): [number, number] {
    if (field.flags & FieldFlag.Dynamic) return dynamicOffset(record, field, this.littleEndian);
    if (field.size === 0) return [field.offset, Math.max(0, record.size - field.offset)];
    return [field.offset, field.size];
  }

  // ---- printing ----
  /** Default print mode for formatInfo. */
  printMode: PrintMode = 'default';

  /** Registers a plugin handler for SYSTEM:NAME (system may be undefined = any). The last registration wins. */
  registerEventHandler(system: string | undefined, name: string, handler: EventHandler): void {
    this.#handlers.push({ system, name, handler });
    this.#handlerVersion++;
  }
  /** Removes handlers for SYSTEM:NAME. */
  unregisterEventHandler(system: string | undefined, name: string): void {
    for (let i = this.#handlers.length - 1; i >= 0; i--) {
      const h = this.#handlers[i]!;
      if (h.name === name && h.system === system) this.#handlers.splice(i, 1);
    }
    this.#handlerVersion++;
  }
  /** The handler a plugin registered for this event, if any (cached on the event). */
  handlerOf(event: EventFormat): EventHandler | undefined {
    if (this.#handlerCacheVersion !== this.#handlerVersion) {
      this.#handlerCache.clear();
      this.#handlerCacheVersion = this.#handlerVersion;
    }
    let h = this.#handlerCache.get(event);
    if (h === undefined) {
      h = null;
      for (let i = this.#handlers.length - 1; i >= 0; i--) {
        const e = this.#handlers[i]!;
        if (e.name === event.name && (e.system === undefined || e.system === event.system)) {
          h = e.handler;
          break;
        }
      }
      this.#handlerCache.set(event, h);
    }
    return h ?? undefined;
  }
  // handlerOf's answers (null: no handler), valid while #handlerCacheVersion === #handlerVersion
  readonly #handlerCache = new Map<EventFormat, EventHandler | null>();
  #handlerCacheVersion = 0;

  /** The engine's own event behind a public EventFormat (one this Tep returned). */
  #own(event: EventFormat): TepEvent {
    if (event instanceof TepEvent) return event;
    const ev = this.#byId.get(event.id);
    if (ev === undefined)
      throw new UtpError(TepErrorCode.UnknownEvent, `Event ${event.system}:${event.name} (id ${event.id}) is not registered in this Tep`);
    return ev;
  }

  registerPrintFunction(fn: PrintFunction): void {
    this.#functions.set(fn.name, fn);
    // events that failed on this unknown function must be parsed again
    for (const ev of this.#list) if (ev.formatText.includes(fn.name)) ev.reset();
  }

  /**
   * The info column (what follows `name: ` and padding) for a record, without a
   * trailing newline. 'default' uses a plugin handler when one is registered,
   * 'noplugins' always the print fmt, 'raw' the ` name=value` field list.
   */
  formatInfo(record: TraceRecord, event: EventFormat, mode: PrintMode = this.printMode): string {
    const ev = this.#own(event);
    if (mode === 'raw') return ev.rawInfo(record);
    const h = mode === 'default' ? this.handlerOf(ev) : undefined;
    if (!h) return ev.prettyInfo(record);
    const s = h(record, ev, this);
    return s.length && s.charCodeAt(s.length - 1) === 10 ? s.slice(0, -1) : s;
  }

  /**
   * formatInfo() written into `out` as bytes (one per char): the same text, without
   * building a string on the compiled fast paths. Plugin handlers still return strings.
   */
  /** Changes whenever event handlers are registered or removed (emitters from infoEmitter() then go stale). */
  get handlerVersion(): number {
    return this.#handlerVersion;
  }

  /**
   * The function emitInfo(·, event, mode, ·) runs, resolved once: callers printing many
   * records keep it while `handlerVersion` stays the same.
   */
  infoEmitter(event: EventFormat, mode: PrintMode): EmitFn {
    const ev = this.#own(event);
    if (mode === 'raw') return ev.rawEmitter();
    const h = mode === 'default' ? this.handlerOf(ev) : undefined;
    if (!h) return ev.prettyEmitter();
    const he = h.emit;
    if (he) {
      return (record, out) => {
        const start = out.pos;
        he(record, ev, this, out);
        if (out.pos > start && out.buf[out.pos - 1] === 10) out.pos--;
      };
    }
    return (record, out) => {
      const s = h(record, ev, this);
      out.latin1(s.length && s.charCodeAt(s.length - 1) === 10 ? s.slice(0, -1) : s);
    };
  }

  emitInfo(record: TraceRecord, event: EventFormat, mode: PrintMode, out: OutBuffer): void {
    const ev = this.#own(event);
    if (mode === 'raw') {
      ev.emitRawInfo(record, out);
      return;
    }
    const h = mode === 'default' ? this.handlerOf(ev) : undefined;
    if (!h) {
      ev.emitPrettyInfo(record, out);
      return;
    }
    if (h.emit) {
      const start = out.pos;
      h.emit(record, ev, this, out);
      if (out.pos > start && out.buf[out.pos - 1] === 10) out.pos--;
      return;
    }
    const s = h(record, ev, this);
    out.latin1(s.length && s.charCodeAt(s.length - 1) === 10 ? s.slice(0, -1) : s);
  }

  /** The print-fmt rendering of a record (what a plugin handler may fall back to). */
  formatPretty(record: TraceRecord, event: EventFormat): string {
    return this.#own(event).pretty(record);
  }
  /** The raw field list of a record (tep_print_fields). */
  formatFields(record: TraceRecord, event: EventFormat): string {
    return this.#own(event).raw(record);
  }

  #diag(level: 'error' | 'warning' | 'info', code: string, message: string): void {
    this.onDiagnostic?.({ level, code, message });
  }
}
