/**
 * `utp report --hist`: the table of `perf report --stdio --no-children --sort comm,dso,sym -g none`
 * (perf 6.1, ui/stdio/hist.c and util/sort.c): per event with samples, entries keyed by comm, DSO
 * and symbol, their share of the event's total period, ordered by period (larger first), then comm,
 * DSO short name and symbol name ascending (unresolved symbols after resolved ones, lower address
 * first; symbols of one name by address); column widths are the widest value or header (for
 * Command, the threads' last comms, values cut to that width as perf's `%-*.*s` does). perf's closing tip line is random: utp
 * prints none.
 */

interface Entry {
  comm: string;
  /** the thread of the entry's first sample: its comm at the end sets the Command width (perf's thread__comm_len) */
  thread: { comm: string };
  dso: string;
  /** symbol name, or undefined when unresolved */
  sym: string | undefined;
  /** the symbol's start, or the (map-relative) address when unresolved: symbols of one name stay apart */
  addr: bigint;
  level: string;
  period: bigint;
}

class EventHist {
  readonly entries = new Map<string, Entry>();
  samples = 0;
  total = 0n;
  constructor(readonly name: string) {}
}

/** C's printf("%.2f") of a double: exact binary value, ties to even (JS toFixed breaks ties upward). */
export function fixed2(d: number): string {
  const s = d.toFixed(2);
  const exact = d.toFixed(100);
  const dot = exact.indexOf('.');
  if (!/^50*$/.test(exact.slice(dot + 3))) return s;
  const down = exact.slice(0, dot + 3);
  const last = Number(down[down.length - 1]);
  return last % 2 === 0 ? down : s;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Hist {
  readonly #events = new Map<number, EventHist>();
  lostSamples = 0n;

  add(evIndex: number, evName: string, e: Omit<Entry, 'period'>, period: bigint): void {
    let h = this.#events.get(evIndex);
    if (!h) {
      h = new EventHist(evName);
      this.#events.set(evIndex, h);
    }
    h.samples++;
    h.total += period;
    const key = `${e.comm}\0${e.dso}\0${e.level}\0${e.sym === undefined ? '@' : e.sym}\0${e.addr}`;
    const x = h.entries.get(key);
    if (x) x.period += period;
    else h.entries.set(key, { ...e, period });
  }

  text(): string {
    let s = '# To display the perf.data header info, please use --header/--header-only options.\n#\n';
    s += `#\n# Total Lost Samples: ${this.lostSamples}\n#\n`;
    for (const idx of [...this.#events.keys()].sort((a, b) => a - b)) {
      const h = this.#events.get(idx)!;
      if (h.samples === 0) continue;
      let n = h.samples,
        unit = ' ';
      for (const u of ['K', 'M', 'G'])
        if (n > 1000) {
          n = Math.floor(n / 1000);
          unit = u;
        }
      s += `# Samples: ${n}${unit} of event '${h.name}'\n# Event count (approx.): ${h.total}\n#\n`;
      const list = [...h.entries.values()];
      let wComm = 'Command'.length,
        wDso = 'Shared Object'.length,
        wSym = 'Symbol'.length;
      for (const e of list) {
        wComm = Math.max(wComm, e.thread.comm.length);
        wDso = Math.max(wDso, e.dso.length);
        if (e.sym !== undefined) wSym = Math.max(wSym, e.sym.length + 4);
        else {
          wSym = Math.max(wSym, 16 + 4 + 2);
          wDso = Math.max(wDso, 16);
        }
      }
      list.sort((a, b) => {
        if (a.period !== b.period) return a.period > b.period ? -1 : 1;
        const c = cmpStr(a.comm, b.comm) || cmpStr(a.dso, b.dso);
        if (c) return c;
        if (a.sym !== undefined && b.sym !== undefined) {
          const n = cmpStr(a.sym, b.sym);
          if (n) return n;
        } else if (a.sym !== undefined) return -1;
        else if (b.sym !== undefined) return 1;
        return a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0;
      });
      s += `# ${'Overhead'}  ${'Command'.padEnd(wComm)}  ${'Shared Object'.padEnd(wDso)}  ${'Symbol'.padEnd(wSym)}\n`;
      s += `# ${'.'.repeat(8)}  ${'.'.repeat(wComm)}  ${'.'.repeat(wDso)}  ${'.'.repeat(wSym)}\n#\n`;
      const total = Number(h.total);
      for (const e of list) {
        const pct = total ? (100.0 * Number(e.period)) / total : 0;
        const sym = e.sym !== undefined ? e.sym : `0x${e.addr.toString(16).padStart(16, '0')}`;
        s += `  ${`${fixed2(pct)}%`.padStart(8)}  ${e.comm.slice(0, wComm).padEnd(wComm)}  ${e.dso.slice(0, wDso).padEnd(wDso)}  [${e.level}] ${sym}\n`;
      }
      s += '\n\n';
    }
    // perf closes with `#`, a random `# (Tip: …)` line, `#`: utp leaves the tip out
    return `${s}#\n#\n`;
  }
}
