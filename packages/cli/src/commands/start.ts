import type { Command } from '../command.js';

const command: Command = {
  name: 'start',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp start: not implemented yet\n');
    return 1;
  },
};
export default command;
