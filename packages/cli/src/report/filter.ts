import { EventFilter } from '@utp/traceevent';
import type { Tep, TraceRecord } from '@utp/traceevent';

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
