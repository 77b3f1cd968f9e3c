/**
 * The unified event stream: what every source (trace.dat, perf.data, CTF) hands to every consumer
 * (the model's store, `utp convert`'s sinks). One definition for all; see docs/event-stream.md.
 *
 * A source describes its event classes and its metadata up front, then pushes events in time
 * order into a sink. An event is a handful of numbers (no object per event: the sink gets one
 * reused `StreamEvent`); the rest of it (its fields, its text) is decoded lazily, later, from
 * `loc` — a number only the source interprets (trace.dat: page id and offset in the page).
 */
import type { EventFormat, TraceRecord } from '@utp/traceevent';

/** Field kinds of the stream (what a converter needs to write the value elsewhere). */
export const FieldKind = {
  /** Integer of `size` bytes, `signed` or not (64-bit values as bigint). */
  Integer: 'integer',
  /** NUL-terminated text (char arrays, __data_loc char[], CTF strings). */
  String: 'string',
  /** Fixed (`length` > 0) or dynamic (`dynamic`) array of `elementSize`-byte integers. */
  Array: 'array',
  /** Floating point (CTF floats, perf sample values). */
  Float: 'float',
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** One field of an event class. */
export interface StreamField {
  readonly name: string;
  /** The type as the source spells it (`unsigned long`, `__data_loc char[]`, `uint32_t`). */
  readonly type: string;
  readonly kind: FieldKind;
  /** Size in bytes of the whole field (0: dynamic or flexible). */
  readonly size: number;
  readonly signed: boolean;
  /** Arrays: element count (0: dynamic/flexible); otherwise 0. */
  readonly length: number;
  /** Arrays: element size; otherwise `size`. */
  readonly elementSize: number;
  /** Data lives elsewhere in the record (__data_loc / __rel_loc, CTF sequences). */
  readonly dynamic: boolean;
  /** Byte offset in the raw record when the source has one (-1 otherwise). */
  readonly offset: number;
}

/** An event class (trace.dat: an event format; CTF: an event class; perf: an attr). */
export interface EventClass {
  /** Dense id within the source (what StreamEvent.classId holds). */
  readonly id: number;
  /** The id in the file (trace.dat common_type, CTF event id). */
  readonly fileId: number;
  readonly system: string;
  readonly name: string;
  /** Fields shared by every event (common_* in trace.dat). */
  readonly commonFields: readonly StreamField[];
  readonly fields: readonly StreamField[];
  /** The libtraceevent format when the source has one (decoding and printing go through it). */
  readonly format: EventFormat | undefined;
}

/** Latency flags of an event (the kernel's TRACE_FLAG_* bits of common_flags). */
export const EventFlag = {
  IrqsOff: 0x01,
  IrqsNotSupported: 0x02,
  NeedResched: 0x04,
  HardIrq: 0x08,
  SoftIrq: 0x10,
} as const;

/**
 * One event as the source pushes it. The sink gets the same object every time: copy what you
 * keep. `ts` is nanoseconds on the source's clock after the file's own offsets (DATE/OFFSET,
 * TSC2NSEC) are applied; exact while below 2^53 (`tsBig` holds larger values).
 */
export interface StreamEvent {
  ts: number;
  tsBig: bigint | undefined;
  cpu: number;
  /** Task id (-1 when the source has none). */
  pid: number;
  /** Index into the source's `classes` (-1: unknown event id). */
  classId: number;
  /** EventFlag bits (common_flags). */
  flags: number;
  /** Preemption count (common_preempt_count), 0 when the source has none. */
  preempt: number;
  /** Which of the source's buffers (instances) the event comes from (0: the top buffer). */
  buffer: number;
  /** Where to decode the rest: a number only the source interprets. */
  loc: number;
  /** The event's fields, readable only during the sink's `event` call (analyses read them there). */
  fields: CurrentFields;
}

/** Reads fields of the event being pushed (valid only inside EventSink.event). */
export interface CurrentFields {
  /** An integer field as a number (sign-extended when signed; 64-bit values may round). 0 when absent. */
  int(field: StreamField): number;
  /** A string field (char array / __data_loc char[]), '' when absent. */
  str(field: StreamField): string;
}

/** Events the kernel dropped before `ts` on `cpu` (`count` -1: unknown). */
export interface LostEvents {
  ts: number;
  cpu: number;
  buffer: number;
  count: number;
}

/** What a source knows about where its events come from. */
export interface SourceMeta {
  /** 'trace.dat', 'perf.data', 'ctf'. */
  readonly format: string;
  /** Name for messages (file name). */
  readonly name: string;
  /** Trace clock name ('local', 'mono', 'x86-tsc', …; '' when unknown). */
  readonly clock: string;
  /** Timestamps count nanoseconds (false: raw counter ticks). */
  readonly nanoseconds: boolean;
  /** Offset (ns) the source already added to every timestamp (trace.dat DATE/OFFSET). */
  readonly tsOffset: bigint;
  /** The recording's wall-clock start when known (ns since the Unix epoch). */
  readonly date: bigint | undefined;
  readonly hostname: string | undefined;
  /** `uname -a` style text when known. */
  readonly uname: string | undefined;
  readonly cpuCount: number;
  /** Buffer (instance) names; index = StreamEvent.buffer; '' is the top buffer. */
  readonly buffers: readonly string[];
  /** Identifies a recording across files (trace.dat trace id, for host/guest pairing). */
  readonly traceId: bigint | undefined;
}

/** Where a source pushes. Returning false from `event` stops the source. */
export interface EventSink {
  event(e: StreamEvent): boolean | void;
  /** Before the first event: about how many events will come (0: unknown). */
  expect?(events: number): void;
  lost?(l: LostEvents): void;
}

/** A decoded field value. */
export type FieldValue = bigint | number | string | Uint8Array | readonly (bigint | number)[];

export interface ReadOptions {
  /** An AbortSignal (typed structurally: universal packages have no DOM types). */
  signal: { readonly aborted: boolean; readonly reason?: unknown } | undefined;
  /** Called about every `progressEvery` events with the bytes consumed so far. */
  onProgress: ((bytesDone: number, bytesTotal: number, events: number) => void) | undefined;
  progressEvery: number;
  /** Yield to the event loop every this many events (0: never). */
  yieldEvery: number;
}

/** A source of the unified event stream. */
export interface EventSource {
  readonly meta: SourceMeta;
  readonly classes: readonly EventClass[];
  /** Pushes every event, in time order, into the sink. */
  read(sink: EventSink, options?: Partial<ReadOptions>): Promise<void>;
  /** The raw record at `loc` (for sources with libtraceevent formats), with `ts`/`cpu` from the event. */
  record(loc: number, ts: number, cpu: number): TraceRecord | undefined;
  /** The fields of the event at `loc`, decoded (event fields, then common fields). */
  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }>;
  /** The info text (`utp report`'s last column) of the event at `loc`. */
  info(loc: number, classId: number, ts: number, cpu: number): string;
  /** The task name a source knows for a pid (trace.dat: saved cmdlines), or undefined. */
  commOf(pid: number): string | undefined;
  /** The whole line its reference tool prints for the event (trace.dat: `trace-cmd report`'s), when the source can. */
  line?(loc: number, ts: number, cpu: number): string;
  /** A filter expression in the source's own language (trace.dat: trace-cmd `-F`) as a predicate. */
  compileFilter?(expr: string): (loc: number, ts: number, cpu: number) => boolean;
}
