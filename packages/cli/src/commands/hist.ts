/**
 * `utp hist`: trace-cmd 3.1.6 hist — the call-chain histogram of a trace.dat (../report/hist.ts).
 *   utp hist [-P] [-i FILE | FILE]
 */
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { TraceDat } from '@utp/tracedat';
import { UsageError, type Command } from '../command.js';
import { FunctionHistogram } from '../report/hist.js';
import { Output } from '../report/output.js';

const HELP = `usage: utp hist [-P] [-i FILE | FILE]
  print trace-cmd hist's call-chain histogram of FILE (default trace.dat): function,
  function_graph and kernel_stack records, each event the leaf of the stack that follows it
  -i FILE   the input (default trace.dat)
  -P        all pids together (compact)`;

const command: Command = {
  name: 'hist',
  summary: 'print a histogram of the function events of a trace.dat',
  async run(argv: string[]): Promise<number> {
    let input: string | undefined;
    let compact = false;
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        i++;
        break;
      }
      if (!a.startsWith('-') || a === '-') break;
      if (a === '-h' || a === '--help') {
        process.stdout.write(HELP + '\n');
        return 0;
      } else if (a === '-P') compact = true;
      else if (a === '-i' || a.startsWith('-i')) {
        const v = a === '-i' ? argv[++i] : a.slice(2);
        if (v === undefined) throw new UsageError('hist: option -i needs a value');
        if (input !== undefined) throw new UsageError('hist: only one input for histogram');
        input = v;
      } else throw new UsageError(`hist: unknown option '${a}' (see 'utp hist --help')`);
    }
    const rest = argv.slice(i);
    if (rest.length) {
      if (input !== undefined || rest.length > 1) throw new UsageError('hist: one input file only');
      input = rest[0];
    }
    input ??= 'trace.dat';
    const zstd = await import('@foxglove/wasm-zstd').then(
      async (m) => {
        await m.isLoaded;
        return (data: Uint8Array, usize: number) => m.decompress(data, usize);
      },
      () => undefined,
    );
    let src: FileSource;
    let td: TraceDat;
    try {
      src = new FileSource(input);
      td = await TraceDat.open(src, { decompressors: zstd ? { zstd } : {} });
    } catch (e) {
      process.stderr.write(`utp hist: cannot open ${input}: ${describeError(e)}\n`);
      return 1;
    }
    const out = new Output();
    try {
      if (td.latencyOffset !== undefined) {
        process.stderr.write('utp hist: trace-cmd hist does not work with latency traces\n');
        return 1;
      }
      const hist = new FunctionHistogram(td.tep, compact, td.userLongSize, td.littleEndian);
      const handles = td.handles();
      // with instances, trace-cmd reads each instance (not the top buffer) and prints after each
      const passes = handles.length > 1 ? handles.slice(1) : handles;
      for (const h of passes) {
        if (!(await hist.addHandle(h.streams))) {
          out.flush();
          process.stderr.write(`utp hist: no records found in ${input}\n`);
          return 1;
        }
        const text: string[] = [];
        hist.finish(text);
        for (const t of text) out.write(t);
      }
      return 0;
    } catch (e) {
      out.flush();
      process.stderr.write(`utp hist: ${input}: ${describeError(e)}\n`);
      return 1;
    } finally {
      out.flush();
      await td.close();
    }
  },
};
export default command;
