/**
 * `utp record`: trace-cmd record's flags over @utp/tracecmd's RecordSession.
 *   utp record [-e EVENT [-f FILTER]]... [-p TRACER] [-P PID] [-F] [-c] [-B NAME | --top] [-b KB]
 *              [-C CLOCK] [-M MASK] [-o FILE] [--uprobe SPEC]... [--file-version 6|7]
 *              [--compression none|zlib|zstd|any] [--date] [-m KB] [-s USECS] [-r PRIO] [--temp DIR]
 *              [--poll] [--proc-map] [--user USER] [--tsc2nsec] [-- CMD ARGS]
 * and trace-cmd's tracefs-setup flags (-O -T -v -i -k -d -D -l -n -g --module --func-stack
 * --max-graph-depth --cmdlines-size --no-filter --profile [-S -G --by-comm]), applied by RecordSession
 * through utp set's pieces (packages/tracecmd/src/set.ts) and undone afterwards unless -k.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, existsSync, constants as fsConstants, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  RecordSession,
  ProcMapTracer,
  DEFAULT_RECORD_OPTIONS,
  type EventSpec,
  type RecordOptions,
  type RecordResult,
  type CompressionName,
  emptyInstanceSetup,
} from '@utp/tracecmd';
import { tracingDir, tracingUnavailableReason } from '@utp/tracefs';
import { describeError } from '@utp/bytes';
import { UsageError, type Command } from '../command.js';
import { profileEvents } from './profile-events.js';
import { StatusLine } from '../status-line.js';

const HELP = `usage: utp record [OPTIONS] [--] [CMD [ARGS...]]
  -e EVENT         enable EVENT (SYSTEM, SYSTEM:EVENT, EVENT, globs, all); repeatable
  -f FILTER        filter for the events of the preceding -e
  -R TRIGGER       trigger for the events of the preceding -e
  -p TRACER        use TRACER (the kernel may refuse it, e.g. function)
  -P PID           trace only PID (repeatable)
  -F               trace only CMD
  -c               with -P/-F, also trace their children
  -B NAME          record in instance NAME   (default: a private instance utp-<pid>.<start>-<n>; a NAME several recorders share stays until the last one ends)
  --top            record in the top-level buffer (settings are restored afterwards)
  -b KB            per-CPU buffer size in KiB
  --subbuf-size KB sub-buffer size in KiB (kernel >= 6.8)
  -C CLOCK         trace clock (local, global, mono, ...; tsc2nsec: as --tsc2nsec)
  -M MASK          tracing_cpumask (hex)
  -o FILE          output file (default trace.dat)
  --uprobe SPEC    add a uprobe: [NAME=]PATH:SYMBOL[+OFF]|PATH:0xOFF[%return] [FETCHARGS...]; repeatable
  --file-version N 6 or 7 (default 7)
  --compression C  none, zlib, zstd or any (default: zstd for v7)
  --date           store the date (DATE option)
  --buffer-percent P  wake the drain threads when P% of a CPU's buffer is filled (default 1)
  --sleep MS       longest sleep of the drain threads (default 1000)
  --no-splice      copy pages with read() instead of splice(2)
  -m KB            keep at most about KB KiB per CPU, the newest (two files per CPU in turn, as trace-cmd)
  -s USECS         sleep of the drain threads between reads, in microseconds (trace-cmd's; --sleep in ms)
  -r PRIO          run the drain threads under SCHED_FIFO at PRIO (a refusal is a warning)
  --temp DIR       put the per-CPU temp files in DIR
  --poll           never wait in poll(2): read without blocking, sleep -s after an empty round
  --proc-map       store the traced processes' address maps (PROCMAPS; with CMD or -P)
  --user USER      run CMD as USER (initgroups, setgid, setuid; HOME, USER, LOGNAME); the recorder stays root
  --tsc2nsec       record with the x86-tsc clock and store perf's TSC to ns conversion (TSC2NSEC)
  -q, --quiet      quiet: no per-CPU summary, no live status line (drawn only when stderr is a terminal)
  --json           print the summary as JSON
 tracefs setup, as utp set / trace-cmd set (restored after recording unless -k):
  -O OPTION        set trace option OPTION (noOPTION clears it); repeatable
  -T               a stack trace on every event (option stacktrace)
  -v               the -e after it disable events, the -B after it removes the instance first
  -i               an -e that matches no event is skipped, not an error
  -k               keep the setup afterwards (instance, events, options; needs -B or --top); tracing off
  -d               options/function-trace off while recording
  -D               also /proc/sys/kernel/ftrace_enabled = 0 (global)
  -l FUNC          set_ftrace_filter FUNC; -n FUNC: set_ftrace_notrace; -g FUNC: set_graph_function (top only)
  --module MOD     -l/-n/-g after it take FUNC:mod:MOD; alone: *:mod:MOD
  --func-stack     options/func_stack_trace (top instance, with -l)
  --max-graph-depth N  function_graph's max_graph_depth
  (the function tracer's files: a kernel that refuses them is a one-line error, tracefs untouched)
  --cmdlines-size N  saved_cmdlines_size while recording (global)
  --no-filter      do not write the -P/-F pid filter (trace-cmd: no task filter)
  --verbose[=L]    accepted (utp has no log levels)
  --profile        record what trace-cmd record --profile enables (sched_switch/wakeup with
                   stacktrace triggers, irq, softirq, page faults, exec, raw_syscalls); for report --profile
  -S               with --profile: only the -e events
  -G, --by-comm    with --profile: accepted; they change nothing in the file (give them to report --profile)
Without CMD, records until SIGINT (Ctrl-C) or SIGTERM.
  --perf           record with perf_event_open into a perf.data instead (see utp record --perf --help)`;

const WITH_VALUE = new Set([
  '-e',
  '-f',
  '-R',
  '-p',
  '-P',
  '-B',
  '-b',
  '-C',
  '-M',
  '-o',
  '--uprobe',
  '--file-version',
  '--compression',
  '--subbuf-size',
  '--buffer-percent',
  '--sleep',
  // output and drain flags
  '-m',
  '-s',
  '-r',
  '--temp',
  '--user',
  // tracefs setup (shared with utp set)
  '-O',
  '-l',
  '-g',
  '-n',
  '--module',
  '--max-graph-depth',
  '--cmdlines-size',
]);

export interface Parsed {
  opts: Partial<RecordOptions>;
  filterCmd: boolean;
  command: string[];
  quiet: boolean;
  json: boolean;
  /** --user: run CMD as this user. */
  user?: string;
  /** --tsc2nsec: read perf's TSC conversion before recording. */
  tsc2nsec?: boolean;
  /** --profile (with -S, -G, --by-comm): record what trace-cmd record --profile enables. */
  profile?: { manual: boolean; global: boolean; byComm: boolean };
}

export function parseRecordArgs(argv: string[]): Parsed {
  const events: EventSpec[] = [];
  const opts: Partial<RecordOptions> = { events, pids: [], uprobes: [] };
  let filterCmd = false;
  let quiet = false;
  let json = false;
  const extra: Pick<Parsed, 'user' | 'tsc2nsec'> = {};
  // tracefs setup flags (trace-cmd's, shared with utp set): -v negates the -e and -B after it;
  // --module MOD qualifies the -l/-n/-g after it, alone it filters all of MOD's functions (*:mod:MOD)
  const setup = { ...emptyInstanceSetup() };
  opts.setup = setup;
  let negative = false;
  let module: string | undefined;
  let moduleUsed = false;
  const fn = (name: string): string => {
    moduleUsed = true;
    return module ? `${name}:mod:${module}` : name;
  };
  let profile: Parsed['profile'];
  const prof = { manual: false, global: false, byComm: false };
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`record: option ${name} needs a value`);
    return v;
  };
  const int = (name: string, s: string): number => {
    if (!/^\d+$/.test(s)) throw new UsageError(`record: option ${name} wants a number, got '${s}'`);
    return Number(s);
  };
  for (; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else if (!a.startsWith('--') && a.length > 2 && WITH_VALUE.has(a.slice(0, 2))) {
      inline = a.slice(2);
      a = a.slice(0, 2);
    }
    const v = (): string => (inline !== undefined ? inline : value(a));
    switch (a) {
      case '-e':
        events.push(negative ? { spec: v(), disable: true } : { spec: v() });
        break;
      case '-f': {
        const f = v();
        const last = events[events.length - 1];
        if (!last) throw new UsageError('record: -f must follow an -e');
        // joined as trace-cmd joins them (the text the filter file shows): (A)&&(B)
        last.filter = last.filter === undefined ? `(${f})` : `${last.filter}&&(${f})`;
        break;
      }
      case '-R': {
        const t = v();
        const last = events[events.length - 1];
        if (!last) throw new UsageError('record: -R must follow an -e');
        last.trigger = t;
        break;
      }
      case '-p':
        opts.tracer = v();
        break;
      case '-P':
        opts.pids!.push(int('-P', v()));
        break;
      case '-F':
        filterCmd = true;
        break;
      case '-c':
        opts.followChildren = true;
        break;
      case '-B':
        if (negative) (opts.removeInstances ??= []).push(v());
        else opts.instanceName = v();
        negative = false;
        break;
      case '--top':
        opts.top = true;
        break;
      case '-b':
        opts.bufferSizeKb = int('-b', v());
        break;
      case '--subbuf-size':
        opts.subbufSizeKb = int('--subbuf-size', v());
        break;
      case '--buffer-percent':
        opts.bufferPercent = int('--buffer-percent', v());
        break;
      case '--sleep':
        opts.maxSleepMs = int('--sleep', v());
        break;
      case '-C': {
        const c = v();
        // trace-cmd: -C tsc2nsec is --tsc2nsec (the x86-tsc clock, converted to ns)
        if (c === 'tsc2nsec') extra.tsc2nsec = true;
        else opts.clock = c;
        break;
      }
      case '-M':
        opts.cpumask = v();
        break;
      case '-o':
        opts.output = v();
        break;
      case '--uprobe':
        opts.uprobes!.push(v());
        break;
      case '--file-version': {
        const n = v();
        if (n !== '6' && n !== '7') throw new UsageError(`record: --file-version must be 6 or 7, got '${n}'`);
        opts.fileVersion = Number(n) as 6 | 7;
        break;
      }
      case '--compression': {
        const c = v();
        if (!['none', 'zlib', 'zstd', 'any'].includes(c))
          throw new UsageError(`record: --compression must be none, zlib, zstd or any, got '${c}'`);
        opts.compression = c as CompressionName;
        break;
      }
      case '--date':
        opts.date = true;
        break;
      case '--no-splice':
        opts.drainMode = 'read';
        break;
      // output and drain flags (trace-cmd record -m, -s, -r, --temp, --poll, --proc-map, --user, --tsc2nsec)
      case '-m':
        if (opts.maxKb) throw new UsageError('record: -m can only be given once');
        opts.maxKb = int('-m', v());
        break;
      case '-s':
        opts.maxSleepMs = int('-s', v()) / 1000;
        break;
      case '-r':
        opts.rtPrio = int('-r', v());
        break;
      case '--temp':
        if (opts.tempDir !== undefined) throw new UsageError('record: only one --temp folder can be given');
        opts.tempDir = v();
        break;
      case '--poll':
        opts.poll = true;
        break;
      case '--proc-map':
        opts.procMaps = true;
        break;
      case '--user':
        extra.user = v();
        break;
      case '--tsc2nsec':
        extra.tsc2nsec = true;
        break;
      case '-q':
      case '--quiet':
        quiet = true;
        break;
      // ---- tracefs setup, as utp set (packages/tracecmd/src/set.ts) ----
      case '-O':
        setup.options.push(v());
        break;
      case '-T':
        setup.stacktrace = true;
        break;
      case '-l':
        setup.filterFunctions.push(fn(v()));
        break;
      case '-n':
        setup.notraceFunctions.push(fn(v()));
        break;
      case '-g':
        setup.graphFunctions.push(fn(v()));
        break;
      case '--module':
        if (module && !moduleUsed) setup.filterFunctions.push(`*:mod:${module}`);
        module = v();
        moduleUsed = false;
        break;
      case '--func-stack':
        setup.funcStack = true;
        break;
      case '--max-graph-depth':
        setup.maxGraphDepth = int('--max-graph-depth', v());
        break;
      case '--cmdlines-size':
        opts.cmdlinesSize = int('--cmdlines-size', v());
        break;
      case '-v':
        negative = true;
        break;
      case '-i':
        opts.ignoreMissingEvents = true;
        break;
      case '-k':
        opts.keep = true;
        break;
      case '-d':
        opts.disableFunctionTrace = true;
        break;
      case '-D':
        opts.disableFunctionTrace = true;
        opts.totalDisable = true;
        break;
      case '--no-filter':
        opts.noFilter = true;
        break;
      case '--verbose':
        break;
      case '--profile':
        profile = prof;
        break;
      case '-S':
        prof.manual = true;
        break;
      case '-G':
        prof.global = true;
        break;
      case '--by-comm':
        prof.byComm = true;
        break;
      case '--json':
        json = true;
        break;
      case '-h':
      case '--help':
        throw new HelpRequest();
      default:
        throw new UsageError(`record: unknown option '${a}' (see 'utp record --help')`);
    }
  }
  if (opts.fileVersion === 6 && opts.compression === undefined) opts.compression = 'none';
  // --poll sleeps between reads instead of waiting for the kernel: trace-cmd's 1000 us unless -s/--sleep
  if (opts.poll && opts.maxSleepMs === undefined) opts.maxSleepMs = 1;
  if (extra.tsc2nsec && opts.clock !== undefined) throw new UsageError('record: --tsc2nsec sets the clock (x86-tsc); it excludes -C');
  if (module && !moduleUsed) setup.filterFunctions.push(`*:mod:${module}`);
  if (!profile && (prof.manual || prof.global || prof.byComm))
    throw new UsageError(`record: ${prof.manual ? '-S' : prof.global ? '-G' : '--by-comm'} needs --profile`);
  return { opts, filterCmd, command: argv.slice(i), quiet, json, ...extra, ...(profile ? { profile } : {}) };
}

class HelpRequest extends Error {}

/**
 * Checks and resolves the output/drain flags that need the system before recording: --user's
 * account, --tsc2nsec's conversion (perf's mmap page). A number: the exit status of a refusal.
 */
async function prepareOutputFlags(parsed: Parsed, who: string): Promise<{ user?: RunAs } | number> {
  const out: { user?: RunAs } = {};
  if (parsed.user !== undefined) {
    if (!parsed.command.length) process.stderr.write(`${who}: warning: --user ${parsed.user} is ignored, no command is specified\n`);
    else {
      const u = lookupUser(parsed.user);
      if (!u) {
        process.stderr.write(`${who}: --user: no user '${parsed.user}' in the passwd database\n`);
        return 1;
      }
      out.user = u;
    }
  }
  if (parsed.opts.procMaps && !parsed.command.length && !parsed.opts.pids?.length) {
    process.stderr.write(`${who}: warning: --proc-map is ignored, no command or filtered PIDs (-P) are specified\n`);
    parsed.opts.procMaps = false;
  }
  if (parsed.tsc2nsec) {
    const { tscConversion } = await import('@utp/perf/live');
    try {
      parsed.opts.tsc2nsec = tscConversion();
    } catch (e) {
      process.stderr.write(`${who}: --tsc2nsec: TSC to nanosecond is not supported here: ${describeError(e)}\n`);
      return 1;
    }
  }
  return out;
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Refuses an output that cannot be replaced by a renamed temporary file before anything is recorded:
 * a directory, a device or other non-regular file (writing would replace the node), or an unwritable folder.
 * A symbolic link is followed: the file it points to is written, as trace-cmd does.
 */
export function checkOutputPath(output: string): string {
  let target = output;
  try {
    if (lstatSync(output).isSymbolicLink()) {
      try {
        target = realpathSync(output);
      } catch {
        target = resolve(dirname(output), readlinkSync(output));
      }
    }
  } catch {
    /* does not exist yet */
  }
  let st;
  try {
    st = statSync(target);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw new UsageError(`record: output '${output}' is a directory`);
  if (st && !st.isFile()) throw new UsageError(`record: output '${output}' is not a regular file (refusing to replace it)`);
  const dir = dirname(resolve(target));
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch {
    throw new UsageError(`record: cannot write the output in '${dir}' (missing or not writable)`);
  }
  return target;
}

/** A user to run CMD as (--user): from the passwd database (getent, so NSS users count too). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function lookupUser(name: string): RunAs | undefined {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const f = r.status === 0 ? r.stdout.split('\n')[0]!.split(':') : [];
  if (f.length < 7) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/**
 * Spawns CMD held at a gate (sh waits on fd 3), so pid filters are set before it runs. With `user`,
 * CMD runs as that user (setpriv: initgroups, setgid, setuid, then exec) with its HOME, USER and
 * LOGNAME, as trace-cmd's --user; the pid stays the same through both execs.
 */
export function spawnGated(cmd: string[], user?: RunAs): { child: ChildProcess; release(): void; abort(): void } {
  // `read` fails at end of file: if the recorder dies before releasing the gate, the command never runs untraced.
  const run = user ? `exec setpriv --reuid=${user.uid} --regid=${user.gid} --init-groups -- "$@"` : 'exec "$@"';
  const env = user ? { ...process.env, HOME: user.home, USER: user.name, LOGNAME: user.name } : process.env;
  const child = spawn('/bin/sh', ['-c', `read _ <&3 && exec 3<&- && ${run}`, 'sh', ...cmd], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env,
  });
  const gate = child.stdio[3] as NodeJS.WritableStream;
  // The gated shell may already be gone (e.g. killed by the same Ctrl-C): a closed gate is not an error here.
  gate.on('error', () => {
    /* EPIPE: the child exited; its exit status tells the rest */
  });
  return {
    child,
    release: () => {
      gate.write('\n');
      gate.end();
    },
    abort: () => gate.end(),
  };
}

function printSummary(r: RecordResult): void {
  const lines = r.cpus.map(
    (c) =>
      `CPU${c.cpu}: ${c.events} events, ${c.lost} lost, ${c.bytes} bytes` +
      (c.keptBytes !== undefined ? ` (-m: kept the newest ${c.keptBytes} bytes)` : ''),
  );
  const tot = r.cpus.reduce((a, c) => ({ e: a.e + c.events, l: a.l + c.lost }), { e: 0, l: 0 });
  lines.push(`total: ${tot.e} events, ${tot.l} lost; wrote ${r.output} (${r.size} bytes)`);
  if (r.sweep.instances.length || r.sweep.groups.length)
    lines.push(`removed stale: ${[...r.sweep.instances, ...r.sweep.groups].join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

const command: Command = {
  name: 'record',
  summary: 'record events (and run a command) into a trace.dat file',
  async run(argv: string[]): Promise<number> {
    const dd = argv.indexOf('--');
    if ((dd < 0 ? argv : argv.slice(0, dd)).includes('--perf')) return (await import('./record-perf.js')).runPerfRecord(argv);
    let parsed: Parsed;
    try {
      parsed = parseRecordArgs(argv);
    } catch (e) {
      if (e instanceof HelpRequest) {
        process.stdout.write(HELP + '\n');
        return 0;
      }
      throw e;
    }
    if (parsed.profile && !tracingUnavailableReason()) addProfileEvents(parsed);
    return runRecording(parsed);
  },
};
export default command;

/**
 * --profile: the events trace-cmd record --profile enables (utp profile's); -S keeps only the -e ones.
 * -G and --by-comm change nothing in the file: trace-cmd uses them only when it prints a profile
 * itself (profile, stream); `report --profile -G / --by-comm` reads them from the options given to it.
 */
function addProfileEvents(parsed: Parsed): void {
  const dir = tracingDir();
  const manual = parsed.profile?.manual ?? false;
  parsed.opts.events = profileEvents({ manual, userEvents: parsed.opts.events ?? [], hooks: [], exists: (p) => existsSync(join(dir, p)) });
  if (!parsed.opts.events.length) throw new UsageError('record: --profile -S without -e: no events to record');
  if (!manual && !existsSync(join(dir, 'max_graph_depth')) && !parsed.quiet)
    process.stderr.write('utp record: the kernel has no max_graph_depth (no function_graph): skipping user/kernel profiling\n');
}

/** What `utp view --live` adds to a recording: it sees the running session and may stop it. */
export interface RecordingHooks {
  /** The prefix of messages ('utp view'). */
  who: string;
  /** Called once tracing is on (CMD is released after it returns); `stop()` ends the recording as Ctrl-C does. */
  started(session: RecordSession, stop: () => void): void | Promise<void>;
  /** Called with the result once the file is written and tracefs is restored. */
  saved?(result: RecordResult): void;
}

/**
 * Records as `utp record` does: sets up the session, runs CMD (gated, so pid filters come first),
 * stops on CMD's exit or SIGINT/SIGTERM/SIGHUP (a second signal exits at once), writes the file, and
 * cleans up on every path (also process exit). `utp view --live` runs the same through `hooks`.
 */
export async function runRecording(parsed: Parsed, hooks?: RecordingHooks, name = 'utp record'): Promise<number> {
  const who = hooks?.who ?? name;
  const why = tracingUnavailableReason();
  if (why) {
    process.stderr.write(`${who}: cannot trace here: ${why}\n`);
    return 1;
  }
  parsed.opts.output = checkOutputPath(parsed.opts.output ?? DEFAULT_RECORD_OPTIONS.output);
  const pre = await prepareOutputFlags(parsed, who);
  if (typeof pre === 'number') return pre;
  const session = new RecordSession({ ...parsed.opts, onWarning: (m) => process.stderr.write(`${who}: warning: ${m}\n`) });
  const onExit = (): void => {
    try {
      session.cleanup();
    } catch {
      /* best effort at exit */
    }
  };
  process.on('exit', onExit);
  let stopRequested: (() => void) | undefined;
  const stopPromise = new Promise<void>((res) => {
    stopRequested = res;
  });
  let signals = 0;
  let child: ChildProcess | undefined;
  let statusLine: StatusLine | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      onExit();
      process.exit(128 + (osConstants.signals[sig] ?? 15));
    }
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    stopRequested!();
  };
  // SIGHUP too: closing the terminal must not leave the instance or changed settings behind.
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  try {
    try {
      session.setup();
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'TRACEFS_KERNEL_REFUSED' && parsed.opts.tracer !== undefined && /tracer/.test(err.message)) {
        process.stderr.write(
          `${who}: ${err.message}\n${who}: this kernel does not allow the '${parsed.opts.tracer}' tracer here; record events with -e instead\n`,
        );
        return 1;
      }
      if (err.code?.startsWith('TRACECMD_')) {
        // a setup flag the kernel or the instance cannot take (e.g. -l without the function tracer): one line
        process.stderr.write(`${who}: ${err.message}\n`);
        return 1;
      }
      if (err.code === 'TRACEFS_KERNEL_REFUSED') {
        // a setting the kernel will not take (e.g. a sub-buffer size): one line, the file and the errno
        process.stderr.write(`${who}: ${describeError(e)}\n`);
        return 1;
      }
      throw e;
    }
    let gated: ReturnType<typeof spawnGated> | undefined;
    let tracer: ProcMapTracer | undefined;
    if (parsed.command.length) {
      gated = spawnGated(parsed.command, pre.user);
      child = gated.child;
      if (parsed.filterCmd || (parsed.opts.followChildren && !parsed.opts.pids?.length)) session.setPids([child.pid!]);
      if (parsed.opts.procMaps) {
        try {
          tracer = await ProcMapTracer.attach(child.pid!);
        } catch (e) {
          gated.abort();
          process.stderr.write(`${who}: ${describeError(e)}\n`);
          return 1;
        }
      }
    }
    session.start();
    for (const w of session.warnings) process.stderr.write(`${who}: warning: ${w}\n`);
    // on a terminal: elapsed time, events, bytes and losses per CPU, redrawn until the stop
    statusLine = new StatusLine(who, () => session.progress(), process.stderr, !parsed.quiet && !parsed.json && !hooks);
    // a stop from the hooks (utp view's Stop button) ends CMD as Ctrl-C does
    await hooks?.started(session, () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      stopRequested!();
    });
    let status = 0;
    if (gated && child) {
      const c = child;
      const exited = new Promise<void>((res) =>
        c.once('exit', (code, sig) => {
          status = code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : 1);
          res();
        }),
      );
      c.once('error', () => stopRequested!());
      gated.release();
      statusLine.start();
      await Promise.race([exited, stopPromise]);
      if (c.exitCode === null && c.signalCode === null) await exited;
      // the maps each traced task had as it exited, oldest first (each becomes the newest)
      if (tracer) for (const m of (await tracer.finish()).reverse()) session.addProcMaps(m);
    } else {
      if (process.stderr.isTTY) process.stderr.write(`${who}: recording; press Ctrl-C to stop\n`);
      statusLine.start();
      await stopPromise;
    }
    statusLine.stop();
    const result = await session.stop();
    if (parsed.json)
      process.stdout.write(JSON.stringify({ output: result.output, size: result.size, cpus: result.cpus, commandStatus: status }) + '\n');
    else if (!parsed.quiet) printSummary(result);
    if (session.cleanupError !== undefined) process.stderr.write(`${who}: warning: ${describeError(session.cleanupError)}\n`);
    if (status !== 0) process.stderr.write(`${who}: the command exited with status ${status}\n`);
    hooks?.saved?.(result);
    return 0;
  } finally {
    statusLine?.stop();
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    onExit();
    process.off('exit', onExit);
  }
}
