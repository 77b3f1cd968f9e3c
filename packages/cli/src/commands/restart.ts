/** `utp restart [-B NAME]... [-a] [-t]`: tracing_on=1 where trace-cmd restart sets it. */
import { tracingUnavailableReason } from '@utp/tracefs';
import { setTracingOn } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp restart [-B buf [-B buf]..] [-a] [-t]
          -B restart the given buffer instance (may specify multiple -B)
          -a restart all buffer instances (and the top one)
          -t restart the top instance too (useful with -B)`;

/** stop and restart share trace-cmd's -B/-a/-t parsing. */
export async function runTracingOn(cmd: string, help: string, argv: string[], on: boolean): Promise<number> {
  const { opts } = getoptLong(cmd, argv, 'hatB:', [{ name: 'help', arg: 'none', key: 'h' }]);
  if (opts.some((o) => o.key === 'h')) {
    process.stdout.write(help + '\n');
    return 0;
  }
  const why = tracingUnavailableReason();
  if (why) {
    process.stderr.write(`utp ${cmd}: cannot reach tracefs: ${why}\n`);
    return 1;
  }
  const instances = opts.filter((o) => o.key === 'B').map((o) => o.value!);
  setTracingOn({ instances, all: opts.some((o) => o.key === 'a'), top: opts.some((o) => o.key === 't') }, on);
  return 0;
}

const command: Command = {
  name: 'restart',
  summary: 'restart the kernel trace data recording (tracing_on=1)',
  run: (argv) => runTracingOn('restart', HELP, argv, true),
};
export default command;
