/**
 * perf stat's output (perf 6.1, tools/perf/util/stat-display.c and stat-shadow.c, global
 * aggregation): the table with its metric comments, and the `-x SEP` CSV lines. Pure text.
 */
import type { EventSpec } from '@utp/perf/live';

export interface CountRow {
  spec: EventSpec;
  supported: boolean;
  val: bigint;
  ena: bigint;
  run: bigint;
}
export interface CountFormatOptions {
  /** What was counted: the command line, 'system wide' or 'CPU(s) LIST'. */
  target: string;
  walltimeNs: number;
  rusage: { user: number; sys: number } | undefined;
  /** -x SEP: CSV lines instead of the table. */
  csvSep: string | undefined;
  /** The locale's thousands separator ('' for none), for the table's counts. */
  thousands: string;
}

const COUNTS_LEN = 18,
  EVNAME_LEN = 32,
  METRIC_LEN = 35,
  UNIT_WIDTH = 4;

const isClock = (s: EventSpec): boolean => s.type === 1 && (s.config === 0n || s.config === 1n);

function group(intPart: string, sep: string): string {
  if (!sep) return intPart;
  const neg = intPart.startsWith('-');
  const d = neg ? intPart.slice(1) : intPart;
  let out = '';
  for (let i = 0; i < d.length; i++) {
    if (i && (d.length - i) % 3 === 0) out += sep;
    out += d[i];
  }
  return (neg ? '-' : '') + out;
}
/** printf %.Nf with an optional grouping of the integer part (%'.Nf). */
function fixed(v: number, digits: number, sep = ''): string {
  const s = v.toFixed(digits);
  if (!sep) return s;
  const [a, b] = s.split('.');
  return group(a!, sep) + (b !== undefined ? `.${b}` : '');
}

/** The metric perf prints for a counter: [formatted value, unit] or undefined (none). */
function metric(r: CountRow, uval: number, rows: readonly CountRow[], walltimeNs: number): [string, string] | undefined {
  if (isClock(r.spec)) {
    if (!walltimeNs) return undefined;
    return [fixed(uval / ((walltimeNs * r.spec.scale) as number), 3).padStart(8), 'CPUs utilized'];
  }
  const clocks = rows.filter((x) => x.supported && x.run && x.ena && isClock(x.spec));
  if (!clocks.length) return undefined;
  let total = 0;
  for (const c of clocks) total += Number(c.val);
  total /= clocks.length;
  let ratio = total ? (1e9 * uval) / total : 0;
  let unit = '';
  if (ratio > 1e9) {
    ratio /= 1e9;
    unit = 'G';
  } else if (ratio > 1e6) {
    ratio /= 1e6;
    unit = 'M';
  } else if (ratio > 1e3) {
    ratio /= 1e3;
    unit = 'K';
  }
  return [fixed(ratio, 3).padStart(8), `${unit}/sec`];
}

function scaled(r: CountRow): number {
  let v = Number(r.val);
  if (r.run && r.ena && r.run < r.ena) v = Math.floor((v * Number(r.ena)) / Number(r.run));
  return v * r.spec.scale;
}

export function formatCounts(rows: readonly CountRow[], o: CountFormatOptions): string {
  const out: string[] = [];
  const intScale = (r: CountRow): boolean => Math.floor(r.spec.scale) === r.spec.scale;
  if (o.csvSep !== undefined) {
    const s = o.csvSep;
    for (const r of rows) {
      const ok = r.supported && r.run !== 0n && r.ena !== 0n;
      const pct = r.run !== r.ena && r.ena !== 0n ? Number((100n * r.run) / r.ena) : 100;
      let line = ok ? fixed(scaled(r), intScale(r) ? 0 : 2) : r.supported ? '<not counted>' : '<not supported>';
      line += `${s}${r.spec.unit}${s}${r.spec.name}${s}${r.run}${s}${pct.toFixed(2)}`;
      const m = ok ? metric(r, scaled(r), rows, o.walltimeNs) : undefined;
      line += m ? `${s}${m[0].trim()}${s}${m[1]}` : `${s}${s}`;
      out.push(line + '\n');
    }
    return out.join('');
  }
  out.push(`\n Performance counter stats for '${o.target}':\n\n`);
  for (const r of rows) {
    const ok = r.supported && r.run !== 0n && r.ena !== 0n;
    if (!ok) {
      out.push(
        `${(r.supported ? '<not counted>' : '<not supported>').padStart(COUNTS_LEN)} ${r.spec.unit.padEnd(UNIT_WIDTH)} ${r.spec.name.padEnd(25)}${''.padEnd(METRIC_LEN)}\n`,
      );
      continue;
    }
    const uval = scaled(r);
    let line = `${fixed(uval, intScale(r) ? 0 : 2, o.thousands).padStart(COUNTS_LEN)} ${r.spec.unit.padEnd(UNIT_WIDTH)} ${r.spec.name.padEnd(EVNAME_LEN)}`;
    const m = metric(r, uval, rows, o.walltimeNs);
    if (m) {
      const n = 3 + m[0].length;
      line += ` # ${m[0]} ${m[1].padEnd(METRIC_LEN - n - 1)}`;
    } else line += ''.padEnd(METRIC_LEN);
    if (r.run !== r.ena) line += `  (${((100 * Number(r.run)) / Number(r.ena)).toFixed(2)}%)`;
    out.push(line + '\n');
  }
  out.push(`\n ${(o.walltimeNs / 1e9).toFixed(9).padStart(17)} seconds time elapsed`);
  if (o.rusage) {
    out.push('\n\n');
    out.push(` ${o.rusage.user.toFixed(9).padStart(17)} seconds user\n`);
    out.push(` ${o.rusage.sys.toFixed(9).padStart(17)} seconds sys\n`);
  }
  out.push('\n\n');
  return out.join('');
}
