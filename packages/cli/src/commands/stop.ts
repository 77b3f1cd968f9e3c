import type { Command } from '../command.js';

const command: Command = {
  name: 'stop',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp stop: not implemented yet\n');
    return 1;
  },
};
export default command;
