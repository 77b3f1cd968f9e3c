import type { Command } from '../command.js';

const command: Command = {
  name: 'record',
  summary: '',
  async run(): Promise<number> {
    process.stderr.write('utp record: not implemented yet\n');
    return 1;
  },
};
export default command;
