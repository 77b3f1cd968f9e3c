/**
 * `utp show [-p|-s][-c cpu][-B buf][-f][--FILE-FLAG...]`: what `trace-cmd show` prints — the trace
 * file (or trace_pipe, the snapshot, one CPU's), or with a file flag (--tracing_on,
 * --buffer_size, --cpumask, ...) that file, then exit. Options parse as trace-cmd's getopt_long.
 */
import { createReadStream } from 'node:fs';
import { Instance, readTracePipe, tracingUnavailableReason } from '@utp/tracefs';
import { SHOW_FILE_FLAGS, showEventFile, showInstanceFile, showPath } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong, type LongOpt } from '../getopt.js';

export const HELP = `usage:
 utp show [-p|-s][-c cpu][-B buf][options]
          Basically, this is a cat of the trace file.
          -p read the trace_pipe file instead
          -s read the snapshot file instance
           (Can't have both -p and -s)
          -c just show the file associated with a given CPU
          -B read from a tracing buffer instance.
          -f display the file path that is being dumped
          The following options shows the corresponding file name
           and then exits.
          --tracing_on
          --current_tracer
          --buffer_size (for buffer_size_kb)
          --buffer_total_size (for buffer_total_size_kb)
          --buffer_subbuf_size (for buffer_subbuf_size_kb)
          --buffer_percent (for buffer_percent)
          --ftrace_filter (for set_ftrace_filter)
          --ftrace_notrace (for set_ftrace_notrace)
          --ftrace_pid (for set_ftrace_pid)
          --graph_function (for set_graph_function)
          --graph_notrace (for set_graph_notrace)
          --cpumask (for tracing_cpumask)
          --max_latency (for tracing_max_latency)
          --event_pid (for set_event_pid)
          --options (for trace_options)
          --hist [system:]event (the event's hist file)
          --trigger [system:]event (the event's trigger file)`;

const LONGS: LongOpt[] = [
  ...Object.keys(SHOW_FILE_FLAGS).map((name) => ({ name, arg: 'none' as const })),
  { name: 'hist', arg: 'required' },
  { name: 'trigger', arg: 'required' },
  { name: 'help', arg: 'none' },
  { name: 'cpu', arg: 'required', key: 'c' },
];

const command: Command = {
  name: 'show',
  summary: 'show the contents of the ring buffer (the trace file)',
  async run(argv: string[]): Promise<number> {
    const { opts } = getoptLong('show', argv, 'B:c:fsph', LONGS);
    if (opts.some((o) => o.key === 'h' || o.key === 'help')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp show: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    let instance: string | undefined,
      cpu: string | undefined,
      pipe = false,
      snapshot = false,
      showName = false,
      stop = false;
    let eventFile: { spec: string; file: 'hist' | 'trigger' } | undefined;
    const out: string[] = [];
    for (const o of opts) {
      switch (o.key) {
        case 'B':
          if (instance !== undefined) throw new UsageError('show: Can only show one buffer at a time');
          instance = o.value!;
          break;
        case 'c':
          if (cpu !== undefined) throw new UsageError('show: Can only show one CPU at a time');
          cpu = o.value!;
          break;
        case 'f':
          showName = true;
          break;
        case 's':
          if (pipe) throw new UsageError('show: Can not have -s and -p together');
          snapshot = true;
          break;
        case 'p':
          if (snapshot) throw new UsageError('show: Can not have -s and -p together');
          pipe = true;
          break;
        case 'hist':
        case 'trigger':
          eventFile = { spec: o.value!, file: o.key };
          break;
        default: {
          // A file flag prints at once, from the instance named so far (as trace-cmd does).
          out.push(showInstanceFile(instance, SHOW_FILE_FLAGS[o.key]!));
          stop = true;
        }
      }
    }
    if (out.length) process.stdout.write(Buffer.from(out.join(''), 'latin1'));
    if (stop) return 0;
    if (eventFile) {
      process.stdout.write(Buffer.from(showEventFile(instance, eventFile.spec, eventFile.file), 'latin1'));
      return 0;
    }
    let cpuNum: number | undefined;
    if (cpu !== undefined) {
      // strtol(cpu, &end, 0): a leading number (decimal, 0x hex, 0 octal) is enough.
      const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(cpu);
      if (!m) throw new UsageError(`show: Invalid CPU index '${cpu}'`);
      const body = m[2]!;
      const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body[0] === '0' ? parseInt(body, 8) : Number(body);
      cpuNum = m[1] === '-' ? -v : v;
    }
    const path = showPath({
      ...(instance !== undefined ? { instance } : {}),
      ...(cpuNum !== undefined ? { cpu: cpuNum } : {}),
      pipe,
      snapshot,
    });
    if (showName) process.stdout.write(path + '\n');
    if (pipe && (instance === undefined || Instance.exists(instance))) {
      const inst = Instance.open(instance);
      if (!inst.hasFile(cpuNum !== undefined ? `per_cpu/cpu${cpuNum}/trace_pipe` : 'trace_pipe')) {
        process.stderr.write(`utp show: cannot read ${path}: ENOENT\n`);
        return 1;
      }
      const ac = new AbortController();
      const stopPipe = (): void => ac.abort();
      process.once('SIGINT', stopPipe);
      process.once('SIGTERM', stopPipe);
      try {
        for await (const text of readTracePipe(inst, { ...(cpuNum !== undefined ? { cpu: cpuNum } : {}), signal: ac.signal }))
          process.stdout.write(text);
      } finally {
        process.off('SIGINT', stopPipe);
        process.off('SIGTERM', stopPipe);
      }
      return 0;
    }
    return new Promise<number>((resolve) => {
      const s = createReadStream(path, { highWaterMark: 1 << 16 });
      const stopRead = (): void => {
        s.destroy();
        resolve(0);
      };
      process.once('SIGINT', stopRead);
      s.on('error', (e: NodeJS.ErrnoException) => {
        process.off('SIGINT', stopRead);
        process.stderr.write(`utp show: cannot read ${path}: ${e.code ?? e.message}\n`);
        resolve(1);
      });
      s.on('end', () => {
        process.off('SIGINT', stopRead);
        resolve(0);
      });
      s.pipe(process.stdout, { end: false });
    });
  },
};
export default command;
