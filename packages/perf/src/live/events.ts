/// <reference types="node" />
/**
 * Event names as perf spells them (`perf list`): hardware and software event names, tracepoints
 * `SYS:EVENT` (ids from tracefs events/SYS/EVENT/id, globs like `sched:*`), with the `:u`/`:k`
 * modifiers. Resolves to the attr fields; never opens anything.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AttrType } from '../constants.js';
import { LiveError, LiveErrorCode } from './errors.js';
import { breakpointEvent, hwCacheEvent, pmuEvent, rawEvent, splitEventList } from './pmu-events.js';

export interface EventSpec {
  /** The name perf prints (with its modifier, e.g. `cycles:u`). */
  name: string;
  type: number;
  config: bigint;
  excludeUser: boolean;
  excludeKernel: boolean;
  /** perf's unit and scale for counts (task-clock and cpu-clock: msec, 1e-6). */
  unit: string;
  scale: number;
  /** attr.config1 (breakpoints: bp_addr), config2 (bp_len), bp_type, when the event sets them. */
  config1?: bigint;
  config2?: bigint;
  bpType?: number;
  /** A sample period the event itself asks for (PMU term period=; sampling only, counting ignores it as perf stat does). */
  period?: bigint;
}

const HW: Record<string, number> = {
  cycles: 0,
  'cpu-cycles': 0,
  instructions: 1,
  'cache-references': 2,
  'cache-misses': 3,
  branches: 4,
  'branch-instructions': 4,
  'branch-misses': 5,
  'bus-cycles': 6,
  'stalled-cycles-frontend': 7,
  'idle-cycles-frontend': 7,
  'stalled-cycles-backend': 8,
  'idle-cycles-backend': 8,
  'ref-cycles': 9,
};
const SW: Record<string, number> = {
  'cpu-clock': 0,
  'task-clock': 1,
  'page-faults': 2,
  faults: 2,
  'context-switches': 3,
  cs: 3,
  'cpu-migrations': 4,
  migrations: 4,
  'minor-faults': 5,
  'major-faults': 6,
  'alignment-faults': 7,
  'emulation-faults': 8,
  dummy: 9,
  'bpf-output': 10,
  'cgroup-switches': 11,
};

/** The tracefs (or debugfs) events directory, or undefined. */
export function eventsDir(): string | undefined {
  // a directory we may not enter (tracefs is root-only) still counts: reading the id then says EACCES
  for (const d of ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events']) {
    try {
      statSync(d);
      return d;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') return d;
    }
  }
  return undefined;
}

/** A tracepoint's id from tracefs events/SYS/EVENT/id. */
export function tracepointId(sys: string, ev: string): number {
  const dir = eventsDir();
  if (!dir)
    throw new LiveError(LiveErrorCode.UnknownEvent, 'Cannot find tracefs events (is tracefs mounted?)', {
      context: { event: `${sys}:${ev}` },
    });
  const f = join(dir, sys, ev, 'id');
  let text: string;
  try {
    text = readFileSync(f, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new LiveError(
        LiveErrorCode.NoPermission,
        `No permission to read the tracepoint id of ${sys}:${ev} from tracefs (run as root)`,
        { context: { file: f, errno: code } },
      );
    throw new LiveError(LiveErrorCode.UnknownEvent, `Unknown tracepoint ${sys}:${ev}`, { context: { file: f } });
  }
  return Number(text.trim());
}

function glob(pat: string): RegExp {
  return new RegExp(
    `^${pat
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/** Resolves one `-e` argument (comma lists and tracepoint globs expand to several). */
export function parseEvents(arg: string): EventSpec[] {
  const out: EventSpec[] = [];
  for (const one of splitEventList(arg)) {
    if (!one) continue;
    out.push(...parseOne(one));
  }
  return out;
}

function parseOne(text: string): EventSpec[] {
  let name = text,
    mod = '';
  const bp = breakpointEvent(text);
  if (bp) return [bp];
  const pmu = pmuEvent(text);
  if (pmu) return [pmu];
  const m = /^(.*?):([ukh]+)$/.exec(text);
  // `SYS:EVENT` also has a colon: a modifier is only u/k/h letters after a known non-tracepoint name
  if (m && (HW[m[1]!] !== undefined || SW[m[1]!] !== undefined || /^r[0-9a-fA-F]+$/.test(m[1]!) || hwCacheEvent(m[1]!, ''))) {
    name = m[1]!;
    mod = m[2]!;
  }
  // hardware cache events: perf names them without the modifier
  const cache = hwCacheEvent(name, mod);
  if (cache) return [cache];
  const raw = rawEvent(name, mod, text);
  if (raw) return [raw];
  const excludeUser = mod !== '' && !mod.includes('u');
  const excludeKernel = mod !== '' && !mod.includes('k');
  const shown = mod ? `${name}:${mod}` : name;
  if (HW[name] !== undefined)
    return [{ name: shown, type: AttrType.Hardware, config: BigInt(HW[name]!), excludeUser, excludeKernel, unit: '', scale: 1 }];
  if (SW[name] !== undefined) {
    const clock = name === 'cpu-clock' || name === 'task-clock';
    return [
      {
        name: shown,
        type: AttrType.Software,
        config: BigInt(SW[name]!),
        excludeUser,
        excludeKernel,
        unit: clock ? 'msec' : '',
        scale: clock ? 1e-6 : 1,
      },
    ];
  }
  const tp = /^([^:/]+)[:/]([^:/]+)$/.exec(text);
  if (!tp) throw new LiveError(LiveErrorCode.UnknownEvent, `Unknown event ${text} (see utp list -e, or perf list)`, {});
  const [, sys, ev] = tp as unknown as [string, string, string];
  if (/[*?]/.test(sys) || /[*?]/.test(ev)) {
    const dir = eventsDir();
    const found: EventSpec[] = [];
    if (dir) {
      const sre = glob(sys),
        ere = glob(ev);
      for (const s of readdirSync(dir).sort()) {
        if (!sre.test(s) || !existsSync(join(dir, s, 'enable'))) continue;
        let evs: string[] = [];
        try {
          evs = readdirSync(join(dir, s)).sort();
        } catch {
          continue;
        }
        for (const e of evs) if (ere.test(e) && existsSync(join(dir, s, e, 'id'))) found.push(tpSpec(s, e));
      }
    }
    if (!found.length) throw new LiveError(LiveErrorCode.UnknownEvent, `No tracepoint matches ${text}`, {});
    return found;
  }
  return [tpSpec(sys, ev)];
}

function tpSpec(sys: string, ev: string): EventSpec {
  return {
    name: `${sys}:${ev}`,
    type: AttrType.Tracepoint,
    config: BigInt(tracepointId(sys, ev)),
    excludeUser: false,
    excludeKernel: false,
    unit: '',
    scale: 1,
  };
}
