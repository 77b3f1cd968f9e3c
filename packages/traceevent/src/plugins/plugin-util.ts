/**
 * Helpers shared by the plugins: field reads with libtraceevent's error texts, and the
 * few printf conversions the plugins use. Internal to plugins/ (not re-exported).
 */
import type { Field, TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import type { EventHandler, Tep } from '../tep/tep.js';

/** Output of a plugin handler: text, and whether the event's own print fmt follows it
 *  (libtraceevent prints the pretty format after a handler that returns non-zero). */
export interface PluginOut {
  s: string;
}

/** A handler written like libtraceevent's: appends to `out.s`, returns true when the
 *  normal print fmt must be appended (C handler returned non-zero). */
export type SeqHandler = (out: PluginOut, record: TraceRecord, event: EventFormat, tep: Tep) => boolean;

/** Wraps a SeqHandler into the Tep's EventHandler contract. */
export function wrapHandler(h: SeqHandler): EventHandler {
  const handler: EventHandler = (record, event, tep) => {
    const out: PluginOut = { s: '' };
    if (h(out, record, event, tep)) return out.s + tep.formatInfo(record, event, 'noplugins');
    return out.s;
  };
  // the byte form: the handler's own text, then the print fmt emitted without a string
  handler.emit = (record, event, tep, o) => {
    const out: PluginOut = { s: '' };
    const more = h(out, record, event, tep);
    if (out.s.length) o.latin1(out.s);
    if (more) tep.emitInfo(record, event, 'noplugins', o);
  };
  return handler;
}

const U64 = (1n << 64n) - 1n;

/** Field of the event itself (tep_find_field: not the common fields). */
export function eventField(event: EventFormat, name: string): Field | undefined {
  const f = event.field(name);
  // event.field() searches the event's own fields first; a common field hit means "not found"
  if (f !== undefined && name.startsWith('common_') && !event.fields.includes(f)) return undefined;
  return f;
}

/** Any field, common fields first (tep_find_any_field). */
export function anyField(event: EventFormat, name: string): Field | undefined {
  for (const f of event.commonFields) if (f.name === name) return f;
  return event.field(name);
}

/** tep_read_number_field: only sizes 1, 2, 4, 8 are readable. */
export function readNum(tep: Tep, record: TraceRecord, field: Field | undefined): bigint | undefined {
  if (field === undefined) return undefined;
  const sz = field.size;
  if (sz !== 1 && sz !== 2 && sz !== 4 && sz !== 8) return undefined;
  return tep.readField(record, field);
}

/** tep_get_field_val: the value, or undefined after writing the error text when `err`. */
export function getFieldVal(
  out: PluginOut,
  tep: Tep,
  record: TraceRecord,
  event: EventFormat,
  name: string,
  err: boolean,
): bigint | undefined {
  const f = eventField(event, name);
  if (f === undefined) {
    if (err) out.s += `<CANT FIND FIELD ${name}>`;
    return undefined;
  }
  const v = readNum(tep, record, f);
  if (v === undefined && err) out.s += ` ${name}=INVALID`;
  return v;
}

/** tep_print_num_field: returns false on failure (after "CAN'T FIND FIELD" when err). */
export function printNumField(
  out: PluginOut,
  fmt: (v: bigint) => string,
  tep: Tep,
  record: TraceRecord,
  event: EventFormat,
  name: string,
  err: boolean,
): boolean {
  const v = readNum(tep, record, eventField(event, name));
  if (v === undefined) {
    if (err) out.s += `CAN'T FIND FIELD "${name}"`;
    return false;
  }
  out.s += fmt(v);
  return true;
}

/** tep_print_func_field's value text: `name/0x(addr-val)` or `0x%08llx`. */
export function funcFieldText(tep: Tep, val: bigint): string {
  const sym = tep.findFunction(val);
  if (sym) return `${sym.name}/0x${((sym.addr - val) & U64).toString(16)}`;
  return '0x' + hex(val, 8);
}

// ---- printf conversions on 64-bit values (C semantics) ----

/** %llu */
export function llu(v: bigint): string {
  return (v & U64).toString();
}
/** %lld */
export function lld(v: bigint): string {
  return BigInt.asIntN(64, v).toString();
}
/** %d of (int)v */
export function d32(v: bigint): string {
  return BigInt.asIntN(32, v).toString();
}
/** %u of (unsigned)v */
export function u32(v: bigint): string {
  return BigInt.asUintN(32, v).toString();
}
/** %llx, zero-padded to `width` digits (%0Nllx). */
export function hex(v: bigint, width = 0): string {
  const s = (v & U64).toString(16);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}
/** %x of (int)v */
export function hex32(v: bigint): string {
  return BigInt.asUintN(32, v).toString(16);
}
/** %0Nllu */
export function lluPad(v: bigint, width: number): string {
  const s = (v & U64).toString();
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}
