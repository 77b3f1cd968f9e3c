import type { Command } from '../command.js';

const command: Command = {
  name: 'stat',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp stat: not implemented yet\n');
    return 1;
  },
};
export default command;
