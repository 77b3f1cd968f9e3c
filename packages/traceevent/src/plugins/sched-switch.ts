/**
 * libtraceevent 1.7.1 plugin_sched_switch: sched_switch, sched_wakeup, sched_wakeup_new.
 * Prints `comm:pid [prio] STATE ==> comm:pid [prio]` with the hard-coded `SDTtZXxW` state
 * letters, and registers every comm it prints with the Tep (later `<...>` comms get names).
 */
import type { Tep } from '../tep/tep.js';
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { anyField, d32, getFieldVal, lld, lluPad, wrapHandler, type PluginOut } from './plugin-util.js';

const STATES = 'SDTtZXxW';

function writeState(val: bigint): string {
  const v = Number(BigInt.asIntN(32, val));
  let s = '';
  for (let i = 0; i < STATES.length; i++) {
    if (!(v & (1 << i))) continue;
    if (s) s += '|';
    s += STATES[i];
  }
  return s || 'R';
}

function writeAndSaveComm(out: PluginOut, tep: Tep, record: TraceRecord, event: EventFormat, name: string, pid: bigint): void {
  const f = anyField(event, name);
  if (!f) return;
  const comm = tep.readString(record, f);
  out.s += comm;
  tep.registerComm(Number(BigInt.asIntN(32, pid)), comm);
  out.s += ':';
}

function schedWakeup(out: PluginOut, record: TraceRecord, event: EventFormat, tep: Tep): boolean {
  const pid = getFieldVal(out, tep, record, event, 'pid', true);
  if (pid === undefined) {
    out.s += '!';
    return true;
  }
  writeAndSaveComm(out, tep, record, event, 'comm', pid);
  out.s += lld(pid);
  const prio = getFieldVal(out, tep, record, event, 'prio', true);
  if (prio !== undefined) out.s += ` [${lld(prio)}]`;
  const success = getFieldVal(out, tep, record, event, 'success', false);
  if (success !== undefined) out.s += ` success=${lld(success)}`;
  const cpu = getFieldVal(out, tep, record, event, 'target_cpu', false);
  if (cpu !== undefined) out.s += ` CPU:${lluPad(cpu, 3)}`;
  return false;
}

function schedSwitch(out: PluginOut, record: TraceRecord, event: EventFormat, tep: Tep): boolean {
  const prevPid = getFieldVal(out, tep, record, event, 'prev_pid', true);
  if (prevPid === undefined) {
    out.s += '!';
    return true;
  }
  writeAndSaveComm(out, tep, record, event, 'prev_comm', prevPid);
  out.s += lld(prevPid) + ' ';
  const prevPrio = getFieldVal(out, tep, record, event, 'prev_prio', true);
  if (prevPrio !== undefined) out.s += `[${d32(prevPrio)}] `;
  const state = getFieldVal(out, tep, record, event, 'prev_state', true);
  if (state !== undefined) out.s += writeState(state);
  out.s += ' ==> ';
  const nextPid = getFieldVal(out, tep, record, event, 'next_pid', true);
  if (nextPid === undefined) {
    out.s += '!';
    return true;
  }
  writeAndSaveComm(out, tep, record, event, 'next_comm', nextPid);
  out.s += lld(nextPid);
  const nextPrio = getFieldVal(out, tep, record, event, 'next_prio', true);
  if (nextPrio !== undefined) out.s += ` [${d32(nextPrio)}]`;
  return false;
}

export function registerSchedSwitchPlugin(tep: Tep): void {
  tep.registerEventHandler('sched', 'sched_switch', wrapHandler(schedSwitch));
  const wake = wrapHandler(schedWakeup);
  tep.registerEventHandler('sched', 'sched_wakeup', wake);
  tep.registerEventHandler('sched', 'sched_wakeup_new', wake);
}
