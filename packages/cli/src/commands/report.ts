/// <reference types="node" />
/**
 * utp report: prints a trace.dat exactly as `trace-cmd report` 3.1.6 does.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import * as traceevent from '@utp/traceevent';
import { LinePrinter, formatTime } from '@utp/traceevent';
import type { Diagnostic, KRecord, Tep, TraceRecord } from '@utp/traceevent';
import { TraceDat } from '@utp/tracedat';
import type { TraceDatBuffer } from '@utp/tracedat';
import type { Command } from '../command.js';
import { parseReportArgs } from '../report/args.js';
import type { ReportArgs } from '../report/args.js';
import { Output } from '../report/output.js';
import { WakeupLatency } from '../report/wakeup.js';
import { makeRecordFilter } from '../report/filter.js';

class InputError extends Error {}

async function openTrace(file: string, args: ReportArgs, diags: Diagnostic[]): Promise<TraceDat> {
  const tep = new traceevent.Tep();
  loadPlugins(tep, args);
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
  try {
    return await TraceDat.open(src, {
      onDiagnostic: (d) => { diags.push(d); },
      tep,
      ignoreDate: args.nodate,
      rawTs: args.rawTs,
      // trace-cmd applies --ts-offset only to inputs after the first (multi-input merge)
      tsOffset: 0n,
    });
  } catch (e) {
    src.close();
    throw new InputError(`'${file}' is not a readable trace.dat file: ${describeError(e)}`);
  }
}

function loadPlugins(tep: Tep, args: ReportArgs): void {
  if (args.noPlugins) return;
  traceevent.loadPlugins(tep, { funcRepeatTime: args.rawTs ? 'raw' : args.nsec ? 'nsecs' : 'usecs' });
}

/** The per-CPU first/last record time for --cpus --first-event --last-event. */
async function showCpus(td: TraceDat, file: string, args: ReportArgs, out: Output): Promise<void> {
  out.write(`List of CPUs in ${file} with data:\n`);
  const top = td.topBuffer;
  const mode = !td.inUsecs ? 'raw' : args.nsec ? 'nsec' : 'usec';
  const first = new Map<number, bigint>();
  const last = new Map<number, bigint>();
  if (top) {
    await td.forEachRecord((rec: KRecord) => {
      if (!first.has(rec.cpu)) first.set(rec.cpu, rec.ts);
      last.set(rec.cpu, rec.ts);
      return args.last || first.size < top.cpus.filter((c) => c.size > 0).length;
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

async function printTrace(td: TraceDat, args: ReportArgs, out: Output, filter: ((rec: TraceRecord) => boolean) | undefined): Promise<void> {
  const tep = td.tep;
  const printer = new LinePrinter(tep, {
    latency: args.latency, raw: args.raw, nsec: args.nsec, inUsecs: td.inUsecs,
    tsDiff: args.tsDiff, useTraceClock: td.useTraceClock,
  });
  const instances = td.instances.length > 0;
  const maxLen = Math.max(0, ...td.instances.map((b) => b.name.length));
  const prefixes = new Map<TraceDatBuffer, string>();
  for (const b of td.buffers) prefixes.set(b, !instances ? '' : b.name ? b.name.padStart(maxLen) + ': ' : ' '.repeat(maxLen + 2));
  const cpuSet = args.cpus ? new Set(args.cpus) : undefined;
  const wake = args.wakeup ? new WakeupLatency(tep) : undefined;
  const noIrq = args.noIrqs, noSoft = args.noSoftirqs;
  await td.forEachRecord((rec: KRecord, buf: TraceDatBuffer, slot: number) => {
    if (filter && !filter(rec)) return;
    if (cpuSet && !cpuSet.has(slot)) return;
    if (noIrq || noSoft) {
      const f = tep.flagsOf(rec);
      if (noIrq && f & 0x08) return;
      if (noSoft && f & 0x10) return;
    }
    let line = prefixes.get(buf)! + printer.format(rec);
    if (wake?.enabled) line += wake.process(rec as TraceRecord);
    out.write(line + '\n');
  });
  if (wake?.enabled) out.write(wake.summary());
}

async function report(argv: string[]): Promise<number> {
  const args = parseReportArgs(argv);
  const out = new Output();
  const diags: Diagnostic[] = [];
  const file = args.inputs[0]!;
  if (args.inputs.length > 1) {
    process.stderr.write('utp report: several -i inputs are not supported yet; reading the first\n');
  }
  let td: TraceDat;
  try {
    td = await openTrace(file, args, diags);
  } catch (e) {
    if (e instanceof InputError) { process.stderr.write(`utp report: ${e.message}\n`); return 1; }
    throw e;
  }
  let status = 0;
  const run = async (): Promise<void> => {
    if (args.endian) {
      out.write(`file is ${td.littleEndian ? 'little' : 'big'} endian and host is little endian\n`);
      return;
    }
    if (args.pageSize) {
      out.write(`file page size is ${td.pageSize}, and host page size is 4096\n`);
      return;
    }
    if (args.events) { listEvents(td.tep, out); return; }
    if (args.showCpus) { await showCpus(td, basename(file) === file ? file : file, args, out); return; }
    let filter: ((rec: TraceRecord) => boolean) | undefined;
    try {
      filter = makeRecordFilter(td.tep, args.filters);
    } catch (e) {
      throw new InputError(`Failed to create event filter: ${describeError(e)}`);
    }
    out.write(`cpus=${td.cpuCount}\n`);
    if (td.isLatency) {
      out.write(await td.latencyText());
      out.write('\n');
      return;
    }
    if (args.version) { out.write((td.versionString ?? ' version was not recorded in this file') + '\n'); return; }
    if (args.uname) {
      out.write((td.uname ?? ' uname was not recorded in this file') + '\n');
      out.write((td.versionString ?? ' version was not recorded in this file') + '\n');
      return;
    }
    if (args.stat) { await showStat(td, out); return; }
    await printTrace(td, args, out, filter);
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
    await td.close();
    const trunc = diags.filter((d) => d.code === 'TRACEDAT_TRUNCATED' || d.code === 'TRACEDAT_CORRUPT_PAGE');
    if (trunc.length > 0) {
      const d = trunc[0]!;
      const more = trunc.length > 1 ? ` (and ${trunc.length - 1} more)` : '';
      process.stderr.write(`utp report: warning: ${file}: ${d.message}${d.offset !== undefined ? ` at offset=${d.offset}` : ''}${more}\n`);
      status = 1;
    }
    if (args.verbose) {
      for (const d of diags) {
        if (trunc.includes(d)) continue;
        process.stderr.write(`utp report: ${d.level}: ${d.message}${d.offset !== undefined ? ` (offset=${d.offset})` : ''}\n`);
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
