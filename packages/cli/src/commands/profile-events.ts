/**
 * The events trace-cmd 3.1.6 `record --profile` / `profile` enables (trace-record.c enable_profile,
 * profile_add_event): shared by utp profile and utp record --profile.
 */
import type { EventSpec } from '@utp/tracecmd';
import { UsageError } from '../command.js';
import { parseProfileHook } from '../report/profile-hook.js';

/** enable_profile's lists: the first two get a stacktrace trigger. */
const TRIGGER_EVENTS = ['sched:sched_switch', 'sched:sched_wakeup'];
const EVENTS = [
  'exceptions:page_fault_user',
  'irq:irq_handler_entry',
  'irq:irq_handler_exit',
  'irq:softirq_entry',
  'irq:softirq_exit',
  'irq:softirq_raise',
  'sched:sched_process_exec',
  'raw_syscalls',
];

export interface ProfilePlanOptions {
  /** -S: only the user's events and the hooks'. */
  manual: boolean;
  userEvents: EventSpec[];
  hooks: string[];
  /** Does events/SYSTEM[/EVENT] exist in the tracing directory? */
  exists(path: string): boolean;
}

/** The events `trace-cmd profile` enables (profile_add_event skips those the kernel lacks; -H adds its two). */
export function profileEvents(o: ProfilePlanOptions): EventSpec[] {
  const out: EventSpec[] = o.userEvents.map((e) => ({ ...e }));
  const find = (name: string): EventSpec | undefined => {
    const short = name.includes(':') ? name.slice(name.indexOf(':') + 1) : undefined;
    return out.find((e) => e.spec === name || (short !== undefined && e.spec === short));
  };
  const add = (name: string, stack: boolean): void => {
    if (!o.exists(`events/${name.replace(':', '/')}`)) return;
    let ev = find(name);
    if (!ev) {
      ev = { spec: name };
      out.push(ev);
    }
    if (stack && !ev.trigger?.includes('stacktrace')) ev.trigger = 'stacktrace';
  };
  if (!o.manual) {
    for (const e of TRIGGER_EVENTS) add(e, true);
    for (const e of EVENTS) add(e, false);
  }
  for (const h of o.hooks) {
    const hook = parseProfileHook(h);
    if (!hook) throw new UsageError(`profile: invalid hook format '${h}'`);
    const start = `${hook.startSystem ?? '*'}:${hook.startEvent}`;
    const end = `${hook.endSystem ?? '*'}:${hook.endEvent}`;
    let s = out.find((e) => e.spec === start);
    if (!s) {
      s = { spec: start };
      out.push(s);
    }
    if (!out.some((e) => e.spec === end)) out.push({ spec: end });
    if (hook.stack && !s.trigger?.includes('stacktrace')) s.trigger = 'stacktrace';
  }
  return out;
}
