/// <reference types="node" />
/**
 * `utp report` from argv to exit status (trace-cmd 3.1.6 trace_report): open every input, run
 * the info mode asked for or print the events, render the diagnostics.
 */
import { describeError } from '@utp/bytes';
import { EventFilter } from '@utp/traceevent';
import type { TraceRecord } from '@utp/traceevent';
import { parseReportArgs } from './args.js';
import { addPidMatcher, makeRecordFilter } from './filter.js';
import { showCpus, showStat, listEvents, printFormats, showFuncs, showPrintk } from './info.js';
import { InitError, InputError, checkInit, fastZstd, filtersFor, openTrace } from './inputs.js';
import type { Input, PluginState } from './inputs.js';
import { Output } from './output.js';
import { HandleLookahead } from './print-loop.js';
import { printTrace } from './print-trace.js';
import { renderDiagnostics } from './diagnostics.js';
import { DebugExit, emptyCpuLines } from './debug.js';
import { UnshownForm, filterTestLines } from './filter-test.js';
import { REPORT_USAGE } from './args.js';
import type { ReportArgs } from './args.js';
import { parseProfileHook, profileHookLine } from './profile-hook.js';
import type { ProfileHook } from './profile-hook.js';
import type { TraceProfile } from './profile.js';

/** Ends the run with this exit status and nothing more on stderr (trace-cmd's exit() in a mode). */
class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/**
 * --check-events: did every event format of the file parse (tracecmd_get_parsing_failures)?
 * libtraceevent 1.7.1 counts only formats it could not make an event of (no name or ID); an
 * event whose print fmt fails is kept (it prints [FAILED TO PARSE]) and does not count.
 */
function parsesAll(inp: Input): boolean {
  return !inp.diags.some((d) => d.code === 'TRACEDAT_BAD_EVENT_FORMAT' && d.message.startsWith('Cannot parse event format'));
}

/**
 * --pid/--comm (trace-cmd's make_pid_filter): the filter `.*:(common_pid==P)||(pid==P)||(next_pid==P)`
 * for each pid, the pids of each --comm looked up in the saved cmdlines (a warning when it has
 * none). Alone, it is applied as a pid set (a comm can have thousands of pids); with -F filters,
 * as one more positive filter per pid (positive filters are or-ed, as the one || chain is).
 */
function pidList(inp: Input, args: ReportArgs): number[] {
  const pids: number[] = [];
  for (const list of args.pids) for (const p of list.split(',')) if (p !== '') pids.push(Number.parseInt(p, 10) || 0);
  for (const list of args.comms) {
    for (const c of list.split(',')) {
      if (c === '') continue;
      const found = inp.td.tep.cmdlines.pidsOf(c);
      if (found.length === 0) process.stderr.write(`  comm: ${c} not in cmdline list\n`);
      pids.push(...found);
    }
  }
  return pids;
}

/**
 * The pid filter alone: common_pid, or a `pid` / `next_pid` field of the event, is in the set (a missing field is
 * false, as in libtraceevent) — one matcher in an EventFilter, so a kernel_stack / user_stack record that misses
 * still prints after a printed event on its CPU, as with every trace-cmd filter (tracecmd_filter_match).
 */
function pidPredicate(inp: Input, pids: number[]): (rec: TraceRecord) => boolean {
  const tep = inp.td.tep;
  const set = new Set(pids);
  const ef = new EventFilter(tep);
  addPidMatcher(ef, tep, set);
  return (rec) => ef.accepts(rec);
}

/** Everything after opening the inputs: trace-cmd's per-input modes, then the listing. */
async function run(inputs: Input[], args: ReportArgs, out: Output, ps: PluginState, hooks: ProfileHook[]): Promise<void> {
  const multi = inputs.length > 1;
  const profiles = new Map<Input, TraceProfile>();
  const profile = args.profile ? await import('./profile-run.js') : undefined;
  // trace-cmd handles these per input while opening them, in this order; most stop at the first input
  for (const inp of inputs) {
    // --debug: libtracecmd's info messages go to stdout (tracecmd_info)
    if (args.debug) out.write(`version = ${inp.td.version}\n`);
    if (args.pageSize) {
      out.write(`file page size is ${inp.td.pageSize}, and host page size is 4096\n`);
      return;
    }
    if (args.endian) {
      out.write(`file is ${inp.td.littleEndian ? 'little' : 'big'} endian and host is little endian\n`);
      return;
    }
    if (args.formats) {
      printFormats(inp.td, out);
      return;
    }
    if (args.printEvent !== undefined) {
      printFormats(inp.td, out, args.printEvent);
      return;
    }
    if (args.checkEvents) throw new ExitStatus(parsesAll(inp) ? 0 : 22);
    if (args.showFuncs) {
      showFuncs(inp.td.tep, out);
      return;
    }
    if (args.showPrintk) {
      showPrintk(inp.td.tep, out);
      return;
    }
    if (args.events) {
      listEvents(inp.td.tep, out);
      return;
    }
    if (args.showCpus) {
      await checkInit(inp, args);
      if (args.debug) out.write(emptyCpuLines(inp.td.topBuffer));
      await showCpus(inp, args, out);
    }
  }
  if (args.showCpus) return;
  for (let k = 0; k < inputs.length; k++) {
    const inp = inputs[k]!;
    await checkInit(inp, args);
    if (args.debug) out.write(emptyCpuLines(inp.td.topBuffer));
    const filters = filtersFor(args, k);
    // --pid/--comm: one more filter, for the first handle only (trace-cmd's make_pid_filter)
    const pids = k === 0 ? pidList(inp, args) : [];
    if (pids.length > 0 && filters.length > 0)
      for (const p of pids) filters.push({ filter: `.*:(common_pid==${p})||(pid==${p})||(next_pid==${p})`, negate: false });
    if (args.testFilters && (filters.length > 0 || pids.length > 0)) {
      // -T: each filter as libtraceevent rewrote it, then exit 0 (trace-cmd's process_filters)
      if (pids.length > 0)
        throw new InputError('-T (--filter-test) with --pid/--comm is not implemented (the pid filter trace-cmd builds is not printed)');
      for (const f of filters) {
        let lines: string;
        try {
          lines = filterTestLines(inp.td.tep, f.filter);
        } catch (e) {
          if (e instanceof UnshownForm) throw new InputError(e.message);
          throw new InputError(`Failed to create event filter: ${f.filter}: ${describeError(e)}`);
        }
        out.write(lines);
      }
      throw new ExitStatus(0);
    }
    try {
      inp.filter = pids.length > 0 && filters.length === 0 ? pidPredicate(inp, pids) : makeRecordFilter(inp.td.tep, filters);
    } catch (e) {
      throw new InputError(`Failed to create event filter: ${describeError(e)}`);
    }
    const names = [
      ...(multi ? inputs.map((i) => i.name) : []),
      // trace-cmd's max_file_size grows as handles are added: the instances of this input come after its cpus= line
      ...inputs.slice(0, k).flatMap((i) => i.td.instances.filter((b) => !i.skipped?.has(b)).map((b) => b.name)),
    ];
    const maxLen = Math.max(0, ...names.map((n) => n.length));
    if (!args.json || args.profile || args.version || args.uname || args.stat)
      out.write((multi ? inp.name.padStart(maxLen) + ': ' : '') + `cpus=${inp.td.cpuCount}\n`);
    if (inp.td.isLatency) {
      if (multi) throw new InputError('latency traces do not work with multiple inputs');
      out.write(await inp.td.latencyText());
      out.write('\n');
      return;
    }
    if (args.version) {
      out.write((inp.td.versionString ?? ' version was not recorded in this file') + '\n');
      continue;
    }
    if (args.uname) {
      // trace-cmd falls through from --uname into --version
      out.write((inp.td.uname ?? ' uname was not recorded in this file') + '\n');
      out.write((inp.td.versionString ?? ' version was not recorded in this file') + '\n');
      continue;
    }
    if (args.stat) {
      await showStat(inp.td, out);
      continue;
    }
    if (profile) {
      try {
        profiles.set(inp, profile.initTopProfile(inp, args, hooks));
      } catch (e) {
        throw new InputError(describeError(e));
      }
    }
    // the instance handles are set up after the top one is listed (read_data_info)
    if (args.debug) for (const b of inp.td.instances) if (!inp.skipped?.has(b)) out.write(emptyCpuLines(b));
  }
  if (args.version || args.uname || args.stat) return;
  if (profile) return profile.runProfile(inputs, profiles, args, hooks, out);
  await printTrace(inputs, args, out, args.noPlugins ? undefined : ps.lookahead);
}

/** `utp report` from argv to exit status; the report is written to `fd` (stdout unless `utp profile -o` asks for a file). */
export async function report(argv: string[], fd = 1): Promise<number> {
  // CTF input (a trace directory or its metadata file): printed as babeltrace2 does
  const ctf = await import('../report-ctf/index.js');
  const ctfDir = ctf.ctfInput(argv);
  if (ctfDir !== undefined) return ctf.reportCtf(argv, ctfDir);
  // perf.data input (PERFILE2 magic, file or pipe mode): perf script's output, see ../report-perf/
  const perf = await import('../report-perf/index.js');
  const perfInput = perf.inputOf(argv);
  if (perfInput !== undefined && perf.isPerfDataFile(perfInput)) return perf.reportPerf(argv);
  // the WebAssembly zstd decoder compiles in the background while the inputs are opened
  void fastZstd();
  const args = parseReportArgs(argv);
  const out = new Output(fd);
  if (args.help) {
    out.write(REPORT_USAGE + '\n');
    out.flush();
    return 0;
  }
  const multi = args.inputs.length > 1;
  // trace-cmd parses each -H while it reads its options and prints it (with or without --profile)
  const hooks: ProfileHook[] = [];
  for (const h of args.hooks) {
    const hook = parseProfileHook(h);
    if (!hook) {
      // trace-cmd 3.1.6 warns and then dereferences the NULL hook (SIGSEGV)
      process.stderr.write(`utp report: Invalid hook format '${h}'\n`);
      return 2;
    }
    for (const f of hook.unknownFlags) process.stderr.write(`utp report: unknown flag ${f}\n`);
    out.write(profileHookLine(hook));
    hooks.push(hook);
  }
  if (multi && args.wakeup) {
    process.stderr.write('utp report: Wakeup tracing can only be done on a single input file\n');
    return 1;
  }
  const inputs: Input[] = [];
  const ps: PluginState = { funcRepeatTime: 'usecs', lookahead: new HandleLookahead() };
  try {
    for (let k = 0; k < args.inputs.length; k++) {
      const hz = args.ts2secs.get(k) || args.ts2secs.get(-1) || 0n;
      inputs.push(await openTrace(args.inputs[k]!, args, k > 0 ? (args.tsOffsets.get(k) ?? 0n) : 0n, hz, ps));
    }
  } catch (e) {
    for (const i of inputs) await i.td.close();
    if (e instanceof InputError) {
      out.flush();
      process.stderr.write(`utp report: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  // trace-cmd sets tep_func_repeat_format once, from the last input's flags
  const lastTd = inputs[inputs.length - 1]!.td;
  ps.funcRepeatTime = args.rawTs ? 'raw' : !lastTd.inUsecs ? 'counter' : args.nsec ? 'nsecs' : 'usecs';
  let status = 0;
  try {
    await run(inputs, args, out, ps, hooks);
  } catch (e) {
    out.flush();
    if (e instanceof ExitStatus || e instanceof DebugExit) {
      status = e.status;
    } else if (e instanceof InitError) {
      process.stderr.write(`utp report: ${e.message}\n`);
      status = 2;
    } else {
      process.stderr.write(`utp report: ${e instanceof InputError ? e.message : describeError(e)}\n`);
      if (process.env['UTP_DEBUG']) process.stderr.write(String((e as Error).stack) + '\n');
      status = 1;
    }
  } finally {
    out.flush();
    for (const inp of inputs) {
      await inp.td.close();
      if (renderDiagnostics(inp, args.verbose) !== 0 && status === 0) status = 1;
    }
  }
  return status;
}
