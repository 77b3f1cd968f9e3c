/**
 * `utp hist`: trace-cmd 3.1.6 hist (tracecmd/trace-hist.c) as a library — the call chains of a
 * trace.dat, built from ftrace:function / funcgraph_entry / funcgraph_exit records, kernel_stack
 * records, and every other event (its name is the leaf of the stack that follows it), counted per
 * pid (or all pids with `compact`, -P) and printed as trace-cmd's tree.
 *
 * Records are read CPU by CPU (all of CPU 0, then CPU 1, ...), not merged by time, as trace-cmd
 * does. With instances, each instance is one pass over the same state (the top buffer is not
 * read), and the whole table so far is printed after each, as trace-cmd 3.1.6 does.
 */
import type { EventFormat, Field, KRecord, Tep } from '@utp/traceevent';
import type { CpuStream } from '@utp/tracedat';

/** A function or event name; null where an address has no symbol (printed "(null)", as glibc does). */
type Name = string | null;

interface PidList {
  pid: number;
  chain: Chain;
}

interface Chain {
  func: Name;
  /** Head-first, as trace-cmd's sibling list (new parents are prepended). */
  parents: Chain[];
  pidList: PidList | undefined;
  count: number;
  event: boolean;
}

interface SavedStack {
  ips: Name[];
  funcDepth: number;
  pid: number;
}

function newChain(func: Name, pidList: PidList | undefined, event: boolean): Chain {
  return { func, parents: [], pidList, count: 0, event };
}

/** printf("%.2f") of glibc: exact ties round to even (toFixed rounds them up). */
export function fixed2(x: number): string {
  const s = x.toFixed(2);
  const exact = x.toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 3);
  if (!/^50*$/.test(rest)) return s;
  // an exact tie: keep the even last digit of the truncated value
  const trunc = exact.slice(0, dot + 3);
  const last = Number(trunc[trunc.length - 1]);
  return last % 2 === 0 ? trunc : s;
}

interface EventIds {
  wakeup: number;
  wakeupNew: number;
  switch: number;
  function: number;
  graphEntry: number;
  graphExit: number;
  kernelStack: number;
}

export class FunctionHistogram {
  private ips: Name[] = [];
  private funcDepth = 0;
  private currentPid = -1;
  /** Head-first (trace-cmd's saved_stacks). */
  private saved: SavedStack[] = [];
  private pendingPid = -1;
  private pendingIps: Name[] = [];
  /** Top-level chains, head-first. */
  private chains: Chain[] = [];
  private totalCounts = 0;
  private readonly pidLists = new Map<number, PidList>();
  private readonly allPids: PidList = { pid: 0, chain: newChain(null, undefined, false) };

  constructor(
    private readonly tep: Tep,
    private readonly compact: boolean,
    private readonly longSize: number,
    private readonly littleEndian: boolean,
  ) {}

  private resetStack(): void {
    this.currentPid = -1;
    this.funcDepth = 0;
    this.ips = [];
  }
  private saveStack(): void {
    this.saved.unshift({ pid: this.currentPid, ips: this.ips, funcDepth: this.funcDepth });
    this.resetStack();
  }
  private restoreStack(pid: number): void {
    const i = this.saved.findIndex((s) => s.pid === pid);
    if (i < 0) return;
    const s = this.saved[i]!;
    this.saved.splice(i, 1);
    this.currentPid = s.pid;
    this.funcDepth = s.funcDepth;
    this.ips = s.ips;
  }

  private insertChain(pidList: PidList, chainList: Chain, names: Name[], size: number, event: boolean): void {
    for (;;) {
      if (chainList.func === null) this.totalCounts++;
      chainList.count++;
      if (size === 0) return;
      size--;
      const want = names[size] ?? null;
      let next = chainList.parents.find((c) => c.func === want);
      if (!next) {
        next = newChain(want, pidList, event);
        chainList.parents.unshift(next);
        if (chainList.func === null) this.chains.unshift(next);
      }
      chainList = next;
      event = false;
    }
  }

  private saveCallChain(pid: number, names: Name[], size: number, event: boolean): void {
    let pl: PidList;
    if (this.compact) pl = this.allPids;
    else {
      let found = this.pidLists.get(pid);
      if (!found) {
        found = { pid, chain: newChain(null, undefined, false) };
        this.pidLists.set(pid, found);
      }
      pl = found;
    }
    this.insertChain(pl, pl.chain, names, size, event);
  }

  private flushStack(): void {
    if (this.currentPid < 0) return;
    this.saveCallChain(this.currentPid, this.ips, this.ips.length, false);
    this.resetStack();
  }

  private switchTo(pid: number): void {
    if (this.currentPid >= 0 && pid !== this.currentPid) {
      this.saveStack();
      this.restoreStack(pid);
    }
    this.currentPid = pid;
  }

  private fn(addr: bigint): Name {
    return this.tep.findFunction(addr)?.name ?? null;
  }

  private processFunction(rec: KRecord, pid: number, ipF: Field, parentF: Field): void {
    const func = this.fn(this.tep.readField(rec, ipF));
    const parent = this.fn(this.tep.readField(rec, parentF));
    this.switchTo(pid);
    const ips = this.ips;
    if (ips.length) {
      if (ips[ips.length - 1] === parent) ips.push(func);
      else {
        this.saveCallChain(pid, ips, ips.length, false);
        while (ips.length) {
          ips.pop();
          if (ips.length && ips[ips.length - 1] === parent) {
            ips.push(func);
            break;
          }
        }
      }
    }
    if (!ips.length) ips.push(parent, func);
  }

  private processGraphEntry(rec: KRecord, pid: number, funcF: Field, depthF: Field): void {
    const func = this.fn(this.tep.readField(rec, funcF));
    const depth = Number(this.tep.readField(rec, depthF));
    this.switchTo(pid);
    if (depth !== this.ips.length) {
      this.saveCallChain(pid, this.ips, this.ips.length, false);
      while (this.ips.length > depth) this.ips.pop();
    }
    this.funcDepth = depth;
    this.ips.push(func);
  }

  private processGraphExit(rec: KRecord, pid: number, depthF: Field): void {
    const depth = Number(this.tep.readField(rec, depthF));
    this.switchTo(pid);
    if (this.ips.length !== depth) {
      this.saveCallChain(pid, this.ips, this.ips.length, false);
      while (this.ips.length > depth) this.ips.pop();
    }
    this.funcDepth = depth - 1;
  }

  private copyToPending(pid: number): void {
    this.pendingPid = pid;
    this.pendingIps = this.ips.slice();
  }
  private resetPending(): void {
    this.pendingPid = -1;
    this.pendingIps = [];
  }

  private readLong(rec: KRecord, at: number): bigint {
    const v = rec.view;
    return this.longSize === 8
      ? v.getBigUint64(rec.offset + at, this.littleEndian)
      : BigInt(v.getUint32(rec.offset + at, this.littleEndian));
  }

  private processKernelStack(rec: KRecord, pid: number, caller: Field): void {
    if (this.pendingPid >= 0 && pid !== this.pendingPid) {
      this.resetPending();
      return;
    }
    let restore = false;
    if (this.pendingPid >= 0) {
      if (this.currentPid >= 0) {
        this.saveStack();
        restore = true;
      }
    } else if (this.currentPid >= 0) {
      this.copyToPending(this.currentPid);
      this.resetStack();
    }
    this.currentPid = pid;
    const ls = this.longSize;
    let at = caller.offset;
    for (; at < rec.size; at += ls) {
      const a = this.readLong(rec, at);
      if ((ls === 8 && a === 0xffffffffffffffffn) || (a & 0xffffffffn) === 0xffffffffn) break;
    }
    for (at -= ls; at >= caller.offset; at -= ls) {
      const f = this.tep.findFunction(this.readLong(rec, at));
      if (f) this.ips.push(f.name);
    }
    if (this.pendingPid >= 0) {
      this.ips.push(this.pendingIps[this.pendingIps.length - 1] ?? null);
      this.resetPending();
    }
    this.saveCallChain(this.currentPid, this.ips, this.ips.length, true);
    if (restore) this.restoreStack(this.currentPid);
  }

  private processEvent(ev: EventFormat | undefined, pid: number): void {
    if (this.pendingPid >= 0) {
      this.saveCallChain(this.pendingPid, this.pendingIps, this.pendingIps.length, true);
      this.resetPending();
    }
    this.ips.push(ev ? ev.name : null);
    this.copyToPending(pid);
    this.ips.pop();
  }

  private ids(): { ids: EventIds; fields: Map<string, Field | undefined> } {
    const fields = new Map<string, Field | undefined>();
    const get = (sys: string, name: string, keys: string[]): number => {
      const ev = this.tep.findEvent(sys, name);
      if (!ev) return 0;
      for (const k of keys)
        fields.set(
          `${name}.${k}`,
          ev.fields.find((f) => f.name === k),
        );
      return ev.id;
    };
    const ids: EventIds = {
      wakeup: get('sched', 'sched_wakeup', ['comm', 'pid']),
      wakeupNew: get('sched', 'sched_wakeup_new', ['comm', 'pid']),
      switch: get('sched', 'sched_switch', ['prev_comm', 'next_comm', 'prev_pid', 'next_pid']),
      function: get('ftrace', 'function', ['ip', 'parent_ip']),
      graphEntry: get('ftrace', 'funcgraph_entry', ['func', 'depth']),
      graphExit: get('ftrace', 'funcgraph_exit', ['depth']),
      kernelStack: get('ftrace', 'kernel_stack', ['caller']),
    };
    return { ids, fields };
  }

  /** do_trace_hist's loop over one handle: every CPU's records in turn; false when it has none. */
  async addHandle(streams: Array<CpuStream | undefined>): Promise<boolean> {
    const live = streams.filter((s): s is CpuStream => s !== undefined);
    const { ids, fields } = this.ids();
    const f = (k: string): Field => {
      const x = fields.get(k);
      if (!x) throw new Error(`trace-cmd hist: the ${k.replace('.', ' event has no ')} field`);
      return x;
    };
    const tep = this.tep;
    let any = false;
    for (const s of live) {
      for (;;) {
        const r = s.advance();
        if (!(r instanceof Promise ? await r : r)) break;
        any = true;
        const rec = s.rec;
        if (rec.missedEvents) this.flushStack();
        const type = tep.typeOf(rec);
        const pid = tep.pidOf(rec);
        if (type === ids.function && type !== 0) this.processFunction(rec, pid, f('function.ip'), f('function.parent_ip'));
        else if (type === ids.graphEntry && type !== 0)
          this.processGraphEntry(rec, pid, f('funcgraph_entry.func'), f('funcgraph_entry.depth'));
        else if (type === ids.graphExit && type !== 0) this.processGraphExit(rec, pid, f('funcgraph_exit.depth'));
        else if (type === ids.kernelStack && type !== 0) this.processKernelStack(rec, pid, f('kernel_stack.caller'));
        else {
          if (type !== 0 && (type === ids.wakeup || type === ids.wakeupNew)) {
            const n = type === ids.wakeup ? 'sched_wakeup' : 'sched_wakeup_new';
            tep.registerComm(Number(BigInt.asIntN(32, tep.readField(rec, f(`${n}.pid`)))), tep.readString(rec, f(`${n}.comm`)));
          } else if (type !== 0 && type === ids.switch) {
            tep.registerComm(
              Number(BigInt.asIntN(32, tep.readField(rec, f('sched_switch.prev_pid')))),
              tep.readString(rec, f('sched_switch.prev_comm')),
            );
            tep.registerComm(
              Number(BigInt.asIntN(32, tep.readField(rec, f('sched_switch.next_pid')))),
              tep.readString(rec, f('sched_switch.next_comm')),
            );
          }
          this.processEvent(tep.findEventById(type), pid);
        }
      }
    }
    return any;
  }

  /** The end of do_trace_hist: the open stacks are counted, then the table is sorted and printed. */
  finish(out: string[]): void {
    if (this.currentPid >= 0) this.saveCallChain(this.currentPid, this.ips, this.ips.length, false);
    if (this.pendingPid >= 0) this.saveCallChain(this.pendingPid, this.pendingIps, this.pendingIps.length, true);
    while (this.saved.length) {
      this.restoreStack(this.saved[0]!.pid);
      this.saveCallChain(this.currentPid, this.ips, this.ips.length, false);
    }
    const byCount = (a: Chain, b: Chain): number => b.count - a.count;
    const sortParents = (c: Chain): void => {
      c.parents.sort(byCount);
      for (const p of c.parents) sortParents(p);
    };
    this.chains.sort(byCount);
    for (const c of this.chains) sortParents(c);
    this.print(out);
  }

  private print(out: string[]): void {
    const pct = (total: number, part: number): number => (part / total) * 100;
    const name = (n: Name): string => (n === null ? '(null)' : n);
    let lineMask = 0n;
    const indent = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += lineMask & (1n << BigInt(i)) ? '            |' : '             ';
      return s;
    };
    const single = (c: Chain): boolean => {
      for (;;) {
        if (c.parents.length > 1) return false;
        if (!c.parents.length) return true;
        c = c.parents[0]!;
      }
    };
    const singleParent = (c: Chain, n: number): void => {
      out.push(`${indent(n)}          ${name(c.parents[0]!.func)}\n`);
    };
    const dump = (c: Chain, n: number): void => {
      while (c.parents.length) {
        singleParent(c, n);
        c = c.parents[0]!;
      }
    };
    const parents = (c: Chain, n: number): void => {
      if (single(c)) {
        dump(c, n);
        return;
      }
      lineMask |= 1n << BigInt(n);
      const list = c.parents;
      for (let x = 0; x < list.length; x++) {
        let p = list[x]!;
        out.push(`${indent(n + 1)}\n`);
        out.push(`${indent(n + 1)}--%${fixed2(pct(c.count, p.count))}-- ${name(p.func)}  # ${p.count}\n`);
        if (x === list.length - 1) lineMask &= (1n << BigInt(n)) - 1n;
        if (single(p)) dump(p, n + 1);
        else {
          while (p.parents.length === 1 && p.parents[0]!.count === p.count) {
            singleParent(p, n + 1);
            p = p.parents[0]!;
          }
          parents(p, n + 1);
        }
      }
    };
    let first = true;
    for (const c of this.chains) {
      if (!first) out.push('\n');
      first = false;
      const p = fixed2(pct(this.totalCounts, c.count)).padStart(3);
      const f = name(c.func).padStart(30);
      if (this.compact) out.push(`  %${p} <all pids> ${f} #${c.count}\n`);
      else {
        const pid = c.pidList!.pid;
        out.push(`  %${p}  (${pid}) ${this.tep.commOf(pid)} ${f} #${c.count}\n`);
      }
      out.push('         |\n');
      out.push(c.event ? `         --- *${name(c.func)}*\n` : `         --- ${name(c.func)}\n`);
      parents(c, 0);
    }
  }
}
