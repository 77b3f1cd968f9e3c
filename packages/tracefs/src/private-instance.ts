/**
 * utp's private instances (`utp-<pid>-<n>`) and the sweep of those whose owner is dead, with
 * their probe groups (`utp_<pid>`). Used at the start of every record and by `utp reset`.
 */
import { readFileSync } from 'node:fs';
import { Instance } from './instance.js';
import { listDynamicEvents, removeDynamicEvent } from './dynamic-events.js';

let counter = 0;
const INSTANCE_RE = /^utp-(\d+)-(\d+)$/;
const GROUP_RE = /^utp_(\d+)$/;

/** Creates a fresh private instance named `utp-<pid>-<n>`. */
export function createPrivateInstance(): Instance {
  for (;;) {
    const name = `utp-${process.pid}-${counter++}`;
    if (!Instance.exists(name)) return Instance.create(name);
  }
}

/** True when a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  // A killed recorder may linger as a zombie until its parent reaps it: that owner is dead too.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Owner pid of a utp instance or probe-group name, or undefined if it is not one of ours. */
export function ownerPid(name: string): number | undefined {
  const m = INSTANCE_RE.exec(name) ?? GROUP_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Disables everything in an instance and removes it (tolerates a half-set-up instance). */
export function destroyInstance(inst: Instance): void {
  if (inst.isTop || !inst.exists()) return;
  try { inst.setTracingOn(false); } catch { /* */ }
  try { inst.disableEvent(); } catch { /* */ }
  inst.remove();
}

export interface SweepResult { instances: string[]; groups: string[]; errors: string[] }

/**
 * Removes utp instances and probe groups whose owner process is dead (`all`: every utp one,
 * whoever owns it, except this process's). Never touches anything not named by utp.
 */
export function sweepStale(opts: { all?: boolean } = {}): SweepResult {
  const res: SweepResult = { instances: [], groups: [], errors: [] };
  const stale = (pid: number | undefined): boolean => pid !== undefined && pid !== process.pid && (opts.all || !pidAlive(pid));
  for (const name of Instance.list('utp-*')) {
    if (!stale(ownerPid(name))) continue;
    try { destroyInstance(Instance.open(name)); res.instances.push(name); } catch (e) { res.errors.push(`${name}: ${(e as Error).message}`); }
  }
  for (const ev of listDynamicEvents()) {
    if (!stale(ownerPid(ev.group))) continue;
    try {
      try { Instance.top().disableEvent(ev.group, ev.name); } catch { /* */ }
      removeDynamicEvent(ev);
      if (!res.groups.includes(ev.group)) res.groups.push(ev.group);
    } catch (e) { res.errors.push(`${ev.group}/${ev.name}: ${(e as Error).message}`); }
  }
  return res;
}
