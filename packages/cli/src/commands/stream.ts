import type { Command } from '../command.js';

const command: Command = {
  name: 'stream',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp stream: not implemented yet\n');
    return 1;
  },
};
export default command;
