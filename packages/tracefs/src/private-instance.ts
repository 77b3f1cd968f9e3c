/**
 * utp's private instances (`utp-<pid>.<start>-<n>`) and the sweep of those whose owner is dead, with
 * their probe groups (`utp_<pid>_<start>`). `<start>` is the owner's start time (/proc/PID/stat
 * field 22, clock ticks since boot): a pid the kernel has recycled for another process does not
 * keep a dead recorder's instance alive. Legacy names without it (`utp-<pid>-<n>`, `utp_<pid>`)
 * are still recognised, by pid alone. Used at the start of every record and by `utp reset`.
 */
import { readFileSync } from 'node:fs';
import { Instance } from './instance.js';
import { listDynamicEvents, removeDynamicEvent } from './dynamic-events.js';
import { sweepSharedInstances } from './shared-instance.js';

let counter = 0;
const INSTANCE_RE = /^utp-(\d+)(?:\.(\d+))?-(\d+)$/;
const GROUP_RE = /^utp_(\d+)(?:_(\d+))?$/;

/** The start time of a process (/proc/PID/stat field 22, in clock ticks since boot), or undefined if it is gone. */
export function procStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const v = Number(f[22 - 3]);
  return Number.isFinite(v) ? v : undefined;
}

let selfStart: number | undefined;
/** This process's own start time (cached). */
export function selfStartTime(): number {
  if (selfStart === undefined) selfStart = procStartTime(process.pid) ?? 0;
  return selfStart;
}

/** `<pid>.<start>`: what ties a name to this very process. */
export function ownerToken(): string {
  return `${process.pid}.${selfStartTime()}`;
}

/** Creates a fresh private instance named `utp-<pid>.<start>-<n>`. */
export function createPrivateInstance(): Instance {
  for (;;) {
    const name = `utp-${ownerToken()}-${counter++}`;
    if (!Instance.exists(name)) return Instance.create(name);
  }
}

/**
 * True when a process with this pid exists (and, given `start`, is the process that started then:
 * a recycled pid is another process, so the owner is dead).
 */
export function pidAlive(pid: number, start?: number): boolean {
  if (pid === process.pid && (start === undefined || start === selfStartTime())) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return start === undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A killed recorder may linger as a zombie until its parent reaps it: that owner is dead too.
  if (f[0] === 'Z') return false;
  return start === undefined || Number(f[22 - 3]) === start;
}

export interface Owner {
  pid: number;
  start?: number;
}

/** Owner of a utp instance or probe-group name (pid, and start time when the name has it), or undefined. */
export function ownerOf(name: string): Owner | undefined {
  const m = INSTANCE_RE.exec(name) ?? GROUP_RE.exec(name);
  if (!m) return undefined;
  return m[2] !== undefined ? { pid: Number(m[1]), start: Number(m[2]) } : { pid: Number(m[1]) };
}

/** Owner pid of a utp instance or probe-group name, or undefined if it is not one of ours. */
export function ownerPid(name: string): number | undefined {
  return ownerOf(name)?.pid;
}

/** True when the name is utp's and its owner (pid + start time) still runs. */
export function ownerAlive(name: string): boolean {
  const o = ownerOf(name);
  return o !== undefined && pidAlive(o.pid, o.start);
}

/** True when the name was made by this very process. */
export function ownedBySelf(name: string): boolean {
  const o = ownerOf(name);
  return o !== undefined && o.pid === process.pid && (o.start === undefined || o.start === selfStartTime());
}

/** Disables everything in an instance and removes it (tolerates a half-set-up instance). */
export function destroyInstance(inst: Instance): void {
  if (inst.isTop || !inst.exists()) return;
  try {
    inst.setTracingOn(false);
  } catch {
    /* */
  }
  try {
    inst.disableEvent();
  } catch {
    /* */
  }
  inst.remove();
}

export interface SweepResult {
  instances: string[];
  groups: string[];
  errors: string[];
}

/**
 * Removes utp instances and probe groups whose owner process is dead (`all`: every utp one,
 * whoever owns it, except this process's), and `-B NAME` instances utp created whose users are
 * all dead. Never touches anything not named (or created) by utp.
 */
export function sweepStale(opts: { all?: boolean } = {}): SweepResult {
  const res: SweepResult = { instances: [], groups: [], errors: [] };
  const stale = (name: string): boolean => ownerOf(name) !== undefined && !ownedBySelf(name) && (!!opts.all || !ownerAlive(name));
  for (const name of Instance.list('utp-*')) {
    if (!stale(name)) continue;
    try {
      destroyInstance(Instance.open(name));
      res.instances.push(name);
    } catch (e) {
      res.errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  for (const ev of listDynamicEvents()) {
    if (!stale(ev.group)) continue;
    try {
      try {
        Instance.top().disableEvent(ev.group, ev.name);
      } catch {
        /* */
      }
      removeDynamicEvent(ev);
      if (!res.groups.includes(ev.group)) res.groups.push(ev.group);
    } catch (e) {
      res.errors.push(`${ev.group}/${ev.name}: ${(e as Error).message}`);
    }
  }
  sweepSharedInstances(res);
  return res;
}
