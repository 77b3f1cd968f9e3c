/**
 * `utp profile`: trace-cmd 3.1.6 profile — record what `record --profile` enables, then print
 * `report --profile` of it (tracecmd/trace-record.c enable_profile, trace-profile.c).
 *   utp profile [-e EVENT]... [-S] [-G] [-H HOOK]... [-P PID] [-F] [-c] [--by-comm] [-o FILE]
 *               [--stderr] [--trace FILE] [record's buffer flags] [-- CMD ARGS]
 * Recording is `utp record`'s (a private instance, tracefs restored); printing is `utp report
 * --profile` on the recorded file, so `trace-cmd report --profile -i FILE` prints the same.
 */
import { closeSync, existsSync, mkdtempSync, openSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { tracingDir, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';
import { profileEvents } from './profile-events.js';
import { parseRecordArgs, runRecording } from './record.js';

const HELP = `usage: utp profile [OPTIONS] [--] [CMD [ARGS...]]
  record what 'trace-cmd record --profile' enables, then print 'report --profile' of it
  -e EVENT       also enable EVENT (with -S: only the -e events and the -H hooks' events)
  -S             do not enable the profile's default events
  -G             global: one profile for all tasks' wakeup latencies (report -G)
  -H HOOK        [start_system:]start_event,start_match[,pid]/[end_system:]end_event,end_match[,flags]
  -P PID         trace only PID (repeatable); -F: only CMD; -c: their children too
  --by-comm      merge the tasks of one comm into a group
  -o FILE        write the profile to FILE instead of stdout
  --stderr       write the profile to stderr
  --trace FILE   keep the recorded trace.dat as FILE (default: a temporary file, removed)
  -p TRACER      function / function_graph: not used (this kernel refuses the function tracer)
  -b KB, -C CLOCK, -M MASK, -B NAME, --top, --file-version N, --compression C: as utp record
  -O OPTION, -T, -v, -i, -d, -D, -l/-n/-g FUNC, --module MOD, --func-stack, --max-graph-depth N,
  --cmdlines-size N, --no-filter: record's tracefs setup (as utp set), undone afterwards
  --verbose[=L]  accepted (utp has no log levels)
Without CMD, records until SIGINT (Ctrl-C) or SIGTERM.`;

interface ProfileArgs {
  recordArgv: string[];
  manual: boolean;
  global: boolean;
  byComm: boolean;
  hooks: string[];
  output: string | undefined;
  toStderr: boolean;
  trace: string | undefined;
  tracer: string | undefined;
  help: boolean;
}

/** Record flags that take a value (passed through to utp record's parser with it). */
const RECORD_WITH_VALUE = new Set([
  '-e',
  '-f',
  '-R',
  '-P',
  '-B',
  '-b',
  '-C',
  '-M',
  '--file-version',
  '--compression',
  '--subbuf-size',
  // record's tracefs setup flags (utp set's)
  '-O',
  '-l',
  '-n',
  '-g',
  '--module',
  '--max-graph-depth',
  '--cmdlines-size',
]);
/** Record flags without a value passed through as they are. */
const RECORD_FLAGS = new Set(['-F', '-c', '--top', '-d', '-D', '-T', '-i', '-v', '--func-stack', '--no-filter', '--verbose']);

function parseProfileArgs(argv: string[]): ProfileArgs {
  const r: ProfileArgs = {
    recordArgv: [],
    manual: false,
    global: false,
    byComm: false,
    hooks: [],
    output: undefined,
    toStderr: false,
    trace: undefined,
    tracer: undefined,
    help: false,
  };
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`profile: option ${name} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    switch (a) {
      case '-S':
        r.manual = true;
        break;
      case '-G':
        r.global = true;
        break;
      case '--by-comm':
        r.byComm = true;
        break;
      case '-H':
        r.hooks.push(value(a));
        break;
      case '-o':
        if (r.output !== undefined) throw new UsageError('profile: only one output file allowed');
        r.output = value(a);
        break;
      case '--stderr':
        r.toStderr = true;
        break;
      case '--trace':
        r.trace = value(a);
        break;
      case '-p':
        r.tracer = value(a);
        break;
      case '-h':
      case '--help':
        r.help = true;
        break;
      default:
        if (RECORD_FLAGS.has(a) || a.startsWith('--verbose=')) {
          r.recordArgv.push(a);
          break;
        }
        if (RECORD_WITH_VALUE.has(a)) {
          r.recordArgv.push(a, value(a));
          break;
        }
        if (a.length > 2 && !a.startsWith('--') && RECORD_WITH_VALUE.has(a.slice(0, 2))) {
          r.recordArgv.push(a);
          break;
        }
        throw new UsageError(`profile: unknown option '${a}' (see 'utp profile --help')`);
    }
  }
  r.recordArgv.push('--', ...argv.slice(i));
  return r;
}

/** Writes the profile of FILE (utp report --profile) to `fd`: the library half of `utp profile`. */
export async function printProfile(file: string, o: { global: boolean; byComm: boolean; hooks: string[] }, fd = 1): Promise<number> {
  const { report } = await import('../report/run.js');
  const argv = ['--profile'];
  if (o.global) argv.push('-G');
  if (o.byComm) argv.push('--by-comm');
  for (const h of o.hooks) argv.push('-H', h);
  argv.push('-i', file);
  return report(argv, fd);
}

const command: Command = {
  name: 'profile',
  summary: 'record events and print their profile (record + report --profile)',
  async run(argv: string[]): Promise<number> {
    const pa = parseProfileArgs(argv);
    if (pa.help) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp profile: cannot trace here: ${why}\n`);
      return 1;
    }
    const parsed = parseRecordArgs(pa.recordArgv);
    if (pa.tracer !== undefined) {
      if (/^function/.test(pa.tracer))
        process.stderr.write(`utp profile: -p ${pa.tracer}: not used, this kernel refuses the function tracer; profiling events only\n`);
      else parsed.opts.tracer = pa.tracer;
    }
    const dir = tracingDir();
    const userEvents = parsed.opts.events ?? [];
    const events = profileEvents({ manual: pa.manual, userEvents, hooks: pa.hooks, exists: (p) => existsSync(join(dir, p)) });
    if (events.length === 0) throw new UsageError('profile: no events to record (-S without -e or -H)');
    if (!pa.manual && !existsSync(join(dir, 'max_graph_depth')))
      process.stderr.write('utp profile: the kernel has no max_graph_depth (no function_graph): skipping user/kernel profiling\n');
    parsed.opts.events = events;
    parsed.quiet = true;
    const tmp = mkdtempSync(join(tmpdir(), 'utp-profile-'));
    try {
      parsed.opts.output = pa.trace ?? join(tmp, 'trace.dat');
      const st = await runRecording(parsed, undefined, 'utp profile');
      if (st !== 0) return st;
      const opts = { global: pa.global, byComm: pa.byComm, hooks: pa.hooks };
      if (pa.output === undefined) return await printProfile(parsed.opts.output, opts, pa.toStderr ? 2 : 1);
      // -o: the profile text, written to a temporary file next to FILE and renamed over it
      const target = resolve(pa.output);
      if (pa.trace !== undefined && resolve(pa.trace) === target) throw new UsageError('profile: -o and --trace name the same file');
      const part = join(dirname(target), `.${Date.now()}-${process.pid}.utp-profile.part`);
      const fd = openSync(part, 'w', 0o644);
      let ok = false;
      try {
        const s = await printProfile(parsed.opts.output, opts, fd);
        closeSync(fd);
        renameSync(part, target);
        ok = true;
        return s;
      } finally {
        if (!ok) {
          try {
            closeSync(fd);
          } catch {
            /* already closed */
          }
          rmSync(part, { force: true });
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
export default command;
