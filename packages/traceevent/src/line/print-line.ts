/**
 * The line trace-cmd report prints for one record (trace-read.c trace_show_data +
 * libtraceevent tep_print_event): `comm-pid [cpu]`, optional latency flags, the
 * time stamp, optional `(+diff)`, the padded event name and the info column.
 * Missed-events notices (`CPU:N [EVENTS DROPPED]`) come first on their own line.
 */
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import type { PrintMode, Tep } from '../tep/tep.js';
import { type OutBuffer, makeChunk, putChunk, putDec, putDec6, putDec9, putHex32, decLength, type Chunk } from '../core/out-buffer.js';
import type { EmitFn } from '../print/emit/print-emit.js';

export interface LineOptions {
  /** -l: latency format (`%8.8s-%-5d %3d` + flags). */
  latency: boolean;
  /** -R: info as raw fields; with -l the flags print as `-0x%x`. */
  raw: boolean;
  /** -t: nanosecond time stamps. */
  nsec: boolean;
  /** The trace clock counts nanoseconds (trace-cmd's TRACECMD_FL_IN_USECS); else raw `%12llu` ticks. */
  inUsecs: boolean;
  /** --ts-diff */
  tsDiff: boolean;
  /** The file has a TRACECLOCK option (decides whether --ts-diff divides by 1000). */
  useTraceClock: boolean;
  /** Info print mode; default follows `raw`, else 'default'. */
  mode: PrintMode | undefined;
  /** Per-event mode override (trace-cmd -r: TEP_EVENT_FL_PRINTRAW → 'raw', -n: NOHANDLE → 'noplugins'). */
  eventMode: ((event: EventFormat) => PrintMode | undefined) | undefined;
}

const DEFAULT_LINE_OPTIONS: Readonly<LineOptions> = Object.freeze({
  latency: false,
  raw: false,
  nsec: false,
  inUsecs: true,
  tsDiff: false,
  useTraceClock: true,
  mode: undefined,
  eventMode: undefined,
});

const SPACES20 = '                    ';

interface EventColumns {
  event: EventFormat;
  /** `" NAME: "` padded. */
  name: Chunk;
  mode: PrintMode;
  info: EmitFn;
  /** Tep.handlerVersion `info` was resolved for. */
  version: number;
}
const NO_INFO: EmitFn = () => {};
/** "comm-pid [cpu]" of one (pid, cpu), and that plus the seconds column of the time. */
interface TaskColumn {
  comm: string;
  chunk: Chunk;
  head: Chunk | null;
  headSec: Chunk | null;
}
const HEX_DIGITS = makeChunk('0123456789abcdef').bytes;
const UNKNOWN = '[UNKNOWN EVENT]';

/** `%5llu.%06llu` of (ts+500)/1000, `%5llu.%09llu` of ts, or `%12llu` (libtraceevent print_event_time). */
export function formatTime(ts: bigint | number, mode: 'usec' | 'nsec' | 'raw'): string {
  if (typeof ts === 'number' && ts >= 0 && ts <= Number.MAX_SAFE_INTEGER) {
    if (mode === 'raw') return String(ts).padStart(12);
    if (mode === 'usec') {
      const t = Math.floor((ts + 500) / 1000);
      let s = Math.floor(t / 1e6);
      let r = t - s * 1e6;
      if (r < 0) {
        s--;
        r += 1e6;
      } else if (r >= 1e6) {
        s++;
        r -= 1e6;
      }
      return String(s).padStart(5) + '.' + String(r).padStart(6, '0');
    }
    let s = Math.floor(ts / 1e9);
    let r = ts - s * 1e9;
    if (r < 0) {
      s--;
      r += 1e9;
    } else if (r >= 1e9) {
      s++;
      r -= 1e9;
    }
    return String(s).padStart(5) + '.' + String(r).padStart(9, '0');
  }
  let t = BigInt.asUintN(64, BigInt(ts));
  if (mode === 'raw') return String(t).padStart(12);
  if (mode === 'usec') {
    t = BigInt.asUintN(64, t + 500n) / 1000n;
    return String(t / 1000000n).padStart(5) + '.' + String(t % 1000000n).padStart(6, '0');
  }
  return String(t / 1000000000n).padStart(5) + '.' + String(t % 1000000000n).padStart(9, '0');
}

/** `" NAME: "` followed by spaces up to 20 characters of name (print_event_name). */
export function eventNameColumn(name: string): string {
  return ' ' + name + ': ' + (name.length < 20 ? SPACES20.slice(name.length) : '');
}

/** The 5 (or more) latency characters of data_latency_format. */
export function latencyFlags(flags: number, pc: number, migrateDisable?: number, lockDepth?: number): string {
  const hard = flags & 0x08,
    soft = flags & 0x10;
  let s =
    (flags & 0x01 ? 'd' : flags & 0x02 ? 'X' : '.') +
    (flags & 0x04 ? 'N' : '.') +
    (hard && soft ? 'H' : hard ? 'h' : soft ? 's' : '.') +
    (pc & 0xf ? (pc & 0xf).toString(16) : '.') +
    (pc & 0xf0 ? (pc >>> 4).toString(16) : '.');
  if (migrateDisable !== undefined) s += migrateDisable < 0 ? '.' : String(migrateDisable);
  if (lockDepth !== undefined) s += lockDepth < 0 ? '.' : String(lockDepth);
  return s;
}

/** Formats whole report lines for records; caches per-event and per-CPU text. */
export class LinePrinter {
  readonly tep: Tep;
  readonly opts: LineOptions;
  private readonly timeMode: 'usec' | 'nsec' | 'raw';
  private readonly mode: PrintMode;
  private readonly nameCol = new Map<EventFormat, string>();
  private readonly modeOf = new Map<EventFormat, PrintMode>();
  private readonly cpuCol: string[] = [];
  private readonly taskCol = new Map<number, { comm: string; text: string }>();
  private lastTs = 0n;
  private lastSec = -1;
  private lastSecText = '';
  private latencyExtras: { md: boolean; ld: boolean } | undefined;
  // emit(): byte chunks of the columns, and the last ones used
  private readonly emitFast: boolean;
  private readonly timeCode: number; // 0 usec, 1 nsec, 2 raw
  private readonly taskChunks = new Map<number, TaskColumn>();
  /** Per event id: its name column, print mode and info emitter (valid for one handler version). */
  private eventCols: Array<EventColumns | null> = [];
  private lastPid = -2;
  private lastCpu = -1;
  private lastVersion = -1;
  private lastTask: Chunk | null = null;
  private lastEvent: EventFormat | null = null;
  private lastCols: EventColumns | null = null;
  private secNum = -1;
  private secChunk: Chunk | null = null;
  private lastCol: TaskColumn | null = null;

  constructor(tep: Tep, opts: Partial<LineOptions> = {}) {
    this.tep = tep;
    this.opts = { ...DEFAULT_LINE_OPTIONS, ...opts };
    this.timeMode = !this.opts.inUsecs ? 'raw' : this.opts.nsec ? 'nsec' : 'usec';
    this.mode = this.opts.mode ?? (this.opts.raw ? 'raw' : 'default');
    this.emitFast = !this.opts.tsDiff;
    this.timeCode = this.timeMode === 'usec' ? 0 : this.timeMode === 'nsec' ? 1 : 2;
  }

  private cpuText(cpu: number): string {
    let s = this.cpuCol[cpu];
    if (s === undefined) {
      s = this.opts.latency ? String(cpu).padStart(3) : ' [' + String(cpu).padStart(3, '0') + ']';
      if (cpu >= 0 && cpu < 4096) this.cpuCol[cpu] = s;
    }
    return s;
  }

  /** The time column text (without the leading space / trailing colon). */
  time(rec: TraceRecord): string {
    const r = rec as TraceRecord & { tsNum?: number; tsBig?: bigint };
    const ts = r.tsNum;
    if (ts !== undefined && r.tsBig === undefined && this.timeMode !== 'raw' && ts < 1e15) {
      // fast path: the seconds text changes rarely, cache it
      let sec: number, frac: string;
      if (this.timeMode === 'usec') {
        const t = Math.floor((ts + 500) / 1000);
        sec = Math.floor(t / 1e6);
        frac = String(t - sec * 1e6 + 1e6).slice(1);
      } else {
        sec = Math.floor(ts / 1e9);
        frac = String(ts - sec * 1e9 + 1e9).slice(1);
      }
      if (sec !== this.lastSec) {
        this.lastSec = sec;
        this.lastSecText = String(sec).padStart(5) + '.';
      }
      return this.lastSecText + frac;
    }
    if (ts !== undefined && r.tsBig === undefined) return formatTime(ts, this.timeMode);
    return formatTime(rec.ts, this.timeMode);
  }

  /** The `CPU:N [... EVENTS DROPPED]` line for the record, or '' (with its newline). */
  static missedLine(rec: TraceRecord): string {
    if (rec.missedEvents > 0) return `CPU:${rec.cpu} [${rec.missedEvents} EVENTS DROPPED]\n`;
    if (rec.missedEvents < 0) return `CPU:${rec.cpu} [EVENTS DROPPED]\n`;
    return '';
  }

  /** The full line for `rec` (missed-events line included, no trailing newline). */
  format(rec: TraceRecord): string {
    const tep = this.tep;
    const o = this.opts;
    let out = rec.missedEvents !== 0 ? LinePrinter.missedLine(rec) : '';
    const type = tep.typeOf(rec);
    const event = type >= 0 ? tep.findEventById(type) : undefined;
    if (!event) {
      out += UNKNOWN;
      if (o.latency) out += o.raw ? '-0x' + tep.flagsOf(rec).toString(16) : UNKNOWN;
      out += UNKNOWN;
      if (o.tsDiff) out += this.diff(rec);
      return out + ' (NULL): ' + SPACES20.slice(6) + UNKNOWN;
    }
    const pid = tep.pidOf(rec);
    const comm = tep.commOf(pid);
    // the "comm-pid [cpu]" column, cached per (pid, cpu) while the comm stays the same
    const key = pid * 4096 + (rec.cpu & 4095);
    let col = this.taskCol.get(key);
    if (col === undefined || col.comm !== comm) {
      const text = o.latency
        ? (comm.length > 8 ? comm.slice(0, 8) : comm.padStart(8)) + '-' + String(pid).padEnd(5) + ' ' + this.cpuText(rec.cpu)
        : comm.padStart(16) + '-' + String(pid).padEnd(5) + this.cpuText(rec.cpu);
      col = { comm, text };
      if (rec.cpu < 4096) this.taskCol.set(key, col);
    }
    out += col.text;
    if (o.latency) {
      if (o.raw) out += '-0x' + tep.flagsOf(rec).toString(16);
      else out += this.latency(rec, event);
    }
    out += this.timeMode === 'raw' ? this.time(rec) + ':' : ' ' + this.time(rec) + ':';
    if (o.tsDiff) out += this.diff(rec);
    let nc = this.nameCol.get(event);
    if (nc === undefined) {
      nc = eventNameColumn(event.name);
      this.nameCol.set(event, nc);
    }
    out += nc;
    let info = tep.formatInfo(rec, event, this.modeFor(event));
    if (info.length && info.charCodeAt(info.length - 1) === 10) info = info.slice(0, -1);
    return out + info;
  }

  /** The print mode of an event's info column (the printer's mode, or the per-event override). */
  private modeFor(event: EventFormat): PrintMode {
    let mode = this.mode;
    const o = this.opts;
    if (o.eventMode && mode !== 'raw') {
      let m = this.modeOf.get(event);
      if (m === undefined) {
        const e = o.eventMode(event);
        m = e === 'raw' ? 'raw' : e === 'noplugins' && mode === 'default' ? 'noplugins' : mode;
        this.modeOf.set(event, m);
      }
      mode = m;
    }
    return mode;
  }

  /**
   * format(rec) written into `o` as bytes (the same text, no trailing newline): the
   * columns come from cached byte chunks, the info column from Tep.emitInfo.
   */
  emit(rec: TraceRecord, o: OutBuffer): void {
    const r = rec as TraceRecord & { tsNum?: number; tsBig?: bigint };
    const ts = r.tsNum;
    if (
      !this.emitFast ||
      ts === undefined ||
      r.tsBig !== undefined ||
      !(ts >= 0 && (ts < 1e15 || (this.timeCode === 2 && ts <= Number.MAX_SAFE_INTEGER)))
    ) {
      o.latin1(this.format(rec));
      return;
    }
    const tep = this.tep;
    const type = tep.typeOf(rec);
    const event = type >= 0 ? tep.findEventById(type) : undefined;
    if (!event) {
      o.latin1(this.format(rec));
      return;
    }
    if (rec.missedEvents !== 0) o.latin1(LinePrinter.missedLine(rec));
    // "comm-pid [cpu]", kept while pid, cpu and the comm table stay the same
    const pid = tep.pidOf(rec);
    const cpu = rec.cpu;
    const version = tep.cmdlines.version;
    let task = this.lastTask!;
    if (pid !== this.lastPid || cpu !== this.lastCpu || version !== this.lastVersion || task === null) {
      const comm = tep.commOf(pid);
      const key = pid * 4096 + (cpu & 4095);
      let col = this.taskChunks.get(key);
      if (col === undefined || col.comm !== comm) {
        const text = this.opts.latency
          ? (comm.length > 8 ? comm.slice(0, 8) : comm.padStart(8)) + '-' + String(pid).padEnd(5) + ' ' + this.cpuText(cpu)
          : comm.padStart(16) + '-' + String(pid).padEnd(5) + this.cpuText(cpu);
        col = { comm, chunk: makeChunk(text), head: null, headSec: null };
        if (cpu >= 0 && cpu < 4096) this.taskChunks.set(key, col);
      }
      this.lastCol = col;
      task = this.lastTask = col.chunk;
      this.lastPid = pid;
      this.lastCpu = cpu;
      this.lastVersion = version;
    }
    let ec = this.lastCols!;
    if (event !== this.lastEvent) {
      ec = this.columnsOf(type, event);
      this.lastEvent = event;
      this.lastCols = ec;
    }
    if (ec.version !== tep.handlerVersion) this.refresh(ec, event);
    const tc = this.timeCode;
    let sec = 0,
      frac = 0;
    if (tc === 0) {
      const t = Math.floor((ts + 500) / 1000);
      sec = Math.floor(t / 1e6);
      frac = t - sec * 1e6;
    } else if (tc === 1) {
      sec = Math.floor(ts / 1e9);
      frac = ts - sec * 1e9;
    }
    let secC = this.secChunk!;
    if (tc !== 2 && (sec !== this.secNum || secC === null)) {
      this.secNum = sec;
      secC = this.secChunk = makeChunk(' ' + String(sec).padStart(5) + '.');
    }
    const name = ec.name;
    const need = task.room + name.room + (tc === 2 ? 24 : secC.room + 12) + 24;
    let p = o.pos;
    if (p + need > o.buf.length) o.grow(need);
    const b = o.buf;
    const dv = o.dv;
    if (tc !== 2 && !this.opts.latency) {
      // the usual line: "comm-pid [cpu] SSSSS." as one chunk, kept while both parts stay
      const col = this.lastCol!;
      let head = col.head;
      if (col.headSec !== secC || head === null) {
        const hb = new Uint8Array(task.length + secC.length);
        hb.set(task.bytes);
        hb.set(secC.bytes, task.length);
        head = col.head = makeChunk(hb);
        col.headSec = secC;
      }
      p = putChunk(dv, p, head);
      p = tc === 0 ? putDec6(dv, p, frac) : putDec9(dv, p, frac);
      b[p++] = 58;
      p = putChunk(dv, p, name);
      o.pos = p;
      ec.info(rec, o);
      if (o.pos > p && o.buf[o.pos - 1] === 10) o.pos--;
      return;
    }
    p = putChunk(dv, p, task);
    if (this.opts.latency) {
      const lat = this.emitLatency(rec, event, b, p);
      if (lat < 0) {
        // the rare forms (extra columns, odd values): the text path
        o.pos = p;
        o.latin1(this.opts.raw ? '-0x' + tep.flagsOf(rec).toString(16) : this.latency(rec, event));
        if (o.pos + need > o.buf.length) o.grow(need);
        this.emitRest(rec, o, ec, ts, tc, frac, secC);
        return;
      }
      p = lat;
    }
    o.pos = p;
    this.emitRest(rec, o, ec, ts, tc, frac, secC);
  }

  /** From the time column on (room for it is reserved). */
  private emitRest(rec: TraceRecord, o: OutBuffer, ec: EventColumns, ts: number, tc: number, frac: number, secC: Chunk | null): void {
    const b = o.buf;
    const dv = o.dv;
    let p = o.pos;
    if (tc === 2) {
      // %12llu
      for (let i = decLength(ts); i < 12; i++) b[p++] = 32;
      p = putDec(b, p, ts);
    } else {
      p = putChunk(dv, p, secC!);
      p = tc === 0 ? putDec6(dv, p, frac) : putDec9(dv, p, frac);
    }
    b[p++] = 58;
    p = putChunk(dv, p, ec.name);
    o.pos = p;
    ec.info(rec, o);
    if (o.pos > p && o.buf[o.pos - 1] === 10) o.pos--;
  }

  /**
   * The latency columns written at b[p] (-l: the flag characters; -l -R: `-0x` and
   * the flags in hex). Returns the new position, or -1 for the forms left to the text
   * path (migrate-disable / lock-depth columns, common fields cut short).
   */
  private emitLatency(rec: TraceRecord, event: EventFormat, b: Uint8Array, p: number): number {
    const tep = this.tep;
    const flags = tep.flagsOf(rec);
    if (flags < 0) return -1;
    if (this.opts.raw) {
      b[p++] = 45;
      b[p++] = 48;
      b[p++] = 120;
      return putHex32(b, p, flags);
    }
    if (this.latencyExtras === undefined) {
      this.latencyExtras = { md: !!event.field('common_migrate_disable'), ld: !!event.field('common_lock_depth') };
    }
    if (this.latencyExtras.md || this.latencyExtras.ld) return -1;
    const pc = tep.preemptCountOf(rec);
    if (pc < 0 || pc > 255) return -1;
    const hard = flags & 0x08,
      soft = flags & 0x10;
    b[p++] = flags & 0x01 ? 100 : flags & 0x02 ? 88 : 46; // d X .
    b[p++] = flags & 0x04 ? 78 : 46; // N
    b[p++] = hard && soft ? 72 : hard ? 104 : soft ? 115 : 46; // H h s
    b[p++] = pc & 0xf ? HEX_DIGITS[pc & 0xf]! : 46;
    b[p++] = pc & 0xf0 ? HEX_DIGITS[pc >>> 4]! : 46;
    return p;
  }

  private columnsOf(type: number, event: EventFormat): EventColumns {
    let ec = type < 65536 ? this.eventCols[type] : undefined;
    if (ec && ec.event === event) return ec;
    ec = { event, name: makeChunk(eventNameColumn(event.name)), mode: this.modeFor(event), info: NO_INFO, version: -1 };
    if (type < 65536) {
      const cols = this.eventCols;
      while (cols.length <= type) cols.push(null);
      cols[type] = ec;
    }
    return ec;
  }

  private refresh(ec: EventColumns, event: EventFormat): void {
    ec.version = this.tep.handlerVersion;
    ec.info = this.tep.infoEmitter(event, ec.mode);
  }

  private latency(rec: TraceRecord, event: EventFormat): string {
    if (this.latencyExtras === undefined) {
      this.latencyExtras = { md: !!event.field('common_migrate_disable'), ld: !!event.field('common_lock_depth') };
    }
    let md: number | undefined, ld: number | undefined;
    if (this.latencyExtras.md) {
      const f = event.field('common_migrate_disable');
      md = f ? Number(this.tep.readFieldSigned(rec, f)) : -1;
    }
    if (this.latencyExtras.ld) {
      const f = event.field('common_lock_depth');
      ld = f ? Number(this.tep.readFieldSigned(rec, f)) : -1;
    }
    return latencyFlags(this.tep.flagsOf(rec), this.tep.preemptCountOf(rec), md, ld);
  }

  private diff(rec: TraceRecord): string {
    let t = rec.ts;
    if (this.opts.useTraceClock && !this.opts.nsec) t = (t + 500n) / 1000n;
    let s = '';
    if (this.lastTs !== 0n) s = '(+' + String(BigInt.asIntN(64, t - this.lastTs)) + ')';
    this.lastTs = t;
    return ' ' + s.padEnd(8);
  }
}
