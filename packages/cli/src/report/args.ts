/// <reference types="node" />
import { parseArgs } from 'node:util';
import { UsageError } from '../command.js';

export interface ReportArgs {
  inputs: string[];
  noPlugins: boolean;
  raw: boolean;
  nsec: boolean;
  latency: boolean;
  cpus: number[] | undefined;
  /** -F filters; `input` = index of the -i they follow (-1: before any -i). */
  filters: Array<{ filter: string; negate: boolean; input: number }>;
  /** --ts-offset per input index (trace-cmd applies it to inputs after the first only). */
  tsOffsets: Map<number, bigint>;
  /** --ts2secs HZ per input index (-1: the global one, before a second -i). */
  ts2secs: Map<number, bigint>;
  stat: boolean;
  uname: boolean;
  version: boolean;
  showCpus: boolean;
  first: boolean;
  last: boolean;
  tsDiff: boolean;
  noIrqs: boolean;
  noSoftirqs: boolean;
  wakeup: boolean;
  endian: boolean;
  pageSize: boolean;
  events: boolean;
  /** --events: print the stored event format files. */
  formats: boolean;
  nodate: boolean;
  rawTs: boolean;
  quiet: boolean;
  verbose: boolean;
  /** -r: events printed raw; -n: events printed without their plugin handler (regexes). */
  rawEvents: string[];
  noHandlerEvents: string[];
  /** -O plugin options, in order. */
  pluginOptions: string[];
  /** --all-pages: decode every page with its real sub-buffer size (TraceDat exactPages: false). */
  allPages: boolean;
  /** --boundary: `CPU:N [SUBBUFFER START]` before the first record of each sub-buffer. */
  boundary: boolean;
  /** -h / --help: print REPORT_USAGE on stdout, exit 0. */
  help: boolean;
  /** -f: the function (kallsyms) list; -P: the printk formats. */
  showFuncs: boolean;
  showPrintk: boolean;
  /** --kallsyms FILE: more symbols, registered before the file's own. */
  kallsyms: string | undefined;
  /** --event REGEX: the stored format files of matching events. */
  printEvent: string | undefined;
  /** --check-events: exit 0 when every event format parses, else 22 (EINVAL). */
  checkEvents: boolean;
  /** -T / --filter-test: print the filters as libtraceevent understood them, then exit. */
  testFilters: boolean;
  /** --pid / --comm (comma lists, in order given). */
  pids: string[];
  comms: string[];
  /** --ts-check: warn on stderr when a time stamp goes backwards. */
  tsCheck: boolean;
  /** --align-ts: time stamps relative to the first event of all top buffers. */
  alignTs: boolean;
  /** --debug (implies --boundary in trace-cmd). */
  debug: boolean;
  /** --profile, -G, -H HOOK... (in the order given), --by-comm (./profile-run.ts). */
  profile: boolean;
  global: boolean;
  hooks: string[];
  byComm: boolean;
  /** --json: one JSON object per event (NDJSON). */
  json: boolean;
}

/** trace-cmd's parse_cpulist: "0,3", "2-4". */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const p = part.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(p);
    if (!m) throw new UsageError(`invalid cpu list '${s}'`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw new UsageError(`invalid cpu range '${p}'`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

export const REPORT_USAGE = `usage: utp report [options] [-i] FILE   (options after FILE are ignored, as in trace-cmd)
  -i FILE        input file (default trace.dat); repeat to merge several files
  -N / -L        do not load plugins          -R   raw field format
  -r RE / -n RE  raw format / no plugin handler for matching events
  -O OPT         plugin option (parent, offset, indent, tailprint, depth)
  -t             nanosecond time stamps       -l   latency format
  -F FILTER      event filter ('-v' before it inverts)
  -T, --filter-test  print the filters as libtraceevent rewrote them (per event), then exit
  --pid PID[,PID]    only events of these pids (common_pid, pid or next_pid)
  --comm COMM[,COMM] only events of the pids that had these comms (saved cmdlines)
  --cpu LIST     only these CPUs (0,3 or 2-4)
  -I / -S        hide hard / soft interrupt events
  -w             wakeup latency summary       --ts-diff  time since previous event
  --ts-check     warn when a time stamp goes backwards
  --align-ts     time stamps relative to the first event of the files
  --stat --uname --version --cpus --first-event --last-event -e -p -E --events
  --event RE     the stored format files of the events matching RE ([SYSTEM:]EVENT)
  -f / -P        the function list (kallsyms) / the printk formats of the file
  --kallsyms FILE   more kernel symbols (a /proc/kallsyms copy)
  --check-events exit 0 when every event format of the file parses, else 22
  --nodate --raw-ts --ts2secs HZ --ts-offset NS (after a second -i) -q -V[LEVEL] --verbose[=LEVEL]
  --boundary     print CPU:N [SUBBUFFER START] before the first record of each sub-buffer
  --debug        trace-cmd's debug listing: version / empty-CPU lines, page time stamps and offsets,
                 [delta:0xoffset:size] after each event and the padding / time records after it
  --json         one JSON object per event per line (NDJSON), after the same filters (docs/report-json.md)
  --profile      per task: time scheduled out (per state), wakeup latency, irq/softirq, syscall
                 and -H pair times, counts of the other events, kernel_stack trees (trace-cmd's profile)
  -G             with --profile: irq and softirq pairs per CPU ("Global CPU[N] Events"), not per task
  -H HOOK        with --profile: time a pair of events, [SYS:]START,START_FIELD[,PID_FIELD]/[SYS:]END,END_FIELD[,FLAGS]
                 (FLAGS: P pinned to its CPU, G global); printed as parsed, as trace-cmd prints it
  --by-comm      with --profile: merge the tasks of one comm into a group
  --all-pages    read every page of every CPU with its buffer's real sub-buffer size; by default
                 utp reads pages as trace-cmd 3.1.6 does, which loses pages of non-4K sub-buffers
                 in compressed files (a warning on stderr tells where) and cannot open a top
                 buffer whose sub-buffers are larger than the file's page size
  -h, --help     this text`;

/** Options of trace-cmd report that take a value (getopt "i:H:r:n:F:O:" and the long ones). */
const SHORT_WITH_VALUE = new Set(['i', 'H', 'r', 'n', 'F', 'O']);
/** trace-cmd's --verbose levels (trace_set_verbose). */
const VERBOSE_LEVELS = ['none', 'crit', 'err', 'warn', 'info', 'debug', 'all'];
const LONG_WITH_VALUE = new Set(['--cpu', '--event', '--kallsyms', '--pid', '--comm', '--ts-offset', '--ts2secs']);

/**
 * trace-cmd parses its options with getopt "+...": parsing stops at the first non-option
 * argument, which is the input file; whatever follows it is ignored.
 */
export function cutAtFirstPositional(argv: string[]): string[] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return [...argv.slice(0, i), ...(argv[i + 1] !== undefined ? [argv[i + 1]!] : [])];
    if (!a.startsWith('-') || a === '-') return argv.slice(0, i + 1);
    if (a.startsWith('--')) {
      if (LONG_WITH_VALUE.has(a)) i++;
      continue;
    }
    // a group of short flags: the first one taking a value consumes the rest or the next token
    for (let k = 1; k < a.length; k++) {
      if (SHORT_WITH_VALUE.has(a[k]!)) {
        if (k === a.length - 1) i++;
        break;
      }
    }
  }
  return argv;
}

export function parseReportArgs(argvIn: string[]): ReportArgs {
  const argv = cutAtFirstPositional(argvIn);
  // -v is positional in trace-cmd: it negates the -F filters that follow it.
  const filters: Array<{ filter: string; negate: boolean; input: number }> = [];
  const tsOffsets = new Map<number, bigint>();
  const ts2secs = new Map<number, bigint>();
  let inputsSeen = 0;
  let verbose = false;
  let negate = false;
  let input = -1;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-v') {
      if (negate) throw new UsageError('Only 1 -v can be used');
      negate = true;
      continue;
    }
    // -V[level] and --verbose[=level]: optional attached values, which parseArgs cannot express
    const vm = /^(?:-V|--verbose(?:=|$))(.*)$/.exec(a);
    if (vm) {
      const lv = vm[1]!;
      if (lv !== '' && !VERBOSE_LEVELS.includes(lv) && !/^[0-6]$/.test(lv)) throw new UsageError(`invalid verbose level ${lv}`);
      verbose = true;
      continue;
    }
    if (a === '-F') {
      const f = argv[++i];
      if (f === undefined) throw new UsageError("option '-F' needs an argument");
      filters.push({ filter: f, negate, input });
      continue;
    }
    if (a.startsWith('-F') && a.length > 2) {
      filters.push({ filter: a.slice(2), negate, input });
      continue;
    }
    if (a === '--ts-offset' || a.startsWith('--ts-offset=')) {
      const v = a === '--ts-offset' ? argv[++i] : a.slice(12);
      if (v === undefined || !/^\s*-?\d+/.test(v)) throw new UsageError(`invalid --ts-offset '${v ?? ''}'`);
      if (input < 0) throw new UsageError('--ts-offset must come after -i');
      tsOffsets.set(input, BigInt(/-?\d+/.exec(v)![0]));
      continue;
    }
    if (a === '--ts2secs' || a.startsWith('--ts2secs=')) {
      const v = a === '--ts2secs' ? argv[++i] : a.slice(10);
      const m = /^\s*\d+/.exec(v ?? '');
      // atoll; with several inputs it belongs to the last one, else it is global
      ts2secs.set(inputsSeen > 1 ? input : -1, m ? BigInt(m[0]) : 0n);
      continue;
    }
    if (a === '-i' || (a.startsWith('-i') && a.length > 2)) {
      input++;
      inputsSeen++;
    }
    rest.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        input: { type: 'string', short: 'i', multiple: true },
        N: { type: 'boolean', short: 'N' },
        L: { type: 'boolean', short: 'L' },
        R: { type: 'boolean', short: 'R' },
        t: { type: 'boolean', short: 't' },
        l: { type: 'boolean', short: 'l' },
        I: { type: 'boolean', short: 'I' },
        S: { type: 'boolean', short: 'S' },
        w: { type: 'boolean', short: 'w' },
        e: { type: 'boolean', short: 'e' },
        p: { type: 'boolean', short: 'p' },
        E: { type: 'boolean', short: 'E' },
        q: { type: 'boolean', short: 'q' },
        f: { type: 'boolean', short: 'f' },
        P: { type: 'boolean', short: 'P' },
        T: { type: 'boolean', short: 'T' },
        G: { type: 'boolean', short: 'G' },
        H: { type: 'string', short: 'H', multiple: true },
        'filter-test': { type: 'boolean' },
        kallsyms: { type: 'string' },
        event: { type: 'string' },
        pid: { type: 'string', multiple: true },
        comm: { type: 'string', multiple: true },
        'check-events': { type: 'boolean' },
        'ts-check': { type: 'boolean' },
        'align-ts': { type: 'boolean' },
        debug: { type: 'boolean' },
        profile: { type: 'boolean' },
        'by-comm': { type: 'boolean' },
        json: { type: 'boolean' },
        O: { type: 'string', short: 'O', multiple: true },
        r: { type: 'string', short: 'r', multiple: true },
        n: { type: 'string', short: 'n', multiple: true },
        cpu: { type: 'string', multiple: true },
        cpus: { type: 'boolean' },
        events: { type: 'boolean' },
        'first-event': { type: 'boolean' },
        'last-event': { type: 'boolean' },
        stat: { type: 'boolean' },
        uname: { type: 'boolean' },
        version: { type: 'boolean' },
        'ts-diff': { type: 'boolean' },
        nodate: { type: 'boolean' },
        'raw-ts': { type: 'boolean' },
        'all-pages': { type: 'boolean' },
        boundary: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  const v = parsed.values;
  const inputs = [...(v.input ?? [])];
  if (parsed.positionals.length > 0 && inputs.length === 0) inputs.push(parsed.positionals[0]!);
  else if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
  if (inputs.length === 0) inputs.push('trace.dat');
  let cpus: number[] | undefined;
  for (const c of v.cpu ?? []) cpus = [...(cpus ?? []), ...parseCpuList(c)];
  const first = !!v['first-event'];
  const last = !!v['last-event'];
  return {
    inputs,
    noPlugins: !!v.N || !!v.L,
    raw: !!v.R,
    nsec: !!v.t,
    latency: !!v.l,
    cpus,
    filters,
    stat: !!v.stat,
    uname: !!v.uname,
    version: !!v.version,
    showCpus: !!v.cpus || first || last,
    first,
    last,
    tsDiff: !!v['ts-diff'],
    noIrqs: !!v.I,
    noSoftirqs: !!v.S,
    wakeup: !!v.w,
    endian: !!v.e,
    pageSize: !!v.p,
    events: !!v.E,
    formats: !!v.events,
    nodate: !!v.nodate,
    rawTs: !!v['raw-ts'],
    tsOffsets,
    ts2secs,
    quiet: !!v.q,
    verbose,
    pluginOptions: [...(v.O ?? [])],
    rawEvents: [...(v.r ?? [])],
    noHandlerEvents: [...(v.n ?? [])],
    allPages: !!v['all-pages'],
    boundary: !!v.boundary || !!v.debug,
    help: !!v.help,
    showFuncs: !!v.f,
    showPrintk: !!v.P,
    kallsyms: v.kallsyms,
    printEvent: v.event,
    checkEvents: !!v['check-events'],
    testFilters: !!v.T || !!v['filter-test'],
    pids: [...(v.pid ?? [])],
    comms: [...(v.comm ?? [])],
    tsCheck: !!v['ts-check'],
    alignTs: !!v['align-ts'],
    debug: !!v.debug,
    profile: !!v.profile,
    global: !!v.G,
    hooks: [...(v.H ?? [])],
    byComm: !!v['by-comm'],
    json: !!v.json,
  };
}
