import type { Command } from '../command.js';

const command: Command = {
  name: 'report',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp report: not implemented yet\n');
    return 1;
  },
};
export default command;
