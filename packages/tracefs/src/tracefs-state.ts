/**
 * A summary of tracefs' global state, to prove that a recording left it as found
 * (tests compare a snapshot before and after).
 */
import { existsSync, readFileSync } from 'node:fs';
import { tracingDir } from './paths.js';
import { Instance } from './instance.js';
import { ownerOf, ownerAlive, ownedBySelf } from './private-instance.js';

const TOP_FILES = [
  'tracing_on',
  'current_tracer',
  'set_event',
  'set_event_pid',
  'buffer_size_kb',
  'buffer_subbuf_size_kb',
  'buffer_percent',
  'trace_clock',
  'tracing_cpumask',
  'trace_options',
  'saved_cmdlines_size',
  'dynamic_events',
  'uprobe_events',
  'kprobe_events',
  'synthetic_events',
  'timestamp_mode',
];

export type TraceFsState = Record<string, string>;

/** Reads the top-level settings, the instance list and the dynamic events. */
export function traceFsState(): TraceFsState {
  const root = tracingDir();
  const st: TraceFsState = {};
  for (const f of TOP_FILES) {
    const p = `${root}/${f}`;
    if (existsSync(p)) {
      try {
        st[f] = readFileSync(p, 'latin1');
      } catch {
        st[f] = '<unreadable>';
      }
    }
  }
  st['instances'] = Instance.list().join(' ');
  return st;
}

export interface DiffOptions {
  /**
   * Tolerate other tracing users working at the same time: compare only utp's instances
   * (`utp-*`) and probe groups, and the top-level files only when no foreign instance
   * existed at either moment (a concurrent trace-cmd toggles top-level files). Instances and
   * probe groups of another live utp process (not this one; a dead owner's are leftovers, as
   * from our own children) are foreign too.
   */
  ignoreForeign: boolean;
}

/** A utp name owned by this process or by a dead one (a leftover that counts against us). */
const isUtp = (name: string): boolean => {
  if (!name.startsWith('utp-') || ownerOf(name) === undefined) return false;
  return ownedBySelf(name) || !ownerAlive(name);
};

/** Lines naming what differs between two states ([] when equal). */
export function diffTraceFsState(a: TraceFsState, b: TraceFsState, opts: Partial<DiffOptions> = {}): string[] {
  const out: string[] = [];
  let keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  if (opts.ignoreForeign) {
    const ia = (a['instances'] ?? '').split(' ').filter(Boolean),
      ib = (b['instances'] ?? '').split(' ').filter(Boolean);
    const foreign = [...ia, ...ib].some((n) => !isUtp(n));
    const ua = ia.filter(isUtp).join(' '),
      ub = ib.filter(isUtp).join(' ');
    if (ua !== ub) out.push(`utp instances: ${JSON.stringify(ua)} -> ${JSON.stringify(ub)}`);
    keys.delete('instances');
    if (foreign) {
      const probes = (t: string | undefined): string =>
        (t ?? '')
          .split('\n')
          .filter((l) => {
            const g = /:(utp_\d+(?:_\d+)?)\//.exec(l)?.[1];
            return g !== undefined && (ownedBySelf(g) || !ownerAlive(g));
          })
          .join('\n');
      for (const f of ['dynamic_events', 'uprobe_events', 'kprobe_events']) {
        if (probes(a[f]) !== probes(b[f]))
          out.push(`utp probes in ${f}: ${JSON.stringify(probes(a[f]))} -> ${JSON.stringify(probes(b[f]))}`);
      }
      keys = new Set();
    }
  }
  for (const k of keys) {
    if (a[k] !== b[k]) out.push(`${k}: ${JSON.stringify(a[k])} -> ${JSON.stringify(b[k])}`);
  }
  return out;
}
