/// <reference types="node" />
/**
 * utp report: prints trace.dat files exactly as `trace-cmd report` 3.1.6 does
 * (tracecmd/trace-read.c): one or several inputs, their instance buffers merged by time.
 */
import { statSync } from 'node:fs';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { DEFAULT_PLUGIN_OPTIONS, LinePrinter, Tep, applyPluginOption, breToRegExp, formatTime, loadPlugins, makeChunk } from '@utp/traceevent';
import type { Chunk } from '@utp/traceevent';
import type { PluginOptions } from '@utp/traceevent';
import type { Diagnostic, EventFormat, KRecord, PrintMode, TraceRecord } from '@utp/traceevent';
import { TraceDat, mergeRecords } from '@utp/tracedat';
import type { CpuStream, Decompressor, RecordSource, TraceDatBuffer } from '@utp/tracedat';
import type { Command } from '../command.js';
import { parseReportArgs } from '../report/args.js';
import type { ReportArgs } from '../report/args.js';
import { Output } from '../report/output.js';
import { WakeupLatency } from '../report/wakeup.js';
import { makeRecordFilter } from '../report/filter.js';

class InputError extends Error {}

/** One `-i` input. */
interface Input {
  file: string;
  /** Base name shown as the line prefix with several inputs. */
  name: string;
  td: TraceDat;
  diags: Diagnostic[];
  filter?: ((rec: TraceRecord) => boolean) | undefined;
  printer?: LinePrinter;
}

/** One trace-cmd handle in iteration order (a file's top buffer or one of its instances). */
interface Handle { input: Input; prefix: string; streams: Array<CpuStream | undefined>; buffer: TraceDatBuffer | undefined }

/** A native-speed (WebAssembly) zstd decoder for Node, loaded once; fzstd stays the fallback. */
let zstdWasm: Promise<Decompressor | undefined> | undefined;
function fastZstd(): Promise<Decompressor | undefined> {
  zstdWasm ??= import('@foxglove/wasm-zstd').then(async (m) => {
    await m.isLoaded;
    return (data: Uint8Array, usize: number) => m.decompress(data, usize);
  }, () => undefined);
  return zstdWasm;
}

async function openTrace(file: string, args: ReportArgs, tsOffset: bigint, ts2secsHz: bigint): Promise<Input> {
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
    const po: PluginOptions = { ...DEFAULT_PLUGIN_OPTIONS, funcRepeatTime: args.rawTs ? 'raw' : args.nsec ? 'nsecs' : 'usecs' };
    for (const o of args.pluginOptions) applyPluginOption(po, o);
    loadPlugins(tep, po);
  }
  const diags: Diagnostic[] = [];
  const zstd = await fastZstd();
  try {
    const td = await TraceDat.open(src, {
      decompressors: zstd ? { zstd } : {},
      onDiagnostic: (d) => { diags.push(d); }, tep, ignoreDate: args.nodate, rawTs: args.rawTs, tsOffset,
      keepFormatTexts: args.formats, ts2secsHz,
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

async function printTrace(inputs: Input[], args: ReportArgs, out: Output): Promise<void> {
  const multi = inputs.length > 1;
  // the handle list: every file's top handle, then the instances of each file
  const instanceCount = inputs.reduce((n, i) => n + i.td.instances.length, 0);
  const names: string[] = [];
  if (multi) for (const i of inputs) names.push(i.name);
  for (const i of inputs) for (const b of i.td.instances) names.push(b.name);
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
      const isTop = h.buffer === undefined || h.buffer.name === '';
      const entry: Handle = { input: inp, prefix: prefix(isTop ? (multi ? inp.name : undefined) : h.buffer!.name), streams: h.streams, buffer: h.buffer };
      (isTop ? handles : later).push(entry);
    }
  }
  handles.push(...later);
  const cpuSet = args.cpus ? new Set(args.cpus) : undefined;
  const wake = args.wakeup ? new WakeupLatency(inputs[0]!.td.tep) : undefined;
  const noIrq = args.noIrqs, noSoft = args.noSoftirqs;
  const sources: Array<RecordSource<Handle>> = handles.map((h) => ({ streams: h.streams, tag: h }));
  const ob = out.buffer;
  const prefixes = new Map<Handle, Chunk | null>(handles.map((h) => [h, h.prefix ? makeChunk(h.prefix) : null]));
  const wakeOn = wake?.enabled === true;
  let lastH: Handle | undefined;
  let printer: LinePrinter | undefined;
  let pre: Chunk | null = null;
  await mergeRecords(sources, (rec: KRecord, h: Handle, slot: number) => {
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
    printer!.emit(rec, ob);
    if (wakeOn) ob.latin1(wake!.process(rec));
    ob.byte(10);
    out.lineDone();
  });
  if (wake?.enabled) out.write(wake.summary());
}

async function report(argv: string[]): Promise<number> {
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
  try {
    for (let k = 0; k < args.inputs.length; k++) {
      const hz = args.ts2secs.get(k) || args.ts2secs.get(-1) || 0n;
      inputs.push(await openTrace(args.inputs[k]!, args, k > 0 ? args.tsOffsets.get(k) ?? 0n : 0n, hz));
    }
  } catch (e) {
    for (const i of inputs) await i.td.close();
    if (e instanceof InputError) { process.stderr.write(`utp report: ${e.message}\n`); return 1; }
    throw e;
  }
  const first = inputs[0]!;
  let status = 0;
  const run = async (): Promise<void> => {
    // trace-cmd handles -e/-p/-E/--cpus per input while opening them
    for (const inp of inputs) {
      if (args.endian) { out.write(`file is ${inp.td.littleEndian ? 'little' : 'big'} endian and host is little endian\n`); return; }
      if (args.pageSize) { out.write(`file page size is ${inp.td.pageSize}, and host page size is 4096\n`); return; }
      if (args.formats) { printFormats(inp.td, out); return; }
      if (args.events) { listEvents(inp.td.tep, out); return; }
      if (args.showCpus) await showCpus(inp, args, out);
    }
    if (args.showCpus) return;
    for (let k = 0; k < inputs.length; k++) {
      const inp = inputs[k]!;
      try {
        inp.filter = makeRecordFilter(inp.td.tep, filtersFor(args, k));
      } catch (e) {
        throw new InputError(`Failed to create event filter: ${describeError(e)}`);
      }
      const names = [...(multi ? inputs.map((i) => i.name) : []), ...inputs.flatMap((i) => i.td.instances.map((b) => b.name))];
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
    await printTrace(inputs, args, out);
  };
  try {
    await run();
  } catch (e) {
    out.flush();
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
      if (args.verbose) {
        for (const d of inp.diags) {
          if (trunc.includes(d)) continue;
          process.stderr.write(`utp report: ${d.level}: ${d.message}${d.offset !== undefined ? ` (offset=${d.offset})` : ''}\n`);
        }
      }
    }
  }
  void first;
  return status;
}

const command: Command = {
  name: 'report',
  summary: 'print a trace.dat file as trace-cmd report does',
  run: report,
};
export default command;
