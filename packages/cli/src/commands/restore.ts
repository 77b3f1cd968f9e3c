/**
 * `utp restore [-o FILE] [--file-version 6|7] [--compression C] CPU-FILE...`: a trace.dat from the
 * per-CPU files a recorder left (trace-cmd's or utp record's after SIGKILL), with this machine's
 * metadata, as trace-cmd restore does (file i is CPU i).
 */
import { tracingUnavailableReason } from '@utp/tracefs';
import { restoreTrace, type CompressionName } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage:
 utp restore [-o file] [--file-version 6|7] [--compression C] cpu-file [cpu-file ...]
          -o output file (default trace.dat)
          cpu-file: the raw per-CPU data a recorder left (file i is CPU i), e.g. trace.dat.cpu0
            or utp record's .trace.dat.utp-PID.cpu0 after a SIGKILL
          --file-version 6 or 7 (default 7), --compression none, zlib, zstd or any
          not yet: -c / -i (partial headers), -t, -k`;

const command: Command = {
  name: 'restore',
  summary: 'restore a crashed record from its per-CPU files',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('restore', argv, 'ho:ci:t:k:', [
      { name: 'file-version', arg: 'required' },
      { name: 'compression', arg: 'required' },
      { name: 'help', arg: 'none', key: 'h' },
    ]);
    let output = 'trace.dat',
      fileVersion: 6 | 7 = 7,
      compression: CompressionName = 'any';
    for (const o of opts) {
      if (o.key === 'h') {
        process.stdout.write(HELP + '\n');
        return 0;
      }
      if (o.key === 'o') output = o.value!;
      else if (o.key === 'file-version') {
        if (o.value !== '6' && o.value !== '7') throw new UsageError('restore: --file-version is 6 or 7');
        fileVersion = Number(o.value) as 6 | 7;
      } else if (o.key === 'compression') {
        if (!['none', 'zlib', 'zstd', 'any'].includes(o.value!)) throw new UsageError(`restore: unknown compression '${o.value}'`);
        compression = o.value as CompressionName;
      } else throw new UsageError(`restore: -${o.key} is not supported yet`);
    }
    if (fileVersion === 6 && !opts.some((o) => o.key === 'compression')) compression = 'none';
    if (!operands.length) throw new UsageError('restore: No data files found');
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp restore: cannot reach tracefs (for the metadata): ${why}\n`);
      return 1;
    }
    await restoreTrace({ cpuFiles: operands, output, fileVersion, compression });
    return 0;
  },
};
export default command;
