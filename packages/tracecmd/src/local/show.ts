/**
 * `trace-cmd show` as library calls: which file it prints (trace, trace_pipe, snapshot, a CPU's,
 * an instance's) and the single-file flags (--tracing_on, --buffer_size, ...), byte for byte.
 */
import { tracingDir, Instance } from '@utp/tracefs';
import { TraceCmdError, TraceCmdErrorCode } from '../errors.js';
import { entries, readOr } from './tracefs-read.js';
import { readFileSync } from 'node:fs';

/** `show --FLAG` → the instance file it prints (trace-cmd 3.1.6's, then the later ones). */
export const SHOW_FILE_FLAGS: Record<string, string> = {
  tracing_on: 'tracing_on',
  current_tracer: 'current_tracer',
  buffer_size: 'buffer_size_kb',
  buffer_total_size: 'buffer_total_size_kb',
  ftrace_filter: 'set_ftrace_filter',
  ftrace_notrace: 'set_ftrace_notrace',
  ftrace_pid: 'set_ftrace_pid',
  graph_function: 'set_graph_function',
  graph_notrace: 'set_graph_notrace',
  cpumask: 'tracing_cpumask',
  // trace-cmd 3.2+ (not in 3.1.6): the same kind of file flags.
  buffer_subbuf_size: 'buffer_subbuf_size_kb',
  buffer_percent: 'buffer_percent',
  max_latency: 'tracing_max_latency',
  event_pid: 'set_event_pid',
  options: 'trace_options',
};

/** The directory of instance NAME as show -B resolves it for file flags (missing: the top). */
export function showInstanceDir(name?: string): string {
  const root = tracingDir();
  return name !== undefined && Instance.exists(name) ? `${root}/instances/${name}` : root;
}

/** Bytes (latin1) of one instance file, as `show --FLAG` prints it; throws naming the file. */
export function showInstanceFile(instance: string | undefined, file: string): string {
  const path = `${showInstanceDir(instance)}/${file}`;
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    throw new TraceCmdError(TraceCmdErrorCode.Refused, `Cannot read ${path}`, {
      cause: e,
      context: { errno: (e as NodeJS.ErrnoException).code },
    });
  }
}

export interface ShowTarget {
  instance?: string;
  cpu?: number;
  pipe?: boolean;
  snapshot?: boolean;
}

/** The file `trace-cmd show [-B NAME] [-c CPU] [-p|-s]` prints (absolute path). */
export function showPath(t: ShowTarget = {}): string {
  if (t.pipe && t.snapshot) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Can not have -s and -p together');
  let file = t.pipe ? 'trace_pipe' : t.snapshot ? 'snapshot' : 'trace';
  if (t.cpu !== undefined) file = `per_cpu/cpu${t.cpu}/${file}`;
  if (t.instance !== undefined) file = `instances/${t.instance}/${file}`;
  return `${tracingDir()}/${file}`;
}

/**
 * `show --hist EVENT` / `--trigger EVENT` (trace-cmd 3.2+): "SYSTEM:EVENT" or an event name whose
 * system is the first that has it; prints the file and a newline.
 */
export function showEventFile(instance: string | undefined, spec: string, file: 'hist' | 'trigger'): string {
  const dir = showInstanceDir(instance);
  let system: string | undefined,
    event = spec;
  const i = spec.indexOf(':');
  if (i >= 0) {
    system = spec.slice(0, i);
    event = spec.slice(i + 1);
  }
  if (system === undefined) {
    system = entries(`${dir}/events`).find((s) => readOr(`${dir}/events/${s}/${event}/${file}`) !== undefined);
    if (system === undefined) throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Could not find system of event ${event}`);
  }
  const t = readOr(`${dir}/events/${system}/${event}/${file}`);
  if (t === undefined) throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Could not find ${file} for ${system}:${event}`);
  return t + '\n';
}
