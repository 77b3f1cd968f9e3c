/** `utp options`: the event-plugin options `utp report -O` takes, laid out as `trace-cmd options` prints them. */
import { pluginOptionsReport } from '@utp/tracecmd';
import type { Command } from '../command.js';

export const HELP = `usage: utp options
          list the plugin options available for utp report (-O plugin:option[=value])`;

const command: Command = {
  name: 'options',
  summary: 'list the plugin options available for utp report',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    process.stdout.write(pluginOptionsReport());
    return 0;
  },
};
export default command;
