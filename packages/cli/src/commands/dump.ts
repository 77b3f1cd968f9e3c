/**
 * `utp dump [options] [-i] FILE`: the metadata of a trace.dat as `trace-cmd dump` prints it
 * (summary, header page/event, ftrace and event formats, systems, kallsyms, printk, saved command
 * lines, options, flyrecord, clock, sections, strings), v6 and v7, compressed or not.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dumpTraceDat, DumpItem } from '@utp/tracedat';
import { UsageError, type Command } from '../command.js';
import { getoptLong, type LongOpt } from '../getopt.js';

export const HELP = `usage:
 utp dump [options]
          -i input file, default is trace.dat
          -v validate a trace file
          --all print all meta data from a trace file
          --summary print a meta data summary
          --head-page print header page information
          --head-event print header event information
          --ftrace-events print ftrace events format
          --systems print recorded event systems
          --events print format of recorded events
          --kallsyms print information of the mapping of function addresses to the function names
          --printk print trace_printk() format strings
          --cmd-lines print information mapping a PID to a process name
          --options print options
          --flyrecord information of offset and count of recorded events per CPU
          --clock trace clock, saved in the file
          --sections print the sections of a version 7 file
          --strings print the section names (strings) of a version 7 file
          -h, --help show usage information
          --verbose 'level' Set the desired log level`;

const ITEMS: Record<string, number> = {
  summary: DumpItem.Summary,
  flyrecord: DumpItem.Flyrecord,
  options: DumpItem.Options,
  'cmd-lines': DumpItem.Cmdlines,
  printk: DumpItem.TracePrintk,
  kallsyms: DumpItem.Kallsyms,
  events: DumpItem.EventFormat,
  systems: DumpItem.EventSystems,
  'ftrace-events': DumpItem.FtraceFormat,
  'head-event': DumpItem.HeadEvent,
  'head-page': DumpItem.HeadPage,
  clock: DumpItem.Clock,
  strings: DumpItem.Strings,
  sections: DumpItem.Sections,
};
const LONGS: LongOpt[] = [
  { name: 'all', arg: 'none' },
  ...Object.keys(ITEMS).map((name) => ({ name, arg: 'none' as const })),
  { name: 'validate', arg: 'none', key: 'v' },
  { name: 'help', arg: 'none', key: 'h' },
  { name: 'verbose', arg: 'optional' },
];

const command: Command = {
  name: 'dump',
  summary: 'print the meta data of a trace.dat file as trace-cmd dump does',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('dump', argv, 'hvi:', LONGS);
    let input: string | undefined,
      validate = false,
      items = 0;
    for (const o of opts) {
      if (o.key === 'h') {
        process.stdout.write(HELP + '\n');
        return 0;
      }
      if (o.key === 'i') input = o.value!;
      else if (o.key === 'v') validate = true;
      else if (o.key === 'all') items = DumpItem.All;
      else if (o.key === 'verbose') {
        /* log level: utp has one */
      } else items |= ITEMS[o.key]!;
    }
    if (operands.length) {
      if (input !== undefined) throw new UsageError('dump: give the file with -i or as an argument, not both');
      input = operands[0]!;
    }
    input ??= 'trace.dat';
    if (!items && !validate) items = DumpItem.Summary;
    let fd: number;
    try {
      fd = openSync(input, 'r');
    } catch (e) {
      throw new UsageError(`dump: cannot open '${input}': ${(e as NodeJS.ErrnoException).code}`);
    }
    try {
      const read = (pos: number, len: number): Uint8Array => {
        const b = new Uint8Array(len);
        let got = 0;
        while (got < len) {
          const n = readSync(fd, b, got, len - got, pos + got);
          if (n <= 0) break;
          got += n;
        }
        return got === len ? b : b.subarray(0, got);
      };
      let text: string;
      try {
        text = items ? dumpTraceDat({ read }, { items, name: input }) : '';
      } catch (e) {
        process.stdout.write(Buffer.from((e as { partial?: string }).partial ?? '', 'latin1'));
        throw e;
      }
      if (items) process.stdout.write(Buffer.from(text, 'latin1'));
      // -v alone validates by reading every section without printing (as trace-cmd does).
      if (!items && validate) dumpTraceDat({ read }, { items: 1 << 30, name: input });
      if (validate) process.stdout.write(`File ${input} is a valid trace-cmd file\n`);
    } finally {
      closeSync(fd);
    }
    return 0;
  },
};
export default command;
