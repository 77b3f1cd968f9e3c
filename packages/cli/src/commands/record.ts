/**
 * `utp record`: trace-cmd record's flags over @utp/tracecmd's RecordSession.
 *   utp record [-e EVENT [-f FILTER]]... [-p TRACER] [-P PID] [-F] [-c] [-B NAME | --top] [-b KB]
 *              [-C CLOCK] [-M MASK] [-o FILE] [--uprobe SPEC]... [--file-version 6|7]
 *              [--compression none|zlib|zstd|any] [--date] [-- CMD ARGS]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  RecordSession,
  DEFAULT_RECORD_OPTIONS,
  type EventSpec,
  type RecordOptions,
  type RecordResult,
  type CompressionName,
} from '@utp/tracecmd';
import { tracingUnavailableReason } from '@utp/tracefs';
import { describeError } from '@utp/bytes';
import { UsageError, type Command } from '../command.js';

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
  -C CLOCK         trace clock (local, global, mono, ...)
  -M MASK          tracing_cpumask (hex)
  -o FILE          output file (default trace.dat)
  --uprobe SPEC    add a uprobe: [NAME=]PATH:SYMBOL[+OFF]|PATH:0xOFF[%return] [FETCHARGS...]; repeatable
  --file-version N 6 or 7 (default 7)
  --compression C  none, zlib, zstd or any (default: zstd for v7)
  --date           store the date (DATE option)
  --buffer-percent P  wake the drain threads when P% of a CPU's buffer is filled (default 1)
  --sleep MS       longest sleep of the drain threads (default 1000)
  --no-splice      copy pages with read() instead of splice(2)
  -q               quiet: no per-CPU summary
  --json           print the summary as JSON
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
]);

export interface Parsed {
  opts: Partial<RecordOptions>;
  filterCmd: boolean;
  command: string[];
  quiet: boolean;
  json: boolean;
}

export function parseRecordArgs(argv: string[]): Parsed {
  const events: EventSpec[] = [];
  const opts: Partial<RecordOptions> = { events, pids: [], uprobes: [] };
  let filterCmd = false;
  let quiet = false;
  let json = false;
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
        events.push({ spec: v() });
        break;
      case '-f': {
        const f = v();
        const last = events[events.length - 1];
        if (!last) throw new UsageError('record: -f must follow an -e');
        last.filter = f;
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
        opts.instanceName = v();
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
      case '-C':
        opts.clock = v();
        break;
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
      case '-q':
        quiet = true;
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
  return { opts, filterCmd, command: argv.slice(i), quiet, json };
}

class HelpRequest extends Error {}

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

/** Spawns CMD held at a gate (sh waits on fd 3), so pid filters are set before it runs. */
function spawnGated(cmd: string[]): { child: ChildProcess; release(): void } {
  // `read` fails at end of file: if the recorder dies before releasing the gate, the command never runs untraced.
  const child = spawn('/bin/sh', ['-c', 'read _ <&3 && exec 3<&- && exec "$@"', 'sh', ...cmd], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
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
  };
}

function printSummary(r: RecordResult): void {
  const lines = r.cpus.map((c) => `CPU${c.cpu}: ${c.events} events, ${c.lost} lost, ${c.bytes} bytes`);
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
    return runRecording(parsed);
  },
};
export default command;

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
  const session = new RecordSession(parsed.opts);
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
      if (err.code === 'TRACEFS_KERNEL_REFUSED') {
        // a setting the kernel will not take (e.g. a sub-buffer size): one line, the file and the errno
        process.stderr.write(`${who}: ${describeError(e)}\n`);
        return 1;
      }
      throw e;
    }
    let gated: ReturnType<typeof spawnGated> | undefined;
    if (parsed.command.length) {
      gated = spawnGated(parsed.command);
      child = gated.child;
      if (parsed.filterCmd || (parsed.opts.followChildren && !parsed.opts.pids?.length)) session.setPids([child.pid!]);
    }
    session.start();
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
      await Promise.race([exited, stopPromise]);
      if (c.exitCode === null && c.signalCode === null) await exited;
    } else {
      if (process.stderr.isTTY) process.stderr.write(`${who}: recording; press Ctrl-C to stop\n`);
      await stopPromise;
    }
    const result = await session.stop();
    if (parsed.json)
      process.stdout.write(JSON.stringify({ output: result.output, size: result.size, cpus: result.cpus, commandStatus: status }) + '\n');
    else if (!parsed.quiet) printSummary(result);
    if (session.cleanupError !== undefined) process.stderr.write(`${who}: warning: ${describeError(session.cleanupError)}\n`);
    if (status !== 0) process.stderr.write(`${who}: the command exited with status ${status}\n`);
    hooks?.saved?.(result);
    return 0;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    onExit();
    process.off('exit', onExit);
  }
}
