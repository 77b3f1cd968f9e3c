/** `utp stack [--start|--stop|--reset]`: the kernel stack tracer, as trace-cmd stack. */
import { tracingUnavailableReason } from '@utp/tracefs';
import { stackTracer } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp stack [--start|--stop|--reset]
          --start  enable the stack tracer
          --stop   disable the stack tracer
          --reset  reset the maximum stack trace
          without an option, print the stack trace and the tracer's state
          --verbose 'level' accepted (utp has no log levels)`;

const command: Command = {
  name: 'stack',
  summary: 'output, enable or disable kernel stack tracing',
  async run(argv: string[]): Promise<number> {
    const { opts } = getoptLong('stack', argv, 'h', [
      { name: 'start', arg: 'none' },
      { name: 'stop', arg: 'none' },
      { name: 'reset', arg: 'none' },
      { name: 'help', arg: 'none', key: 'h' },
      { name: 'verbose', arg: 'optional' },
    ]);
    if (opts.some((o) => o.key === 'h')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    let action: 'start' | 'stop' | 'reset' | 'report' = 'report';
    for (const o of opts) if (o.key === 'start' || o.key === 'stop' || o.key === 'reset') action = o.key;
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp stack: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    const text = stackTracer(action);
    if (text !== undefined) process.stdout.write(Buffer.from(text, 'latin1'));
    return 0;
  },
};
export default command;
