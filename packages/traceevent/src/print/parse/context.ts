/**
 * What the print-fmt parser and the argument compilers know of the event being printed:
 * its fields, the kernel long size and the plugin functions; and the field lookup that
 * all of them share (common fields first, as libtraceevent's tep_find_any_field).
 */
import type { TepField } from '../../core/event-format.js';
import type { ParserFunction } from './print-arg.js';

export interface ParserContext {
  longSize: number;
  fields: readonly TepField[];
  commonFields: readonly TepField[];
  findFunction(name: string): ParserFunction | undefined;
}

/** tep_find_any_field: a common field, else an event field, by name. */
export function findAnyField(ctx: ParserContext, name: string): TepField | null {
  for (const f of ctx.commonFields) if (f.name === name) return f;
  for (const f of ctx.fields) if (f.name === name) return f;
  return null;
}
