/**
 * Address spaces as perf script rebuilds them from MMAP/MMAP2/FORK: maps per process, the
 * newest map covering an address wins; a forked process starts with a copy of its parent's.
 */
export interface PerfMap {
  start: bigint;
  end: bigint;
  pgoff: bigint;
  name: string;
}

export class AddressSpaces {
  readonly #byPid = new Map<number, PerfMap[]>();
  add(pid: number, m: PerfMap): void {
    let l = this.#byPid.get(pid);
    if (!l) {
      l = [];
      this.#byPid.set(pid, l);
    }
    l.push(m);
  }
  fork(pid: number, ppid: number): void {
    if (pid === ppid) return;
    const parent = this.#byPid.get(ppid);
    this.#byPid.set(pid, parent ? parent.slice() : []);
  }
  /** The maps of a pid (append-only; a fork gives the child a new list): callers key caches on it and its length. */
  listOf(pid: number): readonly PerfMap[] | undefined {
    return this.#byPid.get(pid);
  }
  find(pid: number, addr: bigint): PerfMap | undefined {
    const l = this.#byPid.get(pid);
    if (!l) return undefined;
    for (let i = l.length - 1; i >= 0; i--) {
      const m = l[i]!;
      if (addr >= m.start && addr < m.end) return m;
    }
    return undefined;
  }
}
