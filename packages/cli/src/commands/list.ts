import type { Command } from '../command.js';

const command: Command = {
  name: 'list',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp list: not implemented yet\n');
    return 1;
  },
};
export default command;
