/**
 * The analysis of `utp report --profile` (trace-cmd 3.1.6 trace-profile.c, learnt from its
 * behaviour and source, written anew): per task, how long each kind of event "lasted" —
 * scheduled out per prev_state (sched_switch → the switch back in), wakeup latency (sched_wakeup
 * → sched_switch in), irq and softirq handlers, softirq raise → entry, syscalls (raw_syscalls),
 * function graph entry → exit, pairs given with -H — and a count of every other event per value
 * of its first field. A kernel_stack record (a `stacktrace` trigger) is attached to the pair it
 * follows, so each timed event also gets the call stacks that led to it.
 *
 * One TraceProfile per buffer; feed it the records in trace-cmd's order (`addRecord`), then
 * `profileSections` (profile-output.ts) sorts and merges them and `formatSection` prints them.
 */
import type { EventFormat, Field, KRecord, Tep } from '@utp/traceevent';
import type { ProfileHook } from './profile-hook.js';

export type ProfileEventKind =
  | 'undefined'
  | 'stack'
  | 'sched_switch'
  | 'wakeup'
  | 'func'
  | 'syscall'
  | 'irq'
  | 'softirq'
  | 'softirq_raise'
  | 'process_exec'
  | 'user_mate';

/** How an event's value is printed in `Event: ...` (trace-cmd's print_func). */
export type ProfilePrint = 'default' | 'sched_switch' | 'softirq' | 'func' | 'syscall';
type Handler = 'pair' | 'sched_switch' | 'sched_wakeup' | 'stacktrace' | 'fgraph_entry' | 'fgraph_exit' | 'process_exec';

/** An event the profile follows (trace-cmd's event_data). */
export class ProfileEventData {
  end: ProfileEventData | undefined;
  start: ProfileEventData | undefined;
  pidField: Field | undefined;
  /** Field of an end event compared with the start's endMatchField value. */
  startMatchField: Field | undefined;
  endMatchField: Field | undefined;
  dataField: Field | undefined;
  print: ProfilePrint = 'default';
  handler: Handler = 'pair';
  migrate = false;
  global = false;
  constructor(
    readonly seq: number,
    readonly event: EventFormat,
    readonly kind: ProfileEventKind,
  ) {}
  get id(): number {
    return this.event.id;
  }
}

/** A call stack (kernel_stack's caller array as recorded, `size` bytes) and the times of the events it led to. */
export interface ProfileStack {
  bytes: Uint8Array;
  count: number;
  time: bigint;
  timeMin: bigint;
  tsMin: bigint;
  timeMax: bigint;
  tsMax: bigint;
}

/** One event of one task for one value (trace-cmd's event_hash): a count, and times when it is a pair. */
export class ProfileEvent {
  count = 0;
  timeTotal = 0n;
  timeMax = 0n;
  tsMax = 0n;
  timeMin = 0n;
  tsMin = 0n;
  lastTime = 0n;
  readonly stacks = new Map<string, ProfileStack>();
  constructor(
    readonly data: ProfileEventData,
    public searchVal: bigint,
    public val: bigint,
  ) {}
}

interface StackRef {
  bytes: Uint8Array;
  ts: bigint;
}

export interface ProfileStart {
  data: ProfileEventData;
  task: ProfileTask;
  ts: bigint;
  searchVal: bigint;
  val: bigint;
  cpu: number;
  migrate: boolean;
  stack: StackRef | undefined;
}

export class ProfileTask {
  sleeping = false;
  comm: string | undefined;
  readonly starts: ProfileStart[] = [];
  readonly events = new Map<string, ProfileEvent>();
  proxy: ProfileTask | undefined;
  lastStart: ProfileStart | undefined;
  lastEvent: ProfileEvent | undefined;
  lastStack: StackRef | undefined;
  constructor(readonly pid: number) {}
}

/** trace-cmd's trace_hash (Paul Hsieh's integer mix, 32-bit). */
export function traceHash(v: number): number {
  let h = 12546869;
  h = (h + (v & 0xffff)) >>> 0;
  const tmp = ((v >>> 16) ^ h) >>> 0;
  h = ((h << 16) ^ tmp) >>> 0;
  h = (h + (h >>> 11)) >>> 0;
  h = (h ^ (h << 3)) >>> 0;
  h = (h + (h >>> 5)) >>> 0;
  h = (h ^ (h << 4)) >>> 0;
  h = (h + (h >>> 17)) >>> 0;
  h = (h ^ (h << 25)) >>> 0;
  h = (h + (h >>> 6)) >>> 0;
  return h;
}

export class ProfileSetupError extends Error {}

const TASK_STATE_MAX = 1024n;

/** tep_read_number_field: only 1, 2, 4 and 8-byte fields are read (unsigned); others leave 0. */
function num(tep: Tep, rec: KRecord, f: Field | undefined): bigint {
  if (!f || (f.size !== 1 && f.size !== 2 && f.size !== 4 && f.size !== 8)) return 0n;
  return tep.readField(rec, f);
}
const asPid = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** add_task_comm: the field's bytes as stored (size bytes, up to the first NUL). */
function rawComm(rec: KRecord, f: Field): string {
  let s = '';
  const base = rec.offset + f.offset;
  for (let i = 0; i < f.size && base + i < rec.page.length; i++) {
    const c = rec.page[base + i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

export interface TraceProfileOptions {
  /** -G: irq and softirq pairs are per CPU, not per task. */
  global: boolean;
  /** -H hooks, in the order trace-cmd applies them (the last given first). */
  hooks: ProfileHook[];
  /** trace-cmd's warnings (an -H event that is not in the file). */
  onWarning?: (message: string) => void;
}

export class TraceProfile {
  /** The event data per id (the latest added wins, as trace-cmd's hash finds it first). */
  private readonly byId = new Map<number, ProfileEventData>();
  private seq = 0;
  private commonPid: Field | undefined;
  private wakeupComm: Field | undefined;
  private switchPrevComm: Field | undefined;
  private switchNextComm: Field | undefined;
  /** Tasks in creation order (trace-cmd's task hash; profile-output.ts derives its bucket order). */
  readonly tasks = new Map<number, ProfileTask>();
  readonly globalTask = new ProfileTask(-1);
  readonly cpuTasks: ProfileTask[];
  private readonly cpuStarts: Array<Set<ProfileStart>>;
  private readonly migrateStarts = new Set<ProfileStart>();

  constructor(
    readonly tep: Tep,
    readonly cpus: number,
    opts: TraceProfileOptions,
  ) {
    this.globalTask.comm = 'Global Events';
    this.cpuTasks = Array.from({ length: cpus }, (_, i) => {
      const t = new ProfileTask(-1 - i);
      t.comm = `Global CPU[${i}] Events`;
      return t;
    });
    this.cpuStarts = Array.from({ length: cpus }, () => new Set<ProfileStart>());
    this.init(opts);
  }

  private add(system: string | undefined, name: string, kind: ProfileEventKind): ProfileEventData | undefined {
    const ev = this.tep.findEvent(system, name);
    if (!ev) return undefined;
    if (!this.commonPid) {
      this.commonPid = ev.commonFields.find((f) => f.name === 'common_pid');
      if (!this.commonPid) throw new ProfileSetupError("No 'common_pid' found in event");
    }
    const ed = new ProfileEventData(this.seq++, ev, kind);
    this.byId.set(ev.id, ed);
    return ed;
  }

  private field(ed: ProfileEventData, name: string): Field {
    const f = ed.event.fields.find((x) => x.name === name);
    if (!f) throw new ProfileSetupError(`Event: ${ed.event.name} does not have field ${name}`);
    return f;
  }

  /** mate_events: `start` ends with `end`, matched by start's endMatch field and end's startMatch field. */
  private mate(
    start: ProfileEventData,
    pidField: string | undefined,
    endMatch: string,
    end: ProfileEventData,
    startMatch: string,
    migrate: boolean,
    global: boolean,
  ): void {
    start.end = end;
    end.start = start;
    if (pidField !== undefined) start.pidField = this.field(start, pidField);
    start.endMatchField = this.field(start, endMatch);
    end.startMatchField = this.field(end, startMatch);
    start.migrate = end.migrate = migrate;
    start.global = end.global = global;
  }

  private init(opts: TraceProfileOptions): void {
    const irqEntry = this.add('irq', 'irq_handler_entry', 'irq');
    const irqExit = this.add('irq', 'irq_handler_exit', 'irq');
    const softEntry = this.add('irq', 'softirq_entry', 'softirq');
    const softExit = this.add('irq', 'softirq_exit', 'softirq');
    const softRaise = this.add('irq', 'softirq_raise', 'softirq_raise');
    const wakeup = this.add('sched', 'sched_wakeup', 'wakeup');
    const sw = this.add('sched', 'sched_switch', 'sched_switch');
    const fgEntry = this.add('ftrace', 'funcgraph_entry', 'func');
    const fgExit = this.add('ftrace', 'funcgraph_exit', 'func');
    const sysEnter = this.add('raw_syscalls', 'sys_enter', 'syscall');
    const sysExit = this.add('raw_syscalls', 'sys_exit', 'syscall');
    const exec = this.add('sched', 'sched_process_exec', 'process_exec');
    const stack = this.add('ftrace', 'kernel_stack', 'stack');
    if (stack) {
      stack.handler = 'stacktrace';
      stack.dataField = this.field(stack, 'caller');
    }
    if (exec) {
      exec.handler = 'process_exec';
      exec.dataField = exec.event.fields.find((f) => f.name === 'old_pid');
    }
    if (sw) {
      sw.handler = 'sched_switch';
      sw.dataField = this.field(sw, 'prev_state');
      this.switchPrevComm = this.field(sw, 'prev_comm');
      this.switchNextComm = this.field(sw, 'next_comm');
      sw.print = 'sched_switch';
      // trace-cmd takes prev_pid and next_pid from the pairing with sched_wakeup below, and
      // dereferences NULL when the file has no sched_wakeup: found here by name instead
      sw.pidField = this.field(sw, 'prev_pid');
      sw.endMatchField = this.field(sw, 'next_pid');
    }
    if (sw && wakeup) {
      this.mate(sw, 'prev_pid', 'next_pid', wakeup, 'pid', true, false);
      this.mate(wakeup, 'pid', 'pid', sw, 'prev_pid', true, false);
      wakeup.handler = 'sched_wakeup';
      wakeup.dataField = wakeup.event.fields.find((f) => f.name === 'success');
      this.wakeupComm = this.field(wakeup, 'comm');
    }
    if (irqEntry && irqExit) this.mate(irqEntry, undefined, 'irq', irqExit, 'irq', false, opts.global);
    if (softEntry) softEntry.print = 'softirq';
    if (softExit) softExit.print = 'softirq';
    if (softRaise) softRaise.print = 'softirq';
    if (softEntry && softExit) this.mate(softEntry, undefined, 'vec', softExit, 'vec', false, opts.global);
    if (softEntry && softRaise) this.mate(softRaise, undefined, 'vec', softEntry, 'vec', false, opts.global);
    if (fgEntry && fgExit) {
      this.mate(fgEntry, undefined, 'func', fgExit, 'func', true, false);
      fgEntry.handler = 'fgraph_entry';
      fgExit.handler = 'fgraph_exit';
      fgEntry.print = 'func';
    }
    if (sysEnter && sysExit) {
      this.mate(sysEnter, undefined, 'id', sysExit, 'id', true, false);
      sysEnter.print = 'syscall';
      sysExit.print = 'syscall';
    }
    const fn = this.add('ftrace', 'function', 'func');
    if (fn) fn.dataField = fn.event.fields.find((f) => f.name === 'ip');
    for (const hook of opts.hooks) {
      const s = this.add(hook.startSystem, hook.startEvent, 'user_mate');
      const e = this.add(hook.endSystem, hook.endEvent, 'user_mate');
      if (!s) {
        opts.onWarning?.(`Event ${hook.startEvent} not found`);
        continue;
      }
      if (!e) {
        opts.onWarning?.(`Event ${hook.endEvent} not found`);
        continue;
      }
      this.mate(s, hook.pid, hook.startMatch, e, hook.endMatch, hook.migrate, hook.global);
    }
    // every other event: counted per value of its first field
    for (const ev of this.tep.events) {
      if (this.byId.has(ev.id)) continue;
      const ed = this.add(ev.system, ev.name, 'undefined');
      if (ed) ed.dataField = ev.fields[0];
    }
  }

  private findTask(pid: number): ProfileTask {
    let t = this.tasks.get(pid);
    if (!t) {
      t = new ProfileTask(pid);
      this.tasks.set(pid, t);
    }
    return t;
  }

  private addStart(task: ProfileTask, ed: ProfileEventData, rec: KRecord, searchVal: bigint, val: bigint): ProfileStart {
    const s: ProfileStart = { data: ed, task, ts: rec.ts, searchVal, val, cpu: rec.cpu, migrate: ed.migrate, stack: undefined };
    task.starts.push(s);
    if (ed.migrate) this.migrateStarts.add(s);
    else this.cpuStarts[rec.cpu]?.add(s);
    return s;
  }

  private freeStart(s: ProfileStart): void {
    const t = s.task;
    if (t.lastStart === s) t.lastStart = undefined;
    const i = t.starts.lastIndexOf(s);
    if (i >= 0) t.starts.splice(i, 1);
    if (s.migrate) this.migrateStarts.delete(s);
    else this.cpuStarts[s.cpu]?.delete(s);
  }

  /** find_event_hash: the task's entry for (event, searchVal, val), made when new. */
  private eventOf(task: ProfileTask, ed: ProfileEventData, searchVal: bigint, val: bigint): ProfileEvent {
    const key = `${ed.seq}:${searchVal}:${val}`;
    let e = task.events.get(key);
    if (!e) {
      e = new ProfileEvent(ed, searchVal, val);
      task.events.set(key, e);
    }
    return e;
  }

  /** add_and_free_start: the pair ends at `ts`; its time goes to the task's (start's event, value) entry. */
  private endStart(task: ProfileTask, s: ProfileStart, ed: ProfileEventData, ts: bigint): ProfileEvent {
    let delta = BigInt.asIntN(64, ts - s.ts);
    if (delta < 0n) delta = 0n;
    const e = this.eventOf(task, ed, s.searchVal, s.val);
    e.count++;
    e.timeTotal = BigInt.asUintN(64, e.timeTotal + delta);
    e.lastTime = delta;
    if (delta > e.timeMax) {
      e.timeMax = delta;
      e.tsMax = ts;
    }
    if (e.count === 1 || delta < e.timeMin) {
      e.timeMin = delta;
      e.tsMin = ts;
    }
    if (s.stack) {
      addStack(e, s.stack.bytes, delta, s.stack.ts);
      s.stack = undefined;
    }
    this.freeStart(s);
    return e;
  }

  private findAndEnd(task: ProfileTask, ed: ProfileEventData | undefined, ts: bigint, searchVal: bigint): ProfileEvent | undefined {
    if (!ed) return undefined;
    const ss = task.starts;
    for (let i = ss.length - 1; i >= 0; i--) {
      const s = ss[i]!;
      if (s.data === ed && s.searchVal === searchVal) return this.endStart(task, s, ed, ts);
    }
    return undefined;
  }

  private eventTask(ed: ProfileEventData, rec: KRecord, pid: number): ProfileTask {
    if (ed.global) return ed.migrate ? this.globalTask : (this.cpuTasks[rec.cpu] ?? this.globalTask);
    if (ed.pidField) pid = asPid(num(this.tep, rec, ed.pidField));
    return this.findTask(pid);
  }

  private handleEnd(ed: ProfileEventData, rec: KRecord, pid: number): ProfileTask {
    const task = this.eventTask(ed, rec, pid);
    const v = num(this.tep, rec, ed.startMatchField);
    const e = this.findAndEnd(task, ed.start, rec.ts, v);
    task.lastStart = undefined;
    task.lastEvent = e;
    return task;
  }

  private handleStart(ed: ProfileEventData, rec: KRecord, pid: number): ProfileTask {
    const task = this.eventTask(ed, rec, pid);
    const v = num(this.tep, rec, ed.endMatchField);
    task.lastStart = this.addStart(task, ed, rec, v, v);
    task.lastEvent = undefined;
    return task;
  }

  /** account_task: an event that is not a pair is counted per value of its data field. */
  private account(task: ProfileTask, ed: ProfileEventData, rec: KRecord): void {
    if (ed.pidField) {
      const proxy = task;
      task = this.findTask(asPid(num(this.tep, rec, ed.pidField)));
      proxy.proxy = task;
    }
    const val = num(this.tep, rec, ed.dataField);
    // trace-cmd keys the entry by the data value twice (search_val = val)
    const e = this.eventOf(task, ed, val, val);
    e.count++;
    task.lastEvent = e;
  }

  private handlePair(ed: ProfileEventData, rec: KRecord, pid: number): void {
    let task: ProfileTask | undefined;
    if (ed.start) task = this.handleEnd(ed, rec, pid);
    if (ed.end) task = this.handleStart(ed, rec, pid);
    if (!task) {
      task = this.findTask(pid);
      task.proxy = undefined;
      task.lastStart = undefined;
      task.lastEvent = undefined;
      this.account(task, ed, rec);
    }
  }

  private stackOf(rec: KRecord, f: Field): StackRef {
    const from = Math.min(rec.page.length, rec.offset + f.offset);
    const to = Math.min(rec.page.length, rec.offset + Math.max(rec.size, f.offset));
    return { bytes: rec.page.slice(from, to), ts: rec.ts };
  }

  private handleSchedSwitch(ed: ProfileEventData, rec: KRecord): void {
    const tep = this.tep;
    const prevPid = num(tep, rec, ed.pidField);
    const prevState = num(tep, rec, ed.dataField) & (TASK_STATE_MAX - 1n);
    const nextPid = num(tep, rec, ed.endMatchField);
    let task = this.findTask(asPid(prevPid));
    if (task.comm === undefined) task.comm = rawComm(rec, this.switchPrevComm!);
    task.sleeping = prevState !== 0n;
    task.lastStart = this.addStart(task, ed, rec, prevPid, prevState);
    task.lastEvent = undefined;
    task = this.findTask(asPid(nextPid));
    if (task.comm === undefined) task.comm = rawComm(rec, this.switchNextComm!);
    // woken up (ed.start is sched_wakeup), else preempted: the switch out that ends here
    this.findAndEnd(task, ed.start, rec.ts, nextPid);
    this.findAndEnd(task, ed, rec.ts, nextPid);
  }

  private handleWakeup(ed: ProfileEventData, rec: KRecord, pid: number): void {
    const tep = this.tep;
    const proxy = this.findTask(pid);
    if (ed.dataField && num(tep, rec, ed.dataField) === 0n) return;
    const woken = num(tep, rec, ed.pidField);
    const task = this.findTask(asPid(woken));
    if (task.comm === undefined) task.comm = rawComm(rec, this.wakeupComm!);
    if (!task.sleeping) {
      proxy.proxy = undefined;
      proxy.lastStart = undefined;
      proxy.lastEvent = undefined;
      return;
    }
    task.sleeping = false;
    // a stack trace that follows belongs to the woken task, not the waker
    proxy.proxy = task;
    this.findAndEnd(task, ed.start, rec.ts, woken);
    task.lastStart = this.addStart(task, ed, rec, woken, woken);
    task.lastEvent = undefined;
  }

  private handleStacktrace(ed: ProfileEventData, rec: KRecord, pid: number): void {
    let task = this.findTask(pid);
    task.lastStack = undefined;
    const orig = task;
    const proxy = task.proxy;
    if (proxy) {
      task.proxy = undefined;
      task = proxy;
    }
    if (!task.lastStart && !task.lastEvent) {
      // kept in case a function graph entry follows (on the task itself, not a proxy)
      orig.lastStack = this.stackOf(rec, ed.dataField!);
      return;
    }
    const st = this.stackOf(rec, ed.dataField!);
    const start = task.lastStart;
    if (start) {
      start.stack = st;
      task.lastStart = undefined;
      task.lastEvent = undefined;
      return;
    }
    const e = task.lastEvent!;
    task.lastEvent = undefined;
    addStack(e, st.bytes, e.lastTime, st.ts);
  }

  private handleFgraphEntry(ed: ProfileEventData, rec: KRecord, pid: number): void {
    const task = this.handleStart(ed, rec, pid);
    if (task.lastStack) {
      // stack traces come before the function graph entry they belong to
      task.lastStart!.stack = task.lastStack;
      task.lastStack = undefined;
      task.lastEvent = undefined;
    }
    task.lastStart = undefined;
  }

  private handleExec(ed: ProfileEventData, rec: KRecord, pid: number): void {
    if (ed.dataField) pid = asPid(num(this.tep, rec, ed.dataField));
    this.findTask(pid).comm = undefined;
  }

  /** trace_profile_record: one record, in trace-cmd's order, after the report's selection. */
  addRecord(rec: KRecord): void {
    if (rec.missedEvents !== 0) {
      for (const s of this.cpuStarts[rec.cpu] ?? []) this.freeStart(s);
      for (const s of this.migrateStarts) this.freeStart(s);
    }
    const ed = this.byId.get(this.tep.typeOf(rec));
    if (!ed) return;
    const pid = asPid(num(this.tep, rec, this.commonPid));
    const task = this.findTask(pid);
    const stackBefore = task.lastStack;
    switch (ed.handler) {
      case 'pair':
        this.handlePair(ed, rec, pid);
        break;
      case 'sched_switch':
        this.handleSchedSwitch(ed, rec);
        break;
      case 'sched_wakeup':
        this.handleWakeup(ed, rec, pid);
        break;
      case 'stacktrace':
        this.handleStacktrace(ed, rec, pid);
        break;
      case 'fgraph_entry':
        this.handleFgraphEntry(ed, rec, pid);
        break;
      case 'fgraph_exit':
        this.handleEnd(ed, rec, pid).lastEvent = undefined;
        break;
      case 'process_exec':
        this.handleExec(ed, rec, pid);
        break;
    }
    // a stack kept for a function graph entry lives until the task's next event
    if (stackBefore && task.lastStack === stackBefore) task.lastStack = undefined;
  }
}

/** add_event_stack: one more occurrence of a stack (its bytes as recorded) on an event entry. */
export function addStack(e: ProfileEvent, bytes: Uint8Array, time: bigint, ts: bigint): void {
  const key = latin1Key(bytes);
  let s = e.stacks.get(key);
  if (!s) {
    s = { bytes, count: 0, time: 0n, timeMin: 0n, tsMin: 0n, timeMax: 0n, tsMax: 0n };
    e.stacks.set(key, s);
  }
  s.count++;
  s.time = BigInt.asUintN(64, s.time + time);
  if (s.count === 1 || time < s.timeMin) {
    s.timeMin = time;
    s.tsMin = ts;
  }
  if (time > s.timeMax) {
    s.timeMax = time;
    s.tsMax = ts;
  }
}

export function latin1Key(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}
