import type { Command } from '../command.js';

const command: Command = {
  name: 'show',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp show: not implemented yet\n');
    return 1;
  },
};
export default command;
