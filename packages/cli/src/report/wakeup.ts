import type { Field, Tep, TraceRecord } from '@utp/traceevent';

/**
 * trace-cmd report -w: wakeup latency. A sched_wakeup(_new) of pid P starts a
 * measurement, the next sched_switch to P ends it; each switch line gets
 * " Latency: N.NNN usecs" and a summary is printed at the end.
 */
export class WakeupLatency {
  private wakeupId = -1;
  private wakeupNewId = -1;
  private schedId = -1;
  private wakeupTask: Field | undefined;
  private wakeupSuccess: Field | undefined;
  private wakeupNewTask: Field | undefined;
  private wakeupNewSuccess: Field | undefined;
  private schedTask: Field | undefined;
  private schedPrio: Field | undefined;
  private readonly pending = new Map<bigint, bigint>();
  private total = 0n;
  private count = 0n;
  private totalRt = 0n;
  private countRt = 0n;
  private maxLat = 0n;
  private maxTime = 0n;
  private minLat = (1n << 64n) - 1n;
  private minTime = 0n;
  private maxRt = 0n;
  private maxRtTime = 0n;
  private minRt = (1n << 64n) - 1n;
  private minRtTime = 0n;
  readonly enabled: boolean;

  constructor(private readonly tep: Tep) {
    this.enabled = this.init();
  }

  private init(): boolean {
    const w = this.tep.findEvent('sched', 'sched_wakeup');
    if (!w) return false;
    this.wakeupId = w.id;
    this.wakeupTask = w.field('pid');
    if (!this.wakeupTask) return false;
    this.wakeupSuccess = w.field('success');
    const s = this.tep.findEvent('sched', 'sched_switch');
    if (!s) return false;
    this.schedId = s.id;
    this.schedTask = s.field('next_pid');
    this.schedPrio = s.field('next_prio');
    if (!this.schedTask || !this.schedPrio) return false;
    const n = this.tep.findEvent('sched', 'sched_wakeup_new');
    if (n) {
      this.wakeupNewId = n.id;
      this.wakeupNewTask = n.field('pid');
      if (!this.wakeupNewTask) return false;
      this.wakeupNewSuccess = n.field('success');
    }
    return true;
  }

  private num(rec: TraceRecord, f: Field): bigint | undefined {
    if (f.offset + f.size > rec.size) return undefined;
    return this.tep.readField(rec, f);
  }

  /** Processes a printed record; returns text to append to its line. */
  process(rec: TraceRecord): string {
    const id = this.tep.typeOf(rec);
    if (id === this.wakeupId || (id === this.wakeupNewId && id >= 0)) {
      const succ = id === this.wakeupId ? this.wakeupSuccess : this.wakeupNewSuccess;
      const task = id === this.wakeupId ? this.wakeupTask! : this.wakeupNewTask!;
      if (succ) {
        const v = this.num(rec, succ);
        if (v !== undefined && v === 0n) return '';
      }
      const pid = this.num(rec, task);
      if (pid === undefined) return '';
      this.pending.set(pid & 0xffffffffn, rec.ts);
      return '';
    }
    if (id === this.schedId) {
      const prio = this.num(rec, this.schedPrio!);
      if (prio === undefined) return '';
      const rt = prio <= 99n;
      const pid = this.num(rec, this.schedTask!);
      if (pid === undefined) return '';
      const key = pid & 0xffffffffn;
      const start = this.pending.get(key);
      if (start === undefined) return '';
      const end = rec.ts;
      const cal = BigInt.asUintN(64, end - start);
      if (cal > this.maxLat) {
        this.maxLat = cal;
        this.maxTime = end;
      }
      if (cal < this.minLat) {
        this.minLat = cal;
        this.minTime = end;
      }
      if (rt) {
        if (cal > this.maxRt) {
          this.maxRt = cal;
          this.maxRtTime = end;
        }
        if (cal < this.minRt) {
          this.minRt = cal;
          this.minRtTime = end;
        }
        this.totalRt = BigInt.asUintN(64, this.totalRt + cal);
        this.countRt++;
      }
      this.total = BigInt.asUintN(64, this.total + cal);
      this.count++;
      this.pending.delete(key);
      return ` Latency: ${cal / 1000n}.${pad3(cal % 1000n)} usecs`;
    }
    return '';
  }

  /** The summary printed after the trace (empty when nothing was measured). */
  summary(): string {
    if (this.count === 0n) return '';
    let s = timings(this.total, this.count, this.maxLat, this.maxTime, this.minLat, this.minTime);
    if (this.countRt > 0n)
      s += 'RT task timings:\n' + timings(this.totalRt, this.countRt, this.maxRt, this.maxRtTime, this.minRt, this.minRtTime);
    return s;
  }
}

function pad3(v: bigint): string {
  return String(v).padStart(3, '0');
}
function us6(t: bigint): string {
  return `${t / 1000000000n}.${String((BigInt.asUintN(64, t + 500n) % 1000000000n) / 1000n).padStart(6, '0')}`;
}

function timings(total: bigint, count: bigint, lmax: bigint, tmax: bigint, lmin: bigint, tmin: bigint): string {
  const avg = total / count;
  return (
    `\nAverage wakeup latency: ${avg / 1000n}.${pad3(avg % 1000n)} usecs\n` +
    `Maximum Latency: ${lmax / 1000n}.${pad3(lmax % 1000n)} usecs at timestamp: ${us6(tmax)}\n` +
    `Minimum Latency: ${lmin / 1000n}.${pad3(lmin % 1000n)} usecs at timestamp: ${us6(tmin)}\n\n`
  );
}
