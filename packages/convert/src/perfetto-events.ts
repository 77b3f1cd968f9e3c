/**
 * The ftrace events Perfetto has typed messages for, with Perfetto's own field numbers
 * (protos/perfetto/trace/ftrace/{ftrace_event,sched,task,irq,print,raw_syscalls}.proto; the
 * subset we write is ../proto/perfetto_subset.proto). A kernel field is matched by name; a field
 * of the kernel's that the message lacks is not written (`dropped`), and an event whose fields
 * do not fit their message's types goes out as a GenericFtraceEvent instead.
 */

/** How a message field is encoded. */
export type ProtoType = 'string' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'repeated uint64';

export interface TypedEvent {
  /** The FtraceEvent oneof field number. */
  readonly number: number;
  /** Message field name → [number, type]. */
  readonly fields: Readonly<Record<string, readonly [number, ProtoType]>>;
}

const WAKEUP = { comm: [1, 'string'], pid: [2, 'int32'], prio: [3, 'int32'], success: [4, 'int32'], target_cpu: [5, 'int32'] } as const;
const SOFTIRQ = { vec: [1, 'uint32'] } as const;

/** system:name → the typed message. */
export const TYPED_EVENTS: Readonly<Record<string, TypedEvent>> = {
  'ftrace:print': { number: 3, fields: { ip: [1, 'uint64'], buf: [2, 'string'] } },
  'sched:sched_switch': {
    number: 4,
    fields: {
      prev_comm: [1, 'string'],
      prev_pid: [2, 'int32'],
      prev_prio: [3, 'int32'],
      prev_state: [4, 'int64'],
      next_comm: [5, 'string'],
      next_pid: [6, 'int32'],
      next_prio: [7, 'int32'],
    },
  },
  'sched:sched_wakeup': { number: 17, fields: WAKEUP },
  'sched:sched_waking': { number: 20, fields: WAKEUP },
  'irq:softirq_entry': { number: 24, fields: SOFTIRQ },
  'irq:softirq_exit': { number: 25, fields: SOFTIRQ },
  'irq:softirq_raise': { number: 26, fields: SOFTIRQ },
  'irq:irq_handler_entry': { number: 36, fields: { irq: [1, 'int32'], name: [2, 'string'], handler: [3, 'uint32'] } },
  'irq:irq_handler_exit': { number: 37, fields: { irq: [1, 'int32'], ret: [2, 'int32'] } },
  'sched:sched_wakeup_new': { number: 114, fields: WAKEUP },
  'task:task_newtask': {
    number: 235,
    fields: { pid: [1, 'int32'], comm: [2, 'string'], clone_flags: [3, 'uint64'], oom_score_adj: [4, 'int32'] },
  },
  'task:task_rename': {
    number: 236,
    fields: { pid: [1, 'int32'], oldcomm: [2, 'string'], newcomm: [3, 'string'], oom_score_adj: [4, 'int32'] },
  },
  'sched:sched_process_exec': { number: 237, fields: { filename: [1, 'string'], pid: [2, 'int32'], old_pid: [3, 'int32'] } },
  'sched:sched_process_exit': { number: 238, fields: { comm: [1, 'string'], pid: [2, 'int32'], tgid: [3, 'int32'], prio: [4, 'int32'] } },
  'sched:sched_process_fork': {
    number: 239,
    fields: { parent_comm: [1, 'string'], parent_pid: [2, 'int32'], child_comm: [3, 'string'], child_pid: [4, 'int32'] },
  },
  'sched:sched_process_free': { number: 240, fields: { comm: [1, 'string'], pid: [2, 'int32'], prio: [3, 'int32'] } },
  'raw_syscalls:sys_enter': { number: 329, fields: { id: [1, 'int64'], args: [2, 'repeated uint64'] } },
  'raw_syscalls:sys_exit': { number: 330, fields: { id: [1, 'int64'], ret: [2, 'int64'] } },
};

/** FtraceEvent's GenericFtraceEvent field, and GenericFtraceEvent's own numbers. */
export const GENERIC = { number: 327, eventName: 1, field: 2, fieldName: 1, str: 3, int: 4, uint: 5 } as const;
