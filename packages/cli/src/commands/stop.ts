/** `utp stop [-B NAME]... [-a] [-t]`: tracing_on=0 where trace-cmd stop clears it. */
import type { Command } from '../command.js';
import { runTracingOn } from './restart.js';

export const HELP = `usage: utp stop [-B buf [-B buf]..] [-a] [-t]
          -B stop the given buffer instance (may specify multiple -B)
          -a stop all buffer instances (and the top one)
          -t stop the top instance too (useful with -B)`;

const command: Command = {
  name: 'stop',
  summary: 'stop tracing (tracing_on=0)',
  run: (argv) => runTracingOn('stop', HELP, argv, false),
};
export default command;
