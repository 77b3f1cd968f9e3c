/**
 * FtraceTextSource: ftrace's text — tracefs's `trace` / `trace_pipe` files and `trace-cmd report`'s
 * output — as a unified event stream (see event-stream.ts and docs/event-stream.md).
 *
 * The text gives no formats: `open` makes a first pass over the lines for the event names (one
 * class each) and their fields (the info text's key=value pairs — integers where every value of a
 * field parses as one — or a dedicated parser's fixed fields, ftrace-text-line.ts). `read` makes a
 * second pass and pushes an event per line, in the file's order. `loc` is the line's byte offset:
 * decoding later re-reads the line (`readSync`) and parses it again.
 */
import type { ByteSource } from '@utp/bytes';
import { MemorySource } from '@utp/bytes';
import type { Diagnostic, TraceRecord } from '@utp/traceevent';
import type {
  CurrentFields,
  EventClass,
  EventSink,
  EventSource,
  FieldValue,
  ReadOptions,
  SourceMeta,
  StreamEvent,
  StreamField,
} from './event-stream.js';
import { FieldKind } from './event-stream.js';
import { valuesFields } from './format-field.js';
import { TextKind, dedicatedFields, fieldName, keyValues, kvInt, parseHead, parseInfo, systemOf } from './ftrace-text-line.js';
import type { LineHead, TextValue } from './ftrace-text-line.js';

/** A line head to be filled by parseHead. */
function emptyHead(): LineHead {
  return { buffer: '', comm: '', pid: 0, cpu: 0, flags: 0, preempt: 0, ts: 0, tsBig: undefined, name: '', infoAt: 0, report: false };
}

export interface FtraceTextSourceOptions {
  /** Names the file in messages and in `meta.name`. */
  name: string;
  onDiagnostic: ((d: Diagnostic) => void) | undefined;
  /** ns added to every timestamp (a manual shift, as the other sources take). */
  tsOffset: bigint;
  /** Bytes read at a time (1 MiB). */
  chunkSize: number;
}

const CHUNK = 1 << 20;
const DEFAULTS: Readonly<FtraceTextSourceOptions> = Object.freeze({ name: '', onDiagnostic: undefined, tsOffset: 0n, chunkSize: CHUNK });
type TextField = StreamField & { index: number; textKind: TextKind };

class TextClass implements EventClass {
  readonly format = undefined;
  readonly commonFields: readonly TextField[] = [];
  readonly fileId: number;
  constructor(
    readonly id: number,
    readonly system: string,
    readonly name: string,
    readonly fields: readonly TextField[],
  ) {
    this.fileId = id;
  }
}

function textField(name: string, kind: TextKind, index: number): TextField {
  const base = { name, offset: -1, index, textKind: kind, dynamic: false };
  if (kind === TextKind.Int) return { ...base, type: 's64', kind: FieldKind.Integer, size: 8, signed: true, length: 0, elementSize: 8 };
  if (kind === TextKind.IntArray)
    return { ...base, type: 'u64[]', kind: FieldKind.Array, size: 0, signed: false, length: 0, elementSize: 8, dynamic: true };
  return { ...base, type: 'string', kind: FieldKind.String, size: 0, signed: false, length: 0, elementSize: 1, dynamic: true };
}

/** Bytes as a byte string (one char per byte: latin1 without windows-1252's remapping). */
function byteString(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, Math.min(to, i + 8192)) as unknown as number[]);
  return s;
}

/** What a line that is not an event says. */
const LOST = /^\s*(?:(\S+):\s+)?CPU:(\d+) \[(?:LOST (\d+) EVENTS|(\d+) EVENTS DROPPED|EVENTS DROPPED)\]/;
const CPUS = /^cpus=(\d+)\s*$/;
const NPROC = /#P:(\d+)/;
const TRACER = /^# tracer: (\S+)/;

export class FtraceTextSource implements EventSource {
  readonly meta: SourceMeta;
  readonly classes: TextClass[] = [];
  private readonly src: ByteSource;
  private readonly opts: FtraceTextSourceOptions;
  private readonly byName = new Map<string, number>();
  private readonly comms = new Map<number, string>();
  private readonly bufferIndex = new Map<string, number>();
  private readonly report: boolean;
  private readonly head: LineHead = {
    buffer: '',
    comm: '',
    pid: 0,
    cpu: 0,
    flags: 0,
    preempt: 0,
    ts: 0,
    tsBig: undefined,
    name: '',
    infoAt: 0,
    report: false,
  };
  /** The event being pushed: its line, parsed values (once, on first use). */
  private curLine = '';
  private curLoc = -1;
  private curClass = -1;
  private curVals: TextValue[] | undefined;
  private readonly vals: TextValue[] = [];
  private skipped = 0;
  /** The tracer of a tracefs file (`# tracer: nop`), '' for trace-cmd report. */
  readonly tracer: string;

  private constructor(src: ByteSource, opts: FtraceTextSourceOptions, scan: Scan) {
    this.src = src;
    this.opts = opts;
    this.report = scan.report;
    this.tracer = scan.tracer;
    for (const [name, c] of scan.classes) {
      const id = this.classes.length;
      const fields = c.fields.map(([n, k], i) => textField(n, k, i));
      this.classes.push(new TextClass(id, systemOf(name), name, fields));
      this.byName.set(name, id);
    }
    const buffers = [''];
    this.bufferIndex.set('', 0);
    for (const b of scan.buffers) {
      if (this.bufferIndex.has(b)) continue;
      this.bufferIndex.set(b, buffers.length);
      buffers.push(b);
    }
    for (const [p, c] of scan.comms) this.comms.set(p, c);
    this.skipped = scan.skipped;
    this.meta = {
      format: scan.report ? 'trace-cmd report' : 'ftrace text',
      name: opts.name,
      clock: '',
      nanoseconds: true,
      tsOffset: opts.tsOffset,
      date: undefined,
      hostname: undefined,
      uname: undefined,
      cpuCount: scan.cpuCount > 0 ? scan.cpuCount : scan.maxCpu + 1,
      buffers,
      traceId: undefined,
    };
  }

  /** Opens ftrace text (a ByteSource with `readSync` for lazy decoding, or bytes): reads it once for its classes. */
  static async open(input: ByteSource | Uint8Array, options: Partial<FtraceTextSourceOptions> = {}): Promise<FtraceTextSource> {
    const opts = { ...DEFAULTS, ...options };
    const src = input instanceof Uint8Array ? new MemorySource(input, opts.name) : input;
    const scan = await scanText(src, opts.chunkSize);
    if (!scan.events)
      throw new Error(
        `No ftrace event line in ${opts.name || 'the text'}: not ftrace text (a tracefs trace file or trace-cmd report output)`,
      );
    const s = new FtraceTextSource(src, opts, scan);
    if (scan.skipped)
      opts.onDiagnostic?.({
        level: 'warning',
        code: 'TEXT_LINE',
        message: `${scan.skipped} lines of ${opts.name || 'the text'} are neither events nor comments, left out (first at offset=${scan.firstSkipped})`,
        offset: scan.firstSkipped,
      });
    if (scan.overwritten)
      opts.onDiagnostic?.({
        level: 'warning',
        code: 'TEXT_OVERWRITTEN',
        message: `${opts.name || 'the text'}: the kernel says ${scan.overwritten} events were written but are no longer in the buffer (overwritten before the file was read; it does not say on which CPU or when)`,
      });
    return s;
  }

  /**
   * Does a file's head (its first KiB or so) look like ftrace text: a tracefs header (`# tracer:`),
   * trace-cmd report's first line (`cpus=N`, `version = N`), or an event line (trace_pipe)?
   */
  static sniff(head: Uint8Array): boolean {
    for (let i = 0; i < head.length; i++) {
      const c = head[i]!;
      if (c === 0 || (c < 32 && c !== 9 && c !== 10 && c !== 13)) return false;
    }
    const text = byteString(head, 0, head.length);
    if (/^(# tracer: \S|cpus=\d+\s*\n|version = \d+\s*\n)/.test(text)) return true;
    const h: LineHead = emptyHead();
    // trace_pipe: an event line, after the lost-events lines that may come first
    const lines = text.split('\n', 8);
    lines.pop();
    for (const l of lines) {
      if (LOST.test(l)) continue;
      return parseHead(l, h);
    }
    return false;
  }

  commOf(pid: number): string | undefined {
    return this.comms.get(pid);
  }

  /** Lines neither events nor known comments (left out). */
  get skippedLines(): number {
    return this.skipped;
  }

  async read(sink: EventSink, options: Partial<ReadOptions> = {}): Promise<void> {
    const fields: CurrentFields = valuesFields(() => this.currentValues());
    const ev: StreamEvent = { ts: 0, tsBig: undefined, cpu: 0, pid: -1, classId: -1, flags: 0, preempt: 0, buffer: 0, loc: 0, fields };
    const progressEvery = options.progressEvery ?? 65536;
    const signal = options.signal;
    const total = this.src.size;
    const h = this.head;
    h.report = this.report;
    const shift = this.opts.tsOffset;
    let n = 0;
    const pending: Array<{ cpu: number; buffer: number; count: number }> = [];
    // about one event per 100 bytes of text
    sink.expect?.(Math.ceil(total / 100));
    let stopped = false;
    await forEachLine(this.src, this.opts.chunkSize, (line, at) => {
      if (!parseHead(line, h)) {
        const l = LOST.exec(line);
        if (l) {
          const buffer = l[1] === undefined ? 0 : (this.bufferIndex.get(l[1]) ?? 0);
          const count = l[3] ?? l[4];
          pending.push({ cpu: Number(l[2]), buffer, count: count === undefined ? -1 : Number(count) });
        }
        return true;
      }
      const classId = this.byName.get(h.name) ?? -1;
      if (shift === 0n) {
        ev.ts = h.ts;
        ev.tsBig = h.tsBig;
      } else {
        const t = (h.tsBig ?? BigInt(h.ts)) + shift;
        ev.ts = Number(t);
        ev.tsBig = t > 9007199254740991n || t < 0n ? t : undefined;
      }
      ev.cpu = h.cpu;
      ev.pid = h.pid;
      ev.flags = h.flags;
      ev.preempt = h.preempt;
      // trace-cmd prints an instance's prefix on its dropped-events line, not on the event line after it
      ev.buffer = h.buffer === '' && pending.length ? pending[pending.length - 1]!.buffer : (this.bufferIndex.get(h.buffer) ?? 0);
      ev.classId = classId;
      ev.loc = at;
      if (h.comm !== '<...>') this.comms.set(h.pid, h.comm);
      if (pending.length && sink.lost) {
        for (const l of pending) sink.lost({ ts: ev.ts, cpu: l.cpu, buffer: l.buffer, count: l.count });
      }
      pending.length = 0;
      this.curLine = line;
      this.curLoc = at;
      this.curClass = classId;
      this.curVals = undefined;
      const r = sink.event(ev);
      this.curLoc = -1;
      this.curVals = undefined;
      if (r === false) {
        stopped = true;
        return false;
      }
      n++;
      if (n % progressEvery === 0) {
        options.onProgress?.(at, total, n);
        if (signal?.aborted) {
          stopped = true;
          return false;
        }
      }
      return true;
    });
    if (!stopped) options.onProgress?.(total, total, n);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  }

  private currentValues(): TextValue[] | undefined {
    if (this.curVals) return this.curVals;
    const cls = this.classes[this.curClass];
    if (this.curLoc < 0 || !cls) return undefined;
    this.curVals = this.parse(this.curLine, cls, this.vals);
    return this.curVals;
  }

  /** The info text and values of a line of class `cls`. */
  private parse(line: string, cls: TextClass, out: TextValue[]): TextValue[] {
    const h = this.head;
    h.report = this.report;
    if (!parseHead(line, h)) {
      out.length = 0;
      return out;
    }
    parseInfo(cls.name, line.slice(h.infoAt), this.report, cls.fields, out);
    return out;
  }

  /** The line at `loc` (re-read from the source). */
  private lineAt(loc: number): string | undefined {
    if (loc === this.curLoc) return this.curLine;
    if (loc < 0 || loc >= this.src.size) return undefined;
    const read = this.src.readSync;
    if (!read) throw new Error('Lazy decoding needs a synchronous ByteSource (MemorySource or FileSource)');
    let len = 512;
    for (;;) {
      const n = Math.min(len, this.src.size - loc);
      const b = read.call(this.src, loc, n);
      let end = b.indexOf(10);
      if (end < 0 && n < len) end = b.length;
      if (end >= 0) {
        if (end > 0 && b[end - 1] === 13) end--;
        return byteString(b, 0, end);
      }
      len *= 4;
    }
  }

  record(_loc: number, _ts: number, _cpu: number): TraceRecord | undefined {
    return undefined;
  }

  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }> {
    const cls = this.classes[classId];
    if (!cls) return [];
    let vals: TextValue[] | undefined;
    if (loc === this.curLoc && classId === this.curClass) vals = this.currentValues();
    else {
      const line = this.lineAt(loc);
      if (line === undefined) return [];
      vals = this.parse(line, cls, []);
    }
    if (!vals) return [];
    const out: Array<{ name: string; value: FieldValue }> = [];
    for (let i = 0; i < vals.length; i++) {
      const f = cls.fields[i];
      const v = vals[i]!;
      if (f) out.push({ name: f.name, value: typeof v === 'object' ? v.slice() : v });
    }
    return out;
  }

  /** The text after the event's `name: ` exactly as in the file (a print's from its symbol on). */
  info(loc: number, _classId: number, _ts: number, _cpu: number): string {
    const line = this.lineAt(loc);
    if (line === undefined) return '';
    const h = this.head;
    h.report = this.report;
    return parseHead(line, h) ? line.slice(h.infoAt) : '';
  }

  /** The line as the file has it. */
  line(loc: number, _ts: number, _cpu: number): string {
    return this.lineAt(loc) ?? '';
  }
}

interface Scan {
  report: boolean;
  tracer: string;
  events: number;
  /** The kernel's header: events written but no longer in the buffer (overwritten), 0 when none. */
  overwritten: number;
  skipped: number;
  firstSkipped: number;
  cpuCount: number;
  maxCpu: number;
  buffers: string[];
  comms: Map<number, string>;
  /** Per event name (first-seen order): its fields and kinds. */
  classes: Map<string, { fields: Array<[string, TextKind]>; kv: boolean }>;
}

/** Calls `cb(line, byteOffset)` for each line (without its newline); stops when cb returns false. */
async function forEachLine(src: ByteSource, chunk: number, cb: (line: string, at: number) => boolean): Promise<void> {
  const CHUNK = Math.max(1, chunk);
  const size = src.size;
  let carry = '';
  let carryAt = 0;
  for (let off = 0; off < size; off += CHUNK) {
    const b = await src.read(off, Math.min(CHUNK, size - off));
    let start = 0;
    for (;;) {
      const nl = b.indexOf(10, start);
      if (nl < 0) break;
      let line = byteString(b, start, nl);
      let at = off + start;
      if (carry) {
        line = carry + line;
        at = carryAt;
        carry = '';
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (!cb(line, at)) return;
      start = nl + 1;
    }
    if (start < b.length) {
      if (!carry) carryAt = off + start;
      carry += byteString(b, start, b.length);
    }
  }
  if (carry) cb(carry.endsWith('\r') ? carry.slice(0, -1) : carry, carryAt);
}

/** The first pass: which text it is, its event names and their fields. */
async function scanText(src: ByteSource, chunk: number): Promise<Scan> {
  const s: Scan = {
    report: false,
    tracer: '',
    events: 0,
    overwritten: 0,
    skipped: 0,
    firstSkipped: -1,
    cpuCount: 0,
    maxCpu: -1,
    buffers: [],
    comms: new Map(),
    classes: new Map(),
  };
  const h: LineHead = emptyHead();
  const buffers = new Set<string>();
  // per class and key: does every value parse as an integer
  const ints = new Map<string, Map<string, boolean>>();
  let first = true;
  let decided = false;
  await forEachLine(src, chunk, (line, at) => {
    if (first) {
      first = false;
      // trace-cmd report starts with `cpus=N` (or `version = N` with --version-like headers); tracefs with `# tracer:`
      const c = CPUS.exec(line);
      if (c) {
        s.report = decided = true;
        s.cpuCount = Number(c[1]);
        return true;
      }
      if (/^version = \d+/.test(line)) {
        s.report = decided = true;
        return true;
      }
      decided = line.startsWith('#');
    }
    if (line.startsWith('#')) {
      const t = TRACER.exec(line);
      if (t) s.tracer = t[1]!;
      const w = /entries-in-buffer\/entries-written: (\d+)\/(\d+)/.exec(line);
      if (w && Number(w[2]) > Number(w[1])) s.overwritten = Number(w[2]) - Number(w[1]);
      const p = NPROC.exec(line);
      if (p && !s.cpuCount) s.cpuCount = Number(p[1]);
      return true;
    }
    if (!line.trim()) return true;
    if (!decided) {
      // no header (trace_pipe, or a report cut short): trace-cmd pads `NAME:` to a column, the kernel does not
      h.report = false;
      if (parseHead(line, h)) {
        decided = true;
        const m = /^([\w.-]+):( +)/.exec(line.slice(line.lastIndexOf(`${h.name}:`, h.infoAt)));
        s.report = !!m && m[1]!.length < 19 && m[2]!.length >= 2;
      }
    }
    h.report = s.report;
    if (!parseHead(line, h)) {
      if (s.report) {
        const c = CPUS.exec(line);
        if (c) {
          s.cpuCount = Number(c[1]);
          return true;
        }
      }
      if (LOST.test(line) || /^\s*(?:\S+:\s+)?CPU \d+ is empty/.test(line) || /^version = \d+/.test(line)) return true;
      s.skipped++;
      if (s.firstSkipped < 0) s.firstSkipped = at;
      return true;
    }
    s.events++;
    if (h.cpu > s.maxCpu) s.maxCpu = h.cpu;
    if (h.buffer && !buffers.has(h.buffer)) buffers.add(h.buffer);
    if (h.comm !== '<...>') s.comms.set(h.pid, h.comm);
    let c = s.classes.get(h.name);
    if (!c) {
      const d = dedicatedFields(h.name, s.report);
      c = { fields: d ? d.slice() : [], kv: !d };
      s.classes.set(h.name, c);
      if (!d) ints.set(h.name, new Map());
    }
    if (c.kv) {
      const im = ints.get(h.name)!;
      for (const [key, v] of keyValues(line.slice(h.infoAt))) {
        const k = fieldName(h.name, key);
        const isInt = kvInt(h.name, k, v) !== undefined || (h.name === 'irq_handler_exit' && k === 'ret');
        const was = im.get(k);
        if (was === undefined) {
          im.set(k, isInt);
          c.fields.push([k, TextKind.Int]);
        } else if (was && !isInt) im.set(k, false);
      }
    }
    return true;
  });
  for (const [name, c] of s.classes) {
    if (!c.kv) continue;
    const im = ints.get(name)!;
    c.fields = c.fields.map(([k]) => [k, im.get(k) ? TextKind.Int : TextKind.Str]);
  }
  s.buffers = [...buffers];
  return s;
}
