/** `utp snapshot [-s] [-r] [-f] [-c CPU] [-B buf]`: the snapshot buffer as trace-cmd snapshot handles it. */
import { tracingUnavailableReason } from '@utp/tracefs';
import { snapshot } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp snapshot [-s][-r][-f][-B buf][-c cpu]
          -s take a snapshot of the trace buffer
          -r reset current snapshot
          -f free the snapshot buffer
            without the above three options, display snapshot
          -c operate on the snapshot buffer for the given CPU
          -B operate on the snapshot buffer for a tracing buffer instance (ignored by trace-cmd 3.1.6 and here)`;

const command: Command = {
  name: 'snapshot',
  summary: 'take, reset, free or show the snapshot buffer',
  async run(argv: string[]): Promise<number> {
    const { opts } = getoptLong('snapshot', argv, 'hsrfB:c:', [{ name: 'help', arg: 'none', key: 'h' }]);
    if (opts.some((o) => o.key === 'h')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    let take = false,
      reset = false,
      free = false,
      cpu = -1,
      buffer: string | undefined;
    for (const o of opts) {
      if (o.key === 's') {
        if (free) throw new UsageError("snapshot: can't take snapshot and free it at the same time");
        take = true;
      } else if (o.key === 'f') {
        if (take) throw new UsageError("snapshot: can't take snapshot and free it at the same time");
        free = true;
      } else if (o.key === 'r') reset = true;
      else if (o.key === 'B') {
        if (buffer !== undefined) throw new UsageError('snapshot: Can only do one buffer at a time');
        buffer = o.value!;
      } else if (o.key === 'c') {
        if (cpu >= 0) throw new UsageError('snapshot: Can only do one CPU (or all) at a time');
        cpu = parseInt(o.value!, 10) || 0;
      }
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp snapshot: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    const text = snapshot({ take, reset, free, cpu });
    if (text !== undefined) process.stdout.write(Buffer.from(text, 'latin1'));
    return 0;
  },
};
export default command;
