/**
 * libtraceevent 1.7.1 plugin_hrtimer: hrtimer_expire_entry and hrtimer_start.
 * The function is printed as `name/0x(symbol address - value)` (wraps for a non-zero offset).
 */
import type { Tep } from '../tep/tep.js';
import {
  eventField,
  funcFieldText,
  hex,
  llu,
  printNumField,
  readNum,
  wrapHandler,
  type SeqHandler,
  type PluginOut,
} from './plugin-util.js';
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';

const hx = (v: bigint): string => '0x' + hex(v);

function timerField(out: PluginOut, tep: Tep, record: TraceRecord, event: EventFormat): void {
  if (!printNumField(out, hx, tep, record, event, 'timer', false)) printNumField(out, hx, tep, record, event, 'hrtimer', true);
}

function funcField(out: PluginOut, tep: Tep, record: TraceRecord, event: EventFormat): void {
  const v = readNum(tep, record, eventField(event, 'function'));
  if (v !== undefined) out.s += ' function=' + funcFieldText(tep, v);
}

const expire: SeqHandler = (out, record, event, tep) => {
  out.s += 'hrtimer=';
  timerField(out, tep, record, event);
  out.s += ' now=';
  printNumField(out, llu, tep, record, event, 'now', true);
  funcField(out, tep, record, event);
  return false;
};

const start: SeqHandler = (out, record, event, tep) => {
  out.s += 'hrtimer=';
  timerField(out, tep, record, event);
  funcField(out, tep, record, event);
  out.s += ' expires=';
  printNumField(out, llu, tep, record, event, 'expires', true);
  out.s += ' softexpires=';
  printNumField(out, llu, tep, record, event, 'softexpires', true);
  return false;
};

export function registerHrtimerPlugin(tep: Tep): void {
  tep.registerEventHandler('timer', 'hrtimer_expire_entry', wrapHandler(expire));
  tep.registerEventHandler('timer', 'hrtimer_start', wrapHandler(start));
}
