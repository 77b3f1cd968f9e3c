/**
 * pid → comm table (libtraceevent's cmdlines): saved_cmdlines text, tep_register_comm
 * (first registration wins once the table is in use), `<idle>` for pid 0, `<...>` when
 * unknown.
 */
import { glibcBsearch } from '../core/glibc-bsearch.js';

export class CmdlineTable {
  private list: Array<{ pid: number; comm: string }> = [];
  private map: Map<number, string> | null = null;
  /** Changes whenever a pid's comm may have changed (for callers caching per-pid text). */
  version = 0;

  /** tep_parse_saved_cmdlines ("%d %[^\n]" per line; stops at a malformed line). */
  parse(text: string): boolean {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      const m = /^\s*([+-]?\d+)\s+([^\n]+)/.exec(line);
      if (!m) return false;
      this.register(Number(m[1]) | 0, m[2]!);
    }
    return true;
  }

  private init(): Map<number, string> {
    if (this.map) return this.map;
    // libtraceevent prepends to a list, then stable-sorts by pid and bsearches.
    const arr = this.list.slice().reverse();
    arr.sort((a, b) => a.pid - b.pid);
    const map = new Map<number, string>();
    for (const { pid } of arr) {
      if (map.has(pid)) continue;
      const i = glibcBsearch(arr.length, (k) => pid - arr[k]!.pid);
      map.set(pid, arr[i]!.comm);
    }
    this.map = map;
    this.list = [];
    return map;
  }

  register(pid: number, comm: string): void {
    if (!this.map) {
      this.list.push({ pid, comm });
      this.version++;
      return;
    }
    if (!pid) return;
    if (!this.map.has(pid)) {
      this.map.set(pid, comm);
      this.version++;
    }
  }

  override(pid: number, comm: string): void {
    const map = this.init();
    if (!pid) return;
    if (map.get(pid) !== comm) {
      map.set(pid, comm);
      this.version++;
    }
  }

  has(pid: number): boolean {
    return pid === 0 || this.init().has(pid);
  }

  /** The pids whose comm is `comm` (tep_data_pid_from_comm, all of them), ascending. */
  pidsOf(comm: string): number[] {
    const out: number[] = [];
    for (const [pid, c] of this.init()) if (c === comm) out.push(pid);
    return out.sort((a, b) => a - b);
  }

  comm(pid: number): string {
    if (!pid) return '<idle>';
    return this.init().get(pid) ?? '<...>';
  }
}
