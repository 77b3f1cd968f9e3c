import { EventFilter } from '@utp/traceevent';
import type { Field, Tep, TraceRecord } from '@utp/traceevent';

/** Builds the -F predicate (undefined when there are no filters). Throws on a bad filter. */
export function makeRecordFilter(
  tep: Tep,
  filters: Array<{ filter: string; negate: boolean }>,
): ((rec: TraceRecord) => boolean) | undefined {
  if (filters.length === 0) return undefined;
  const ef = new EventFilter(tep);
  for (const f of filters) ef.add(f.filter, f.negate);
  if (ef.empty) return undefined;
  return (rec) => ef.accepts(rec);
}

/**
 * trace-cmd's pid filter as one EventFilter matcher: common_pid, or a `pid` / `next_pid` field of the
 * event, is in the set (a missing field is false, as in libtraceevent). Being a matcher, a kernel_stack /
 * user_stack record that misses still prints after a printed event on its CPU (tracecmd_filter_match).
 */
export function addPidMatcher(ef: EventFilter, tep: Tep, set: ReadonlySet<number>): void {
  const byEvent = new Map<number, Field[]>();
  ef.addMatcher((rec, id) => {
    if (set.has(tep.pidOf(rec))) return true;
    let fs = byEvent.get(id);
    if (!fs) {
      const ev = tep.findEventById(id);
      fs = ev ? ev.fields.filter((f) => f.name === 'pid' || f.name === 'next_pid') : [];
      byEvent.set(id, fs);
    }
    for (const f of fs) if (set.has(Number(BigInt.asIntN(32, tep.readFieldSigned(rec, f))))) return true;
    return false;
  });
}
