/// <reference types="node" />
/**
 * utp convert [-i] IN -o OUT [--to ctf|json|perfetto|text|dat] [selection]: converts a trace
 * between formats (the Babeltrace role). Input detected from its content (trace.dat, CTF that utp
 * wrote, perf.data); output format from --to or the name (a directory or `.ctf` → CTF, `.json` →
 * Chrome JSON, `.pftrace`/`.perfetto-trace` → Perfetto, `.txt` → text, `.dat` → trace.dat). A
 * trace.dat, a perf.data or a CTF (any, LTTng's too) to JSON/Perfetto is read directly as @utp/model's
 * event stream (TraceDatSource, PerfDataSource, CtfSource). The selection (../convert/filter.ts)
 * applies to every pair: to JSON/Perfetto on the event stream (@utp/model's SelectSource; -F of a
 * perf.data or a utp CTF through a trace.dat), to the other outputs through a trace.dat of the
 * selected records (../convert/; a CTF then needs utp's skeleton).
 * Progress on a TTY, quiet when piped; the output is written under a temporary name and renamed; it never replaces the input.
 */
import { closeSync, existsSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { TraceDat } from '@utp/tracedat';
import { FtraceTextSource, PerfDataSource, SelectSource, TraceDatSource } from '@utp/model';
import type { EventSource } from '@utp/model';
import { writeChromeJson, writePerfetto } from '@utp/convert';
import { traceDatToCtf } from '@utp/ctf';
import { ctfDirSink } from '@utp/ctf/node';
import { spawnSync } from 'node:child_process';
import type { CompressionName } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import type { SelectOptions } from '../convert/filter.js';
import { wasmZstd } from '../zstd-wasm.js';

const HELP = `usage: utp convert [-i] INPUT -o OUTPUT [--to FORMAT] [selection]

  -i INPUT      the input, detected from its content: a trace.dat, a CTF trace directory
                (any CTF 1.8 to json/perfetto/text, selected or not but for -F; trace.dat
                and CTF output need one that utp convert wrote), a perf.data, or ftrace text
                (to json/perfetto)
  -o OUTPUT     the output: a directory or NAME.ctf (CTF 1.8), NAME.json (Chrome JSON),
                NAME.pftrace or NAME.perfetto-trace (Perfetto protobuf), NAME.txt (text:
                what utp report prints), NAME.dat (trace.dat)
  --to FORMAT   ctf, json, perfetto, text or dat (default: from the output name)
  -q            no progress output

  selection (any input, any output; records kept when they pass every test):
  --from-time T     records at or after T (seconds as trace-cmd report prints them, or NNNns)
  --to-time T       records at or before T
  --events LIST     events by name: NAME, SYSTEM:NAME or SYSTEM (globs * ?), comma-separated
  --pid LIST        tasks: common_pid, or a pid/next_pid field, in LIST (as trace-cmd report --pid)
  --comm LIST       the pids of these comms in the saved cmdlines (as trace-cmd report --comm)
  --cpu LIST        CPUs: 0,2-3
  -F FILTER         a trace-cmd filter expression (as utp report -F); may be repeated
`;

type Format = 'ctf' | 'json' | 'perfetto' | 'text' | 'dat';
const FORMATS = ['ctf', 'json', 'perfetto', 'text', 'dat'];

function outputFormat(out: string, to: string | undefined): Format {
  if (to !== undefined) {
    if (to === 'trace.dat') return 'dat';
    if (to === 'txt') return 'text';
    if (FORMATS.includes(to)) return to as Format;
    throw new UsageError(`convert: unsupported output format '${to}' (supported: ${FORMATS.join(', ')})`);
  }
  const ext = extname(out);
  if (ext === '.ctf') return 'ctf';
  if (ext === '.json') return 'json';
  if (ext === '.pftrace' || ext === '.perfetto-trace') return 'perfetto';
  if (ext === '.txt') return 'text';
  if (ext === '.dat') return 'dat';
  try {
    if (statSync(out).isDirectory()) return 'ctf';
  } catch {
    /* does not exist */
  }
  if (out.endsWith('/')) return 'ctf';
  throw new UsageError(
    `convert: cannot tell the output format from '${out}': use --to ${FORMATS.join('|')} (or a name ending in .ctf, .json, .pftrace, .txt, .dat)`,
  );
}

const SELECT_OPTS = ['--from-time', '--to-time', '--events', '--pid', '--comm', '--cpu', '-F'];

/** True when argv asks for a selection (then convert-dat.ts's plain copy does not apply). */
function selects(argv: string[]): boolean {
  return argv.some((a) => SELECT_OPTS.some((o) => a === o || a.startsWith(o + '=') || (o === '-F' && a.startsWith('-F'))));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

async function convert(argv: string[]): Promise<number> {
  // trace.dat → trace.dat (trace-cmd convert's --file-version / --compression): convert-dat.ts
  const dat = await import('./convert-dat.js');
  if (argv.includes('-h') || argv.includes('--help')) process.stdout.write(`${HELP}\n${dat.CONVERT_DAT_HELP}`);
  if (argv.includes('-h') || argv.includes('--help')) return 0;
  if (!selects(argv) && dat.wantsDatOutput(argv)) return dat.convertDat(argv);
  const { emptySelect, hasSelection, parseTime } = await import('../convert/filter.js');
  const sel = emptySelect();
  let input: string | undefined,
    output: string | undefined,
    to: string | undefined,
    fileVersion: 6 | 7 | undefined,
    compression: CompressionName | undefined,
    quiet = false;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else if (a.startsWith('-F') && a.length > 2) {
      inline = a.slice(2);
      a = '-F';
    }
    const val = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`convert: option ${a} needs a value`);
      return v;
    };
    if (a === '-i') input = val();
    else if (a === '-o') output = val();
    else if (a === '--to') to = val();
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '--file-version') {
      const v = val();
      if (v !== '6' && v !== '7') throw new UsageError(`convert: Unsupported file version ${v}, supported versions are from 6 to 7`);
      fileVersion = Number(v) as 6 | 7;
    } else if (a === '--compression') {
      const v = val();
      if (!['none', 'zlib', 'zstd', 'any'].includes(v))
        throw new UsageError(`convert: Compression algorithm ${v} is not supported (none, zlib, zstd, any)`);
      compression = v as CompressionName;
    } else if (a === '--from-time') sel.fromNs = parseTime(a, val());
    else if (a === '--to-time') sel.toNs = parseTime(a, val());
    else if (a === '--events') sel.events.push(val());
    else if (a === '--pid') sel.pids.push(val());
    else if (a === '--comm') sel.comms.push(val());
    else if (a === '--cpu') sel.cpus.push(val());
    else if (a === '-F') sel.filters.push(val());
    else if (a.startsWith('-')) throw new UsageError(`convert: unknown option '${a}'`);
    else if (input === undefined) input = a;
    else throw new UsageError(`convert: unexpected argument '${a}'`);
  }
  if (input === undefined) throw new UsageError('convert: no input given (utp convert IN -o OUT)');
  if (output === undefined) throw new UsageError('convert: no output given (-o OUT)');
  const fmt = outputFormat(output, to);
  if ((fileVersion !== undefined || compression !== undefined) && fmt !== 'dat')
    throw new UsageError('convert: --file-version and --compression apply to trace.dat output only');
  if (fileVersion === 6 && compression !== undefined && compression !== 'none' && compression !== 'any')
    throw new UsageError(`convert: a version 6 file cannot be compressed (--compression ${compression})`);
  if (sel.fromNs !== undefined && sel.toNs !== undefined && sel.toNs < sel.fromNs)
    throw new UsageError('convert: --to-time is before --from-time');
  if (!existsSync(input)) {
    process.stderr.write(`utp convert: cannot open '${input}': No such file or directory\n`);
    return 1;
  }
  const rin = real(input),
    rout = real(output.replace(/\/+$/, '') || output);
  if (rin === rout || rin.startsWith(rout + sep) || rout.startsWith(rin + sep)) {
    process.stderr.write(`utp convert: the output '${output}' would replace the input '${input}'\n`);
    return 1;
  }
  if (!existsSync(dirname(resolve(output)))) {
    process.stderr.write(`utp convert: cannot write '${output}': No such directory '${dirname(output)}'\n`);
    return 1;
  }
  const { inputKind } = await import('../convert/sources.js');
  const kind = inputKind(input);
  if (kind === undefined) {
    process.stderr.write(
      `utp convert: ${input}: not a trace.dat, CTF trace directory, perf.data or ftrace text (cannot tell its format from its content)\n`,
    );
    return 1;
  }
  if (fmt !== 'ctf' && fmt !== 'dat') {
    try {
      if (statSync(output).isDirectory()) {
        process.stderr.write(`utp convert: cannot write '${output}': it is a directory\n`);
        return 1;
      }
    } catch {
      /* does not exist */
    }
  }
  const tty = !quiet && process.stderr.isTTY === true;
  const selected = hasSelection(sel);
  try {
    if (kind === 'text') {
      // ftrace text carries no formats: it converts to the event-stream sinks only (selected or not)
      if (fmt !== 'json' && fmt !== 'perfetto') {
        process.stderr.write(
          `utp convert: ${input}: ftrace text (a trace file or trace-cmd report output) converts to json or perfetto only (it has no event formats)\n`,
        );
        return 1;
      }
      return await toFile(input, output, fmt, tty, 'text', selected ? sel : undefined);
    }
    if (fmt === 'dat') return await recordsToDat(kind, input, output, { fileVersion, compression, sel, tty });
    if (kind === 'dat' && !selected) return await fromTraceDat(input, output, fmt, tty);
    if (fmt === 'json' || fmt === 'perfetto') {
      // the event stream of any input (selected through @utp/model's SelectSource), no trace.dat between;
      // -F needs a source with filter expressions: a perf.data's and a utp CTF's still go through a trace.dat
      // of their selected records (their tracefs formats), an LTTng CTF's is refused by SelectSource
      const viaDat = sel.filters.length > 0 && (kind === 'perf' || (kind === 'ctf' && existsSync(join(input, '.utp-tracedat.dat'))));
      if (!viaDat) return await toFile(input, output, fmt, tty, kind, selected ? sel : undefined);
    }
    // text of a CTF or perf.data input: what utp report prints for it
    if (fmt === 'text' && !selected) return reportText(input, output);
    // everything else goes through a trace.dat of the (selected) records, next to the output
    const tmp = join(dirname(resolve(output)), `.${basename(output)}.src-${process.pid}.dat`);
    try {
      const rc = await recordsToDat(kind, input, tmp, { fileVersion: 7, compression: 'none', sel, tty });
      if (rc !== 0) return rc;
      if (fmt === 'text' && kind === 'ctf') {
        // a CTF prints as babeltrace2 prints it: the selected records as CTF again
        const tctf = join(dirname(resolve(output)), `.${basename(output)}.src-${process.pid}.ctf`);
        try {
          const r2 = await fromTraceDat(tmp, tctf, 'ctf', false);
          return r2 !== 0 ? r2 : reportText(tctf, output);
        } finally {
          rmSync(tctf, { recursive: true, force: true });
        }
      }
      return await fromTraceDat(tmp, output, fmt, tty);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (tty) process.stderr.write('\n');
    process.stderr.write(`utp convert: ${describeError(e)}\n`);
    return 1;
  }
}

/** Any input's records (selected) into a trace.dat. */
async function recordsToDat(
  kind: 'dat' | 'ctf' | 'perf',
  input: string,
  output: string,
  o: { fileVersion: 6 | 7 | undefined; compression: CompressionName | undefined; sel: SelectOptions; tty: boolean },
): Promise<number> {
  const { openTraceDatSource, openCtfSource, openPerfSource } = await import('../convert/sources.js');
  const { makeSelector } = await import('../convert/filter.js');
  const { writeDat } = await import('../convert/to-dat.js');
  const zstd = await wasmZstd();
  const decompressors = zstd ? { zstd } : {};
  let src;
  try {
    src =
      kind === 'dat'
        ? await openTraceDatSource(input, decompressors)
        : kind === 'ctf'
          ? await openCtfSource(input, decompressors)
          : await openPerfSource(input);
  } catch (e) {
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
  }
  const t0 = Date.now();
  try {
    const off = src.tsOffset;
    const select = makeSelector(
      src.tep,
      o.sel,
      (rec) => rec.ts + off,
      (m) => process.stderr.write(`utp convert: warning: ${m}\n`),
    );
    const r = await writeDat(src, output, {
      fileVersion: o.fileVersion,
      compression: o.compression,
      select,
      onProgress: o.tty ? (n) => process.stderr.write(`\rutp convert: ${n} records`) : undefined,
    });
    if (o.tty)
      process.stderr.write(
        `\rutp convert: ${r.records} records, ${r.size} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${output}\n`,
      );
    for (const w of src.warnings) process.stderr.write(`utp convert: warning: ${w}\n`);
    return 0;
  } finally {
    await src.close();
  }
}

/** `utp report INPUT` (the report print path, in a child process) into OUTPUT, through a temp file. */
function reportText(input: string, output: string): number {
  const tmp = join(dirname(resolve(output)), `.${basename(output)}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w');
  let r;
  try {
    r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, 'report', '-i', input], {
      stdio: ['ignore', fd, 'inherit'],
    });
  } finally {
    closeSync(fd);
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    if (r.error) process.stderr.write(`utp convert: cannot run utp report: ${r.error.message}\n`);
    return r.status ?? 1;
  }
  renameSync(tmp, output);
  return 0;
}

/** A trace.dat into CTF (with its trace.dat skeleton), JSON, Perfetto or text. */
async function fromTraceDat(input: string, output: string, fmt: 'ctf' | 'json' | 'perfetto' | 'text', tty: boolean): Promise<number> {
  if (fmt === 'text') return reportText(input, output);
  if (fmt === 'json' || fmt === 'perfetto') return toFile(input, output, fmt, tty);
  const src = new FileSource(input);
  let td: TraceDat;
  const zstd = await wasmZstd();
  const decompressors = zstd ? { zstd } : {};
  try {
    td = await TraceDat.open(src, { decompressors });
  } catch (e) {
    await src.close();
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
  }
  let sink;
  try {
    sink = ctfDirSink(output);
  } catch (e) {
    await td.close();
    process.stderr.write(`utp convert: ${describeError(e)}\n`);
    return 1;
  }
  const t0 = Date.now();
  try {
    const r = await traceDatToCtf(td, {
      sink: sink.sink,
      onProgress: tty ? (n) => process.stderr.write(`\rutp convert: ${n} events`) : undefined,
    });
    const { makeSkeleton, SKELETON_DAT, SKELETON_JSON } = await import('../convert/skeleton.js');
    const { compressorFor } = await import('@utp/tracecmd');
    const sk = makeSkeleton(td, r, decompressors, await compressorFor('any', 7));
    sink.sink(SKELETON_DAT, sk.dat);
    sink.sink(SKELETON_JSON, new TextEncoder().encode(sk.json));
    sink.commit(r.metadata);
    if (tty)
      process.stderr.write(
        `\rutp convert: ${r.events} events in ${r.streams.length} streams, ${((Date.now() - t0) / 1000).toFixed(1)} s → ${output}\n`,
      );
    if (r.unknownLosses)
      process.stderr.write(
        `utp convert: warning: ${r.unknownLosses} losses of unknown size ("[LOST EVENTS]") cannot be counted in CTF (kept in ${SKELETON_JSON} for trace.dat)\n`,
      );
  } catch (e) {
    sink.abort();
    if (tty) process.stderr.write('\n');
    process.stderr.write(`utp convert: ${describeError(e)}\n`);
    return 1;
  } finally {
    await td.close();
  }
  return 0;
}

/** Chrome JSON and Perfetto: the model's event stream (of a trace.dat, a perf.data or a CTF) into @utp/convert's sinks, written to a temporary file renamed into place. */
async function toFile(
  input: string,
  output: string,
  fmt: 'json' | 'perfetto',
  tty: boolean,
  kind: 'dat' | 'perf' | 'ctf' | 'text' = 'dat',
  sel?: SelectOptions,
): Promise<number> {
  try {
    if (statSync(output).isDirectory()) {
      process.stderr.write(`utp convert: cannot write '${output}': it is a directory\n`);
      return 1;
    }
  } catch {
    /* does not exist */
  }
  let source: EventSource;
  let close: () => Promise<void>;
  let littleEndian: boolean;
  const warnings: string[] = [];
  let truncated = false;
  try {
    const zstd = await wasmZstd();
    const decompressors = zstd ? { zstd } : {};
    if (kind === 'perf') {
      const file = new FileSource(input);
      try {
        const ps = await PerfDataSource.open(file, {
          onDiagnostic: (d) => {
            // a cut perf.data: what it holds is written, and the exit status says it was cut (as utp report's)
            if (d.code === 'PERF_TRUNCATED') truncated = true;
            if (d.level !== 'info' && warnings.length < 20) warnings.push(d.message);
          },
        });
        source = ps;
        close = async () => file.close();
        littleEndian = ps.littleEndian;
      } catch (e) {
        await file.close();
        throw e;
      }
    } else if (kind === 'text') {
      const file = new FileSource(input);
      try {
        source = await FtraceTextSource.open(file, {
          name: input,
          onDiagnostic: (d) => {
            if (warnings.length < 20) warnings.push(d.message);
          },
        });
        close = async () => file.close();
        littleEndian = true;
      } catch (e) {
        await file.close();
        throw e;
      }
    } else if (kind === 'ctf') {
      const { openCtfDirSource } = await import('../convert/ctf-source.js');
      const c = await openCtfDirSource(input, decompressors, (d) => {
        // discarded events are in the output (lost events); other problems are said once the pass is done
        if (d.code !== 'CTF_DISCARDED') warnings.push(d.message);
      });
      source = c.source;
      close = c.close;
      littleEndian = c.source.trace.tc.le;
    } else {
      const file = new FileSource(input);
      try {
        const t = await TraceDatSource.open(file, { decompressors });
        source = t;
        close = () => t.td.close();
        littleEndian = t.td.littleEndian;
      } catch (e) {
        await file.close();
        throw e;
      }
    }
  } catch (e) {
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
  }
  let comm: string[] = [];
  if (sel) {
    const { toSelection } = await import('../convert/filter.js');
    try {
      source = new SelectSource(source, toSelection(sel), (m) => comm.push(m));
    } catch (e) {
      await close();
      if (e instanceof UsageError) throw e;
      process.stderr.write(`utp convert: ${describeError(e)}\n`);
      return 1;
    }
    // the events' warnings come at once, the comms' once the pass has seen the tasks
    for (const w of comm) process.stderr.write(`utp convert: warning: ${w}\n`);
    comm = [];
  }
  const tmp = join(dirname(resolve(output)), `.${basename(output)}.tmp-${process.pid}`);
  let fd = -1;
  const t0 = Date.now();
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    const sink = (chunk: Uint8Array): void => {
      let o = 0;
      while (o < chunk.length) o += writeSync(out, chunk, o, chunk.length - o);
    };
    const options = {
      littleEndian,
      onProgress: tty ? (_d: number, _t: number, n: number) => process.stderr.write(`\rutp convert: ${n} events`) : undefined,
    };
    const r = fmt === 'json' ? await writeChromeJson(source, sink, options) : await writePerfetto(source, sink, options);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, output);
    if (tty)
      process.stderr.write(
        `\rutp convert: ${r.events} events, ${r.bytes} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${output}\n`,
      );
    if (r.unknown) process.stderr.write(`utp convert: warning: ${r.unknown} events of unknown event ids left out\n`);
    for (const w of comm) process.stderr.write(`utp convert: warning: ${w}\n`);
    // (a --comm selection reads the input twice: its diagnostics once)
    for (const w of new Set(warnings)) process.stderr.write(`utp convert: warning: ${input}: ${w}\n`);
    return truncated ? 1 : 0;
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    if (tty) process.stderr.write('\n');
    process.stderr.write(`utp convert: ${describeError(e)}\n`);
    return 1;
  } finally {
    await close();
  }
}

const command: Command = {
  name: 'convert',
  summary: 'convert traces between trace.dat, CTF 1.8, perf.data, Chrome JSON, Perfetto and text, with filters',
  run: convert,
};
export default command;
