/**
 * `utp convert`'s selection of records, for every input and output: a time range (`--from-time`,
 * `--to-time`, inclusive, in trace-cmd report's time: seconds with up to 9 decimals), event names
 * (`--events`), tasks (`--pid`, `--comm`: as trace-cmd report's --pid, common_pid or a `pid` /
 * `next_pid` field), CPUs (`--cpu`), and trace-cmd filter expressions (`-F`, @utp/traceevent's
 * EventFilter as `utp report -F` uses it). -F, --events and --pid/--comm run on every record first
 * (each an EventFilter whose stack-trace state follows every record, as in trace-cmd), then the
 * other tests.
 */
import { EventFilter } from '@utp/traceevent';
import type { KRecord, Tep } from '@utp/traceevent';
import type { Selection } from '@utp/model';
import { UsageError } from '../command.js';
import { addPidMatcher } from '../report/filter.js';

export interface SelectOptions {
  fromNs: bigint | undefined;
  toNs: bigint | undefined;
  events: string[];
  pids: string[];
  comms: string[];
  cpus: string[];
  filters: string[];
}

export const emptySelect = (): SelectOptions => ({
  fromNs: undefined,
  toNs: undefined,
  events: [],
  pids: [],
  comms: [],
  cpus: [],
  filters: [],
});

export function hasSelection(s: SelectOptions): boolean {
  return (
    s.fromNs !== undefined ||
    s.toNs !== undefined ||
    s.events.length > 0 ||
    s.pids.length > 0 ||
    s.comms.length > 0 ||
    s.cpus.length > 0 ||
    s.filters.length > 0
  );
}

/** "SECONDS[.FRACTION]" (trace-cmd report's time) or "Nns" → ns. */
export function parseTime(opt: string, v: string): bigint {
  let m = /^(\d+)ns$/.exec(v);
  if (m) return BigInt(m[1]!);
  m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw new UsageError(`convert: ${opt} '${v}': expected seconds as trace-cmd report prints them (e.g. 1234.567890) or NNNns`);
  return BigInt(m[1]!) * 1000000000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function list(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).filter((x) => x !== '');
}

function globRe(g: string): RegExp {
  return new RegExp(
    '^' +
      g
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
}

/**
 * The predicate of `s` over records of `tep` (undefined when nothing is selected). `shown(rec)`
 * is the record's time as trace-cmd report prints it. Unknown events, CPUs or comms warn through `warn`.
 */
export function makeSelector(
  tep: Tep,
  s: SelectOptions,
  shown: (rec: KRecord) => bigint,
  warn: (msg: string) => void,
): ((rec: KRecord) => boolean) | undefined {
  if (!hasSelection(s)) return undefined;
  const tests: Array<(rec: KRecord, id: number) => boolean> = [];
  // -F, --events and --pid/--comm are each an EventFilter: trace-cmd's stack-trace rule (a
  // kernel_stack/user_stack record goes with the event before it on its CPU) holds for each
  const efs: EventFilter[] = [];
  if (s.filters.length) {
    const ef = new EventFilter(tep);
    efs.push(ef);
    for (const f of s.filters) {
      try {
        ef.add(f, false);
      } catch (e) {
        throw new UsageError(`convert: -F '${f}': ${(e as Error).message}`);
      }
    }
  }
  if (s.events.length) {
    const ids = new Set<number>();
    for (const e of list(s.events)) {
      const [sys, name] = e.includes(':') ? e.split(':', 2) : [undefined, e];
      const sre = sys !== undefined ? globRe(sys) : undefined,
        nre = globRe(name!);
      let n = 0;
      for (const ev of tep.events) {
        // "sched" alone names a system (every event of it), as trace-cmd -e does
        const hit = sre ? sre.test(ev.system) && nre.test(ev.name) : nre.test(ev.name) || nre.test(ev.system);
        if (hit) {
          ids.add(ev.id);
          n++;
        }
      }
      if (!n) warn(`--events: no event matches '${e}'`);
    }
    const ef = new EventFilter(tep);
    ef.addMatcher((_r, id) => ids.has(id));
    efs.push(ef);
  }
  if (s.cpus.length) {
    const cpus = new Set<number>();
    for (const c of list(s.cpus)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(c);
      if (!m) throw new UsageError(`convert: --cpu '${c}': expected CPU numbers or ranges (0,2-3)`);
      for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) cpus.add(i);
    }
    tests.push((r) => cpus.has(r.cpu));
  }
  if (s.pids.length || s.comms.length) {
    const set = new Set<number>();
    for (const p of list(s.pids)) {
      if (!/^\d+$/.test(p)) throw new UsageError(`convert: --pid '${p}': expected process ids`);
      set.add(Number(p));
    }
    for (const c of list(s.comms)) {
      const found = tep.cmdlines.pidsOf(c);
      if (!found.length) warn(`--comm: ${c} not in the saved cmdlines`);
      for (const p of found) set.add(p);
    }
    const ef = new EventFilter(tep);
    efs.push(ef);
    addPidMatcher(ef, tep, set);
  }
  const from = s.fromNs,
    to = s.toNs;
  if (from !== undefined || to !== undefined)
    tests.push((rec) => {
      const t = shown(rec);
      return (from === undefined || t >= from) && (to === undefined || t <= to);
    });
  return (rec) => {
    // every EventFilter sees every record (their stack-trace state follows each CPU)
    let ok = true;
    for (const ef of efs) if (!ef.accepts(rec)) ok = false;
    if (!ok) return false;
    const id = tep.eventOf(rec)?.id ?? -1;
    for (const t of tests) if (!t(rec, id)) return false;
    return true;
  };
}

/**
 * The selection as @utp/model's SelectSource takes it (the event-stream path to JSON / Perfetto):
 * lists split and checked here, with the same usage errors as makeSelector's.
 */
export function toSelection(s: SelectOptions): Selection {
  const pids: number[] = [];
  for (const p of list(s.pids)) {
    if (!/^\d+$/.test(p)) throw new UsageError(`convert: --pid '${p}': expected process ids`);
    pids.push(Number(p));
  }
  const cpus: number[] = [];
  for (const c of list(s.cpus)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(c);
    if (!m) throw new UsageError(`convert: --cpu '${c}': expected CPU numbers or ranges (0,2-3)`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) cpus.push(i);
  }
  return { fromNs: s.fromNs, toNs: s.toNs, events: list(s.events), pids, comms: list(s.comms), cpus, filters: s.filters };
}
