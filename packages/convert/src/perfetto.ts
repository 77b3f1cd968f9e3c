/**
 * Perfetto sink: the unified event stream as a Perfetto protobuf trace (`Trace` = repeated
 * `TracePacket`, what Perfetto's UI and trace_processor open). Packets, all on trusted
 * sequence 1 (message definitions: ../proto/perfetto_subset.proto):
 *   - a SystemInfo (uname: Perfetto reads sched_switch's prev_state by kernel release) and a
 *     ClockSnapshot (the trace's clock presented as Perfetto's boot clock, 1:1) before the events;
 *   - FtraceEventBundles per CPU, cut at ~64 KiB: every event with its timestamp and pid, as
 *     Perfetto's typed message where it has one (perfetto-events.ts), else a GenericFtraceEvent
 *     (every field by name with its int/uint/string value); a bundle after lost events says so;
 *   - a ProcessTree at the end: every task seen, with its latest name and its thread group.
 * Memory: one bundle per CPU and one output chunk, plus the task table.
 */
import type { EventClass, EventSink, EventSource, FieldValue, LostEvents, ReadOptions, StreamEvent, StreamField } from '@utp/model';
import { FieldKind } from '@utp/model';
import { ByteOut } from './out-buffer.js';
import type { ByteSink } from './out-buffer.js';
import { GENERIC, TYPED_EVENTS } from './perfetto-events.js';
import type { ProtoType } from './perfetto-events.js';
import { ProtoWriter, varintSize } from './proto-writer.js';
import { TaskTable, fieldIndex, roleOf } from './tasks.js';
import type { Role } from './tasks.js';
import type { ConvertResult } from './chrome-json.js';
import { arrayElements, isAscii, isUtf8, utf8Text } from './values.js';

/** A protobuf `string` must be UTF-8: a byte string that is not goes out with U+FFFD for its bad bytes (as in Chrome JSON). */
function protoString(b: ProtoWriter, no: number, s: string): void {
  if (isAscii(s) || isUtf8(s)) b.byteString(no, s);
  else b.text(no, utf8Text(s));
}

export interface PerfettoOptions {
  chunkSize: number;
  /** A CPU's bundle is written when it holds this many bytes. */
  bundleSize: number;
  /** Byte order of the source's array fields (trace.dat: the file's). */
  littleEndian: boolean;
}
const DEFAULTS: Readonly<PerfettoOptions> = Object.freeze({ chunkSize: 1 << 20, bundleSize: 1 << 16, littleEndian: true });

export interface PerfettoResult extends ConvertResult {
  /** Events written as Perfetto's typed messages / as GenericFtraceEvent. */
  typed: number;
  generic: number;
  /** Per `system:name` written typed: kernel fields its message has no place for. */
  dropped: Record<string, string[]>;
  packets: number;
}

const SEQ = 1;
// TracePacket fields
const P_FTRACE = 1,
  P_PROCESS_TREE = 2,
  P_CLOCK = 6,
  P_TIMESTAMP = 8,
  P_SEQ = 10,
  P_SYSINFO = 45;
const BOOTTIME = 6,
  MONOTONIC = 3,
  REALTIME = 1;

interface Plan {
  typed: boolean;
  role: Role;
  idx: Map<string, number>;
  number: number;
  /** typed: [value index, field number, type, stream field]; generic: field number 0. */
  fields: Array<{ idx: number; no: number; type: ProtoType | ''; sf: StreamField }>;
  name: string;
}

function fits(sf: StreamField, t: ProtoType): boolean {
  if (t === 'string') return sf.kind === FieldKind.String;
  if (t === 'repeated uint64') return sf.kind === FieldKind.Array;
  return sf.kind === FieldKind.Integer;
}

function plan(c: EventClass, dropped: Record<string, string[]>): Plan {
  const key = `${c.system}:${c.name}`;
  const t = TYPED_EVENTS[key];
  const fields: Plan['fields'] = [];
  if (t) {
    const lost: string[] = [];
    let ok = true;
    c.fields.forEach((sf, idx) => {
      const m = t.fields[sf.name];
      if (!m) lost.push(sf.name);
      else if (!fits(sf, m[1])) ok = false;
      else fields.push({ idx, no: m[0], type: m[1], sf });
    });
    if (ok) {
      if (lost.length) dropped[key] = lost;
      return { typed: true, role: roleOf(c), idx: fieldIndex(c), number: t.number, fields, name: c.name };
    }
    fields.length = 0;
  }
  c.fields.forEach((sf, idx) => {
    fields.push({ idx, no: 0, type: '', sf });
  });
  return { typed: false, role: roleOf(c), idx: fieldIndex(c), number: GENERIC.number, fields, name: c.name };
}

/** uname text → Utsname parts. trace.dat's is `sysname nodename release machine`; longer forms carry the version before the machine. */
function utsname(u: string): { sysname: string; release: string; version: string; machine: string } | undefined {
  const p = u.trim().split(/\s+/);
  if (p.length < 3) return undefined;
  const machine = p.length >= 4 ? p[p.length - 1]! : '';
  return { sysname: p[0]!, release: p[2]!, version: p.length > 4 ? p.slice(3, -1).join(' ') : '', machine };
}

export class PerfettoWriter implements EventSink {
  private readonly out: ByteOut;
  private readonly opts: PerfettoOptions;
  private readonly tasks: TaskTable;
  private readonly plans: Array<Plan | undefined> = [];
  private readonly bundles: Array<ProtoWriter | undefined> = [];
  private readonly lostNext: boolean[] = [];
  private readonly pw = new ProtoWriter(1 << 12);
  private started = false;
  private lastTs: number | bigint = 0;
  private readonly r: PerfettoResult = { events: 0, unknown: 0, losses: 0, bytes: 0, typed: 0, generic: 0, dropped: {}, packets: 0 };

  constructor(
    private readonly source: EventSource,
    sink: ByteSink,
    options: Partial<PerfettoOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.out = new ByteOut(sink, this.opts.chunkSize);
    this.tasks = new TaskTable(source);
  }

  /** Writes the packet in `pw` as a Trace.packet (field 1). */
  private packet(w: ProtoWriter): void {
    w.int(P_SEQ, SEQ);
    const head = new ProtoWriter(16);
    head.tag(1, 2);
    head.uvarint(w.pos);
    this.out.bytes(head.view());
    this.out.bytes(w.view());
    this.r.packets++;
  }

  private start(ts: number | bigint): void {
    this.started = true;
    const m = this.source.meta;
    const w = this.pw.reset();
    const u = m.uname ? utsname(m.uname) : undefined;
    w.fork();
    if (u) {
      w.fork();
      w.text(1, u.sysname);
      if (u.version) w.text(2, u.version);
      w.text(3, u.release);
      if (u.machine) w.text(4, u.machine);
      w.join(1);
    }
    if (m.cpuCount) w.int(8, m.cpuCount);
    w.join(P_SYSINFO);
    this.packet(w);
    w.reset();
    w.int(P_TIMESTAMP, ts);
    w.fork();
    for (const id of [BOOTTIME, MONOTONIC]) {
      w.fork();
      w.int(1, id);
      w.int(2, ts);
      w.join(1);
    }
    if (m.date !== undefined && m.nanoseconds) {
      w.fork();
      w.int(1, REALTIME);
      w.int(2, m.date);
      w.join(1);
    }
    w.int(2, BOOTTIME); // primary_trace_clock
    w.join(P_CLOCK);
    this.packet(w);
  }

  event(e: StreamEvent): void {
    const c = e.classId >= 0 ? this.source.classes[e.classId] : undefined;
    if (!c) {
      this.r.unknown++;
      return;
    }
    if (!this.started) this.start(e.tsBig ?? e.ts);
    this.lastTs = e.tsBig ?? e.ts;
    let p = this.plans[c.id];
    if (!p) this.plans[c.id] = p = plan(c, this.r.dropped);
    const vals = this.source.values(e.loc, e.classId);
    this.tasks.learn(p.role, p.idx, vals, e.pid);
    this.tasks.see(e.pid);
    const cpu = e.cpu;
    let b = this.bundles[cpu];
    if (!b) this.bundles[cpu] = b = new ProtoWriter(this.opts.bundleSize + 4096);
    b.fork();
    b.int(1, e.tsBig ?? e.ts);
    if (e.pid >= 0) b.int(2, e.pid);
    if (e.flags) b.int(5, e.flags);
    b.fork();
    if (p.typed) {
      this.r.typed++;
      for (const f of p.fields) this.typedField(b, f.no, f.type as ProtoType, vals[f.idx]?.value, f.sf);
    } else {
      this.r.generic++;
      protoString(b, GENERIC.eventName, p.name);
      for (const f of p.fields) {
        const v = vals[f.idx];
        if (v) this.genericField(b, f.sf, v.value);
      }
    }
    b.join(p.number);
    b.join(2);
    this.r.events++;
    if (b.pos >= this.opts.bundleSize) this.flushCpu(cpu);
  }

  private typedField(b: ProtoWriter, no: number, t: ProtoType, v: FieldValue | undefined, sf: StreamField): void {
    if (v === undefined) return;
    if (t === 'string') {
      protoString(b, no, typeof v === 'string' ? v : '');
      return;
    }
    if (t === 'repeated uint64') {
      const items = v instanceof Uint8Array ? arrayElements(v, sf, this.opts.littleEndian) : Array.isArray(v) ? v : [];
      for (const x of items) b.int(no, BigInt.asUintN(64, BigInt(x)));
      return;
    }
    if (typeof v !== 'number' && typeof v !== 'bigint') return;
    if (t === 'uint32') b.int(no, typeof v === 'number' ? v >>> 0 : BigInt.asUintN(32, v));
    else if (t === 'uint64') b.int(no, typeof v === 'number' && v < 0 ? BigInt.asUintN(64, BigInt(v)) : v);
    else b.int(no, v);
  }

  private genericField(b: ProtoWriter, sf: StreamField, v: FieldValue): void {
    b.fork();
    b.byteString(GENERIC.fieldName, sf.name);
    if (typeof v === 'string') protoString(b, GENERIC.str, v);
    else if (typeof v === 'number' || typeof v === 'bigint') {
      if (sf.signed) b.int(GENERIC.int, v);
      else b.int(GENERIC.uint, typeof v === 'number' && v < 0 ? BigInt.asUintN(64, BigInt(v)) : v);
    } else {
      const items = v instanceof Uint8Array ? arrayElements(v, sf, this.opts.littleEndian) : v;
      b.byteString(GENERIC.str, `[${items.join(', ')}]`);
    }
    b.join(GENERIC.field);
  }

  private flushCpu(cpu: number): void {
    const b = this.bundles[cpu];
    if (!b || b.pos === 0) return;
    const lost = this.lostNext[cpu] === true;
    this.lostNext[cpu] = false;
    const bundleLen = 1 + varintSize(cpu) + (lost ? 2 : 0) + b.pos;
    const w = this.pw.reset();
    w.tag(P_FTRACE, 2);
    w.uvarint(bundleLen);
    w.int(1, cpu);
    if (lost) w.int(3, 1);
    const packetLen = w.pos + b.pos + 2; // + trusted_packet_sequence_id
    const head = new ProtoWriter(16);
    head.tag(1, 2);
    head.uvarint(packetLen);
    this.out.bytes(head.view());
    this.out.bytes(w.view());
    this.out.bytes(b.view());
    w.reset();
    w.int(P_SEQ, SEQ);
    this.out.bytes(w.view());
    this.r.packets++;
    b.reset();
  }

  lost(l: LostEvents): void {
    this.r.losses++;
    this.flushCpu(l.cpu);
    this.lostNext[l.cpu] = true;
  }

  finish(): PerfettoResult {
    for (let cpu = 0; cpu < this.bundles.length; cpu++) this.flushCpu(cpu);
    const w = this.pw.reset();
    const tasks = [...this.tasks.seen].sort((a, b) => a - b);
    if (tasks.length) {
      if (this.started) w.int(P_TIMESTAMP, this.lastTs);
      w.fork();
      const groups = new Set<number>();
      for (const t of tasks) groups.add(this.tasks.tgidOf(t));
      for (const pid of [...groups].sort((a, b) => a - b)) {
        w.fork();
        w.int(1, pid);
        protoString(w, 3, this.tasks.nameOf(pid) || `pid ${pid}`);
        w.int(9, 1); // cmdline_is_comm
        w.join(1);
      }
      for (const tid of tasks) {
        w.fork();
        w.int(1, tid);
        const name = this.tasks.nameOf(tid);
        if (name) protoString(w, 2, name);
        w.int(3, this.tasks.tgidOf(tid));
        w.join(2);
      }
      w.join(P_PROCESS_TREE);
      this.packet(w);
    }
    this.out.flush();
    this.r.bytes = this.out.length;
    return { ...this.r, dropped: { ...this.r.dropped } };
  }
}

/** Reads the whole source into a Perfetto trace, chunk by chunk into `sink`. */
export async function writePerfetto(
  source: EventSource,
  sink: ByteSink,
  options: Partial<PerfettoOptions & ReadOptions> = {},
): Promise<PerfettoResult> {
  const w = new PerfettoWriter(source, sink, options);
  await source.read(w, options);
  return w.finish();
}
