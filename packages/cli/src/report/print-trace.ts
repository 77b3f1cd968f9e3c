/// <reference types="node" />
/**
 * The event listing of `utp report`: builds trace-cmd's handle list (every file's top buffer,
 * then each file's instances), applies the per-record selection (-F, --cpu, -I/-S) and prints
 * each record through its input's LinePrinter, with --boundary and -w.
 */
import { LinePrinter, breToRegExp, makeChunk } from '@utp/traceevent';
import type { Chunk, EventFormat, KRecord, PrintMode } from '@utp/traceevent';
import type { CpuStream, TraceDatBuffer } from '@utp/tracedat';
import type { ReportArgs } from './args.js';
import type { Input } from './inputs.js';
import type { Output } from './output.js';
import { printMerged } from './print-loop.js';
import type { HandleLookahead, PageInfo, PrintSource } from './print-loop.js';
import { boundarySuffix, checkBadPage, eventSuffix } from './debug.js';
import { WakeupLatency } from './wakeup.js';
import { JsonWriter, handleTail } from './json.js';

/** One trace-cmd handle in iteration order (a file's top buffer or one of its instances). */
export interface Handle {
  input: Input;
  prefix: string;
  /** The instance name ('' for the top buffer). */
  bufferName: string;
  streams: Array<CpuStream | undefined>;
  buffer: TraceDatBuffer | undefined;
  /** Sub-buffer size the streams step with, and where record data starts in a sub-buffer (--boundary). */
  pageSize: number;
  dataStart: number;
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

/** trace-cmd's set_event_flags: `^RE$` (POSIX basic, case-insensitive) against the event's name or system. */
function eventModes(args: ReportArgs): ((e: EventFormat) => PrintMode | undefined) | undefined {
  if (args.rawEvents.length === 0 && args.noHandlerEvents.length === 0) return undefined;
  const raw = args.rawEvents.map((r) => breToRegExp(`^${r}$`, 'i'));
  const noh = args.noHandlerEvents.map((r) => breToRegExp(`^${r}$`, 'i'));
  const hit = (res: RegExp[], e: EventFormat) => res.some((re) => re.test(e.name) || re.test(e.system));
  return (e) => (hit(raw, e) ? 'raw' : hit(noh, e) ? 'noplugins' : undefined);
}

/** The handles of all inputs in trace-cmd's order, each with its line prefix. */
export function buildHandles(inputs: Input[], args: ReportArgs): Handle[] {
  const multi = inputs.length > 1;
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
    for (const h of inp.td.handles()) {
      if (h.buffer && inp.skipped?.has(h.buffer)) continue;
      const isTop = h.buffer === undefined || h.buffer.name === '';
      const pageSize = !h.buffer ? inp.td.pageSize : args.allPages ? h.buffer.pageSize : inp.td.handlePageSize(h.buffer);
      const dataStart = 8 + (inp.td.headerPage?.commitSize ?? 8);
      const entry: Handle = {
        input: inp,
        bufferName: isTop ? '' : h.buffer!.name,
        prefix: prefix(isTop ? (multi ? inp.name : undefined) : h.buffer!.name),
        streams: h.streams,
        buffer: h.buffer,
        pageSize,
        dataStart,
      };
      (isTop ? handles : later).push(entry);
    }
  }
  handles.push(...later);
  return handles;
}

/**
 * --align-ts: trace-cmd subtracts the smallest first time stamp of the files' top buffers from
 * every time stamp (tracecmd_get_first_ts: the first page of each CPU with data; an input whose top
 * buffer holds no data counts as 0). We take each CPU's first record, which starts its first page.
 */
export async function firstTopTs(inputs: Input[]): Promise<bigint> {
  let min: bigint | undefined;
  for (const inp of inputs) {
    const top = inp.td.handles()[0]!;
    let first: bigint | undefined;
    for (const s of top.streams) {
      if (!s) continue;
      const r = s.advance();
      if (!(typeof r === 'boolean' ? r : await r)) continue;
      if (first === undefined || s.rec.ts < first) first = s.rec.ts;
    }
    const ts = first ?? 0n;
    if (min === undefined || ts < min) min = ts;
  }
  return min ?? 0n;
}

export async function printTrace(inputs: Input[], args: ReportArgs, out: Output, lookahead: HandleLookahead | undefined): Promise<void> {
  for (const inp of inputs) {
    inp.printer = new LinePrinter(inp.td.tep, {
      latency: args.latency,
      raw: args.raw,
      nsec: args.nsec,
      inUsecs: inp.td.inUsecs,
      tsDiff: args.tsDiff,
      useTraceClock: inp.td.useTraceClock,
      eventMode: eventModes(args),
    });
  }
  const handles = buildHandles(inputs, args);
  const cpuSet = args.cpus ? new Set(args.cpus) : undefined;
  const wake = args.wakeup ? new WakeupLatency(inputs[0]!.td.tep) : undefined;
  const noIrq = args.noIrqs,
    noSoft = args.noSoftirqs;
  const boundary = args.boundary;
  const sources: Array<PrintSource<Handle>> = handles.map((h) => {
    const tep = h.input.td.tep;
    const entry = lookahead ? tep.findEvent('ftrace', 'funcgraph_entry') : undefined;
    return { streams: h.streams, tag: h, tep, entryId: entry ? entry.id : -1 };
  });
  const ob = out.buffer;
  const prefixes = new Map<Handle, Chunk | null>(handles.map((h) => [h, h.prefix ? makeChunk(h.prefix) : null]));
  const wakeOn = wake?.enabled === true && !args.json;
  let lastH: Handle | undefined;
  let printer: LinePrinter | undefined;
  let pre: Chunk | null = null;
  const useLookahead = lookahead && sources.some((s) => s.entryId >= 0) ? lookahead : undefined;
  const align = args.alignTs ? await firstTopTs(inputs) : 0n;
  const tsCheck = args.tsCheck && !args.quiet;
  let lastTs = 0n;
  const json = args.json;
  const jsonWriters = new Map<Input, JsonWriter>();
  const tails = new Map<Handle, Chunk | null>();
  if (json) {
    for (const inp of inputs) jsonWriters.set(inp, new JsonWriter(inp.td.tep, inp.td.littleEndian));
    for (const h of handles) tails.set(h, handleTail(h.bufferName || undefined, inputs.length > 1 ? h.input.name : undefined));
  }
  let jw: JsonWriter | undefined;
  let tail: Chunk | null = null;
  const debug = args.debug && !json;
  const pg: PageInfo | undefined = debug ? { offset: 0, base: 0, end: 0 } : undefined;
  const seen = inputs.map((i) => i.diags.length);
  const badPage = (): void => {
    for (let k = 0; k < inputs.length; k++) seen[k] = checkBadPage(inputs[k]!.diags, seen[k]!);
  };
  await printMerged(
    sources,
    useLookahead,
    (rec: KRecord, h: Handle, slot: number, at: number) => {
      const inp = h.input;
      if (pg) badPage();
      if (inp.filter && !inp.filter(rec)) return;
      if (cpuSet && !cpuSet.has(slot)) return;
      if (noIrq || noSoft) {
        const f = inp.td.tep.flagsOf(rec);
        if (noIrq && f & 0x08) return;
        if (noSoft && f & 0x10) return;
      }
      if (align !== 0n) rec.ts = BigInt.asUintN(64, rec.ts - align);
      if (tsCheck) {
        const ts = rec.ts;
        if (lastTs > ts) {
          const s = (v: bigint) => BigInt.asIntN(64, v).toString();
          process.stderr.write(`  WARNING: Record on cpu ${slot} went backwards: ${s(lastTs)} to ${s(ts)} delta: -${s(lastTs - ts)}\n\n`);
        }
        lastTs = ts;
      }
      if (json) {
        if (h !== lastH) {
          lastH = h;
          jw = jsonWriters.get(inp)!;
          tail = tails.get(h)!;
        }
        jw!.write(rec, tail, ob);
        out.lineDone();
        return;
      }
      if (h !== lastH) {
        lastH = h;
        printer = inp.printer!;
        pre = prefixes.get(h)!;
      }
      if (pre) ob.chunk(pre);
      if (boundary && atBufferStart(rec, at, h, inp.td.littleEndian)) {
        // trace_show_data: the dropped-events line, then the boundary line, then the record
        const missed = rec.missedEvents;
        if (missed !== 0) ob.latin1(LinePrinter.missedLine(rec));
        ob.latin1(`CPU:${rec.cpu} [SUBBUFFER START]${pg ? boundarySuffix(rec, pg, h.pageSize, inp.td.littleEndian) : ''}\n`);
        rec.missedEvents = 0;
        printer!.emit(rec, ob);
        rec.missedEvents = missed;
      } else printer!.emit(rec, ob);
      if (pg) ob.latin1(eventSuffix(rec, pg, h.pageSize, inp.td.littleEndian));
      if (wakeOn) ob.latin1(wake!.process(rec));
      ob.byte(10);
      out.lineDone();
    },
    pg,
  );
  if (pg) badPage();
  if (wake?.enabled && !json) out.write(wake.summary());
}
