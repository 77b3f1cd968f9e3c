/**
 * `trace-cmd list` as a library call: the same text, byte for byte, for every flag of trace-cmd
 * 3.1.6 (events by POSIX regex in the kernel's directory order, formats, filters, triggers,
 * tracers, options with their `no` forms, functions, instances, clocks, systems, plugins,
 * compression).
 */
import { tracingDir } from '@utp/tracefs';
import { TraceCmdError, TraceCmdErrorCode } from '../errors.js';
import { entries, isDir, readOr } from './tracefs-read.js';
import { breToRegExp } from './posix-regex.js';
import { optionLines } from './stat.js';
import { pluginOptionsReport } from './plugin-options.js';

export interface ListOptions {
  /** -e [REGEX]: events; `eventRe` undefined lists available_events as the kernel orders it. */
  events: boolean;
  eventRe?: string;
  /** -F / --full / -l / -R: event format (full: with print fmt), filters, triggers (with -e REGEX). */
  format: boolean;
  full: boolean;
  filter: boolean;
  trigger: boolean;
  tracers: boolean;
  options: boolean;
  /** -f [REGEX]: available_filter_functions. */
  functions: boolean;
  functionRe?: string;
  buffers: boolean;
  clocks: boolean;
  systems: boolean;
  plugins: boolean;
  pluginOptions: boolean;
  compression: boolean;
  /** Compression algorithms this build writes, as `name, version` pairs. */
  compressors: Array<[string, string]>;
}

const T = (rel: string): string => `${tracingDir()}/${rel}`;

function mustRead(rel: string): string {
  const t = readOr(T(rel));
  if (t === undefined) throw new TraceCmdError(TraceCmdErrorCode.Refused, `Cannot read ${T(rel)}`, { context: { file: T(rel) } });
  return t;
}

function compile(re: string): RegExp {
  try {
    return breToRegExp(re, 'i');
  } catch {
    throw new TraceCmdError(TraceCmdErrorCode.BadOption, `invalid regex '${re}'`);
  }
}

/** tracefs_event_systems(): event system directories (those with an enable file, so not ftrace), readdir order. */
function eventSystems(): string[] {
  const ev = T('events');
  return entries(ev).filter((s) => isDir(`${ev}/${s}`) && readOr(`${ev}/${s}/enable`) !== undefined);
}
/** tracefs_system_events(): the event directories of a system, readdir order. */
function systemEvents(system: string): string[] {
  const d = T(`events/${system}`);
  return entries(d).filter((e) => isDir(`${d}/${e}`));
}

type EventFn = (system: string, event: string) => string;

/** process_events(): "SYS[:EV]" regexes; EV absent matches systems or (unless "SYS:") event names. */
function processEvents(fn: EventFn, re: string): string {
  const systems = eventSystems();
  let out = '';
  // strtok(str, ":") then strtok(NULL, ""): leading colons skipped, the rest after the first one.
  const m = /^:*([^:]*)(?::(.*))?$/s.exec(re)!;
  const sysRe = compile(m[1]!);
  const evStr = m[2] ? m[2] : undefined;
  const evRe = evStr !== undefined ? compile(evStr) : undefined;
  const justSystems = evRe !== undefined || re.endsWith(':');
  const showSystem = (s: string): void => {
    for (const e of systemEvents(s)) out += fn(s, e);
  };
  const matchSystem = (s: string, r: RegExp): void => {
    for (const e of systemEvents(s)) if (r.test(e)) out += fn(s, e);
  };
  if (sysRe.test('ftrace')) {
    if (!evRe) showSystem('ftrace');
    else matchSystem('ftrace', evRe);
  } else if (!justSystems) matchSystem('ftrace', sysRe);
  for (const s of systems) {
    if (sysRe.test(s)) {
      if (!evRe) showSystem(s);
      else matchSystem(s, evRe);
      continue;
    }
    if (justSystems) continue;
    matchSystem(s, sysRe);
  }
  return out;
}

function eventFile(system: string, event: string, file: string): string {
  return readOr(T(`events/${system}/${event}/${file}`)) ?? '';
}

/** The text printed before a list error (trace-cmd prints up to where it dies). */
export function partialOutput(e: unknown): string {
  const c = (e as { context?: Record<string, unknown> }).context;
  return typeof c?.['output'] === 'string' ? c['output'] : '';
}

/** What `trace-cmd list ...` prints. */
export function listReport(opts: Partial<ListOptions> = {}): string {
  const o: ListOptions = {
    events: false,
    format: false,
    full: false,
    filter: false,
    trigger: false,
    tracers: false,
    options: false,
    functions: false,
    buffers: false,
    clocks: false,
    systems: false,
    plugins: false,
    pluginOptions: false,
    compression: false,
    compressors: [],
    ...opts,
  };
  const showAll = !(
    o.events ||
    o.tracers ||
    o.options ||
    o.functions ||
    o.buffers ||
    o.clocks ||
    o.systems ||
    o.plugins ||
    o.pluginOptions ||
    o.compression
  );
  let out = '';
  const flags = o.format || o.filter || o.trigger;
  const showEvents = (re: string | undefined, withFlags: boolean): void => {
    if (withFlags && re === undefined)
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'When specifying event files, an event must be named');
    if (re === undefined) {
      out += mustRead('available_events');
      return;
    }
    if (withFlags && o.format) {
      out += processEvents((s, e) => {
        let t = `system: ${s}\n`;
        for (const line of eventFile(s, e, 'format').split(/(?<=\n)/)) {
          if (!o.full && line.startsWith('print fmt')) break;
          t += line;
        }
        return t;
      }, re);
    } else if (withFlags && (o.filter || o.trigger)) {
      // trace-cmd dies at the first event without the file (ftrace's have none), after its name.
      const file = o.filter ? 'filter' : 'trigger';
      let partial = '';
      try {
        processEvents((s, e) => {
          partial += `${s}:${e}\n`;
          const t = readOr(T(`events/${s}/${e}/${file}`));
          if (t === undefined) throw new TraceCmdError(TraceCmdErrorCode.Refused, `Cannot read ${T(`events/${s}/${e}/${file}`)}`);
          partial += `${t}\n`;
          return '';
        }, re);
      } catch (e) {
        if (e instanceof TraceCmdError) (e.context as Record<string, unknown>)['output'] = out + partial;
        throw e;
      }
      out += partial;
    } else out += processEvents((s, e) => `${s}:${e}\n`, re);
  };
  const showSystems = (): void => {
    const ev = T('events');
    for (const s of entries(ev)) if (isDir(`${ev}/${s}`)) out += `${s}\n`;
    out += '\n';
  };
  const showCompression = (): void => {
    if (!o.compressors.length) {
      out += 'No compression algorithms are supported\n';
      return;
    }
    out += 'Supported compression algorithms:\n' + o.compressors.map(([n, v]) => `\t${n}, ${v}\n`).join('');
  };
  if (o.events) showEvents(o.eventRe, flags);
  if (o.tracers) out += mustRead('available_tracers');
  if (o.options) out += optionLines(tracingDir());
  if (o.plugins)
    out += pluginFiles()
      .map((p) => `  ${p}\n`)
      .join('');
  if (o.pluginOptions) out += pluginOptionsReport();
  if (o.functions) {
    const text = mustRead('available_filter_functions');
    if (o.functionRe === undefined || o.functionRe === '') out += text;
    else {
      // process_file_re(): a trailing '$' also allows the line's newline.
      const r = compile(o.functionRe.endsWith('$') ? o.functionRe.slice(0, -1) + '\n*$' : o.functionRe);
      for (const line of text.split(/(?<=\n)/)) if (line && r.test(line)) out += line;
    }
  }
  if (o.buffers) {
    const names = entries(T('instances'));
    out += names.length ? names.map((n) => `${n}\n`).join('') : 'No buffer instances defined\n';
  }
  if (o.clocks) out += mustRead('trace_clock').replace(/\n$/, '') + '\n';
  if (o.systems) showSystems();
  if (o.compression) showCompression();
  if (showAll) {
    out += 'event systems:\n';
    showSystems();
    out += 'events:\n';
    showEvents(undefined, false);
    out += '\ntracers:\n' + mustRead('available_tracers');
    out += '\noptions:\n' + optionLines(tracingDir());
    showCompression();
  }
  return out;
}

/**
 * The libtraceevent plugin files trace-cmd would load (`list -P`), in the order it lists them:
 * the system directory, $TRACEEVENT_PLUGIN_DIR, ~/.local/lib/traceevent/plugins, then trace-cmd's
 * own plugin directories, each in readdir order, printed last-loaded first. (utp's event plugins
 * are built in; this only reports what is installed for trace-cmd.)
 */
export function pluginFiles(): string[] {
  const home = process.env['HOME'];
  const dirs = [
    '/usr/lib/x86_64-linux-gnu/traceevent/plugins',
    process.env['TRACEEVENT_PLUGIN_DIR'],
    home ? `${home}/.local/lib/traceevent/plugins` : undefined,
    '/usr/lib/x86_64-linux-gnu/trace-cmd/plugins',
    process.env['TRACE_CMD_PLUGIN_DIR'],
    home ? `${home}/.trace-cmd/plugins` : undefined,
  ];
  const seen: string[] = [];
  for (const d of dirs) {
    if (!d) continue;
    for (const f of entries(d)) if (f.endsWith('.so')) seen.push(`${d}/${f}`);
  }
  return seen.reverse();
}
