#!/usr/bin/env node
/**
 * The `utp` binary: a thin dispatcher over one module per subcommand (trace-cmd's names).
 * Libraries never print; this is where errors become one line on stderr and an exit code.
 */
import { describeError } from '@utp/bytes';
import type { Command } from './command.js';

const commands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  report: { summary: 'print a trace.dat file as trace-cmd report does', load: () => import('./commands/report.js') },
  record: { summary: 'record events (and run a command) into a trace.dat file', load: () => import('./commands/record.js') },
  start: { summary: 'start tracing without recording to a file', load: () => import('./commands/start.js') },
  stop: { summary: 'stop tracing (tracing_on=0)', load: () => import('./commands/stop.js') },
  extract: { summary: 'extract the ring buffer contents into a trace.dat file', load: () => import('./commands/extract.js') },
  reset: { summary: 'disable tracing, remove stale utp instances and probes', load: () => import('./commands/reset.js') },
  show: { summary: 'show the contents of the ring buffer (the trace file)', load: () => import('./commands/show.js') },
  list: { summary: 'list available events, tracers, options', load: () => import('./commands/list.js') },
  stat: { summary: 'show the state of the tracing system', load: () => import('./commands/stat.js') },
  count: { summary: 'count events while a command runs, as perf stat does', load: () => import('./commands/count.js') },
  stream: { summary: 'record and print events live', load: () => import('./commands/stream.js') },
  convert: {
    summary: 'convert traces: trace.dat, CTF, perf.data → CTF, trace.dat, Chrome JSON, Perfetto, text',
    load: () => import('./commands/convert.js'),
  },
  view: {
    summary: 'open trace.dat and perf.data files and CTF directories in the viewer (a page served on 127.0.0.1)',
    load: () => import('./commands/view.js'),
  },
  restart: { summary: 'restart tracing (tracing_on=1)', load: () => import('./commands/restart.js') },
  clear: { summary: 'clear the trace buffers', load: () => import('./commands/clear.js') },
  snapshot: { summary: 'take, reset, free or show the snapshot buffer', load: () => import('./commands/snapshot.js') },
  stack: { summary: 'output, enable or disable kernel stack tracing', load: () => import('./commands/stack.js') },
  'check-events': { summary: 'parse trace event formats', load: () => import('./commands/check-events.js') },
  options: { summary: 'list the plugin options available for utp report', load: () => import('./commands/options.js') },
  restore: { summary: 'restore a crashed record from its per-CPU files', load: () => import('./commands/restore.js') },
  dump: { summary: 'print the meta data of a trace.dat file', load: () => import('./commands/dump.js') },
  split: { summary: 'split a trace.dat into smaller files', load: () => import('./commands/split.js') },
  profile: {
    summary: 'record events and print their profile (record + report --profile)',
    load: () => import('./commands/profile.js'),
  },
  hist: { summary: 'print a histogram of the function events of a trace.dat', load: () => import('./commands/hist.js') },
  set: {
    summary: 'set tracefs state (events, tracer, clock, buffers, options) without recording',
    load: () => import('./commands/set.js'),
  },
};

export const VERSION = '0.1.0';

function usage(): string {
  const names = Object.keys(commands);
  const w = Math.max(...names.map((n) => n.length));
  return [
    `utp version ${VERSION} — the Unified Tracing Platform`,
    '',
    'usage: utp COMMAND [OPTIONS]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(w)}  ${commands[n]!.summary}`),
    '',
    "'utp COMMAND --help' shows a command's options.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`utp version ${VERSION}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`utp: unknown command '${name}' (see 'utp --help')\n`);
    return 2;
  }
  const mod = await entry.load();
  return mod.default.run(rest);
}

// EPIPE on stdout (e.g. `utp list | head`) ends quietly. The handler is attached when a command
// first touches process.stdout: creating that stream loads Node's whole stream machinery (~20 ms),
// which `utp report` never needs (it writes with fs.writeSync and handles EPIPE itself).
function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
}
const stdoutDesc = Object.getOwnPropertyDescriptor(process, 'stdout');
if (stdoutDesc?.get && stdoutDesc.configurable) {
  const get = stdoutDesc.get;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: stdoutDesc.enumerable ?? true,
    get() {
      const stream = get.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, 'stdout', { configurable: true, enumerable: stdoutDesc.enumerable ?? true, get: () => stream });
      stream.on('error', onStdoutError);
      return stream;
    },
  });
} else {
  process.stdout.on('error', onStdoutError);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const name = (e as Error)?.name;
    if (name === 'UsageError') {
      process.stderr.write(`utp: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`utp: ${describeError(e)}\n`);
      if (process.env['UTP_DEBUG']) process.stderr.write(String((e as Error)?.stack) + '\n');
      process.exitCode = 1;
    }
  },
);
