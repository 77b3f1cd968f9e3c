/**
 * trace-cmd's small tracefs commands as library calls, writing what trace-cmd writes and nothing
 * else: clear (write "0" to each instance's trace), restart / stop (tracing_on), snapshot
 * (show, take, reset, free), stack (the stack tracer), check-events (parse every event format).
 */
import { existsSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { Instance, tracingDir } from '@utp/tracefs';
import { Tep } from '@utp/traceevent';
import { TraceCmdError, TraceCmdErrorCode } from '../errors.js';
import { entries, isDir, readOr } from './tracefs-read.js';

/** Instance directories that `-B NAME`... `-a` `-t` select, in trace-cmd's order. */
export interface Targets {
  instances: string[];
  all: boolean;
  top: boolean;
}

/**
 * stop/restart's selection (trace-record.c): -B adds instances (a missing one is the top
 * directory, as tracefs has no such instance), -a adds every instance and keeps the top, -t
 * keeps the top; without -B the top alone.
 */
export function tracingTargets(t: Partial<Targets>): string[] {
  const root = tracingDir();
  const dir = (n: string): string => (Instance.exists(n) ? `${root}/instances/${n}` : root);
  const named = (t.instances ?? []).slice().reverse().map(dir);
  const all = t.all
    ? entries(`${root}/instances`)
        .reverse()
        .map((n) => `${root}/instances/${n}`)
    : [];
  const list = [...all, ...named];
  return t.top || t.all || !named.length ? [root, ...list] : list;
}

function writeFile(path: string, value: string, flags: 'w' | 'r+' = 'r+'): void {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (e) {
    throw new TraceCmdError(TraceCmdErrorCode.Refused, `Cannot open ${path} for writing`, {
      cause: e,
      context: { errno: (e as NodeJS.ErrnoException).code },
    });
  }
  try {
    writeSync(fd, value);
  } catch (e) {
    throw new TraceCmdError(TraceCmdErrorCode.Refused, `Writing ${JSON.stringify(value)} to ${path} failed`, {
      cause: e,
      context: { errno: (e as NodeJS.ErrnoException).code },
    });
  } finally {
    closeSync(fd);
  }
}

/** `trace-cmd stop` / `restart`: tracing_on of each target. */
export function setTracingOn(t: Partial<Targets>, on: boolean): void {
  for (const d of tracingTargets(t)) if (existsSync(`${d}/tracing_on`)) writeFile(`${d}/tracing_on`, on ? '1' : '0');
}

/**
 * `trace-cmd clear [-B NAME]... [-a]`: empties the ring buffers (fopen "w" of trace, then "0").
 * A named instance must exist. -a: every instance, then the top.
 */
export function clearBuffers(t: { instances?: string[]; all?: boolean }): void {
  const root = tracingDir();
  const dirs: string[] = [];
  for (const n of t.instances ?? []) {
    if (!Instance.exists(n)) throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Failed to allocate instance ${n}`);
    dirs.unshift(`${root}/instances/${n}`);
  }
  if (t.all) for (const n of entries(`${root}/instances`)) dirs.unshift(`${root}/instances/${n}`);
  if (!dirs.length) dirs.push(root);
  else if (t.all) dirs.push(root);
  for (const d of dirs) writeFile(`${d}/trace`, '0', 'w');
}

export interface SnapshotOptions {
  take?: boolean;
  reset?: boolean;
  free?: boolean;
  cpu?: number;
}

/**
 * `trace-cmd snapshot [-s] [-r] [-f] [-c CPU]`: without an action, the snapshot file's text;
 * else reset (2), free (0), take (1), in that order. (3.1.6 ignores -B: the top's snapshot.)
 */
export function snapshot(o: SnapshotOptions = {}): string | undefined {
  if (o.take && o.free) throw new TraceCmdError(TraceCmdErrorCode.BadOption, "can't take snapshot and free it at the same time");
  const file = `${tracingDir()}/${o.cpu !== undefined && o.cpu >= 0 ? `per_cpu/cpu${o.cpu}/snapshot` : 'snapshot'}`;
  if (!existsSync(file))
    throw new TraceCmdError(TraceCmdErrorCode.Refused, 'Snapshot feature is not supported by this kernel', { context: { file } });
  if (!o.reset && !o.take && !o.free) return readFileSync(file, 'latin1');
  if (o.reset) writeFile(file, '2');
  if (o.free) writeFile(file, '0');
  if (o.take) writeFile(file, '1');
  return undefined;
}

const STACK_PROC = '/proc/sys/kernel/stack_tracer_enabled';

/** `trace-cmd stack [--start|--stop|--reset]`: the stack tracer; without an action, its report. */
export function stackTracer(action: 'start' | 'stop' | 'reset' | 'report' = 'report'): string | undefined {
  if (!existsSync(STACK_PROC))
    throw new TraceCmdError(TraceCmdErrorCode.Refused, 'stack tracer not configured on running kernel', { context: { file: STACK_PROC } });
  const status = (): number => {
    const t = readOr(STACK_PROC);
    if (t === undefined) throw new TraceCmdError(TraceCmdErrorCode.Refused, `error reading ${STACK_PROC}`);
    return parseInt(t, 10) || 0;
  };
  if (action === 'start' || action === 'stop') {
    const want = action === 'start' ? 1 : 0;
    if (status() !== want) writeFile(STACK_PROC, String(want));
    return undefined;
  }
  if (action === 'reset') {
    writeFile(`${tracingDir()}/stack_max_size`, '0');
    return undefined;
  }
  let out = status() > 0 ? '(stack tracer running)\n' : '(stack tracer not running)\n';
  const t = readOr(`${tracingDir()}/stack_trace`);
  if (t === undefined) throw new TraceCmdError(TraceCmdErrorCode.Refused, `reading to '${tracingDir()}/stack_trace'`);
  for (const line of t.split(/(?<=\n)/)) if (line && line[0] !== '#') out += line;
  return out;
}

export interface CheckEventsResult {
  events: number;
  failures: Array<{ event: string; error: string }>;
}

/** `trace-cmd check-events`: parses every event format of this kernel; lists those that fail. */
export function checkEvents(): CheckEventsResult {
  const ev = `${tracingDir()}/events`;
  const tep = new Tep();
  const res: CheckEventsResult = { events: 0, failures: [] };
  for (const s of entries(ev)) {
    if (!isDir(`${ev}/${s}`)) continue;
    for (const e of entries(`${ev}/${s}`)) {
      const text = readOr(`${ev}/${s}/${e}/format`);
      if (text === undefined) continue;
      res.events++;
      try {
        tep.addEventFormat(text, s);
      } catch (err) {
        res.failures.push({ event: `${s}:${e}`, error: (err as Error).message });
      }
    }
  }
  return res;
}
