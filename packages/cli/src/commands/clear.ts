/** `utp clear [-B NAME]... [-a]`: empties the ring buffers as trace-cmd clear does. */
import { tracingUnavailableReason } from '@utp/tracefs';
import { clearBuffers } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp clear [-B buf][-a]
          -B clear the given buffer (may specify multiple -B)
          -a clear all existing buffers, including the top level one`;

const command: Command = {
  name: 'clear',
  summary: 'clear the trace buffers',
  async run(argv: string[]): Promise<number> {
    const { opts } = getoptLong('clear', argv, 'haB:', [
      { name: 'all', arg: 'none', key: 'a' },
      { name: 'help', arg: 'none', key: 'h' },
    ]);
    if (opts.some((o) => o.key === 'h')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp clear: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    clearBuffers({ instances: opts.filter((o) => o.key === 'B').map((o) => o.value!), all: opts.some((o) => o.key === 'a') });
    return 0;
  },
};
export default command;
