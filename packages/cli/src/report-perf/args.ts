import { UsageError } from '../command.js';

/** perf script's field names (-F). */
export const FIELDS = ['comm', 'tid', 'pid', 'time', 'cpu', 'event', 'trace', 'ip', 'sym', 'symoff', 'dso', 'period', 'addr'] as const;
export type FieldName = (typeof FIELDS)[number];

export interface PerfReportArgs {
  input: string;
  /** -F: the fields given (undefined: perf's defaults per event type). */
  fields: Set<FieldName> | undefined;
  ns: boolean;
  showTask: boolean;
  showMmap: boolean;
  showLost: boolean;
  cpus: Set<number> | undefined;
  folded: boolean;
  hist: boolean;
  stat: boolean;
  /** --kallsyms FILE: kernel symbols from this file instead of /proc/kallsyms (perf script's). */
  kallsyms: string | undefined;
  /** --symfs DIR: look for the binaries (and /usr/lib/debug) under DIR (perf script's). */
  symfs: string;
}

function cpuList(s: string): Set<number> {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`bad CPU list '${s}'`);
    const a = Number(m[1]),
      b = m[2] !== undefined ? Number(m[2]) : a;
    for (let c = a; c <= b; c++) out.add(c);
  }
  return out;
}

/** Parses `utp report` flags for a perf.data input (perf script's spelling). */
export function parsePerfReportArgs(argv: readonly string[]): PerfReportArgs {
  const a: PerfReportArgs = {
    input: 'perf.data',
    fields: undefined,
    ns: false,
    showTask: false,
    showMmap: false,
    showLost: false,
    cpus: undefined,
    folded: false,
    hist: false,
    stat: false,
    kallsyms: undefined,
    symfs: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const val = (): string => {
      const eq = x.indexOf('=');
      if (x.startsWith('--') && eq > 0) return x.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option '${x}' needs an argument`);
      return v;
    };
    const name = x.startsWith('--') && x.includes('=') ? x.slice(0, x.indexOf('=')) : x;
    switch (name) {
      case '-i':
      case '--input':
        a.input = val();
        break;
      case '-F':
      case '--fields': {
        const set = new Set<FieldName>();
        for (const f of val().split(',')) {
          const n = f.trim() as FieldName;
          if (!FIELDS.includes(n)) throw new UsageError(`unknown field '${f}' for -F (known: ${FIELDS.join(',')})`);
          set.add(n);
        }
        a.fields = set;
        break;
      }
      case '--ns':
        a.ns = true;
        break;
      case '--show-task-events':
        a.showTask = true;
        break;
      case '--show-mmap-events':
        a.showMmap = true;
        break;
      case '--show-lost-events':
        a.showLost = true;
        break;
      case '--cpu':
      case '-C':
        a.cpus = cpuList(val());
        break;
      case '--folded':
        a.folded = true;
        break;
      case '--hist':
        a.hist = true;
        break;
      case '--kallsyms':
        a.kallsyms = val();
        break;
      case '--symfs':
        a.symfs = val().replace(/\/+$/, '');
        break;
      case '--stat':
        throw new UsageError(`option '${x}' is not implemented yet for perf.data input`);
      default:
        throw new UsageError(`option '${x}' is not supported for perf.data input`);
    }
  }
  return a;
}
