/** `utp stop [-B NAME] [-a]`: tracing_on=0 in the top instance (or NAME, or every instance with -a). */
import { Instance, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

const command: Command = {
  name: 'stop',
  summary: 'stop tracing (tracing_on=0)',
  async run(argv: string[]): Promise<number> {
    const names: string[] = [];
    let all = false, top = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-B') { const v = argv[++i]; if (v === undefined) throw new UsageError('stop: -B needs a name'); names.push(v); }
      else if (a === '-a') all = true;
      else if (a === '-t') top = true;
      else if (a === '-h' || a === '--help') { process.stdout.write('usage: utp stop [-B NAME]... [-a] [-t]\n  -B NAME  stop instance NAME (repeatable)\n  -a       every instance and the top\n  -t       the top instance too (the default without -B)\n'); return 0; }
      else throw new UsageError(`stop: unknown option '${a}'`);
    }
    const why = tracingUnavailableReason();
    if (why) { process.stderr.write(`utp stop: cannot reach tracefs: ${why}\n`); return 1; }
    const targets = all ? [Instance.top(), ...Instance.list().map((n) => Instance.open(n))]
      : names.length ? [...(top ? [Instance.top()] : []), ...names.map((n) => Instance.open(n))] : [Instance.top()];
    for (const t of targets) t.setTracingOn(false);
    return 0;
  },
};
export default command;
