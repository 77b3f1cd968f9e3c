/**
 * `utp split [options] [-o file] [start [end]]`: trace-cmd split's flags over @utp/tracecmd's
 * splitTrace (files named as trace-cmd names them: FILE.1, or FILE.0001, FILE.0002, … with -r).
 */
import { describeError } from '@utp/bytes';
import { splitTrace, type SplitUnit } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage:
 utp split [options] -o file [start [end]]
          -i input file (default trace.dat)
          -o output file to write to (file.1, file.2, etc)
          -s n  split file up by n seconds
          -m n  split file up by n milliseconds
          -u n  split file up by n microseconds
          -e n  split file up by n events
          -p n  split file up by n pages
          -r    repeat from start to end (file.0001, file.0002, ...)
          -c    per cpu, that is -p 2 will be 2 pages for each CPU
          -C n  only CPU n
          if option is specified, it will split the file
           up starting at start, and ending at end
          start - decimal start time in seconds (ex: 75678.923853)
                  if left out, will start at beginning of file
          end   - decimal end time in seconds
          (every buffer is split, instances included; trace-cmd 3.1.6 keeps only the top one)`;

const UNITS: Record<string, SplitUnit> = { s: 'seconds', m: 'msecs', u: 'usecs', e: 'events', p: 'pages' };

/** C atoi(): leading blanks, a sign, digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** strtod() over the whole string, as trace-cmd checks it; ns as (unsigned long long)(v * 1e9). */
function seconds(s: string, what: string): bigint {
  const t = s.trim();
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(v)) throw new UsageError(`split: ${what} value not floating point: ${s}`);
  const ns = Math.trunc(v * 1e9);
  return ns > 0 ? BigInt(ns) : 0n;
}

const command: Command = {
  name: 'split',
  summary: 'split a trace.dat into smaller files',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('split', argv, '+ho:i:s:m:u:e:p:rcC:', [{ name: 'help', arg: 'none', key: 'h' }]);
    let input = 'trace.dat',
      output: string | undefined,
      by: { unit: SplitUnit; count: number } | undefined,
      repeat = false,
      perCpu = false,
      cpu: number | undefined;
    for (const o of opts) {
      const unit = UNITS[o.key];
      if (o.key === 'h') {
        process.stdout.write(HELP + '\n');
        return 0;
      } else if (unit) {
        if (by) throw new UsageError('split: Only one type of split is allowed');
        const count = atoi(o.value!);
        if (count <= 0) throw new UsageError('split: Units must be greater than 0');
        by = { unit, count };
      } else if (o.key === 'r') repeat = true;
      else if (o.key === 'c') perCpu = true;
      else if (o.key === 'C') cpu = atoi(o.value!);
      else if (o.key === 'o') {
        if (output !== undefined) throw new UsageError('split: only one output file allowed');
        output = o.value!;
      } else if (o.key === 'i') input = o.value!;
    }
    if (operands.length > 2) throw new UsageError(`split: unexpected argument '${operands[2]}'`);
    const startNs = operands[0] !== undefined ? seconds(operands[0], 'Start') : 0n;
    const endNs = operands[1] !== undefined ? seconds(operands[1], 'End') : 0n;
    if (endNs && endNs < startNs) throw new UsageError('split: Error: end is less than start');
    try {
      await splitTrace({ input, output, startNs, endNs, by, repeat, perCpu, cpu });
    } catch (e) {
      process.stderr.write(`utp split: ${input}: ${describeError(e)}\n`);
      return 1;
    }
    return 0;
  },
};
export default command;
