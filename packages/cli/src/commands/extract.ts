/** `utp extract`: ring buffers (or snapshot buffers) -> trace.dat, with trace-cmd extract's flags. */
import { checkExtractPlugin, extractTrace, type CompressionName, type ExtractTraceOption } from '@utp/tracecmd';
import { tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage:
 utp extract [-p plugin][-O option][-o file][-B buf][-s][-a][-t][-q]
          Reads (and consumes) what is in the ring buffers into a trace.dat.
          -B : extract a given buffer (more than one may be specified)
          -a : extract all buffers (except top one, and those of a running utp record)
          -t : extract the top level buffer (useful with -B and -a; without
               either of them the top level buffer is what is extracted)
          -s : extract the snapshot instead of the main buffer
          -p : plugin: checked against available_tracers (nothing is set)
          -O : option (NAME or noNAME) of the buffer named by the -B before it
               (or the top), set while extracting and put back afterwards
          -o : output file (default trace.dat)
          -q / --quiet : print nothing
          --verbose[=level] : none, crit, err, warn, info (default), debug, all or 0-6;
               info and above name each buffer as it is read
          --file-version 6|7 (default 7), --compression none|zlib|zstd|any`;

const LEVELS = ['none', 'crit', 'err', 'warn', 'info', 'debug', 'all'];

/** trace-cmd's verbose levels: a number (capped at 6) or a name the value starts with. */
export function verboseLevel(v: string | undefined): number {
  const s = v ?? 'info';
  if (/^\d/.test(s)) return Math.min(6, Number.parseInt(s, 10));
  const i = LEVELS.findIndex((n) => s.startsWith(n));
  if (i < 0) throw new UsageError(`extract: invalid verbose level ${s}`);
  return i;
}

const command: Command = {
  name: 'extract',
  summary: 'extract the ring buffer contents into a trace.dat file',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('extract', argv, 'hatsqo:B:p:O:', [
      { name: 'file-version', arg: 'required' },
      { name: 'compression', arg: 'required' },
      { name: 'verbose', arg: 'optional' },
      { name: 'quiet', arg: 'none', key: 'q' },
      { name: 'help', arg: 'none', key: 'h' },
    ]);
    let output: string | undefined,
      fileVersion: 6 | 7 = 7,
      compression: CompressionName | undefined,
      quiet = false,
      all = false,
      top = false,
      snapshot = false,
      plugin: string | undefined,
      verbose = 0,
      current: string | undefined;
    const instances: string[] = [];
    const traceOptions: ExtractTraceOption[] = [];
    for (const o of opts) {
      const v = o.value!;
      if (o.key === 'h') {
        process.stdout.write(HELP + '\n');
        return 0;
      } else if (o.key === 'B') {
        instances.push(v);
        current = v;
      } else if (o.key === 'a') all = true;
      else if (o.key === 't') top = true;
      else if (o.key === 's') snapshot = true;
      else if (o.key === 'q') quiet = true;
      else if (o.key === 'o') {
        if (output !== undefined) throw new UsageError('extract: only one output file allowed');
        output = v;
      } else if (o.key === 'p') {
        if (plugin !== undefined) throw new UsageError('extract: only one plugin allowed');
        plugin = v.trim();
      } else if (o.key === 'O') traceOptions.push({ instance: current, option: v });
      else if (o.key === 'verbose') verbose = verboseLevel(o.value);
      else if (o.key === 'file-version') {
        if (v !== '6' && v !== '7') throw new UsageError('extract: --file-version must be 6 or 7');
        fileVersion = Number(v) as 6 | 7;
      } else if (o.key === 'compression') {
        if (!['none', 'zlib', 'zstd', 'any'].includes(v)) throw new UsageError(`extract: bad --compression '${v}'`);
        compression = v as CompressionName;
      } else throw new UsageError(`extract: unknown option '-${o.key}'`);
    }
    if (operands.length) throw new UsageError("extract: Command extract does not take any commands (did you mean 'record'?)");
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp extract: cannot read tracefs: ${why}\n`);
      return 1;
    }
    if (plugin !== undefined) {
      checkExtractPlugin(plugin);
      if (!quiet) process.stderr.write(`  plugin '${plugin}'\n`);
    }
    const r = await extractTrace({
      // trace-cmd adds each -B in front of its instance list: the file holds the last -B's buffer first
      instances: [...instances].reverse(),
      allInstances: all,
      top,
      snapshot,
      traceOptions,
      plugin,
      output: output ?? 'trace.dat',
      fileVersion,
      compression: compression ?? (fileVersion === 6 ? 'none' : 'any'),
    });
    for (const n of r.skipped) process.stderr.write(`utp extract: skipped instance ${n} (a running utp record owns it)\n`);
    if (verbose >= 4)
      for (const x of r.optionsSet) process.stderr.write(`set option ${x.option} in ${x.instance ?? '(top)'} (put back afterwards)\n`);
    if (verbose >= 4) for (const b of r.buffers) process.stderr.write(`read buffer ${b.name || '(top)'}: ${b.cpus.length} CPUs\n`);
    if (!quiet) {
      for (const b of r.buffers) {
        if (b.name) process.stdout.write(`Buffer: ${b.name}\n`);
        for (const c of b.cpus) process.stdout.write(`CPU${c.cpu}: ${c.events} events, ${c.lost} lost, ${c.bytes} bytes\n`);
      }
      process.stdout.write(`wrote ${r.output} (${r.size} bytes)\n`);
    }
    return 0;
  },
};
export default command;
