/**
 * What both sinks need to know about tasks while the stream flows: each event class's role
 * (the events that open or close slices, or tell names and thread groups), and a table of the
 * tasks seen with their latest name and their thread group when the trace shows it.
 * Memory grows with the number of tasks, not of events.
 */
import type { EventClass, EventSource, FieldValue } from '@utp/model';

/** PID_MAX_LIMIT on 64-bit Linux: no real pid reaches it, so ids from here on are ours (CPU tracks, per-CPU idle). */
export const PID_LIMIT = 4194304;
/** CLONE_THREAD: the new task joins its parent's thread group. */
const CLONE_THREAD = 0x10000;

export const Role = {
  None: 0,
  SchedSwitch: 1,
  SysEnter: 2,
  SysExit: 3,
  IrqEntry: 4,
  IrqExit: 5,
  SoftirqEntry: 6,
  SoftirqExit: 7,
  NewTask: 8,
  Rename: 9,
  Fork: 10,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

const ROLES: Record<string, Role> = {
  'sched:sched_switch': Role.SchedSwitch,
  'raw_syscalls:sys_enter': Role.SysEnter,
  'raw_syscalls:sys_exit': Role.SysExit,
  'irq:irq_handler_entry': Role.IrqEntry,
  'irq:irq_handler_exit': Role.IrqExit,
  'irq:softirq_entry': Role.SoftirqEntry,
  'irq:softirq_exit': Role.SoftirqExit,
  'task:task_newtask': Role.NewTask,
  'task:task_rename': Role.Rename,
  'sched:sched_process_fork': Role.Fork,
};

export function roleOf(c: EventClass): Role {
  return ROLES[`${c.system}:${c.name}`] ?? Role.None;
}

/** Index of each event field by name (values() lists the event's fields first, in format order). */
export function fieldIndex(c: EventClass): Map<string, number> {
  const m = new Map<string, number>();
  c.fields.forEach((f, i) => {
    m.set(f.name, i);
  });
  return m;
}

type Values = Array<{ name: string; value: FieldValue }>;

export function num(v: FieldValue | undefined): number {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
}
export function str(v: FieldValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

export class TaskTable {
  /** Latest name seen in an event for a pid. */
  private readonly names = new Map<number, string>();
  private readonly tgids = new Map<number, number>();
  /** Every task seen (insertion order: first seen first). */
  readonly seen = new Set<number>();

  constructor(private readonly source: EventSource) {}

  /** The task's thread group: its parent's for a thread created in the trace (task_newtask with CLONE_THREAD), else its own pid. */
  tgidOf(pid: number): number {
    return this.tgids.get(pid) ?? pid;
  }

  /** The name of a task: the latest one an event showed, else the source's (saved cmdlines), else ''. */
  nameOf(pid: number): string {
    const n = this.names.get(pid);
    if (n !== undefined) return n;
    const c = this.source.commOf(pid);
    return c === undefined || c === '<...>' ? '' : c;
  }

  see(pid: number): void {
    if (pid > 0 && !this.seen.has(pid)) this.seen.add(pid);
  }

  /** Learns names and thread groups from the event being pushed. */
  learn(role: Role, idx: Map<string, number>, vals: Values, pid: number): void {
    const get = (n: string): FieldValue | undefined => {
      const i = idx.get(n);
      return i === undefined ? undefined : vals[i]?.value;
    };
    switch (role) {
      case Role.SchedSwitch: {
        const p = num(get('prev_pid')),
          n = num(get('next_pid'));
        if (p > 0) this.name(p, str(get('prev_comm')));
        if (n > 0) this.name(n, str(get('next_comm')));
        break;
      }
      case Role.NewTask: {
        const child = num(get('pid'));
        if (child > 0) {
          this.name(child, str(get('comm')));
          const flags = get('clone_flags');
          const isThread = typeof flags === 'bigint' ? (flags & BigInt(CLONE_THREAD)) !== 0n : (num(flags) & CLONE_THREAD) !== 0;
          if (isThread && pid > 0 && !this.tgids.has(child)) this.tgids.set(child, this.tgidOf(pid));
        }
        break;
      }
      case Role.Rename: {
        const p = num(get('pid'));
        if (p > 0) this.name(p, str(get('newcomm')));
        break;
      }
      case Role.Fork: {
        const c = num(get('child_pid'));
        if (c > 0) this.name(c, str(get('child_comm')));
        break;
      }
    }
  }

  private name(pid: number, comm: string): void {
    if (comm === '') return;
    this.see(pid);
    this.names.set(pid, comm);
  }
}
