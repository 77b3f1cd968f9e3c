/// <reference types="node" />
/**
 * Opening the `-i` inputs of `utp report`: a Tep with the plugins registered first (as trace-cmd
 * does), a TraceDat over the file, and trace-cmd's "failed to init data" check.
 */
import { readFileSync, statSync } from 'node:fs';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { Tep, loadPlugins, pluginOptionsFromArgs } from '@utp/traceevent';
import type { Diagnostic, FuncRepeatTimeFormat, LinePrinter, TraceRecord } from '@utp/traceevent';
import { TraceDat } from '@utp/tracedat';
import type { Decompressor, TraceDatBuffer } from '@utp/tracedat';
import type { ReportArgs } from './args.js';
import type { HandleLookahead } from './print-loop.js';
import { wasmZstd } from '../zstd-wasm.js';

/** A bad input or option value: one line on stderr, exit status 1. */
export class InputError extends Error {}
/** trace-cmd cannot set up a handle (tracecmd_init_data): nothing printed, exit status 2. */
export class InitError extends Error {}

/** Shared by the plugins of every input: set once all inputs are open (see report()). */
export interface PluginState {
  funcRepeatTime: FuncRepeatTimeFormat;
  lookahead: HandleLookahead;
}

/** One `-i` input. */
export interface Input {
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

/** A native-speed (WebAssembly) zstd decoder for Node, loaded once; fzstd stays the fallback. */
let zstdWasm: Promise<Decompressor | undefined> | undefined;
export function fastZstd(): Promise<Decompressor | undefined> {
  zstdWasm ??= wasmZstd();
  return zstdWasm;
}

/** Whether a trace.dat's header names zstd (v7: the compression name follows the version, endianness, long size and page size). */
function namesZstd(src: FileSource): boolean {
  let head: Uint8Array;
  try {
    head = src.readSync(0, Math.min(src.size, 64));
  } catch {
    return true;
  }
  // "\x17\x08\x44tracing" then the version string
  if (head.length < 13 || head[10] !== 0x37 || head[11] !== 0) return false;
  // after the version: endianness (1), long size (1), page size (4), then the NUL-terminated name
  return head[18] === 0x7a && head[19] === 0x73 && head[20] === 0x74 && head[21] === 0x64 && head[22] === 0;
}

export async function openTrace(file: string, args: ReportArgs, tsOffset: bigint, ts2secsHz: bigint, ps: PluginState): Promise<Input> {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot open '${file}': ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message}`,
    );
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
  if (args.kallsyms !== undefined) {
    // --kallsyms: registered before the file's own symbols (trace-cmd's add_functions)
    let text: string;
    try {
      text = readFileSync(args.kallsyms, 'latin1');
    } catch (e) {
      src.close();
      throw new InputError(`Can't read file ${args.kallsyms}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    tep.loadKallsyms(text);
  }
  const diags: Diagnostic[] = [];
  // WebAssembly even for a small file: every v7 file trace-cmd writes holds all ~2300 event formats in one
  // ~2 MB zstd section, which fzstd decodes in ~60 ms on V8's baseline tiers and libzstd in ~10 ms (its
  // module loads in ~15 ms); loaded only for a file that names zstd in its header
  const zstd = namesZstd(src) ? await fastZstd() : undefined;
  try {
    const td = await TraceDat.open(src, {
      decompressors: zstd ? { zstd } : {},
      onDiagnostic: (d) => {
        diags.push(d);
      },
      tep,
      ignoreDate: args.nodate,
      rawTs: args.rawTs,
      tsOffset,
      keepFormatTexts: args.formats || args.printEvent !== undefined,
      ts2secsHz,
      exactPages: !args.allPages,
      // the report prints each record as it comes (a held funcgraph entry is copied)
      recycleWindows: true,
    });
    return { file, name: file.slice(file.lastIndexOf('/') + 1), td, diags };
  } catch (e) {
    src.close();
    throw new InputError(`'${file}' is not a readable trace.dat file: ${describeError(e)}`);
  }
}

/**
 * trace-cmd's tracecmd_init_data: a top buffer whose first page does not fit the handle's page
 * size makes `trace-cmd report` print nothing and exit 2 ("failed to init data"). An instance
 * whose handle cannot be set up that way is left out with a warning ("could not retrieve
 * handle NAME"; seen with v6 and v7 files, exit 0). --all-pages reads such buffers with their
 * real sub-buffer size instead.
 */
export async function checkInit(inp: Input, args: ReportArgs): Promise<void> {
  if (args.allPages || inp.skipped) return;
  const fails = await inp.td.initFailures();
  inp.skipped = new Set();
  if (fails.length === 0) return;
  const why = (f: (typeof fails)[number]): string =>
    `cpu=${f.cpu}: sub-buffer commit ${f.commit} is larger than the page size ${inp.td.handlePageSize(f.buffer)} trace-cmd 3.1.6 reads it with (--all-pages reads it)`;
  const top = fails.find((x) => x.buffer.name === '');
  if (top) throw new InitError(`failed to init data: ${inp.file}: top buffer, ${why(top)}`);
  for (const f of fails) {
    inp.skipped.add(f.buffer);
    process.stderr.write(
      `utp report: warning: ${inp.file}: could not retrieve handle ${f.buffer.name}: ${why(f)}; it is left out, as trace-cmd does\n`,
    );
  }
}

/** The -F filters of input k (trace-cmd's add_filter / add_first_input list sharing). */
export function filtersFor(args: ReportArgs, k: number): Array<{ filter: string; negate: boolean }> {
  const multi = args.inputs.length > 1;
  if (!multi) {
    // one input: -F given after -i are only kept when some -F came before it (shared list)
    const before = args.filters.some((f) => f.input < 0);
    return before ? args.filters : [];
  }
  if (k === 0) return args.filters.filter((f) => f.input <= 0);
  return args.filters.filter((f) => f.input === k);
}
