/**
 * Dynamic events: uprobes (uprobe_events), kprobes/eprobes/synthetic events (dynamic_events,
 * kprobe_events, synthetic_events) where the kernel offers them. These are global (top-level);
 * instances enable them through their own events/GROUP/NAME.
 */
import { existsSync } from 'node:fs';
import { TraceFsError, TraceFsErrorCode } from './errors.js';
import { tracingDir } from './paths.js';
import { readTraceFile, writeTraceFile } from './tracefs-file.js';
import { elfSymbolOffset } from './elf-symbols.js';
import { selfStartTime } from './private-instance.js';

export type DynamicEventKind = 'uprobe' | 'uretprobe' | 'kprobe' | 'kretprobe' | 'eprobe' | 'synthetic';

export interface DynamicEvent {
  kind: DynamicEventKind;
  group: string;
  name: string;
  /** The definition line as listed by the kernel. */
  definition: string;
}

/**
 * The probe group utp uses for this process: `utp_<pid>_<start>` (swept when that process, by pid
 * and start time, is gone); another pid gives the legacy `utp_<pid>`.
 */
export function utpGroup(pid = process.pid): string {
  return pid === process.pid ? `utp_${pid}_${selfStartTime()}` : `utp_${pid}`;
}

function top(rel: string): string {
  return `${tracingDir()}/${rel}`;
}

function checkName(s: string, what: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s))
    throw new TraceFsError(TraceFsErrorCode.BadArgument, `Bad ${what} name`, { context: { [what]: s } });
}

/** Lists dynamic events (dynamic_events, or uprobe_events/kprobe_events on older kernels). */
export function listDynamicEvents(): DynamicEvent[] {
  const files = existsSync(top('dynamic_events'))
    ? ['dynamic_events']
    : ['uprobe_events', 'kprobe_events'].filter((f) => existsSync(top(f)));
  const out: DynamicEvent[] = [];
  for (const f of files) {
    for (const line of readTraceFile(top(f)).split('\n')) {
      if (!line) continue;
      const ev = parseDefinitionLine(line);
      if (ev) out.push(ev);
    }
  }
  return out;
}

function parseDefinitionLine(line: string): DynamicEvent | undefined {
  // "p:grp/name /path:0x..." "r:grp/name ..." "e:grp/name sys.ev ..." or synthetic "name u64 x"
  const m = /^([prfe])\d*:([^/\s]+)\/(\S+)\s/.exec(line + ' ');
  if (m) {
    const isUprobe = /\s\/\S*:0x/.test(line) || /\s\/\S*:\d/.test(line);
    const kind: DynamicEventKind =
      m[1] === 'e' ? 'eprobe' : m[1] === 'r' ? (isUprobe ? 'uretprobe' : 'kretprobe') : isUprobe ? 'uprobe' : 'kprobe';
    return { kind, group: m[2]!, name: m[3]!, definition: line };
  }
  const s = /^s:(?:([^/\s]+)\/)?(\S+)/.exec(line);
  if (s) return { kind: 'synthetic', group: s[1] ?? 'synthetic', name: s[2]!, definition: line };
  return undefined;
}

export interface UprobeSpec {
  /** Event name (default: derived from the symbol or offset). */
  name?: string;
  group?: string;
  path: string;
  /** Symbol (resolved from the ELF symbol table) or a numeric file offset. */
  symbol?: string;
  offset?: bigint;
  /** Fetch args, e.g. ["a=%di:s32", "+0(%si):string"]. */
  args?: string[];
  /** Return probe (uretprobe). */
  ret?: boolean;
}

/**
 * Parses "[NAME=]PATH:SYMBOL[+OFF]|PATH:0xOFFSET[%return] [FETCHARGS...]" (utp record --uprobe).
 */
export function parseUprobeSpec(spec: string): UprobeSpec {
  const parts = spec.trim().split(/\s+/);
  let head = parts.shift() ?? '';
  let name: string | undefined;
  const eq = head.indexOf('=');
  if (eq > 0 && !head.slice(0, eq).includes('/')) {
    name = head.slice(0, eq);
    head = head.slice(eq + 1);
  }
  let ret = false;
  if (head.endsWith('%return')) {
    ret = true;
    head = head.slice(0, -7);
  }
  const colon = head.lastIndexOf(':');
  if (colon <= 0)
    throw new TraceFsError(TraceFsErrorCode.BadArgument, 'Bad uprobe spec, expected PATH:SYMBOL or PATH:0xOFFSET', { context: { spec } });
  const path = head.slice(0, colon);
  const where = head.slice(colon + 1);
  const out: UprobeSpec = { path, args: parts, ret };
  if (name !== undefined) out.name = name;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(where)) out.offset = BigInt(where);
  else out.symbol = where;
  return out;
}

function defaultProbeName(spec: UprobeSpec): string {
  const base = spec.symbol ? spec.symbol.replace(/[^A-Za-z0-9_]/g, '_') : `p_${(spec.offset ?? 0n).toString(16)}`;
  return (spec.ret ? base + '__return' : base).replace(/^(\d)/, '_$1');
}

/** Creates a uprobe (or uretprobe). The symbol is resolved to a file offset from the ELF file. */
export function createUprobe(spec: UprobeSpec): DynamicEvent {
  const group = spec.group ?? utpGroup();
  const name = spec.name ?? defaultProbeName(spec);
  checkName(group, 'group');
  checkName(name, 'event');
  if (!existsSync(top('uprobe_events')))
    throw new TraceFsError(TraceFsErrorCode.Unsupported, 'This kernel has no uprobes (uprobe_events is missing)', {
      file: top('uprobe_events'),
    });
  const off = spec.offset ?? (spec.symbol ? elfSymbolOffset(spec.path, spec.symbol) : undefined);
  if (off === undefined)
    throw new TraceFsError(TraceFsErrorCode.BadArgument, 'uprobe needs a symbol or an offset', { context: { path: spec.path } });
  const def = `${spec.ret ? 'r' : 'p'}:${group}/${name} ${spec.path}:0x${off.toString(16)}${spec.args?.length ? ' ' + spec.args.join(' ') : ''}`;
  writeTraceFile(top('uprobe_events'), def + '\n', { append: true, errorLog: top('error_log') });
  return { kind: spec.ret ? 'uretprobe' : 'uprobe', group, name, definition: def };
}

function commandFile(preferred: string): string {
  if (existsSync(top(preferred))) return top(preferred);
  if (existsSync(top('dynamic_events'))) return top('dynamic_events');
  throw new TraceFsError(TraceFsErrorCode.Unsupported, `This kernel does not offer ${preferred}`, { file: top(preferred) });
}

/** Creates a kprobe: `kprobe(name, 'do_sys_open+0', ['dfd=%ax'])` (needs CONFIG_KPROBE_EVENTS). */
export function createKprobe(name: string, where: string, args: string[] = [], ret = false, group = utpGroup()): DynamicEvent {
  checkName(group, 'group');
  checkName(name, 'event');
  // CONFIG_KPROBE_EVENTS creates kprobe_events; without it dynamic_events refuses p: lines.
  if (!existsSync(top('kprobe_events')))
    throw new TraceFsError(TraceFsErrorCode.Unsupported, 'This kernel has no kprobe events (kprobe_events is missing)', {
      file: top('kprobe_events'),
    });
  const file = top('kprobe_events');
  const def = `${ret ? 'r' : 'p'}:${group}/${name} ${where}${args.length ? ' ' + args.join(' ') : ''}`;
  writeTraceFile(file, def + '\n', { append: true, errorLog: top('error_log') });
  return { kind: ret ? 'kretprobe' : 'kprobe', group, name, definition: def };
}

/** Creates an eprobe on an existing event: `e:group/name system.event args`. */
export function createEprobe(name: string, system: string, event: string, args: string[] = [], group = utpGroup()): DynamicEvent {
  checkName(group, 'group');
  checkName(name, 'event');
  const file = commandFile('dynamic_events');
  if (!readTraceFile(`${tracingDir()}/README`).includes('e[:['))
    throw new TraceFsError(TraceFsErrorCode.Unsupported, 'This kernel has no eprobes', { file });
  const def = `e:${group}/${name} ${system}.${event}${args.length ? ' ' + args.join(' ') : ''}`;
  try {
    writeTraceFile(file, def + '\n', { append: true, errorLog: top('error_log') });
  } catch (e) {
    const err = e as TraceFsError;
    if (err.errno === 'EINVAL' && !err.errorLog) {
      throw new TraceFsError(
        TraceFsErrorCode.Unsupported,
        'The kernel refused the eprobe without an error_log entry: it probably lacks CONFIG_EPROBE_EVENTS',
        { file, errno: err.errno, context: { definition: def } },
      );
    }
    throw e;
  }
  return { kind: 'eprobe', group, name, definition: def };
}

/**
 * Where synthetic events are defined, as libtracefs decides: dynamic_events (lines prefixed
 * `s:`) when the kernel has it and knows synthetic events there (its README lists `s:[synthetic/]`),
 * else synthetic_events (bare lines); undefined when the kernel offers neither.
 * `has(rel)` tells whether a top-level tracefs file exists; `readme` is the README text.
 */
export function syntheticCommandFile(has: (rel: string) => boolean, readme: () => string): { file: string; prefix: string } | undefined {
  if (has('dynamic_events') && /\bs:\[synthetic\//.test(readme())) return { file: 'dynamic_events', prefix: 's:' };
  if (has('synthetic_events')) return { file: 'synthetic_events', prefix: '' };
  return undefined;
}

function syntheticFile(): { file: string; prefix: string } {
  const readme = (): string => {
    try {
      return readTraceFile(top('README'));
    } catch {
      return '';
    }
  };
  const f = syntheticCommandFile((rel) => existsSync(top(rel)), readme);
  if (!f)
    throw new TraceFsError(
      TraceFsErrorCode.Unsupported,
      'This kernel has no synthetic events (no synthetic_events, and dynamic_events does not take s: lines)',
      { file: top('synthetic_events') },
    );
  return f;
}

/** Creates a synthetic event: `synthetic('wakeup_lat', ['pid_t pid', 'u64 lat'])`. */
export function createSynthetic(name: string, fields: string[]): DynamicEvent {
  checkName(name, 'event');
  const { file, prefix } = syntheticFile();
  const def = `${name} ${fields.join('; ')}`;
  writeTraceFile(top(file), prefix + def + '\n', { append: true, errorLog: top('error_log') });
  return { kind: 'synthetic', group: 'synthetic', name, definition: def };
}

/** Removes a dynamic event (it must be disabled in every instance first, or the kernel says EBUSY). */
export function removeDynamicEvent(ev: Pick<DynamicEvent, 'kind' | 'group' | 'name'>): void {
  let file: string;
  let cmd: string;
  if (ev.kind === 'synthetic') {
    const f = syntheticFile();
    file = top(f.file);
    cmd = f.prefix ? `-:synthetic/${ev.name}` : `!${ev.name}`;
  } else {
    file =
      ev.kind === 'uprobe' || ev.kind === 'uretprobe'
        ? existsSync(top('uprobe_events'))
          ? top('uprobe_events')
          : commandFile('dynamic_events')
        : commandFile(ev.kind === 'eprobe' ? 'dynamic_events' : 'kprobe_events');
    cmd = `-:${ev.group}/${ev.name}`;
  }
  // The kernel answers EBUSY while the event is still in use (e.g. an instance that enabled it is being
  // torn down, or a traced task is in the probe): retry for up to a second before giving up.
  for (let attempt = 0; ; attempt++) {
    try {
      writeTraceFile(file, cmd + '\n', { append: true, errorLog: top('error_log') });
      return;
    } catch (e) {
      const errno = (e as { context?: { errno?: unknown } }).context?.errno;
      if (errno !== 'EBUSY' || attempt >= 50) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Removes every dynamic event of `group` (default: this process's utp group). Returns how many. */
export function removeDynamicEventsOfGroup(group = utpGroup()): number {
  let n = 0;
  for (const ev of listDynamicEvents())
    if (ev.group === group) {
      removeDynamicEvent(ev);
      n++;
    }
  return n;
}
