/**
 * What the model derives while events stream in (one pass, fields read from the event in hand):
 * task names over time, per-CPU task intervals (sched_switch), task states with the blocked
 * reason and wakeup latency (sched_waking / sched_wakeup → switch-in), irq and softirq
 * intervals, markers (trace_marker writes) and lost-event spans.
 */
import type { EventClass, LostEvents, StreamEvent, StreamField } from './event-stream.js';
import { GrowF64, GrowI32 } from './grow.js';
import { Intervals, Strings } from './intervals.js';

/** Task states of `TaskStates` intervals. */
export const TaskState = { Running: 0, Runnable: 1, Blocked: 2 } as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** The kernel's prev_state letters (sched_switch: TASK_REPORT bits; 0x100 = preempted "R+"). */
export function stateName(prevState: number): string {
  const s = prevState & 0xff;
  if (s === 0) return prevState & 0x100 ? 'R+' : 'R';
  const letters = ['S', 'D', 'T', 't', 'X', 'Z', 'P', 'I'];
  let out = '';
  for (let i = 0; i < 8; i++) if (s & (1 << i)) out += (out ? '|' : '') + letters[i];
  return out + (prevState & 0x100 ? '+' : '');
}

interface Fields {
  [name: string]: StreamField | undefined;
}
function fieldsOf(c: EventClass | undefined): Fields {
  const out: Fields = {};
  if (c) for (const f of c.fields) out[f.name] = f;
  return out;
}

interface TaskNow {
  state: number;
  since: number;
  reason: number;
  cpu: number;
  wakeTs: number;
  waker: number;
  wakeIdx: number;
}

/** The one-pass analyses of one source. Feed `event` for each event (index `i` in the store). */
export class Analyses {
  readonly names = new Strings();
  /** Name changes: pid, ts, name id (the first entry of a pid is its first known name). */
  readonly taskNamePid = new GrowI32();
  readonly taskNameTs = new GrowF64();
  readonly taskNameId = new GrowI32();
  private readonly currentName = new Map<number, number>();
  /** Per CPU (of `primaryBuffer`): task intervals. a = pid, b = prev_state at the switch-out (-1: open at the end). */
  readonly cpuIntervals: Intervals[] = [];
  /** Task state intervals: a = pid, b = TaskState, c = reason (prev_state for Blocked/Runnable), d = cpu. */
  readonly states = new Intervals();
  /** Wakeup latencies: start = wakeup ts, end = switch-in ts; a = pid, b = cpu switched in on, c = waker pid, d = wakeup event index. */
  readonly wakeups = new Intervals();
  /** a = cpu, b = irq number (softirq: vector), c = 0 hardirq / 1 softirq, d = name id. */
  readonly irqs = new Intervals();
  /** Event indexes of markers (ftrace print/bprint/bputs: trace_marker writes, trace_printk). */
  readonly markers = new GrowI32();
  /** a = cpu, b = count (-1 unknown), c = buffer; start = last event before on that CPU (or ts). */
  readonly lost = new Intervals();
  private readonly cpuCur: Array<{ pid: number; start: number; first: number; last: number; seen: number } | undefined> = [];
  private readonly tasks = new Map<number, TaskNow>();
  private readonly irqOpen: Array<Array<{ start: number; irq: number; kind: number; name: number }>> = [];
  private lastTs = 0;
  /**
   * The buffer whose sched/irq events make the CPU intervals, task states, wakeups and irqs: the one
   * of the first event. Instances recording the same CPUs would otherwise count every switch twice.
   */
  primaryBuffer = -1;
  // class ids of interest
  private readonly switchId: number;
  private readonly sw: Fields;
  private readonly wakingId: number;
  private readonly wakeupId: number;
  private readonly wakeupNewId: number;
  private readonly wk: Fields;
  private readonly irqEntry: number;
  private readonly irqExit: number;
  private readonly ie: Fields;
  private readonly softEntry: number;
  private readonly softExit: number;
  private readonly se: Fields;
  private readonly forkId: number;
  private readonly fk: Fields;
  private readonly renameId: number;
  private readonly rn: Fields;
  private readonly markerClass: Uint8Array;

  constructor(
    readonly classes: readonly EventClass[],
    private readonly commOf: (pid: number) => string | undefined,
  ) {
    const find = (sys: string, name: string) => classes.find((c) => c.name === name && (c.system === sys || sys === '*'));
    const id = (c: EventClass | undefined) => c?.id ?? -2;
    const sw = find('sched', 'sched_switch');
    this.switchId = id(sw);
    this.sw = fieldsOf(sw);
    const waking = find('sched', 'sched_waking');
    this.wakingId = id(waking);
    const wakeup = find('sched', 'sched_wakeup');
    this.wakeupId = id(wakeup);
    this.wakeupNewId = id(find('sched', 'sched_wakeup_new'));
    this.wk = fieldsOf(wakeup ?? waking);
    const ie = find('irq', 'irq_handler_entry');
    this.irqEntry = id(ie);
    this.ie = fieldsOf(ie);
    const ix = find('irq', 'irq_handler_exit');
    this.irqExit = id(ix);
    const se = find('irq', 'softirq_entry');
    this.softEntry = id(se);
    this.se = fieldsOf(se);
    this.softExit = id(find('irq', 'softirq_exit'));
    const fk = find('sched', 'sched_process_fork');
    this.forkId = id(fk);
    this.fk = fieldsOf(fk);
    const rn = find('task', 'task_rename');
    this.renameId = id(rn);
    this.rn = fieldsOf(rn);
    this.markerClass = new Uint8Array(classes.length + 1);
    for (const c of classes)
      if (c.system === 'ftrace' && (c.name === 'print' || c.name === 'bprint' || c.name === 'bputs')) this.markerClass[c.id] = 1;
  }

  /** Name id of a pid at the start (saved cmdlines), interning it. */
  private noteName(pid: number, ts: number, name: string): void {
    const id = this.names.id(name);
    const cur = this.currentName.get(pid);
    if (cur === id) return;
    this.currentName.set(pid, id);
    this.taskNamePid.push(pid);
    this.taskNameTs.push(cur === undefined ? -Infinity : ts);
    this.taskNameId.push(id);
  }

  private seePid(pid: number, ts: number): void {
    if (this.currentName.has(pid)) return;
    this.noteName(pid, ts, this.commOf(pid) ?? '<...>');
  }

  private cpuState(cpu: number, ts: number) {
    let c = this.cpuCur[cpu];
    if (!c) {
      c = { pid: -1, start: ts, first: ts, last: ts, seen: -2 };
      this.cpuCur[cpu] = c;
      this.irqOpen[cpu] = [];
      while (this.cpuIntervals.length <= cpu) this.cpuIntervals.push(new Intervals());
    }
    return c;
  }

  private task(pid: number): TaskNow {
    let t = this.tasks.get(pid);
    if (!t) {
      t = { state: -1, since: 0, reason: 0, cpu: -1, wakeTs: -1, waker: -1, wakeIdx: -1 };
      this.tasks.set(pid, t);
    }
    return t;
  }

  private setState(pid: number, t: TaskNow, ts: number, state: number, reason: number, cpu: number): void {
    if (t.state >= 0 && ts > t.since) this.states.push(t.since, ts, pid, t.state, t.reason, t.cpu);
    t.state = state;
    t.since = ts;
    t.reason = reason;
    t.cpu = cpu;
  }

  event(e: StreamEvent, i: number): void {
    const ts = e.ts;
    const cpu = e.cpu;
    const c = this.cpuCur[cpu] ?? this.cpuState(cpu, ts);
    c.last = ts;
    this.lastTs = ts;
    // most events come from the task that ran the last one on this CPU
    if (e.pid !== c.seen) {
      c.seen = e.pid;
      if (e.pid >= 0) this.seePid(e.pid, ts);
    }
    const k = e.classId;
    if (k < 0) return;
    if (this.markerClass[k]) {
      this.markers.push(i);
      return;
    }
    if (this.primaryBuffer < 0) this.primaryBuffer = e.buffer;
    if (e.buffer !== this.primaryBuffer) return;
    const f = e.fields;
    if (k === this.switchId) {
      const sw = this.sw;
      const prev = sw.prev_pid ? f.int(sw.prev_pid) : e.pid;
      const next = sw.next_pid ? f.int(sw.next_pid) : -1;
      const prevState = sw.prev_state ? f.int(sw.prev_state) : 0;
      if (sw.prev_comm) this.noteName(prev, ts, f.str(sw.prev_comm));
      if (sw.next_comm) this.noteName(next, ts, f.str(sw.next_comm));
      const iv = this.cpuIntervals[cpu]!;
      const runner = c.pid >= 0 ? c.pid : prev;
      if (ts > c.start || c.pid >= 0) iv.push(c.start, ts, runner, prevState);
      c.pid = next;
      c.start = ts;
      const pt = this.task(prev);
      if (prev !== 0) {
        const runnable = (prevState & 0xff) === 0;
        if (pt.state < 0) {
          pt.state = TaskState.Running;
          pt.since = c.first;
          pt.cpu = cpu;
        }
        this.setState(prev, pt, ts, runnable ? TaskState.Runnable : TaskState.Blocked, prevState, cpu);
        pt.wakeTs = runnable ? ts : -1;
        pt.waker = -1;
      }
      if (next !== 0) {
        const nt = this.task(next);
        if (nt.wakeTs >= 0 && nt.state === TaskState.Runnable && nt.reason === -1) {
          this.wakeups.push(nt.wakeTs, ts, next, cpu, nt.waker, nt.wakeIdx);
        }
        if (nt.state < 0) {
          nt.state = TaskState.Runnable;
          nt.since = c.first;
          nt.reason = 0;
        }
        this.setState(next, nt, ts, TaskState.Running, 0, cpu);
        nt.wakeTs = -1;
      }
      return;
    }
    if (k === this.wakingId || k === this.wakeupId || k === this.wakeupNewId) {
      const pidF = this.wk.pid;
      if (!pidF) return;
      const pid = f.int(pidF);
      const t = this.task(pid);
      if (this.wk.comm) this.noteName(pid, ts, f.str(this.wk.comm));
      // a wakeup starts the wait for a CPU; sched_wakeup after sched_waking of the same wakeup is ignored
      if (t.state === TaskState.Blocked || t.state < 0) {
        this.setState(pid, t, ts, TaskState.Runnable, -1, -1);
        t.wakeTs = ts;
        t.waker = e.pid;
        t.wakeIdx = i;
      }
      return;
    }
    if (k === this.irqEntry || k === this.softEntry) {
      const soft = k === this.softEntry ? 1 : 0;
      const fl = soft ? this.se : this.ie;
      const num = soft ? (fl.vec ? f.int(fl.vec) : 0) : fl.irq ? f.int(fl.irq) : 0;
      const name = !soft && fl.name ? this.names.id(f.str(fl.name)) : -1;
      this.irqOpen[cpu]!.push({ start: ts, irq: num, kind: soft, name });
      return;
    }
    if (k === this.irqExit || k === this.softExit) {
      const soft = k === this.softExit ? 1 : 0;
      const open = this.irqOpen[cpu]!;
      for (let j = open.length - 1; j >= 0; j--) {
        const o = open[j]!;
        if (o.kind !== soft) continue;
        this.irqs.push(o.start, ts, cpu, o.irq, soft, o.name);
        open.splice(j, 1);
        break;
      }
      return;
    }
    if (k === this.forkId) {
      const fk = this.fk;
      if (fk.child_pid && fk.child_comm) this.noteName(f.int(fk.child_pid), ts, f.str(fk.child_comm));
      return;
    }
    if (k === this.renameId) {
      const rn = this.rn;
      if (rn.pid && rn.newcomm) this.noteName(f.int(rn.pid), ts, f.str(rn.newcomm));
    }
  }

  lostEvents(l: LostEvents): void {
    const c = this.cpuCur[l.cpu];
    this.lost.push(c ? c.last : l.ts, l.ts, l.cpu, l.count, l.buffer);
  }

  /**
   * A growing trace (utp view --live): makes what was derived so far queryable (the intervals
   * closed since the last call sorted in), leaving the open ones open for the events to come.
   */
  settle(): void {
    this.states.sortByStart();
    this.irqs.sortByStart();
    this.wakeups.sortByStart();
  }

  /** Closes what is still open at the end of the trace. */
  finish(): void {
    const end = this.lastTs;
    for (let cpu = 0; cpu < this.cpuCur.length; cpu++) {
      const c = this.cpuCur[cpu];
      if (!c) continue;
      if (c.pid >= 0 && end > c.start) this.cpuIntervals[cpu]!.push(c.start, end, c.pid, -1);
      for (const o of this.irqOpen[cpu] ?? []) this.irqs.push(o.start, end, cpu, o.irq, o.kind, o.name);
      this.irqOpen[cpu] = [];
    }
    for (const [pid, t] of this.tasks) if (t.state >= 0 && end > t.since) this.states.push(t.since, end, pid, t.state, t.reason, t.cpu);
    this.tasks.clear();
    this.states.sortByStart();
    this.irqs.sortByStart();
    this.wakeups.sortByStart();
    for (const iv of this.cpuIntervals) iv.trim();
    for (const iv of [this.states, this.irqs, this.wakeups, this.lost]) iv.trim();
    this.taskNamePid.trim();
    this.taskNameTs.trim();
    this.taskNameId.trim();
    this.markers.trim();
  }

  /** A task's name at time t (the last change at or before t; its first known name before that). */
  nameAt(pid: number, t: number): string {
    let best = -1;
    const n = this.taskNamePid.length;
    for (let k = 0; k < n; k++) {
      if (this.taskNamePid.get(k) !== pid) continue;
      if (best < 0 || this.taskNameTs.get(k) <= t) best = k;
      else break;
    }
    return best < 0 ? (this.commOf(pid) ?? '<...>') : this.names.get(this.taskNameId.get(best));
  }

  /** Every name a task had, in order, with the time it took it (-Infinity: from the start). */
  namesOf(pid: number): Array<{ ts: number; name: string }> {
    const out: Array<{ ts: number; name: string }> = [];
    for (let k = 0; k < this.taskNamePid.length; k++) {
      if (this.taskNamePid.get(k) === pid) out.push({ ts: this.taskNameTs.get(k), name: this.names.get(this.taskNameId.get(k)) });
    }
    return out;
  }

  get byteLength(): number {
    let b = this.states.byteLength + this.irqs.byteLength + this.wakeups.byteLength + this.lost.byteLength;
    for (const iv of this.cpuIntervals) b += iv.byteLength;
    b +=
      this.taskNamePid.data.byteLength + this.taskNameTs.data.byteLength + this.taskNameId.data.byteLength + this.markers.data.byteLength;
    return b;
  }
}
