/// <reference types="node" />
/**
 * utp convert [-i] IN -o OUT [--to ctf|json|perfetto]: converts a trace between formats (the
 * Babeltrace role). Input detected from its content (trace.dat); output format from --to or the
 * name (a directory or `.ctf` → CTF, `.json` → Chrome JSON, `.pftrace`/`.perfetto-trace` →
 * Perfetto). Progress on a TTY, quiet when piped; the output is written under a temporary name
 * and renamed; it never replaces the input.
 */
import { closeSync, existsSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { TraceDat } from '@utp/tracedat';
import { TraceDatSource } from '@utp/model';
import { writeChromeJson, writePerfetto } from '@utp/convert';
import { traceDatToCtf } from '@utp/ctf';
import { ctfDirSink } from '@utp/ctf/node';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

const HELP = `usage: utp convert [-i] INPUT -o OUTPUT [--to FORMAT]

  -i INPUT      the input trace (trace.dat; detected from its content)
  -o OUTPUT     the output: a directory or NAME.ctf (CTF 1.8), NAME.json (Chrome JSON),
                NAME.pftrace or NAME.perfetto-trace (Perfetto protobuf)
  --to FORMAT   ctf, json or perfetto (default: from the output name)
  -q            no progress output
`;

type Format = 'ctf' | 'json' | 'perfetto';

function outputFormat(out: string, to: string | undefined): Format {
  if (to !== undefined) {
    if (to === 'ctf' || to === 'json' || to === 'perfetto') return to;
    throw new UsageError(`convert: unsupported output format '${to}' (supported: ctf, json, perfetto)`);
  }
  const ext = extname(out);
  if (ext === '.ctf') return 'ctf';
  if (ext === '.json') return 'json';
  if (ext === '.pftrace' || ext === '.perfetto-trace') return 'perfetto';
  try {
    if (statSync(out).isDirectory()) return 'ctf';
  } catch {
    /* does not exist */
  }
  if (out.endsWith('/')) return 'ctf';
  throw new UsageError(
    `convert: cannot tell the output format from '${out}': use --to ctf|json|perfetto (or a name ending in .ctf, .json, .pftrace)`,
  );
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
  if (dat.wantsDatOutput(argv)) return dat.convertDat(argv);
  let input: string | undefined,
    output: string | undefined,
    to: string | undefined,
    quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`convert: option ${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '-i') input = val();
    else if (a === '-o') output = val();
    else if (a === '--to') to = val();
    else if (a.startsWith('--to=')) to = a.slice(5);
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a.startsWith('-')) throw new UsageError(`convert: unknown option '${a}'`);
    else if (input === undefined) input = a;
    else throw new UsageError(`convert: unexpected argument '${a}'`);
  }
  if (input === undefined) throw new UsageError('convert: no input given (utp convert IN -o OUT)');
  if (output === undefined) throw new UsageError('convert: no output given (-o OUT)');
  const fmt = outputFormat(output, to);
  if (!existsSync(input)) {
    process.stderr.write(`utp convert: cannot open '${input}': No such file or directory\n`);
    return 1;
  }
  const rin = real(input),
    rout = real(output.replace(/\/+$/, '') || output);
  if (rin === rout || rin.startsWith(rout + sep)) {
    process.stderr.write(`utp convert: the output '${output}' would replace the input '${input}'\n`);
    return 1;
  }
  if (statSync(input).isDirectory()) {
    process.stderr.write(`utp convert: '${input}' is a directory: only trace.dat input is supported for now\n`);
    return 1;
  }
  if (!existsSync(dirname(resolve(output)))) {
    process.stderr.write(`utp convert: cannot write '${output}': No such directory '${dirname(output)}'\n`);
    return 1;
  }
  const tty = !quiet && process.stderr.isTTY === true;
  if (fmt === 'json' || fmt === 'perfetto') return toFile(input, output, fmt, tty);
  const src = new FileSource(input);
  let td: TraceDat;
  try {
    // the WebAssembly zstd decoder (as report uses) when it loads; fzstd otherwise
    const zstd = await import('@foxglove/wasm-zstd').then(
      async (m) => {
        await m.isLoaded;
        return (data: Uint8Array, usize: number) => m.decompress(data, usize);
      },
      () => undefined,
    );
    td = await TraceDat.open(src, { decompressors: zstd ? { zstd } : {} });
  } catch (e) {
    await src.close();
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
  }
  if (fmt === 'ctf') {
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
      sink.commit(r.metadata);
      if (tty)
        process.stderr.write(
          `\rutp convert: ${r.events} events in ${r.streams.length} streams, ${((Date.now() - t0) / 1000).toFixed(1)} s → ${output}\n`,
        );
      if (r.unknownLosses)
        process.stderr.write(
          `utp convert: warning: ${r.unknownLosses} losses of unknown size ("[LOST EVENTS]") cannot be counted in CTF\n`,
        );
    } catch (e) {
      sink.abort();
      if (tty) process.stderr.write('\n');
      process.stderr.write(`utp convert: ${describeError(e)}\n`);
      return 1;
    } finally {
      await td.close();
    }
  }
  return 0;
}

async function zstdDecoder(): Promise<((data: Uint8Array, usize: number) => Uint8Array) | undefined> {
  // the WebAssembly zstd decoder (as report uses) when it loads; fzstd otherwise
  return import('@foxglove/wasm-zstd').then(
    async (m) => {
      await m.isLoaded;
      return (data: Uint8Array, usize: number) => m.decompress(data, usize);
    },
    () => undefined,
  );
}

/** Chrome JSON and Perfetto: the model's event stream into @utp/convert's sinks, written to a temporary file renamed into place. */
async function toFile(input: string, output: string, fmt: 'json' | 'perfetto', tty: boolean): Promise<number> {
  try {
    if (statSync(output).isDirectory()) {
      process.stderr.write(`utp convert: cannot write '${output}': it is a directory\n`);
      return 1;
    }
  } catch {
    /* does not exist */
  }
  const file = new FileSource(input);
  let source: TraceDatSource;
  try {
    const zstd = await zstdDecoder();
    source = await TraceDatSource.open(file, { decompressors: zstd ? { zstd } : {} });
  } catch (e) {
    await file.close();
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
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
      littleEndian: source.td.littleEndian,
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
    return 0;
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    if (tty) process.stderr.write('\n');
    process.stderr.write(`utp convert: ${describeError(e)}\n`);
    return 1;
  } finally {
    await source.td.close();
  }
}

const command: Command = {
  name: 'convert',
  summary: 'convert a trace.dat to CTF 1.8 (a directory babeltrace2 reads), Chrome JSON or Perfetto',
  run: convert,
};
export default command;
