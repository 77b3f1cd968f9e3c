/// <reference types="node" />
/**
 * `utp report -i perf.data`: prints what `perf script` (Debian perf 6.1) prints for the file —
 * tracepoints through @utp/traceevent's print engine, software events with ip/sym/dso, callchains
 * of -g files, and perf's --show-task-events / --show-mmap-events lines.
 */
import { readFileSync } from 'node:fs';
import { decodeLatin1, describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { Tep, makeChunk } from '@utp/traceevent';
import type { Chunk, Diagnostic, EventFormat, TraceRecord } from '@utp/traceevent';
import { AttrType, CallchainContext, Misc, PerfData, RecordType, SampleType } from '@utp/perf';
import type { PerfEvent, PerfEvsel } from '@utp/perf';
import { Output } from '../report/output.js';
import { UsageError } from '../command.js';
import { parsePerfReportArgs } from './args.js';
import type { FieldName, PerfReportArgs } from './args.js';
import { Threads } from './threads.js';
import { AddressSpaces } from './maps.js';
import { FoldingOutput } from './folded.js';
import { Hist } from './hist.js';
import { DsoCache, kallsymsTable, liveKernelBuildId } from './symbols.js';
import type { SymTable } from './symbols.js';

/** True when the file starts with perf.data's magic. */
export function isPerfDataFile(path: string): boolean {
  try {
    const src = new FileSource(path);
    try {
      const b = src.readSync(0, 8);
      const m = String.fromCharCode(...b);
      return m === 'PERFILE2' || m === '2ELIFREP';
    } finally {
      src.close();
    }
  } catch {
    return false;
  }
}

/** The `-i` value of a report command line (default perf.data / trace.dat decided by the caller). */
export function inputOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-i' || argv[i] === '--input') return argv[i + 1];
    if (argv[i]!.startsWith('--input=')) return argv[i]!.slice(8);
  }
  return undefined;
}

interface EvOut {
  fields: Set<FieldName>;
  tp: EventFormat | undefined;
  callchain: boolean;
  /** The columns before the time, as chunks per (tid, cpu), while comm and pid stay. */
  heads: Map<number, { comm: string; pid: number; cpu: number; chunk: Chunk }>;
  /** `fields.has(…)` of the columns after the time, looked up once */
  period: boolean;
  event: boolean;
  trace: boolean;
  ip: boolean;
  /** The event name column ("NAME: ", padded as perf pads it). */
  nameChunk: Chunk;
  /** Callchain lines of kernel frames by address (they depend on nothing else). */
  kernelFrames: FrameCache;
  /** Callchain lines of user frames by address, per task, for the maps list (and its length) they were made with. */
  userFrames: Map<number, { list: readonly unknown[] | undefined; len: number; frames: FrameCache }>;
}

/** The low half of PERF_CONTEXT_MAX (-4095): callchain entries at or above it (high half all ones) are context markers. */
const CONTEXT_MAX_LO = Number(CallchainContext.Max & 0xffffffffn);

/** Chunks by a 64-bit address given as halves: number keys (exact below 2^53, or kernel-half addresses), else bigint. */
class FrameCache {
  readonly #small = new Map<number, Chunk>();
  readonly #big = new Map<bigint, Chunk>();
  get(lo: number, hi: number): Chunk | undefined {
    if (hi === 0xffffffff) return this.#small.get(-1 - lo);
    if (hi < 0x200000) return this.#small.get(hi * 4294967296 + lo);
    return this.#big.get((BigInt(hi) << 32n) | BigInt(lo));
  }
  set(lo: number, hi: number, c: Chunk): void {
    if (this.#small.size + this.#big.size >= 1 << 20) {
      this.#small.clear();
      this.#big.clear();
    }
    if (hi === 0xffffffff) this.#small.set(-1 - lo, c);
    else if (hi < 0x200000) this.#small.set(hi * 4294967296 + lo, c);
    else this.#big.set((BigInt(hi) << 32n) | BigInt(lo), c);
  }
}

/** A tracepoint sample's payload as the print engine's record; its time as a bigint only when asked for. */
class SampleRecord implements TraceRecord {
  time = 0;
  cpu = 0;
  page: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  offset = 0;
  size = 0;
  missedEvents = 0;
  get ts(): bigint {
    return BigInt(this.time);
  }
}

const TYPE_FIELDS: Record<string, FieldName[]> = {
  tracepoint: ['comm', 'tid', 'cpu', 'time', 'event', 'trace'],
  other: ['comm', 'tid', 'cpu', 'time', 'period', 'event', 'ip', 'sym', 'symoff', 'dso'],
};

/** perf discards a whole callchain that holds a context marker other than hv/kernel/user. */
function contextsValid(cc: BigUint64Array): boolean {
  for (let i = 0; i < cc.length; i++) {
    const ip = cc[i]!;
    if (ip >= CallchainContext.Max && ip !== CallchainContext.Hv && ip !== CallchainContext.Kernel && ip !== CallchainContext.User)
      return false;
  }
  return true;
}

/** perf's short DSO name (the hist table's column): the file name; a JIT map is `[JIT] tid PID`. */
function dsoShort(name: string): string {
  if (name.startsWith('[')) return name;
  const jit = /^\/tmp\/perf-(\d+)\.map$/.exec(name);
  if (jit) return `[JIT] tid ${jit[1]}`;
  return name.replace(/^.*\//, '');
}

function hex16(v: bigint): string {
  return v.toString(16).padStart(16);
}
/** C's %#lx: 0x prefix except for zero. */
function alt(v: bigint): string {
  return v === 0n ? '0' : '0x' + v.toString(16);
}

export async function reportPerf(argv: readonly string[]): Promise<number> {
  let args: PerfReportArgs;
  try {
    args = parsePerfReportArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`utp report: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const diags: Diagnostic[] = [];
  const tep = new Tep({ onDiagnostic: (d) => diags.push(d) });
  // perf 6.1 as Debian builds it loads no libtraceevent plugins: every event prints its print fmt
  let src: FileSource;
  try {
    src = new FileSource(args.input);
  } catch (e) {
    process.stderr.write(`utp report: cannot open '${args.input}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const out = args.folded ? new FoldingOutput() : new Output();
  let status = 0;
  try {
    const pd = await PerfData.open(src, { tep, onDiagnostic: (d) => diags.push(d) });
    status = run(pd, args, out);
    await pd.forEach(handler!);
    finish?.();
    if (out instanceof FoldingOutput) out.finish();
  } catch (e) {
    out.flush();
    process.stderr.write(`utp report: ${args.input}: ${describeError(e)}\n`);
    status = 1;
  } finally {
    out.flush();
    src.close();
  }
  for (const d of diags) {
    if (d.level === 'info') continue;
    process.stderr.write(`utp report: ${args.input}: ${d.level}: ${d.message}${d.offset !== undefined ? ` (offset ${d.offset})` : ''}\n`);
    if (d.code === 'PERF_TRUNCATED') status = status || 1;
  }
  return status;
}

let handler: ((ev: PerfEvent) => void) | undefined;
let finish: (() => void) | undefined;

function run(pd: PerfData, args: PerfReportArgs, out: Output): number {
  const tep = pd.tep;
  const threads = new Threads();
  const spaces = new AddressSpaces();
  const buildIds = new Map<string, string>();
  for (const b of pd.features.buildIds) buildIds.set(b.filename, b.buildId);
  const dsos = new DsoCache(buildIds, args.symfs);
  let kernel: SymTable | undefined | null = null;
  let kallsymsText: string | undefined | null = null;
  const liveKallsyms = (): string | undefined => {
    if (kallsymsText !== null) return kallsymsText;
    kallsymsText = undefined;
    if (args.kallsyms !== undefined) {
      // perf script --kallsyms: that file, whichever kernel is running
      kallsymsText = readFileSync(args.kallsyms, 'latin1');
      return kallsymsText;
    }
    const want = buildIds.get('[kernel.kallsyms]');
    if (!want || want === liveKernelBuildId()) {
      try {
        kallsymsText = readFileSync('/proc/kallsyms', 'latin1');
      } catch {
        kallsymsText = undefined;
      }
    }
    return kallsymsText;
  };
  const kernelSyms = (): SymTable | undefined => {
    if (kernel !== null) return kernel;
    const text = liveKallsyms();
    kernel = text ? kallsymsTable(text) : undefined;
    return kernel;
  };
  // tracepoint %ps/%pS arguments: perf resolves them with the same kernel symbols
  if (pd.hasTracingData && pd.evsels.some((e) => e.attr.type === AttrType.Tracepoint)) {
    // read when a symbol is first looked up (most tracepoint files never print one)
    tep.loadKallsymsLazy(() => liveKallsyms() ?? '');
  }
  const nameWidth = Math.max(0, ...pd.evsels.map((e) => e.name.length));
  const hist = args.hist ? new Hist() : undefined;
  const tpCallchain = pd.evsels.some((e) => e.attr.type === AttrType.Tracepoint && (e.attr.sampleType & SampleType.Callchain) !== 0);
  const outs = new Map<PerfEvsel, EvOut>();
  const outOf = (ev: PerfEvsel): EvOut => {
    let o = outs.get(ev);
    if (o) return o;
    const isTp = ev.attr.type === AttrType.Tracepoint;
    const st = ev.attr.sampleType;
    let fields: Set<FieldName>;
    if (args.fields) fields = new Set(args.fields);
    else {
      fields = new Set(TYPE_FIELDS[isTp ? 'tracepoint' : 'other']);
      // perf script: tracepoints print their callchains (ip,sym,symoff,dso) once any tracepoint has one
      if (isTp && tpCallchain) for (const x of ['ip', 'sym', 'symoff', 'dso'] as const) fields.add(x);
      if (!(st & SampleType.Cpu)) fields.delete('cpu');
      // period stays without PERIOD in sample_type: perf script prints the attr's period then
      if (!(st & SampleType.Time)) fields.delete('time');
      if (!(st & SampleType.Ip)) {
        fields.delete('ip');
        fields.delete('sym');
        fields.delete('symoff');
        fields.delete('dso');
      }
      if (!(st & SampleType.Tid)) fields.delete('tid');
    }
    const tp = isTp ? tep.findEventById(Number(ev.attr.config)) : undefined;
    o = {
      fields,
      tp,
      callchain: (st & SampleType.Callchain) !== 0,
      heads: new Map(),
      period: fields.has('period'),
      event: fields.has('event'),
      trace: fields.has('trace'),
      ip: fields.has('ip'),
      nameChunk: makeChunk(ev.name.padStart(nameWidth) + ': '),
      kernelFrames: new FrameCache(),
      userFrames: new Map(),
    };
    outs.set(ev, o);
    return o;
  };
  const b = out.buffer;
  /** The callchain lines made for a task's user frames, while its maps stay as they were. */
  const userFramesOf = (o: EvOut, pid: number): FrameCache => {
    const list = spaces.listOf(pid);
    const len = list?.length ?? 0;
    let e = o.userFrames.get(pid);
    if (e === undefined || e.list !== list || e.len !== len) {
      if (o.userFrames.size >= 4096) o.userFrames.clear();
      e = { list, len, frames: new FrameCache() };
      o.userFrames.set(pid, e);
    }
    return e.frames;
  };
  /** The columns before the time ("comm pid/tid [cpu] "), as text. */
  const headText = (o: EvOut, comm: string, s: PerfEvent['sample']): string => {
    const f = o.fields;
    let t = '';
    if (f.has('comm')) t += o.callchain && f.has('ip') ? comm + ' ' : comm.padStart(16) + ' ';
    if (f.has('pid') && f.has('tid')) t += String(s.pid).padStart(5) + '/' + String(s.tid).padEnd(5) + ' ';
    else if (f.has('pid')) t += String(s.pid).padStart(5) + ' ';
    else if (f.has('tid')) t += String(s.tid).padStart(5) + ' ';
    if (f.has('cpu')) t += '[' + String(s.cpu).padStart(3, '0') + '] ';
    return t;
  };
  let secNum = -1;
  let secChunk: Chunk | undefined;
  const start = (o: EvOut, comm: string, s: PerfEvent['sample']): void => {
    const key = s.tid * 4096 + (s.cpu & 4095);
    const heads = o.heads;
    let h = heads.get(key);
    if (h === undefined || h.comm !== comm || h.pid !== s.pid || h.cpu !== s.cpu) {
      if (heads.size >= 65536) heads.clear();
      h = { comm, pid: s.pid, cpu: s.cpu, chunk: makeChunk(headText(o, comm, s)) };
      heads.set(key, h);
    }
    if (h.chunk.length) b.chunk(h.chunk);
    if (o.fields.has('time')) {
      const t = Math.max(s.time, 0);
      const sec = Math.floor(t / 1e9);
      const ns = t - sec * 1e9;
      if (sec !== secNum || secChunk === undefined) {
        secNum = sec;
        secChunk = makeChunk(String(sec).padStart(5) + '.');
      }
      b.chunk(secChunk);
      if (args.ns) b.decAt(ns, 9);
      else b.decAt(Math.floor(ns / 1000), 6);
      b.byte(58);
      b.byte(32);
    }
  };
  /** Start of the kernel's map (its MMAP record, pid -1), once seen. */
  let kernelStart: bigint | undefined;
  const resolve = (pid: number, ip: bigint, kernelMode: boolean): { addr: bigint; sym: string; dso: string; user: boolean } => {
    if (kernelMode) {
      // perf looks a kernel-mode address up in the kernel's maps: one below the kernel map (a user
      // address after PERF_CONTEXT_KERNEL in a broken frame-pointer chain) has no map, no dso
      if (kernelStart !== undefined && ip < kernelStart) return { addr: ip, sym: '[unknown]', dso: '[unknown]', user: false };
      const k = kernelSyms();
      const s = k?.find(ip);
      return { addr: ip, sym: s ? `${s.name}+0x${(ip - s.start).toString(16)}` : '[unknown]', dso: '[kernel.kallsyms]', user: false };
    }
    const m = spaces.find(pid, ip);
    if (!m) return { addr: ip, sym: '[unknown]', dso: '[unknown]', user: true };
    // perf maps anonymous (JIT) and no-dso mappings with the identity (map__new's identity__map_ip)
    const identity =
      /^\/tmp\/perf-\d+\.map$/.test(m.name) || m.name === '[heap]' || m.name.startsWith('[stack') || m.name.startsWith('/SYSV');
    const mapIp = identity ? ip : ip - m.start + m.pgoff;
    const d = dsos.get(m.name);
    const s = d.syms?.find(mapIp);
    return { addr: mapIp, sym: s ? `${s.name}+0x${(mapIp - s.start).toString(16)}` : '[unknown]', dso: m.name, user: true };
  };
  const record = new SampleRecord();
  // the view over a whole read buffer, kept while samples come from it
  let rawBuffer: ArrayBufferLike | undefined;
  const le = pd.littleEndian;
  // the halves of a 64-bit callchain entry in the file's byte order
  const LO4 = le ? 0 : 4,
    HI4 = le ? 4 : 0;
  const cstr = (data: Uint8Array, off: number, end: number): string => {
    let z = data.indexOf(0, off);
    if (z < 0 || z > end) z = end;
    return decodeLatin1(data, off, z);
  };
  const taskLine = (ev: PerfEvent, pid: number, tid: number, text: string): void => {
    const s = ev.sample;
    if (args.cpus && !args.cpus.has(s.cpu)) return;
    const evsel = ev.evsel;
    if (evsel) {
      const o = outOf(evsel);
      const t = tid !== -1 ? threads.findnew(pid, tid) : undefined;
      start(o, t ? t.comm : ':-1', s);
    }
    out.write(text);
    out.lineDone();
  };
  handler = (ev: PerfEvent): void => {
    // (ev.view is made when first read: only the record types below the samples read it)
    switch (ev.type) {
      case RecordType.Sample: {
        const s = ev.sample;
        const evsel = ev.evsel!;
        if (args.cpus && !args.cpus.has(s.cpu)) return;
        const o = outOf(evsel);
        const t = threads.findnew(s.pid, s.tid);
        if (hist) {
          const kernelMode = (ev.misc & Misc.CpumodeMask) === Misc.Kernel;
          const r = resolve(s.pid, s.ip, kernelMode);
          hist.add(
            evsel.index,
            evsel.name,
            {
              comm: t.comm,
              thread: t,
              dso: dsoShort(r.dso),
              sym: r.sym === '[unknown]' ? undefined : r.sym.replace(/\+0x[0-9a-f]+$/, ''),
              addr: r.sym === '[unknown]' ? r.addr : r.addr - BigInt(/\+(0x[0-9a-f]+)$/.exec(r.sym)?.[1] ?? 0),
              level: kernelMode ? 'k' : '.',
            },
            s.period,
          );
          return;
        }
        start(o, t.comm, s);
        if (o.period) out.write(String(s.period).padStart(10) + ' ');
        if (o.event) b.chunk(o.nameChunk);
        // (RAW's place in the record's bytes: no view made per sample)
        const raw = s.rawBytes;
        if (o.trace && raw && s.rawLen >= 0 && o.tp) {
          if (raw.buffer !== rawBuffer) {
            rawBuffer = raw.buffer;
            record.page = new Uint8Array(rawBuffer);
            record.view = new DataView(rawBuffer);
          }
          record.offset = raw.byteOffset + s.rawPos;
          record.size = s.rawLen;
          record.cpu = s.cpu;
          record.time = Math.max(0, s.time);
          tep.emitInfo(record, o.tp, 'default', b);
        }
        if (o.ip) {
          const f = o.fields;
          const kernelMode = (ev.misc & Misc.CpumodeMask) === Misc.Kernel;
          let cc = o.callchain ? s.callchain : undefined;
          if (cc && !contextsValid(cc)) cc = cc.slice(0, 0);
          if (cc) {
            b.byte(10);
            let mode = kernelMode;
            // each frame's line depends only on (kernel, ip) or on (the task's maps, ip): made once, then
            // copied; the addresses are read as 32-bit halves (no BigInt per frame)
            const cv = s.callchainView!;
            let userFrames: FrameCache | undefined;
            for (let i = 0, q = s.callchainPos; i < cc.length; i++, q += 8) {
              const lo = cv.getUint32(q + LO4, le),
                hi = cv.getUint32(q + HI4, le);
              if (hi === 0xffffffff && lo >= CONTEXT_MAX_LO) {
                const ip = cc[i]!;
                if (ip === CallchainContext.Kernel) mode = true;
                else if (ip === CallchainContext.User) mode = false;
                continue;
              }
              const frames = mode ? o.kernelFrames : (userFrames ??= userFramesOf(o, s.pid));
              let c = frames.get(lo, hi);
              if (c === undefined) {
                const ip = cc[i]!;
                const r = resolve(s.pid, ip, mode);
                let line = '\t' + hex16(r.user && r.dso !== '[unknown]' ? r.addr : ip);
                if (f.has('sym')) line += ' ' + (f.has('symoff') || r.sym === '[unknown]' ? r.sym : r.sym.replace(/\+0x[0-9a-f]+$/, ''));
                if (f.has('dso')) line += ' (' + r.dso + ')';
                c = makeChunk(line + '\n');
                frames.set(lo, hi, c);
              }
              b.chunk(c);
            }
          } else {
            const r = resolve(s.pid, s.ip, kernelMode);
            let line = ' ' + hex16(s.ip);
            if (f.has('sym')) line += ' ' + (f.has('symoff') || r.sym === '[unknown]' ? r.sym : r.sym.replace(/\+0x[0-9a-f]+$/, ''));
            if (f.has('dso')) line += ' (' + r.dso + ')';
            out.write(line);
          }
        }
        b.byte(10);
        out.lineDone();
        return;
      }
      case RecordType.LostSamples:
        // perf report's "Total Lost Samples" adds up the LOST_SAMPLES records (not the LOST ones)
        if (hist) hist.lostSamples += ev.view.getBigUint64(8, le);
        return;
      case RecordType.Comm: {
        const dv = ev.view;
        const pid = dv.getInt32(8, le),
          tid = dv.getInt32(12, le);
        const comm = cstr(ev.data, 16, ev.size);
        threads.comm(pid, tid, comm);
        if (args.showTask) taskLine(ev, pid, tid, `PERF_RECORD_COMM${ev.misc & Misc.CommExec ? ' exec' : ''}: ${comm}:${pid}/${tid}\n`);
        return;
      }
      case RecordType.Fork:
      case RecordType.Exit: {
        const dv = ev.view;
        const pid = dv.getInt32(8, le),
          ppid = dv.getInt32(12, le),
          tid = dv.getInt32(16, le),
          ptid = dv.getInt32(20, le);
        const text = `PERF_RECORD_${ev.type === RecordType.Fork ? 'FORK' : 'EXIT'}(${pid}:${tid}):(${ppid}:${ptid})\n`;
        if (ev.type === RecordType.Fork) {
          threads.fork(pid, tid, ppid, ptid);
          spaces.fork(pid, ppid);
          if (args.showTask) taskLine(ev, pid, tid, text);
        } else if (args.showTask) taskLine(ev, pid, tid, text);
        return;
      }
      case RecordType.Mmap:
      case RecordType.Mmap2: {
        const dv = ev.view;
        const pid = dv.getInt32(8, le),
          tid = dv.getInt32(12, le);
        const start = dv.getBigUint64(16, le),
          len = dv.getBigUint64(24, le),
          pgoff = dv.getBigUint64(32, le);
        let name: string;
        let text: string;
        if (ev.type === RecordType.Mmap) {
          name = cstr(ev.data, 40, ev.size);
          text = `PERF_RECORD_MMAP ${pid}/${tid}: [${alt(start)}(${alt(len)}) @ ${alt(pgoff)}]: ${ev.misc & Misc.MmapData ? 'r' : 'x'} ${name}\n`;
        } else {
          const prot = dv.getUint32(64, le),
            flags = dv.getUint32(68, le);
          name = cstr(ev.data, 72, ev.size);
          let mid: string;
          if (ev.misc & Misc.Mmap2BuildId) {
            const n = ev.data[40]!;
            let id = '';
            for (let i = 0; i < n; i++) id += ev.data[44 + i]!.toString(16).padStart(2, '0');
            mid = `<${id}>`;
          } else {
            const maj = dv.getUint32(40, le),
              min = dv.getUint32(44, le),
              ino = dv.getBigUint64(48, le),
              gen = dv.getBigUint64(56, le);
            mid = `${maj.toString(16).padStart(2, '0')}:${min.toString(16).padStart(2, '0')} ${ino} ${gen}`;
          }
          const p = (prot & 1 ? 'r' : '-') + (prot & 2 ? 'w' : '-') + (prot & 4 ? 'x' : '-') + (flags & 1 ? 's' : 'p');
          text = `PERF_RECORD_MMAP2 ${pid}/${tid}: [${alt(start)}(${alt(len)}) @ ${alt(pgoff)} ${mid}]: ${p} ${name}\n`;
        }
        // perf names anonymous executable mappings after the JIT map file it would read
        const mapName =
          name === '//anon' || name.startsWith('/anon_hugepage') || name.startsWith('/dev/zero') ? `/tmp/perf-${pid}.map` : name;
        if (pid !== -1) spaces.add(pid, { start, end: start + len, pgoff, name: mapName });
        else if (name.startsWith('[kernel.kallsyms]') && (kernelStart === undefined || start < kernelStart)) kernelStart = start;
        if (args.showMmap) taskLine(ev, pid, tid, text);
        return;
      }
      default:
        return;
    }
  };
  finish = hist ? () => out.write(hist.text()) : undefined;
  return 0;
}
