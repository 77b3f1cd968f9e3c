/** `utp check-events [-N]`: parses every event format of the running kernel; names those that fail. */
import { tracingUnavailableReason } from '@utp/tracefs';
import { checkEvents } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp check-events [-N]
          -N do not load plugins (utp's are built in: accepted, no effect)
          --verbose 'level' accepted (utp has no log levels)
          prints nothing when every format parses; each failure on stderr, exit 1`;

const command: Command = {
  name: 'check-events',
  summary: 'parse trace event formats',
  async run(argv: string[]): Promise<number> {
    const { opts } = getoptLong('check-events', argv, 'hN', [
      { name: 'verbose', arg: 'optional' },
      { name: 'help', arg: 'none', key: 'h' },
    ]);
    if (opts.some((o) => o.key === 'h')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp check-events: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    const r = checkEvents();
    for (const f of r.failures) process.stderr.write(`utp check-events: ${f.event}: ${f.error}\n`);
    return r.failures.length ? 1 : 0;
  },
};
export default command;
