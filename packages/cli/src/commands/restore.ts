/**
 * `utp restore [-c] [-i PARTIAL] [-o FILE] [--file-version 6|7] [--compression C] CPU-FILE...`: a
 * trace.dat from the per-CPU files a recorder left (trace-cmd's or utp record's after SIGKILL),
 * with this machine's metadata (or that of a partial file made by `restore -c`), as trace-cmd
 * restore does (file i is CPU i).
 */
import { tracingUnavailableReason } from '@utp/tracefs';
import { restoreTrace, type CompressionName } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';
import { wasmZstd } from '../zstd-wasm.js';

export const HELP = `usage:
 utp restore [-c][-o file][-i file] [--file-version 6|7] [--compression C] cpu-file [cpu-file ...]
          -c create a partial trace.dat file only (this machine's metadata, no data;
             default output trace-partial.dat)
          -o output file (default trace.dat)
          -i partial trace.dat file for input: its metadata, page size, version and
             compression instead of this machine's
          cpu-file: the raw per-CPU data a recorder left (file i is CPU i), e.g. trace.dat.cpu0
            or utp record's .trace.dat.utp-PID.cpu0 after a SIGKILL
          --file-version 6 or 7 (default 7, or the -i file's), --compression none, zlib, zstd
            or any (default any, or the -i file's)
          -k kallsyms file stored instead of /proc/kallsyms (with -c, as trace-cmd)
          not yet: -t (tracing dir)`;

const command: Command = {
  name: 'restore',
  summary: 'restore a crashed record from its per-CPU files',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('restore', argv, 'ho:ci:t:k:', [
      { name: 'file-version', arg: 'required' },
      { name: 'compression', arg: 'required' },
      { name: 'help', arg: 'none', key: 'h' },
    ]);
    let output: string | undefined,
      input: string | undefined,
      kallsyms: string | undefined,
      createOnly = false,
      fileVersion: 6 | 7 = 7,
      compression: CompressionName = 'any';
    for (const o of opts) {
      if (o.key === 'h') {
        process.stdout.write(HELP + '\n');
        return 0;
      }
      if (o.key === 'o') {
        if (output !== undefined) throw new UsageError('restore: only one output file allowed');
        output = o.value!;
      } else if (o.key === 'k') kallsyms = o.value!;
      else if (o.key === 'c') {
        if (input !== undefined) throw new UsageError('restore: -c and -i are incompatible');
        createOnly = true;
      } else if (o.key === 'i') {
        if (input !== undefined) throw new UsageError('restore: only one input file allowed');
        if (createOnly) throw new UsageError('restore: -c and -i are incompatible');
        input = o.value!;
      } else if (o.key === 'file-version') {
        if (o.value !== '6' && o.value !== '7') throw new UsageError('restore: --file-version is 6 or 7');
        fileVersion = Number(o.value) as 6 | 7;
      } else if (o.key === 'compression') {
        if (!['none', 'zlib', 'zstd', 'any'].includes(o.value!)) throw new UsageError(`restore: unknown compression '${o.value}'`);
        compression = o.value as CompressionName;
      } else throw new UsageError(`restore: -${o.key} is not supported yet`);
    }
    const versionGiven = opts.some((o) => o.key === 'file-version'),
      compressionGiven = opts.some((o) => o.key === 'compression');
    if (fileVersion === 6 && !compressionGiven) compression = 'none';
    if (!operands.length && !createOnly) throw new UsageError('restore: No data files found');
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp restore: cannot reach tracefs (for the metadata): ${why}\n`);
      return 1;
    }
    const zstd = input ? await wasmZstd() : undefined;
    await restoreTrace({
      cpuFiles: operands,
      output: output ?? (createOnly ? 'trace-partial.dat' : 'trace.dat'),
      fileVersion,
      compression,
      createOnly,
      ...(kallsyms !== undefined ? { kallsyms } : {}),
      ...(input !== undefined ? { input, versionGiven, compressionGiven, decompressors: zstd ? { zstd } : {} } : {}),
    });
    return 0;
  },
};
export default command;
