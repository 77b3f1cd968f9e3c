/**
 * The info modes of `utp report` that print something about a file instead of its events:
 * --cpus/--first-event/--last-event, --stat, -E, --events (trace-cmd 3.1.6 trace_report).
 */
import { breToRegExp, formatTime } from '@utp/traceevent';
import type { KRecord, Tep } from '@utp/traceevent';
import type { TraceDat } from '@utp/tracedat';
import type { ReportArgs } from './args.js';
import type { Input } from './inputs.js';
import type { Output } from './output.js';

/** --cpus [--first-event] [--last-event] for one input. */
export async function showCpus(inp: Input, args: ReportArgs, out: Output): Promise<void> {
  const td = inp.td;
  out.write(`List of CPUs in ${inp.file} with data:\n`);
  const top = td.topBuffer;
  const mode = !td.inUsecs ? 'raw' : args.nsec ? 'nsec' : 'usec';
  const first = new Map<number, bigint>();
  const last = new Map<number, bigint>();
  if (top) {
    const withData = top.cpus.filter((c) => c.size > 0).length;
    await td.forEachRecord(
      (rec: KRecord) => {
        if (!first.has(rec.cpu)) first.set(rec.cpu, rec.ts);
        last.set(rec.cpu, rec.ts);
        return args.last || first.size < withData;
      },
      { buffers: [top] },
    );
  }
  for (let i = 0; i < td.cpuCount; i++) {
    const f = first.get(i);
    if (f === undefined) continue;
    let line = `  ${i}`;
    if (args.first) line += '\tFirst event:' + formatTime(f, mode);
    if (args.last) line += '\tLast event:' + formatTime(last.get(i)!, mode);
    out.write(line + '\n');
  }
}

/** --stat: the kernel buffer statistics saved at the end of the recording. */
export async function showStat(td: TraceDat, out: Output): Promise<void> {
  out.write(
    '\nKernel buffer statistics:\n' +
      '  Note: "entries" are the entries left in the kernel ring buffer and are not\n' +
      '        recorded in the trace data. They should all be zero.\n\n',
  );
  if (td.cpustats !== undefined) {
    const z = td.cpustats.indexOf('\0');
    out.write((z >= 0 ? td.cpustats.slice(0, z) : td.cpustats) + '\n');
  } else out.write(' No stats in this file\n');
  const top = td.topBuffer;
  if (!top) return;
  const info = await td.cpuDataInfo(top);
  const n = td.version === 6 ? td.cpuCount : top.cpus.length;
  for (let i = 0; i < n; i++) {
    const c = info[i] ?? { offset: 0, size: 0 };
    out.write(`CPU${i} data recorded at offset=0x${c.offset.toString(16)}\n    ${c.size} bytes in size\n`);
  }
}

/** -E: `system:name` of every event, sorted by system then name. */
export function listEvents(tep: Tep, out: Output): void {
  const evs = [...tep.events].sort((a, b) =>
    a.system < b.system ? -1 : a.system > b.system ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id,
  );
  for (const e of evs) out.write(`${e.system}:${e.name}\n`);
}

/**
 * --events and --event RE: the format files as stored (tracecmd_print_events). In 3.1.6 this
 * prints the event systems of v6 files only (ftrace formats were already read when the file
 * was opened, and v7 headers are never re-read), nothing for v7.
 *
 * RE is `SYSTEM:EVENT` or one regex for both (POSIX basic, case-insensitive, unanchored): with a
 * colon, the events of matching systems whose name matches EVENT; without, every event of a
 * matching system and the events of other systems whose name matches.
 */
export function printFormats(td: TraceDat, out: Output, regex?: string): void {
  if (td.version !== 6) return;
  let sysRe: RegExp | undefined;
  let evRe: RegExp | undefined;
  let unique = false;
  if (regex !== undefined) {
    // strtok(":"): empty pieces vanish, a third piece is ignored
    const parts = regex.split(':').filter((p) => p !== '');
    const s = parts[0] ?? '';
    unique = parts.length > 1;
    sysRe = breToRegExp(s, 'i');
    evRe = breToRegExp(unique ? parts[1]! : s, 'i');
  }
  let system: string | undefined;
  for (const f of td.formatTexts) {
    if (f.system === 'ftrace') continue;
    if (sysRe && evRe) {
      const sysHit = sysRe.test(f.system);
      if (!(sysHit && !unique)) {
        if (!sysHit && unique) continue;
        const first = f.text.split('\n').find((l) => l !== '') ?? '';
        if (!evRe.test(first.startsWith('name: ') ? first.slice(6) : first)) continue;
      }
    }
    if (f.system !== system) {
      out.write(`\nsystem: ${f.system}\n`);
      system = f.system;
    }
    out.write(f.text + '\n');
  }
}

/** -f: the kernel symbols, as tep_print_funcs prints them. */
export function showFuncs(tep: Tep, out: Output): void {
  for (const f of tep.kallsyms.symbols()) {
    out.write(`${f.addr.toString(16).padStart(16, '0')} ${f.name}${f.module !== undefined ? ` [${f.module}]` : ''}\n`);
  }
}

/** -P: the printk formats, as tep_print_printk prints them. */
export function showPrintk(tep: Tep, out: Output): void {
  for (const [addr, fmt] of tep.printk.entries()) out.write(`${addr.toString(16).padStart(16, '0')} ${fmt}\n`);
}
