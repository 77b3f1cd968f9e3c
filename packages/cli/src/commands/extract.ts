/** `utp extract [-B NAME]... [-t] [-o FILE] [--file-version 6|7] [--compression none|zlib|zstd|any]`: ring buffers -> trace.dat. */
import { extractTrace, type CompressionName } from '@utp/tracecmd';
import { tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

const HELP = `usage: utp extract [-B NAME]... [-t] [-o FILE] [--file-version 6|7] [--compression none|zlib|zstd|any]
  -B NAME   extract instance NAME (repeatable: one buffer each)
  -t        also extract the top-level buffer (with -B; it comes first)
Reads (and consumes) what is in the ring buffer of the top instance (or the -B instances) into FILE.`;

const command: Command = {
  name: 'extract',
  summary: 'extract the ring buffer contents into a trace.dat file',
  async run(argv: string[]): Promise<number> {
    const instanceNames: string[] = [];
    let top = false;
    let output = 'trace.dat',
      fileVersion: 6 | 7 = 7;
    let compression: CompressionName | undefined;
    let quiet = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = (): string => {
        const x = argv[++i];
        if (x === undefined) throw new UsageError(`extract: option ${a} needs a value`);
        return x;
      };
      if (a === '-B') instanceNames.push(v());
      else if (a === '-t') top = true;
      else if (a === '-o') output = v();
      else if (a === '-q') quiet = true;
      else if (a === '--file-version') {
        const n = v();
        if (n !== '6' && n !== '7') throw new UsageError('extract: --file-version must be 6 or 7');
        fileVersion = Number(n) as 6 | 7;
      } else if (a === '--compression') {
        const c = v();
        if (!['none', 'zlib', 'zstd', 'any'].includes(c)) throw new UsageError(`extract: bad --compression '${c}'`);
        compression = c as CompressionName;
      } else if (a === '-h' || a === '--help') {
        process.stdout.write(HELP + '\n');
        return 0;
      } else throw new UsageError(`extract: unknown option '${a}'`);
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp extract: cannot read tracefs: ${why}\n`);
      return 1;
    }
    // trace-cmd lists its -B instances newest first: the last -B is the file's first instance buffer
    const r = await extractTrace({
      instanceNames: instanceNames.reverse(),
      top,
      output,
      fileVersion,
      compression: compression ?? (fileVersion === 6 ? 'none' : 'any'),
    });
    if (!quiet) {
      for (const b of r.buffers) {
        const tag = r.buffers.length > 1 ? `${b.name || 'top'} ` : '';
        for (const c of b.cpus) process.stdout.write(`${tag}CPU${c.cpu}: ${c.events} events, ${c.lost} lost, ${c.bytes} bytes\n`);
      }
      process.stdout.write(`wrote ${r.output} (${r.size} bytes)\n`);
    }
    return 0;
  },
};
export default command;
