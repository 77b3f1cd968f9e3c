/** `utp show [-B NAME] [-p] [--cpu N] [-s]`: prints the trace file (or trace_pipe, a CPU's trace, the snapshot). */
import { createReadStream } from 'node:fs';
import { Instance, readTracePipe, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

const command: Command = {
  name: 'show',
  summary: 'show the contents of the ring buffer (the trace file)',
  async run(argv: string[]): Promise<number> {
    let name: string | undefined, pipe = false, cpu: number | undefined, snapshot = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = (): string => { const x = argv[++i]; if (x === undefined) throw new UsageError(`show: option ${a} needs a value`); return x; };
      if (a === '-B') name = v();
      else if (a === '-p') pipe = true;
      else if (a === '-s') snapshot = true;
      else if (a === '--cpu') { const s = v(); if (!/^\d+$/.test(s)) throw new UsageError('show: --cpu wants a number'); cpu = Number(s); }
      else if (a === '-h' || a === '--help') { process.stdout.write('usage: utp show [-B NAME] [-p] [--cpu N] [-s]\n'); return 0; }
      else throw new UsageError(`show: unknown option '${a}'`);
    }
    const why = tracingUnavailableReason();
    if (why) { process.stderr.write(`utp show: cannot reach tracefs: ${why}\n`); return 1; }
    const inst = Instance.open(name);
    const rel = snapshot ? 'snapshot' : `${cpu !== undefined ? `per_cpu/cpu${cpu}/` : ''}${pipe ? 'trace_pipe' : 'trace'}`;
    if (!inst.hasFile(rel)) { process.stderr.write(`utp show: ${inst.file(rel)} does not exist on this kernel\n`); return 1; }
    if (pipe && !snapshot) {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for await (const text of readTracePipe(inst, { ...(cpu !== undefined ? { cpu } : {}), signal: ac.signal })) process.stdout.write(text);
      } finally { process.off('SIGINT', stop); process.off('SIGTERM', stop); }
      return 0;
    }
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(inst.file(rel), { highWaterMark: 1 << 16 });
      const stop = (): void => { s.destroy(); resolve(); };
      process.once('SIGINT', stop);
      s.on('error', reject);
      s.on('end', () => { process.off('SIGINT', stop); resolve(); });
      s.pipe(process.stdout, { end: false });
    });
    return 0;
  },
};
export default command;
