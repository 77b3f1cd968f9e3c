import type { Command } from '../command.js';

const command: Command = {
  name: 'reset',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp reset: not implemented yet\n');
    return 1;
  },
};
export default command;
