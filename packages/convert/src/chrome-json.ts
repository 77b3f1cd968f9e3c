/**
 * Chrome JSON sink: the unified event stream as the Trace Event Format (chrome://tracing,
 * Perfetto UI, speedscope). Streams: every event is written as it comes, into a bounded buffer
 * (`ByteOut`); what is kept grows with tasks and CPUs, not with events. See docs/convert.md.
 *
 *   - every trace event is one JSON event on its task's thread (pid = thread group, tid = task):
 *     `B`/`E` for the events that open/close a slice (sys_enter/sys_exit, irq_handler_entry/exit,
 *     softirq_entry/exit), `i` (thread-scoped instant) for the rest; args = the event's fields;
 *   - on-CPU slices per CPU (`X`, from sched_switch) on one track per CPU ("CPU n" threads of a
 *     "CPUs" process whose ids start at PID_LIMIT), the idle task of CPU n as its own thread;
 *   - `M` events name every process and thread (at the end: the latest names).
 */
import type { EventClass, EventSink, EventSource, FieldValue, LostEvents, ReadOptions, StreamEvent, StreamField } from '@utp/model';
import { ByteOut } from './out-buffer.js';
import type { ByteSink } from './out-buffer.js';
import { PID_LIMIT, Role, TaskTable, fieldIndex, num, roleOf, str } from './tasks.js';
import { arrayElements, fitsDouble, utf8Text } from './values.js';

export interface ChromeJsonOptions {
  /** Bytes per chunk handed to the sink. */
  chunkSize: number;
  /** Byte order of the source's array fields (trace.dat: the file's). */
  littleEndian: boolean;
}

const DEFAULTS: Readonly<ChromeJsonOptions> = Object.freeze({ chunkSize: 1 << 20, littleEndian: true });

export interface ConvertResult {
  /** Trace events written (each once). */
  events: number;
  /** Events of an unknown class, left out. */
  unknown: number;
  /** Loss reports (each written as a `lost events` instant on its CPU's track). */
  losses: number;
  /** Bytes written. */
  bytes: number;
}

export interface ChromeJsonResult extends ConvertResult {
  /** On-CPU slices (`X`) derived from sched_switch. */
  cpuSlices: number;
  /** `E` events utp added: a slice still open at the end, or one whose end event was lost. */
  closed: number;
}

/** pid/tid of CPU n's track, and of CPU n's idle task (pid 0 is every CPU's idle task). */
export const CPU_PID = PID_LIMIT;
export const cpuTid = (cpu: number): number => PID_LIMIT + 1 + cpu;
export const idleTid = (cpu: number): number => PID_LIMIT + 65536 + cpu;

const Kind = { Sys: 1, Irq: 2, Softirq: 3 } as const;
const KIND_CAT = ['', 'syscall', 'irq', 'softirq'];
const SOFTIRQ = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'];

interface ClassInfo {
  role: Role;
  idx: Map<string, number>;
  fields: readonly StreamField[];
  /** `"name":` per field, JSON-escaped once. */
  keys: string[];
  /** `{"name":"…","cat":"…"` of the instant form. */
  head: string;
}

interface Open {
  kind: number;
  name: string;
  /** `{"name":…,"cat":…,"ph":` of its B and E. */
  head: string;
}

/** Microseconds with the nanosecond digits kept: 1234567 ns → "1234.567". */
export function usText(ns: number, big?: bigint): string {
  if (big !== undefined && !fitsDouble(big)) {
    const neg = big < 0n;
    const a = neg ? -big : big;
    return `${neg ? '-' : ''}${a / 1000n}.${String(a % 1000n).padStart(3, '0')}`;
  }
  const neg = ns < 0;
  const a = neg ? -ns : ns;
  const us = Math.floor(a / 1000);
  const r = a - us * 1000;
  return `${neg ? '-' : ''}${us}.${r < 10 ? '00' : r < 100 ? '0' : ''}${r}`;
}

/** A byte string JSON can hold as it is: printable ASCII without `"` or `\\`. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 34 || c === 92) return false;
  }
  return true;
}

function jsonValue(v: FieldValue, f: StreamField | undefined, le: boolean): string {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return fitsDouble(v) ? v.toString() : `"${v}"`;
    case 'string':
      return JSON.stringify(utf8Text(v));
  }
  const items = v instanceof Uint8Array ? (f ? arrayElements(v, f, le) : Array.from(v)) : v;
  let s = '[';
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    if (i) s += ',';
    s += typeof x === 'bigint' ? (fitsDouble(x) ? x.toString() : `"${x}"`) : String(x);
  }
  return s + ']';
}

export class ChromeJsonWriter implements EventSink {
  private readonly out: ByteOut;
  private readonly opts: ChromeJsonOptions;
  private readonly tasks: TaskTable;
  private readonly infos: Array<ClassInfo | undefined> = [];
  private readonly stacks = new Map<number, Open[]>();
  /** Slice name → its JSON head (syscall numbers, irqs and softirqs are few). */
  private readonly heads = new Map<string, string>();
  /** Per CPU: the task on it since `since` (ns), or pid -1. */
  private readonly onCpu: Array<{ pid: number; since: number; sinceBig: bigint | undefined } | undefined> = [];
  private readonly cpus = new Set<number>();
  private readonly threads = new Map<number, number>(); // tid -> pid, for M events
  private first = true;
  private lastTs = 0;
  private lastBig: bigint | undefined;
  private readonly r: ChromeJsonResult = { events: 0, unknown: 0, losses: 0, bytes: 0, cpuSlices: 0, closed: 0 };

  constructor(
    private readonly source: EventSource,
    sink: ByteSink,
    options: Partial<ChromeJsonOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.out = new ByteOut(sink, this.opts.chunkSize);
    this.tasks = new TaskTable(source);
    this.out.text('{"traceEvents":[\n');
  }

  private info(c: EventClass): ClassInfo {
    let i = this.infos[c.id];
    if (!i) {
      i = {
        role: roleOf(c),
        idx: fieldIndex(c),
        fields: c.fields,
        keys: c.fields.map((f) => `${JSON.stringify(f.name)}:`),
        head: `{"name":${JSON.stringify(c.name)},"cat":${JSON.stringify(c.system)}`,
      };
      this.infos[c.id] = i;
    }
    return i;
  }

  private emit(json: string): void {
    if (!this.first) this.out.text(',\n');
    this.out.text(json);
    this.first = false;
  }

  private thread(pid: number, cpu: number): { pid: number; tid: number } {
    // no task known (a CTF without a tid context): the CPU's track
    if (pid < 0) return { pid: CPU_PID, tid: cpuTid(cpu) };
    if (pid === 0) {
      const tid = idleTid(cpu);
      this.threads.set(tid, 0);
      return { pid: 0, tid };
    }
    const tgid = this.tasks.tgidOf(pid);
    if (!this.threads.has(pid)) this.threads.set(pid, tgid);
    return { pid: this.threads.get(pid)!, tid: pid };
  }

  event(e: StreamEvent): void {
    const c = e.classId >= 0 ? this.source.classes[e.classId] : undefined;
    if (!c) {
      this.r.unknown++;
      return;
    }
    const ci = this.info(c);
    const vals = this.source.values(e.loc, e.classId);
    this.tasks.learn(ci.role, ci.idx, vals, e.pid);
    this.tasks.see(e.pid);
    this.lastTs = e.ts;
    this.lastBig = e.tsBig;
    const cpu = e.cpu;
    if (!this.cpus.has(cpu)) this.cpus.add(cpu);
    const { pid, tid } = this.thread(e.pid, cpu);
    const get = (n: string): FieldValue | undefined => {
      const k = ci.idx.get(n);
      return k === undefined ? undefined : vals[k]?.value;
    };
    this.r.events++;
    // which form: a slice's B or E, or an instant (closing what a lost end event left open comes first)
    let head = '';
    let ph = '';
    switch (ci.role) {
      case Role.SchedSwitch:
        this.switchCpu(e, cpu, num(get('next_pid')));
        break;
      case Role.SysEnter:
        head = this.begin(tid, pid, cpu, Kind.Sys, `syscall ${num(get('id'))}`, e);
        ph = 'B';
        break;
      case Role.IrqEntry:
        head = this.begin(tid, pid, cpu, Kind.Irq, `irq ${num(get('irq'))} ${utf8Text(str(get('name')))}`.trimEnd(), e);
        ph = 'B';
        break;
      case Role.SoftirqEntry: {
        const vec = num(get('vec'));
        head = this.begin(tid, pid, cpu, Kind.Softirq, `softirq ${SOFTIRQ[vec] ?? vec}`, e);
        ph = 'B';
        break;
      }
      case Role.SysExit:
      case Role.IrqExit:
      case Role.SoftirqExit:
        head = this.end(tid, pid, cpu, ci.role === Role.SysExit ? Kind.Sys : ci.role === Role.IrqExit ? Kind.Irq : Kind.Softirq, e);
        if (head) ph = 'E';
        break;
    }
    const out = this.out;
    if (!this.first) out.ascii(',\n');
    this.first = false;
    if (ph) {
      out.text(head);
      out.ascii(ph === 'B' ? '"B","ts":' : '"E","ts":');
    } else {
      out.text(ci.head);
      out.ascii(',"ph":"i","s":"t","ts":');
    }
    if (e.tsBig !== undefined || e.ts < 0 || e.ts > 9007199254740991) out.ascii(usText(e.ts, e.tsBig));
    else out.micros(e.ts);
    out.ascii(',"pid":');
    out.int(pid);
    out.ascii(',"tid":');
    out.int(tid);
    out.ascii(',"cpu":');
    out.int(cpu);
    out.ascii(',"args":{');
    const le = this.opts.littleEndian;
    for (let k = 0; k < ci.fields.length; k++) {
      const v = vals[k];
      if (!v) break;
      if (k) out.ascii(',');
      out.text(ci.keys[k]!);
      this.value(v.value, ci.fields[k], le);
    }
    out.ascii('}}');
  }

  private value(v: FieldValue, f: StreamField | undefined, le: boolean): void {
    const out = this.out;
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) out.int(v);
      else out.ascii(Number.isFinite(v) ? String(v) : 'null');
    } else if (typeof v === 'bigint') {
      if (fitsDouble(v)) out.int(Number(v));
      else out.ascii(`"${v}"`);
    } else if (typeof v === 'string') {
      if (plainAscii(v)) {
        out.ascii('"');
        out.ascii(v);
        out.ascii('"');
      } else out.text(JSON.stringify(utf8Text(v)));
    } else if (v instanceof Uint8Array && f) this.array(v, f, le);
    else out.ascii(jsonValue(v, f, le));
  }

  /** An array field's elements, read from its bytes (no bigint unless an 8-byte element is beyond ±2^53). */
  private array(bytes: Uint8Array, f: StreamField, le: boolean): void {
    const out = this.out;
    const size = f.elementSize > 0 ? f.elementSize : 1;
    const n = Math.floor(bytes.length / size);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    out.ascii('[');
    for (let i = 0, o = 0; i < n; i++, o += size) {
      if (i) out.ascii(',');
      switch (size) {
        case 1:
          out.int(f.signed ? dv.getInt8(o) : bytes[o]!);
          break;
        case 2:
          out.int(f.signed ? dv.getInt16(o, le) : dv.getUint16(o, le));
          break;
        case 4:
          out.int(f.signed ? dv.getInt32(o, le) : dv.getUint32(o, le));
          break;
        case 8: {
          const lo = dv.getUint32(le ? o : o + 4, le),
            hi = dv.getUint32(le ? o + 4 : o, le);
          if (hi < 0x200000) out.int(hi * 4294967296 + lo);
          else if (f.signed && hi > 0xffe00000) out.int((hi - 4294967296) * 4294967296 + lo);
          else {
            const b = f.signed ? dv.getBigInt64(o, le) : dv.getBigUint64(o, le);
            out.ascii(fitsDouble(b) ? b.toString() : `"${b}"`);
          }
          break;
        }
        default:
          out.int(bytes[o]!);
      }
    }
    out.ascii(']');
  }

  /** Opens a slice on the task; returns its JSON head (the B is written by the caller). */
  private begin(tid: number, pid: number, cpu: number, kind: number, name: string, e: StreamEvent): string {
    let st = this.stacks.get(tid);
    if (!st) this.stacks.set(tid, (st = []));
    // the same kind still open on this task: its end event was lost
    if (st.some((o) => o.kind === kind)) this.closeDownTo(st, tid, pid, cpu, kind, usText(e.ts, e.tsBig), 'its end event was lost');
    let head = this.heads.get(name);
    if (head === undefined) {
      head = `{"name":${JSON.stringify(name)},"cat":"${KIND_CAT[kind]}","ph":`;
      if (this.heads.size < 4096) this.heads.set(name, head);
    }
    st.push({ kind, name, head });
    return head;
  }

  /** Closes the open slice of `kind` and returns its JSON head (the E is written by the caller); '' when none is open (an instant then). */
  private end(tid: number, pid: number, cpu: number, kind: number, e: StreamEvent): string {
    const st = this.stacks.get(tid);
    if (!st?.some((o) => o.kind === kind)) return '';
    if (st[st.length - 1]!.kind !== kind) {
      const ts = usText(e.ts, e.tsBig);
      while (st[st.length - 1]!.kind !== kind) this.closeTop(st, tid, pid, cpu, ts, 'its end event was lost');
    }
    const o = st.pop()!;
    if (!st.length) this.stacks.delete(tid);
    return o.head;
  }

  private closeDownTo(st: Open[], tid: number, pid: number, cpu: number, kind: number, ts: string, why: string): void {
    for (;;) {
      const k = st[st.length - 1]!.kind;
      this.closeTop(st, tid, pid, cpu, ts, why);
      if (k === kind) return;
    }
  }

  private closeTop(st: Open[], tid: number, pid: number, cpu: number, ts: string, why: string): void {
    const o = st.pop()!;
    this.r.closed++;
    this.emit(
      `{"name":${JSON.stringify(o.name)},"cat":"utp.closed","ph":"E","ts":${ts},"pid":${pid},"tid":${tid}${cpu >= 0 ? `,"cpu":${cpu}` : ''},"args":{"utp_closed":"${why}"}}`,
    );
  }

  private switchCpu(e: StreamEvent, cpu: number, next: number): void {
    this.closeCpu(cpu, e.ts, e.tsBig);
    this.onCpu[cpu] = next > 0 ? { pid: next, since: e.ts, sinceBig: e.tsBig } : undefined;
    if (next > 0) this.thread(next, cpu);
  }

  private closeCpu(cpu: number, ts: number, big: bigint | undefined): void {
    const o = this.onCpu[cpu];
    if (!o) return;
    this.onCpu[cpu] = undefined;
    const dur = big !== undefined && o.sinceBig !== undefined ? Number(big - o.sinceBig) : ts - o.since;
    const name = utf8Text(this.tasks.nameOf(o.pid)) || `pid ${o.pid}`;
    const tgid = this.threads.get(o.pid) ?? this.tasks.tgidOf(o.pid);
    this.r.cpuSlices++;
    this.emit(
      `{"name":${JSON.stringify(name)},"cat":"sched.oncpu","ph":"X","ts":${usText(o.since, o.sinceBig)},"dur":${usText(Math.max(0, dur))},"pid":${CPU_PID},"tid":${cpuTid(cpu)},"args":{"pid":${tgid},"tid":${o.pid}}}`,
    );
  }

  lost(l: LostEvents): void {
    this.r.losses++;
    if (!this.cpus.has(l.cpu)) this.cpus.add(l.cpu);
    this.emit(
      `{"name":"lost events","cat":"utp.lost","ph":"i","s":"t","ts":${usText(l.ts)},"pid":${CPU_PID},"tid":${cpuTid(l.cpu)},"cpu":${l.cpu},"args":{"count":${l.count}}}`,
    );
  }

  /** Closes what is open, names processes and threads, ends the JSON. */
  finish(): ChromeJsonResult {
    const ts = usText(this.lastTs, this.lastBig);
    for (const [tid, st] of this.stacks) {
      const pid = this.threads.get(tid) ?? 0;
      while (st.length) this.closeTop(st, tid, pid, -1, ts, 'still open at the end of the trace');
    }
    this.stacks.clear();
    for (const cpu of this.cpus) this.closeCpu(cpu, this.lastTs, this.lastBig);
    const meta = (ph: string, name: string, pid: number, tid: number | undefined, value: string): void =>
      this.emit(
        `{"name":"${name}","ph":"${ph}","pid":${pid}${tid === undefined ? '' : `,"tid":${tid}`},"args":{"name":${JSON.stringify(value)}}}`,
      );
    const cpus = [...this.cpus].sort((a, b) => a - b);
    if (cpus.length) {
      meta('M', 'process_name', CPU_PID, undefined, 'CPUs');
      for (const c of cpus) meta('M', 'thread_name', CPU_PID, cpuTid(c), `CPU ${c}`);
    }
    const procs = new Set<number>();
    for (const [tid, pid] of this.threads) {
      if (pid === 0) {
        procs.add(0);
        meta('M', 'thread_name', 0, tid, `swapper/${tid - idleTid(0)}`);
        continue;
      }
      procs.add(pid);
      meta('M', 'thread_name', pid, tid, utf8Text(this.tasks.nameOf(tid)) || `pid ${tid}`);
    }
    for (const pid of [...procs].sort((a, b) => a - b))
      meta('M', 'process_name', pid, undefined, pid === 0 ? 'swapper' : utf8Text(this.tasks.nameOf(pid)) || `pid ${pid}`);
    const m = this.source.meta;
    const other = {
      source: m.format,
      name: m.name.split('/').pop() ?? m.name, // the file's name, not the path it was read from
      clock: m.clock,
      nanoseconds: m.nanoseconds,
      hostname: m.hostname ?? '',
      uname: m.uname ?? '',
      cpus: m.cpuCount,
      writer: 'utp convert',
    };
    this.out.text(`\n],"displayTimeUnit":"ns","otherData":${JSON.stringify(other)}}\n`);
    this.out.flush();
    this.r.bytes = this.out.length;
    return { ...this.r };
  }
}

/** Reads the whole source into Chrome JSON, chunk by chunk into `sink`. */
export async function writeChromeJson(
  source: EventSource,
  sink: ByteSink,
  options: Partial<ChromeJsonOptions & ReadOptions> = {},
): Promise<ChromeJsonResult> {
  const w = new ChromeJsonWriter(source, sink, options);
  await source.read(w, options);
  return w.finish();
}
