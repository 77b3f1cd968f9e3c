/// <reference types="node" />
/**
 * utp report: prints trace.dat files exactly as `trace-cmd report` 3.1.6 does
 * (tracecmd/trace-read.c): one or several inputs, their instance buffers merged by time.
 */
import { statSync } from 'node:fs';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { LinePrinter, Tep, breToRegExp, formatTime, loadPlugins, makeChunk, pluginOptionsFromArgs } from '@utp/traceevent';
import type { Chunk, FuncRepeatTimeFormat } from '@utp/traceevent';
import type { Diagnostic, EventFormat, KRecord, PrintMode, TraceRecord } from '@utp/traceevent';
import { TraceDat, TraceDatDiagnostic } from '@utp/tracedat';
import type { CpuStream, Decompressor, TraceDatBuffer } from '@utp/tracedat';
import type { Command } from '../command.js';
import { parseReportArgs } from '../report/args.js';
import type { ReportArgs } from '../report/args.js';
import { Output } from '../report/output.js';
import { WakeupLatency } from '../report/wakeup.js';
import { makeRecordFilter } from '../report/filter.js';
import { HandleLookahead, printMerged } from '../report/print-loop.js';
import type { PrintSource } from '../report/print-loop.js';

class InputError extends Error {}
/** trace-cmd cannot set up a handle (tracecmd_init_data): nothing printed, exit status 2. */
class InitError extends Error {}

/** Shared by the plugins of every input: set once all inputs are open (see report()). */
interface PluginState { funcRepeatTime: FuncRepeatTimeFormat; lookahead: HandleLookahead }

/** One `-i` input. */
interface Input {
  file: string;
  /** Base name shown as the line prefix with several inputs. */
  name: string;
  td: TraceDat;
  diags: Diagnostic[];
  filter?: ((rec: TraceRecord) => boolean) | undefined;
  printer?: LinePrinter;
  /** Instances trace-cmd cannot set up (it warns and leaves them out). */
  skipped?: Set<TraceDatBuffer>;
}

/** One trace-cmd handle in iteration order (a file's top buffer or one of its instances). */
interface Handle {
  input: Input; prefix: string; streams: Array<CpuStream | undefined>; buffer: TraceDatBuffer | undefined;
  /** Sub-buffer size the streams step with, and where record data starts in a sub-buffer (--boundary). */
  pageSize: number; dataStart: number;
}

/**
 * --boundary: is the record's event header the first thing in its sub-buffer (trace-cmd's
 * tracecmd_record_at_buffer_start)? Sub-buffers sit at multiples of the page size in the
 * stream's windows; a header is 4 bytes, or 8 when the length is in array[0] (type_len 0).
 */
function atBufferStart(rec: KRecord, at: number, h: Handle, littleEndian: boolean): boolean {
  const ps = h.pageSize;
  if ((at - 4) % ps === h.dataStart) return true;
  return (at - 8) % ps === h.dataStart && (rec.view.getUint32(rec.offset - 8, littleEndian) & 31) === 0;
}

/** A native-speed (WebAssembly) zstd decoder for Node, loaded once; fzstd stays the fallback. */
let zstdWasm: Promise<Decompressor | undefined> | undefined;
function fastZstd(): Promise<Decompressor | undefined> {
  zstdWasm ??= import('@foxglove/wasm-zstd').then(async (m) => {
    await m.isLoaded;
    return (data: Uint8Array, usize: number) => m.decompress(data, usize);
  }, () => undefined);
  return zstdWasm;
}

async function openTrace(file: string, args: ReportArgs, tsOffset: bigint, ts2secsHz: bigint, ps: PluginState): Promise<Input> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot open '${file}': ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new InputError(`cannot read '${file}': Is a directory`);
  let src: FileSource;
  try {
    src = new FileSource(file);
  } catch (e) {
    throw new InputError(`cannot open '${file}': ${(e as Error).message}`);
  }
  const tep = new Tep();
  // plugins are registered before the formats are parsed, as trace-cmd does
  if (!args.noPlugins) {
    // -O: repeated options combine as in libtraceevent; the func_repeats time format and the
    // funcgraph lookahead are only known once the inputs are open
    loadPlugins(tep, pluginOptionsFromArgs(args.pluginOptions, { funcRepeatTime: () => ps.funcRepeatTime, fgraphLookahead: ps.lookahead }));
  }
  const diags: Diagnostic[] = [];
  const zstd = await fastZstd();
  try {
    const td = await TraceDat.open(src, {
      decompressors: zstd ? { zstd } : {},
      onDiagnostic: (d) => { diags.push(d); }, tep, ignoreDate: args.nodate, rawTs: args.rawTs, tsOffset,
      keepFormatTexts: args.formats, ts2secsHz, exactPages: !args.allPages,
    });
    return { file, name: file.slice(file.lastIndexOf('/') + 1), td, diags };
  } catch (e) {
    src.close();
    throw new InputError(`'${file}' is not a readable trace.dat file: ${describeError(e)}`);
  }
}

/** --cpus [--first-event] [--last-event] for one input. */
async function showCpus(inp: Input, args: ReportArgs, out: Output): Promise<void> {
  const td = inp.td;
  out.write(`List of CPUs in ${inp.file} with data:\n`);
  const top = td.topBuffer;
  const mode = !td.inUsecs ? 'raw' : args.nsec ? 'nsec' : 'usec';
  const first = new Map<number, bigint>();
  const last = new Map<number, bigint>();
  if (top) {
    const withData = top.cpus.filter((c) => c.size > 0).length;
    await td.forEachRecord((rec: KRecord) => {
      if (!first.has(rec.cpu)) first.set(rec.cpu, rec.ts);
      last.set(rec.cpu, rec.ts);
      return args.last || first.size < withData;
    }, { buffers: [top] });
  }
  for (let i = 0; i < td.cpuCount; i++) {
    const f = first.get(i);
    if (f === undefined) continue;
    let line = `  ${i}`;
    if (args.first) line += '\tFirst event:' + formatTime(f, mode);
    if (args.last) line += '\tLast event:' + formatTime(last.get(i)!, mode);
    out.write(line + '\n');
  }
}

async function showStat(td: TraceDat, out: Output): Promise<void> {
  out.write('\nKernel buffer statistics:\n' +
    '  Note: "entries" are the entries left in the kernel ring buffer and are not\n' +
    '        recorded in the trace data. They should all be zero.\n\n');
  if (td.cpustats !== undefined) {
    const z = td.cpustats.indexOf('\0');
    out.write((z >= 0 ? td.cpustats.slice(0, z) : td.cpustats) + '\n');
  } else out.write(' No stats in this file\n');
  const top = td.topBuffer;
  if (!top) return;
  const info = await td.cpuDataInfo(top);
  const n = td.version === 6 ? td.cpuCount : top.cpus.length;
  for (let i = 0; i < n; i++) {
    const c = info[i] ?? { offset: 0, size: 0 };
    out.write(`CPU${i} data recorded at offset=0x${c.offset.toString(16)}\n    ${c.size} bytes in size\n`);
  }
}

function listEvents(tep: Tep, out: Output): void {
  const evs = [...tep.events].sort((a, b) => (a.system < b.system ? -1 : a.system > b.system ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
  for (const e of evs) out.write(`${e.system}:${e.name}\n`);
}

/**
 * --events: the format files as stored (tracecmd_print_events). In 3.1.6 this prints the
 * event systems of v6 files only (ftrace formats were already read when the file was
 * opened, and v7 headers are never re-read), nothing for v7.
 */
function printFormats(td: TraceDat, out: Output): void {
  if (td.version !== 6) return;
  let system: string | undefined;
  for (const f of td.formatTexts) {
    if (f.system === 'ftrace') continue;
    if (f.system !== system) { out.write(`\nsystem: ${f.system}\n`); system = f.system; }
    out.write(f.text + '\n');
  }
}

/** The filters of input k (trace-cmd's add_filter / add_first_input list sharing). */
function filtersFor(args: ReportArgs, k: number): Array<{ filter: string; negate: boolean }> {
  const multi = args.inputs.length > 1;
  if (!multi) {
    // one input: -F given after -i are only kept when some -F came before it (shared list)
    const before = args.filters.some((f) => f.input < 0);
    return before ? args.filters : [];
  }
  if (k === 0) return args.filters.filter((f) => f.input <= 0);
  return args.filters.filter((f) => f.input === k);
}

/** trace-cmd's set_event_flags: `^RE$` (POSIX basic, case-insensitive) against the event's name or system. */
function eventModes(args: ReportArgs): ((e: EventFormat) => PrintMode | undefined) | undefined {
  if (args.rawEvents.length === 0 && args.noHandlerEvents.length === 0) return undefined;
  const raw = args.rawEvents.map((r) => breToRegExp(`^${r}$`, 'i'));
  const noh = args.noHandlerEvents.map((r) => breToRegExp(`^${r}$`, 'i'));
  const hit = (res: RegExp[], e: EventFormat) => res.some((re) => re.test(e.name) || re.test(e.system));
  return (e) => (hit(raw, e) ? 'raw' : hit(noh, e) ? 'noplugins' : undefined);
}

async function printTrace(inputs: Input[], args: ReportArgs, out: Output, lookahead: HandleLookahead | undefined): Promise<void> {
  const multi = inputs.length > 1;
  // the handle list: every file's top handle, then the instances of each file
  const instanceCount = inputs.reduce((n, i) => n + i.td.instances.length, 0);
  const names: string[] = [];
  if (multi) for (const i of inputs) names.push(i.name);
  for (const i of inputs) for (const b of i.td.instances) if (!i.skipped?.has(b)) names.push(b.name);
  const maxLen = Math.max(0, ...names.map((n) => n.length));
  const showPrefix = multi || instanceCount > 0;
  const prefix = (name: string | undefined): string => (!showPrefix ? '' : name ? name.padStart(maxLen) + ': ' : ' '.repeat(maxLen + 2));
  const handles: Handle[] = [];
  const later: Handle[] = [];
  for (const inp of inputs) {
    inp.printer = new LinePrinter(inp.td.tep, {
      latency: args.latency, raw: args.raw, nsec: args.nsec, inUsecs: inp.td.inUsecs,
      tsDiff: args.tsDiff, useTraceClock: inp.td.useTraceClock, eventMode: eventModes(args),
    });
    for (const h of inp.td.handles()) {
      if (h.buffer && inp.skipped?.has(h.buffer)) continue;
      const isTop = h.buffer === undefined || h.buffer.name === '';
      const pageSize = !h.buffer ? inp.td.pageSize : args.allPages ? h.buffer.pageSize : inp.td.handlePageSize(h.buffer);
      const dataStart = 8 + (inp.td.headerPage?.commitSize ?? 8);
      const entry: Handle = { input: inp, prefix: prefix(isTop ? (multi ? inp.name : undefined) : h.buffer!.name), streams: h.streams, buffer: h.buffer, pageSize, dataStart };
      (isTop ? handles : later).push(entry);
    }
  }
  handles.push(...later);
  const cpuSet = args.cpus ? new Set(args.cpus) : undefined;
  const wake = args.wakeup ? new WakeupLatency(inputs[0]!.td.tep) : undefined;
  const noIrq = args.noIrqs, noSoft = args.noSoftirqs;
  const boundary = args.boundary;
  const sources: Array<PrintSource<Handle>> = handles.map((h) => {
    const tep = h.input.td.tep;
    const entry = lookahead ? tep.findEvent('ftrace', 'funcgraph_entry') : undefined;
    return { streams: h.streams, tag: h, tep, entryId: entry ? entry.id : -1 };
  });
  const ob = out.buffer;
  const prefixes = new Map<Handle, Chunk | null>(handles.map((h) => [h, h.prefix ? makeChunk(h.prefix) : null]));
  const wakeOn = wake?.enabled === true;
  let lastH: Handle | undefined;
  let printer: LinePrinter | undefined;
  let pre: Chunk | null = null;
  const useLookahead = lookahead && sources.some((s) => s.entryId >= 0) ? lookahead : undefined;
  await printMerged(sources, useLookahead, (rec: KRecord, h: Handle, slot: number, at: number) => {
    const inp = h.input;
    if (inp.filter && !inp.filter(rec)) return;
    if (cpuSet && !cpuSet.has(slot)) return;
    if (noIrq || noSoft) {
      const f = inp.td.tep.flagsOf(rec);
      if (noIrq && f & 0x08) return;
      if (noSoft && f & 0x10) return;
    }
    if (h !== lastH) { lastH = h; printer = inp.printer!; pre = prefixes.get(h)!; }
    if (pre) ob.chunk(pre);
    if (boundary && atBufferStart(rec, at, h, inp.td.littleEndian)) {
      // trace_show_data: the dropped-events line, then the boundary line, then the record
      const missed = rec.missedEvents;
      if (missed !== 0) ob.latin1(LinePrinter.missedLine(rec));
      ob.latin1(`CPU:${rec.cpu} [SUBBUFFER START]\n`);
      rec.missedEvents = 0;
      printer!.emit(rec, ob);
      rec.missedEvents = missed;
    } else printer!.emit(rec, ob);
    if (wakeOn) ob.latin1(wake!.process(rec));
    ob.byte(10);
    out.lineDone();
  });
  if (wake?.enabled) out.write(wake.summary());
}

/** Diagnostics printed on stderr without -V (besides truncation, summed up above). */
const DEFAULT_SHOWN: ReadonlySet<string> = new Set([TraceDatDiagnostic.PagesSkipped, TraceDatDiagnostic.Decompress, TraceDatDiagnostic.BadEventFormat]);

/**
 * trace-cmd's tracecmd_init_data: a top buffer whose first page does not fit the handle's page
 * size makes `trace-cmd report` print nothing and exit 2 ("failed to init data"). An instance
 * whose handle cannot be set up that way is left out with a warning ("could not retrieve
 * handle NAME"; seen with v6 and v7 files, exit 0). --all-pages reads such buffers with their
 * real sub-buffer size instead.
 */
async function checkInit(inp: Input, args: ReportArgs): Promise<void> {
  if (args.allPages || inp.skipped) return;
  const fails = await inp.td.initFailures();
  inp.skipped = new Set();
  if (fails.length === 0) return;
  const why = (f: (typeof fails)[number]): string => `cpu=${f.cpu}: sub-buffer commit ${f.commit} is larger than the page size ${inp.td.handlePageSize(f.buffer)} trace-cmd 3.1.6 reads it with (--all-pages reads it)`;
  const top = fails.find((x) => x.buffer.name === '');
  if (top) throw new InitError(`failed to init data: ${inp.file}: top buffer, ${why(top)}`);
  for (const f of fails) {
    inp.skipped.add(f.buffer);
    process.stderr.write(`utp report: warning: ${inp.file}: could not retrieve handle ${f.buffer.name}: ${why(f)}; it is left out, as trace-cmd does\n`);
  }
}

async function report(argv: string[]): Promise<number> {
  // CTF input (a trace directory or its metadata file): printed as babeltrace2 does
  const ctf = await import('../report-ctf/index.js');
  const ctfDir = ctf.ctfInput(argv);
  if (ctfDir !== undefined) return ctf.reportCtf(argv, ctfDir);
  // perf.data input (PERFILE2 magic, file or pipe mode): perf script's output, see ../report-perf/
  const perf = await import('../report-perf/index.js');
  const perfInput = perf.inputOf(argv);
  if (perfInput !== undefined && perf.isPerfDataFile(perfInput)) return perf.reportPerf(argv);
  // the WebAssembly zstd decoder compiles in the background while the inputs are opened
  void fastZstd();
  const args = parseReportArgs(argv);
  const out = new Output();
  const multi = args.inputs.length > 1;
  if (multi && args.wakeup) {
    process.stderr.write('utp report: Wakeup tracing can only be done on a single input file\n');
    return 1;
  }
  const inputs: Input[] = [];
  const ps: PluginState = { funcRepeatTime: 'usecs', lookahead: new HandleLookahead() };
  try {
    for (let k = 0; k < args.inputs.length; k++) {
      const hz = args.ts2secs.get(k) || args.ts2secs.get(-1) || 0n;
      inputs.push(await openTrace(args.inputs[k]!, args, k > 0 ? args.tsOffsets.get(k) ?? 0n : 0n, hz, ps));
    }
  } catch (e) {
    for (const i of inputs) await i.td.close();
    if (e instanceof InputError) { process.stderr.write(`utp report: ${e.message}\n`); return 1; }
    throw e;
  }
  // trace-cmd sets tep_func_repeat_format once, from the last input's flags
  const lastTd = inputs[inputs.length - 1]!.td;
  ps.funcRepeatTime = args.rawTs ? 'raw' : !lastTd.inUsecs ? 'counter' : args.nsec ? 'nsecs' : 'usecs';
  let status = 0;
  const run = async (): Promise<void> => {
    // trace-cmd handles -e/-p/-E/--cpus per input while opening them
    for (const inp of inputs) {
      if (args.endian) { out.write(`file is ${inp.td.littleEndian ? 'little' : 'big'} endian and host is little endian\n`); return; }
      if (args.pageSize) { out.write(`file page size is ${inp.td.pageSize}, and host page size is 4096\n`); return; }
      if (args.formats) { printFormats(inp.td, out); return; }
      if (args.events) { listEvents(inp.td.tep, out); return; }
      if (args.showCpus) { await checkInit(inp, args); await showCpus(inp, args, out); }
    }
    if (args.showCpus) return;
    for (let k = 0; k < inputs.length; k++) {
      const inp = inputs[k]!;
      await checkInit(inp, args);
      try {
        inp.filter = makeRecordFilter(inp.td.tep, filtersFor(args, k));
      } catch (e) {
        throw new InputError(`Failed to create event filter: ${describeError(e)}`);
      }
      const names = [...(multi ? inputs.map((i) => i.name) : []), ...inputs.flatMap((i) => i.td.instances.filter((b) => !i.skipped?.has(b)).map((b) => b.name))];
      const maxLen = Math.max(0, ...names.map((n) => n.length));
      out.write((multi ? inp.name.padStart(maxLen) + ': ' : '') + `cpus=${inp.td.cpuCount}\n`);
      if (inp.td.isLatency) {
        if (multi) throw new InputError('latency traces do not work with multiple inputs');
        out.write(await inp.td.latencyText());
        out.write('\n');
        return;
      }
      if (args.version) { out.write((inp.td.versionString ?? ' version was not recorded in this file') + '\n'); continue; }
      if (args.uname) {
        // trace-cmd falls through from --uname into --version
        out.write((inp.td.uname ?? ' uname was not recorded in this file') + '\n');
        out.write((inp.td.versionString ?? ' version was not recorded in this file') + '\n');
        continue;
      }
      if (args.stat) { await showStat(inp.td, out); continue; }
    }
    if (args.version || args.uname || args.stat) return;
    await printTrace(inputs, args, out, args.noPlugins ? undefined : ps.lookahead);
  };
  try {
    await run();
  } catch (e) {
    out.flush();
    if (e instanceof InitError) {
      process.stderr.write(`utp report: ${e.message}\n`);
      status = 2;
      return status;
    }
    process.stderr.write(`utp report: ${e instanceof InputError ? e.message : describeError(e)}\n`);
    if (process.env['UTP_DEBUG']) process.stderr.write(String((e as Error).stack) + '\n');
    status = 1;
  } finally {
    out.flush();
    for (const inp of inputs) {
      await inp.td.close();
      const trunc = inp.diags.filter((d) => d.code === 'TRACEDAT_TRUNCATED' || d.code === 'TRACEDAT_CORRUPT_PAGE');
      if (trunc.length > 0) {
        const d = trunc[0]!;
        const more = trunc.length > 1 ? ` (and ${trunc.length - 1} more)` : '';
        process.stderr.write(`utp report: warning: ${inp.file}: ${d.message}${d.offset !== undefined ? ` at offset=${d.offset}` : ''}${more}\n`);
        // a cut file is an input error; a damaged page only costs that CPU's remaining data
        if (trunc.some((x) => x.code === 'TRACEDAT_TRUNCATED')) status = 1;
      }
      for (const d of inp.diags) {
        if (trunc.includes(d)) continue;
        // data trace-cmd would not show (its page walk), or lost: one line each, status unchanged
        if (DEFAULT_SHOWN.has(d.code)) process.stderr.write(`utp report: ${d.level}: ${inp.file}: ${d.message.replace('exactPages: false', 'utp report --all-pages')}\n`);
        else if (args.verbose) process.stderr.write(`utp report: ${d.level}: ${d.message}${d.offset !== undefined ? ` (offset=${d.offset})` : ''}\n`);
      }
    }
  }
  return status;
}

const command: Command = {
  name: 'report',
  summary: 'print a trace.dat file as trace-cmd report does',
  run: report,
};
export default command;
