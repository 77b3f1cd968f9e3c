/**
 * What `utp report --profile` prints (trace-cmd 3.1.6 do_trace_profile): the global tasks (-G,
 * global -H hooks), the groups of --by-comm, then every task by pid, each with its events in
 * trace-cmd's order (sched_switch per state, sched_wakeup, then by event id and total time) and
 * the stacks of each event as a call tree (shared callers once, branches by time).
 *
 * Where trace-cmd's order depends on heap addresses (entries of one event that tie on total time,
 * and the groups of --by-comm, which it sorts by comparing the bytes of their pointers as strings)
 * it differs from run to run; utp orders those by value and by comm.
 */
import type { Tep } from '@utp/traceevent';
import type { ProfileEvent, ProfileStack, ProfileTask, TraceProfile } from './profile.js';
import { traceHash } from './profile.js';

/** A task (or --by-comm group) and its events in print order. */
export interface ProfileSection {
  /** The line(s) before the events: `\ntask: COMM-PID\n`, `\ngroup: COMM\n` or `Global ... Events\n`. */
  header: string;
  events: ProfileEvent[];
}

const STATES = 'RSDTtXZxKWP\0';
const SOFTIRQS = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'BLOCK_IOPOLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'];

const i64 = (v: bigint): string => BigInt.asIntN(64, v).toString();
const int32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
/** `%lld.%06lld` of seconds and rounded microseconds (which can print as 1000000). */
function tsText(ts: bigint): string {
  const t = BigInt.asUintN(64, ts);
  return `${i64(t / 1000000000n)}.${(((t % 1000000000n) + 500n) / 1000n).toString().padStart(6, '0')}`;
}

function compareEvents(a: ProfileEvent, b: ProfileEvent): number {
  const ka = a.data.kind,
    kb = b.data.kind;
  if (ka === 'sched_switch') {
    if (kb !== 'sched_switch') return -1;
    return a.val > b.val ? 1 : a.val < b.val ? -1 : 0;
  } else if (kb === 'sched_switch') return 1;
  if (ka === 'wakeup') return kb !== 'wakeup' ? -1 : 0;
  else if (kb === 'wakeup') return 1;
  if (a.data.id !== b.data.id) return a.data.id > b.data.id ? 1 : -1;
  if (a.timeTotal !== b.timeTotal) return a.timeTotal > b.timeTotal ? -1 : 1;
  return 0;
}

/** The events in trace-cmd's order; ties (which trace-cmd leaves to heap addresses) by value. */
function sortEvents(events: Iterable<ProfileEvent>): ProfileEvent[] {
  const list = [...events];
  list.sort((a, b) =>
    a.val !== b.val
      ? a.val < b.val
        ? -1
        : 1
      : a.searchVal !== b.searchVal
        ? a.searchVal < b.searchVal
          ? -1
          : 1
        : a.data.seq - b.data.seq,
  );
  return list.sort(compareEvents);
}

function mergeStacks(into: ProfileEvent, from: ProfileEvent): void {
  for (const [key, s] of from.stacks) {
    const x = into.stacks.get(key);
    if (!x) {
      into.stacks.set(key, s);
      continue;
    }
    x.count += s.count;
    x.time = BigInt.asUintN(64, x.time + s.time);
    if (x.timeMax < s.timeMax) {
      x.timeMax = s.timeMax;
      x.tsMax = s.tsMax;
    }
    if (x.timeMin > s.timeMin) {
      x.timeMin = s.timeMin;
      x.tsMin = s.tsMin;
    }
  }
}

/**
 * --by-comm: every task that has a comm goes into the group of that comm, its entries merged with
 * the group's (sched_switch per state, one sched_wakeup, the rest per value). Tasks are taken in
 * trace-cmd's task-hash order (1024 buckets of trace_hash(pid), the newest first in a bucket), which
 * decides the time stamps kept when two maxima or minima tie.
 */
function groupTasks(p: TraceProfile): { groups: Map<string, Map<string, ProfileEvent>>; grouped: Set<ProfileTask> } {
  const order = [...p.tasks.values()].map((t, i) => ({ t, i, b: traceHash(t.pid >>> 0) & 1023 }));
  order.sort((x, y) => x.b - y.b || y.i - x.i);
  const groups = new Map<string, Map<string, ProfileEvent>>();
  const grouped = new Set<ProfileTask>();
  for (const { t } of order) {
    if (t.comm === undefined) continue;
    let g = groups.get(t.comm);
    if (!g) {
      g = new Map();
      groups.set(t.comm, g);
    }
    grouped.add(t);
    for (const e of t.events.values()) {
      if (e.data.kind === 'wakeup') e.searchVal = e.val = 0n;
      else if (e.data.kind === 'sched_switch') e.searchVal = e.val;
      const key = `${e.data.seq}:${e.searchVal}:${e.val}`;
      const x = g.get(key);
      if (!x) {
        g.set(key, e);
        continue;
      }
      x.count += e.count;
      x.timeTotal = BigInt.asUintN(64, x.timeTotal + e.timeTotal);
      if (x.timeMax < e.timeMax) {
        x.timeMax = e.timeMax;
        x.tsMax = e.tsMax;
      }
      if (x.timeMin > e.timeMin) {
        x.timeMin = e.timeMin;
        x.tsMin = e.tsMin;
      }
      mergeStacks(x, e);
    }
  }
  return { groups, grouped };
}

/** The sections of one buffer's profile in print order (--by-comm merges, so call it once). */
export function profileSections(p: TraceProfile, byComm: boolean): ProfileSection[] {
  const out: ProfileSection[] = [];
  for (const t of [p.globalTask, ...p.cpuTasks])
    if (t.events.size > 0) out.push({ header: `${t.comm}\n`, events: sortEvents(t.events.values()) });
  let grouped = new Set<ProfileTask>();
  if (byComm) {
    const g = groupTasks(p);
    grouped = g.grouped;
    const names = [...g.groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const n of names) out.push({ header: `\ngroup: ${n}\n`, events: sortEvents(g.groups.get(n)!.values()) });
  }
  const tasks = [...p.tasks.values()].filter((t) => !grouped.has(t)).sort((a, b) => a.pid - b.pid);
  for (const t of tasks) out.push({ header: `\ntask: ${t.comm ?? p.tep.commOf(t.pid)}-${t.pid}\n`, events: sortEvents(t.events.values()) });
  return out;
}

/** The `Event:` text of an entry (trace-cmd's print functions). */
export function eventLabel(tep: Tep, e: ProfileEvent): string {
  const name = e.data.event.name;
  switch (e.data.print) {
    case 'sched_switch': {
      let s = `${name}:`;
      let v = int32(e.val);
      if (v === 0) return s + 'R';
      for (let i = 0; v !== 0 && i < STATES.length - 1; i++, v >>= 1) if (v & 1) s += STATES[i + 1];
      const nul = s.indexOf('\0');
      return nul >= 0 ? s.slice(0, nul) : s;
    }
    case 'softirq': {
      const v = int32(e.val);
      return v < SOFTIRQS.length && v >= 0 ? `${name}:${SOFTIRQS[v]}` : `${name}:${v}`;
    }
    case 'syscall':
      return `${name}:${int32(e.val)}`;
    case 'func':
      return funcLabel(tep, e.val);
    default:
      return e.data.kind === 'func' ? funcLabel(tep, e.val) : `${name}:0x${BigInt.asUintN(64, e.val).toString(16)}`;
  }
}

function funcLabel(tep: Tep, v: bigint): string {
  const f = tep.findFunction(v);
  return f ? `func: ${f.name}()` : `func: 0x${BigInt.asUintN(64, v).toString(16)}`;
}

/** compare_stacks: 4-byte words (host order, little-endian here) up to the shorter, then the longer last. */
function compareStacks(a: ProfileStack, b: ProfileStack): number {
  const n = Math.min(a.bytes.length, b.bytes.length);
  const da = new DataView(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength);
  const db = new DataView(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  for (let i = 0; i + 4 <= n; i += 4) {
    const x = da.getUint32(i, true),
      y = db.getUint32(i, true);
    if (x !== y) return x > y ? 1 : -1;
  }
  return a.bytes.length - b.bytes.length;
}

interface Chain {
  val: bigint;
  time: bigint;
  timeMin: bigint;
  tsMin: bigint;
  timeMax: bigint;
  tsMax: bigint;
  avg: bigint;
  count: number;
  percent: number;
  children: Chain[];
}

class StackTree {
  readonly stop: bigint;
  constructor(
    readonly tep: Tep,
    readonly longSize: number,
  ) {
    this.stop = longSize < 8 ? (1n << BigInt(longSize * 8)) - 1n : (1n << 64n) - 1n;
  }
  overflows(s: ProfileStack, level: number): boolean {
    const ls = this.longSize;
    return s.bytes.length >= ls && ls * level > s.bytes.length - ls;
  }
  value(s: ProfileStack, level: number): bigint {
    const off = this.longSize * level;
    const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
    if (off + this.longSize > s.bytes.length) return this.stop;
    return this.longSize === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true));
  }

  /** make_stack_chain: the distinct callers at `level` of consecutive sorted stacks, with their subtrees. */
  chains(stacks: ProfileStack[], level: number): Chain[] {
    const out: Chain[] = [];
    let count = 0;
    let start = 0;
    let time = 0n,
      timeMin = 0n,
      timeMax = 0n,
      tsMin = 0n,
      tsMax = 0n;
    let totalTime = 0n,
      totalCount = 0;
    for (let i = 0; i < stacks.length; i++) {
      const s = stacks[i]!;
      if (this.overflows(s, level)) {
        start = i + 1;
        continue;
      }
      const val = this.value(s, level);
      if (val === this.stop) {
        start = i + 1;
        continue;
      }
      count += s.count;
      time = BigInt.asUintN(64, time + s.time);
      if (s.timeMax > timeMax) {
        timeMax = s.timeMax;
        tsMax = s.tsMax;
      }
      if (i === start || s.timeMin < timeMin) {
        timeMin = s.timeMin;
        tsMin = s.tsMin;
      }
      const next = stacks[i + 1];
      if (!next || this.overflows(next, level) || val !== this.value(next, level)) {
        totalTime = BigInt.asUintN(64, totalTime + time);
        totalCount += count;
        out.push({
          val,
          time,
          timeMin,
          tsMin,
          timeMax,
          tsMax,
          avg: time / BigInt(count),
          count,
          percent: 0,
          children: this.chains(stacks.slice(start, i + 1), level + 1),
        });
        start = i + 1;
        count = 0;
        time = timeMin = timeMax = 0n;
      }
    }
    out.sort((a, b) => (a.time !== b.time ? (a.time > b.time ? -1 : 1) : b.count - a.count));
    for (const c of out) {
      if (totalTime !== 0n) c.percent = Number((c.time * 100n + totalTime / 2n) / totalTime);
      else if (totalCount !== 0) c.percent = Math.floor((c.count * 100 + Math.floor(totalCount / 2)) / totalCount);
    }
    return out;
  }

  func(c: Chain): string {
    const f = this.tep.findFunction(c.val);
    const hex = c.val.toString(16);
    return f ? `${f.name} (0x${hex})\n` : `0x${hex}\n`;
  }
}

const bit = (p: number): bigint => 1n << BigInt(p & 63);

function indent(level: number, mask: bigint): string {
  let s = '';
  for (let p = 0; p <= level; p++) s += (mask & bit(p)) !== 0n ? '    | ' : '      ';
  return s;
}

/** output_chain: the tree of one level (mask: which levels still draw their `|`). */
function outputChain(t: StackTree, chains: Chain[], level: number, m: { mask: bigint }, out: string[]): void {
  if (chains.length === 0) return;
  m.mask |= bit(level + 1);
  out.push(indent(level + 1, m.mask) + '\n');
  let line = '|';
  for (let i = 0; i < chains.length; i++) {
    const c = chains[i]!;
    let s = indent(level, m.mask) + '    + ';
    if (i === chains.length - 1) {
      m.mask &= ~bit(level + 1);
      line = ' ';
    }
    s += t.func(c);
    s += indent(level, m.mask) + `    ${line} ` + `  ${c.percent}% (${c.count})`;
    if (c.time !== 0n)
      s += ` time:${i64(c.time)} max:${i64(c.timeMax)}(ts:${tsText(c.tsMax)}) min:${i64(c.timeMin)}(ts:${tsText(c.tsMin)}) avg:${i64(c.avg)}`;
    s += '\n';
    let child = c.children;
    while (child.length === 1) {
      s += indent(level, m.mask) + `    ${line} ` + '   ' + t.func(child[0]!);
      child = child[0]!.children;
    }
    out.push(s);
    if (child.length > 0) outputChain(t, child, level + 1, m, out);
    out.push(indent(level + 1, m.mask) + '\n');
  }
  m.mask &= ~bit(level + 1);
  out.push(indent(level, m.mask) + '\n');
}

/** The text of one section: its header, then each event line and its stack tree. */
export function formatSection(tep: Tep, sec: ProfileSection, out: string[]): void {
  out.push(sec.header);
  const tree = new StackTree(tep, tep.longSize);
  for (const e of sec.events) {
    let s = `  Event: ${eventLabel(tep, e)} (${e.count})`;
    if (e.timeTotal !== 0n) {
      const avg = e.timeTotal / BigInt(e.count);
      s +=
        ` Total: ${i64(e.timeTotal)} Avg: ${i64(avg)} Max: ${i64(e.timeMax)}(ts:${tsText(e.tsMax)})` +
        ` Min:${i64(e.timeMin)}(ts:${tsText(e.tsMin)})`;
    }
    out.push(s + '\n');
    if (e.stacks.size === 0) continue;
    const stacks = [...e.stacks.values()].sort(compareStacks);
    outputChain(tree, tree.chains(stacks, 0), 0, { mask: 0n }, out);
  }
}
