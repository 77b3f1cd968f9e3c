import type { Command } from '../command.js';

const command: Command = {
  name: 'extract',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp extract: not implemented yet\n');
    return 1;
  },
};
export default command;
