/**
 * perf's thread table as perf script keeps it while it reads (tools/perf/util/machine.c):
 * comm per tid as of the record being printed. tid 0 is "swapper"; a tid seen first in a
 * sample is ":TID" until a COMM names it; FORK copies the parent's comm when it has one.
 */
export interface PerfThread {
  pid: number;
  tid: number;
  comm: string;
  commSet: boolean;
}

export class Threads {
  readonly #map = new Map<number, PerfThread>();
  constructor() {
    this.#map.set(0, { pid: 0, tid: 0, comm: 'swapper', commSet: true });
  }
  findnew(pid: number, tid: number): PerfThread {
    let t = this.#map.get(tid);
    if (!t) {
      t = { pid, tid, comm: `:${tid}`, commSet: false };
      this.#map.set(tid, t);
    } else if (t.pid === -1 && pid !== -1) t.pid = pid;
    return t;
  }
  comm(pid: number, tid: number, comm: string): void {
    const t = this.findnew(pid, tid);
    t.comm = comm;
    t.commSet = true;
  }
  fork(pid: number, tid: number, ppid: number, ptid: number): PerfThread {
    const parent = this.findnew(ppid, ptid);
    if (this.#map.has(tid) && tid !== ptid) this.#map.delete(tid);
    const t = this.findnew(pid, tid);
    if (parent.commSet) {
      t.comm = parent.comm;
      t.commSet = true;
    }
    return t;
  }
}
