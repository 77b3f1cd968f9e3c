/**
 * trace-cmd set as a library: configures tracefs instances (events with filters and triggers,
 * tracer, clock, buffer size, cpumask, options, event pids) without recording, and leaves them
 * so. What it writes, file by file, is what `trace-cmd set -d` writes in the same instance
 * (test/trace-cmd-set.test.mjs compares every file of both instances). trace-cmd 3.1.6 without
 * -d fails on a kernel that refuses the function tracer (it writes /proc/sys/kernel/ftrace_enabled
 * first: "Can't enable ftrace", nothing set); utp leaves that global switch alone unless -D asks.
 * Every event is resolved before anything is written.
 *
 * The per-instance pieces (function lists, options, max_graph_depth, -d, -D, --cmdlines-size, event
 * resolution with -i) are exported: RecordSession (record, stream, profile) applies the same writes,
 * saving each file first through a BeforeChange hook so it can undo them; utp start goes through
 * setTracing itself.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Instance, type EventName } from '@utp/tracefs';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export interface SetEventSpec {
  /** `system`, `system:event` or `event`, globs allowed. */
  spec: string;
  /** Filter (the -f texts, already joined as trace-cmd joins them). */
  filter: string | undefined;
  /** Triggers (-R), one per entry. */
  triggers: string[];
  /** -v: disable instead of enable. */
  disable: boolean;
}

export interface SetInstanceSpec extends InstanceSetup {
  /** undefined: the top instance. */
  name: string | undefined;
  /** -v -B: remove the instance. */
  remove: boolean;
  events: SetEventSpec[];
  tracer: string | undefined;
  clock: string | undefined;
  bufferSizeKb: number | undefined;
  cpumask: string | undefined;
  /** -P */
  pids: number[];
}

export interface SetOptions {
  instances: SetInstanceSpec[];
  /** -d: function-trace off in the last instance given. */
  disableFunctionTrace: boolean;
  /** -D: also /proc/sys/kernel/ftrace_enabled = 0 (global). */
  totalDisable: boolean;
  /** -i: an event that matches nothing is skipped, not an error. */
  ignoreMissingEvents: boolean;
  /** --cmdlines-size (the global saved_cmdlines_size). */
  cmdlinesSize: number | undefined;
  /** A function list the kernel refuses is an error (utp start), not a warning (utp set, as trace-cmd set). */
  strictFunctions: boolean;
  /** Warnings (a function list an instance has no file for). */
  onWarning: ((message: string) => void) | undefined;
}

export function emptySetInstance(name: string | undefined): SetInstanceSpec {
  return {
    name,
    remove: false,
    events: [],
    tracer: undefined,
    clock: undefined,
    bufferSizeKb: undefined,
    cpumask: undefined,
    pids: [],
    ...emptyInstanceSetup(),
  };
}

const PROC_FTRACE = '/proc/sys/kernel/ftrace_enabled';

/** Applies `o`; resolves to the names of the instances it created. */
export function setTracing(o: Partial<SetOptions> & { instances: SetInstanceSpec[] }): string[] {
  const opts: SetOptions = {
    disableFunctionTrace: false,
    totalDisable: false,
    ignoreMissingEvents: false,
    cmdlinesSize: undefined,
    strictFunctions: false,
    onWarning: undefined,
    ...o,
  };
  const top = Instance.top();
  const ctx: SetupContext = { strict: opts.strictFunctions, onWarning: opts.onWarning };
  // resolve first: a typo must not leave tracing half configured
  const resolved = opts.instances.map((spec) => ({ spec, events: resolveEvents(spec.events, opts.ignoreMissingEvents) }));
  for (const { spec } of resolved) {
    if (spec.clock !== undefined && !top.clocks().available.includes(spec.clock))
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Clock ${spec.clock} is not supported`, { context: { clock: spec.clock } });
    if (spec.tracer !== undefined && !top.availableTracers().includes(spec.tracer))
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Tracer '${spec.tracer}' is not available on this kernel`, {
        context: { available: top.availableTracers().join(' ') },
      });
  }
  const created: string[] = [];
  const live: Array<{ inst: Instance; spec: SetInstanceSpec; events: Array<{ e: SetEventSpec; evs: EventName[] }> }> = [];
  for (const r of resolved) {
    const name = r.spec.name;
    if (r.spec.remove) {
      if (name === undefined) throw new TraceCmdError(TraceCmdErrorCode.BadOption, '-v -B needs an instance name');
      if (Instance.exists(name)) Instance.open(name).remove();
      continue;
    }
    let inst: Instance;
    if (name === undefined) inst = top;
    else if (Instance.exists(name)) inst = Instance.open(name);
    else {
      inst = Instance.create(name);
      created.push(name);
    }
    live.push({ inst, spec: r.spec, events: r.events });
  }
  try {
    const last = live.at(-1);
    if (last) setFunctionTrace(last.inst, !opts.disableFunctionTrace, ctx);
    if (opts.totalDisable) disableFtrace(ctx);
    for (const { inst, spec } of live) if (spec.clock !== undefined) inst.setClock(spec.clock);
    for (const { inst, spec } of live) {
      applyFunctionLists(inst, spec, ctx);
      if (spec.cpumask !== undefined) inst.setCpumask(spec.cpumask);
    }
    for (const { inst, events } of live) {
      for (const { e, evs } of events) {
        if (e.disable) continue;
        for (const ev of evs) {
          if (e.filter !== undefined) inst.setEventFilter(ev.system, ev.name, e.filter);
          for (const t of e.triggers) inst.addEventTrigger(ev.system, ev.name, t);
          inst.enableEvent(ev.system, ev.name);
        }
      }
      // -v events: their triggers are written (as trace-cmd does), their filters not
      for (const { e, evs } of events)
        if (e.disable)
          for (const ev of evs) {
            for (const t of e.triggers) inst.addEventTrigger(ev.system, ev.name, t);
            inst.disableEvent(ev.system, ev.name);
          }
    }
    if (opts.cmdlinesSize !== undefined) setCmdlinesSize(opts.cmdlinesSize, ctx);
    for (const { inst, spec } of live) if (spec.bufferSizeKb !== undefined) inst.setBufferSizeKb(spec.bufferSizeKb);
    for (const { inst, spec } of live) if (spec.tracer !== undefined) inst.setTracer(spec.tracer);
    for (const { inst, spec } of live) {
      applyOptions(inst, spec, ctx);
      if (spec.pids.length) inst.write('set_event_pid', spec.pids.join(' '));
      applyMaxGraphDepth(inst, spec.maxGraphDepth, ctx);
    }
  } catch (e) {
    // an instance this call created is removed again: nothing half set is left behind
    for (const name of created) {
      try {
        Instance.open(name).remove();
      } catch {
        /* leave it: utp reset removes stale instances */
      }
    }
    throw e;
  }
  return created;
}

/** The current value of /proc/sys/kernel/ftrace_enabled (for messages and tests). */
export function ftraceEnabled(): string {
  try {
    return readFileSync(PROC_FTRACE, 'latin1').trim();
  } catch {
    return '';
  }
}

// ---- the pieces set, record, start, stream and profile share ----

/** trace-cmd's per-instance setup flags: -O, -T, -c, -l, -n, -g (--module folded in), --func-stack, --max-graph-depth. */
export interface InstanceSetup {
  /** -O options, "name" or "noname", in order. */
  options: string[];
  /** -T: a stack trace on every event (option stacktrace). */
  stacktrace: boolean;
  /** -c: also the children (event-fork, function-fork). */
  children: boolean;
  /** -l / -n / -g function lists (set_ftrace_filter, set_ftrace_notrace, set_graph_function). */
  filterFunctions: string[];
  notraceFunctions: string[];
  graphFunctions: string[];
  /** --func-stack (option func_stack_trace; the top instance only, with -l, as trace-cmd). */
  funcStack: boolean;
  /** --max-graph-depth */
  maxGraphDepth: number | undefined;
}

export function emptyInstanceSetup(): InstanceSetup {
  return {
    options: [],
    stacktrace: false,
    children: false,
    filterFunctions: [],
    notraceFunctions: [],
    graphFunctions: [],
    funcStack: false,
    maxGraphDepth: undefined,
  };
}

/**
 * Called before a file is changed: `read()` gives its current text, `restore(old)` writes it back.
 * utp set passes none (it leaves what it sets); a recording saves every change to undo it.
 */
export type BeforeChange = (what: string, read: () => string, restore: (old: string) => void) => void;

export interface SetupContext {
  before?: BeforeChange | undefined;
  /** A function list the kernel refuses: an error (record) or a warning (set: trace-cmd set goes on). */
  strict: boolean;
  onWarning?: ((message: string) => void) | undefined;
}

function saveFile(inst: Instance, rel: string, ctx: SetupContext, toWrite: (text: string) => string = (t) => t.trim()): void {
  ctx.before?.(
    rel,
    () => toWrite(inst.read(rel)),
    (old) => inst.write(rel, old),
  );
}

function where(inst: Instance): string {
  return inst.name ? `instance ${inst.name}` : 'the top instance';
}

/** Resolves -e specs (globs) to events, before anything is written; -i skips those matching nothing. */
export function resolveEvents<E extends { spec: string }>(specs: E[], ignoreMissing: boolean): Array<{ e: E; evs: EventName[] }> {
  const top = Instance.top();
  return specs.map((e) => {
    let evs: EventName[] = [];
    try {
      evs = top.matchEvents(e.spec);
    } catch (err) {
      if (!ignoreMissing) throw err;
    }
    if (!evs.length && !ignoreMissing)
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `No events enabled with ${e.spec}`, { context: { event: e.spec } });
    return { e, evs };
  });
}

/** -d: options/function-trace off (on without -d) in `inst`, where the kernel has the option. */
export function setFunctionTrace(inst: Instance, on: boolean, ctx: SetupContext): void {
  if (!inst.hasFile('options/function-trace')) return;
  saveFile(inst, 'options/function-trace', ctx);
  inst.setOption('function-trace', on);
}

/** -D: /proc/sys/kernel/ftrace_enabled = 0, the global switch of function tracing. */
export function disableFtrace(ctx: SetupContext): void {
  const old = ftraceEnabled();
  try {
    writeFileSync(PROC_FTRACE, '0');
  } catch (e) {
    const errno = (e as { code?: string }).code ?? 'refused';
    throw new TraceCmdError(
      TraceCmdErrorCode.Refused,
      `-D: the kernel refuses ${PROC_FTRACE} = 0 (${errno}): function tracing cannot be disabled here`,
    );
  }
  // saved once written: a refused write changed nothing to restore
  ctx.before?.(
    PROC_FTRACE,
    () => old,
    (v) => writeFileSync(PROC_FTRACE, v),
  );
}

/** --cmdlines-size: the global saved_cmdlines_size. */
export function setCmdlinesSize(n: number, ctx: SetupContext): void {
  saveFile(Instance.top(), 'saved_cmdlines_size', ctx);
  Instance.top().write('saved_cmdlines_size', String(n));
}

/** Restoring a function list: an unfiltered one ("#### all functions enabled ####") is an empty write. */
const functionListText = (t: string): string => (/^\s*#/.test(t) || !t.trim() ? '' : t.trim().split('\n').join(' '));

/**
 * -l, -n, -g and the --func-stack check, as trace-cmd 3.1.6 writes them: -l in any instance; -n and -g
 * where trace-cmd does (-g only in the top instance: set_graph_function is the top's); --func-stack
 * only in the top instance and only when its functions are filtered.
 */
export function applyFunctionLists(inst: Instance, s: InstanceSetup, ctx: SetupContext): void {
  const top = inst.name === undefined;
  functionList(inst, 'set_ftrace_filter', '-l', s.filterFunctions, ctx);
  functionList(inst, 'set_ftrace_notrace', '-n', s.notraceFunctions, ctx);
  if (s.graphFunctions.length) {
    if (top) functionList(inst, 'set_graph_function', '-g', s.graphFunctions, ctx);
    else ctx.onWarning?.(`-g applies to the top instance only (as in trace-cmd): ${s.graphFunctions.join(' ')} not set in ${where(inst)}`);
  }
  if (s.funcStack) {
    if (!top) ctx.onWarning?.(`--func-stack applies to the top instance only (as in trace-cmd): not set in ${where(inst)}`);
    else if (!functionsFiltered(inst))
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, '--func-stack needs filtered functions (-l FUNC) in the top instance');
  }
}

function functionsFiltered(inst: Instance): boolean {
  try {
    const t = inst.read('set_ftrace_filter');
    return t.length > 0 && t[0] !== '#' && !/\s/.test(t[0]!);
  } catch {
    return false;
  }
}

function functionList(inst: Instance, file: string, flag: string, funcs: string[], ctx: SetupContext): void {
  if (!funcs.length) return;
  const refused = (why: string): void => {
    const m = `${flag} ${funcs.join(' ')}: ${why}`;
    if (ctx.strict) throw new TraceCmdError(TraceCmdErrorCode.Refused, m);
    ctx.onWarning?.(`${m}; not set`);
  };
  if (!inst.hasFile(file)) {
    refused(`${where(inst)} has no ${file} (no function tracer in this kernel)`);
    return;
  }
  let old: string;
  try {
    old = inst.read(file);
  } catch (e) {
    const errno = (e as { errno?: string }).errno ?? 'refused';
    refused(`the kernel refuses ${file} in ${where(inst)} (${errno}: function tracing is not available here)`);
    return;
  }
  ctx.before?.(
    file,
    () => functionListText(old),
    (t) => inst.write(file, t),
  );
  try {
    inst.write(file, '');
    for (const f of funcs) inst.write(file, f, true);
  } catch (e) {
    const errno = (e as { errno?: string }).errno ?? 'refused';
    refused(`the kernel refuses it in ${file} of ${where(inst)} (${errno})`);
  }
}

/** -O, -T, -c and --func-stack's options, after the tracer (setting a function tracer resets func_stack_trace). */
export function applyOptions(inst: Instance, s: InstanceSetup, ctx: SetupContext): void {
  const options = [...s.options];
  if (s.stacktrace) options.push('stacktrace');
  if (s.children) options.push('event-fork', 'function-fork');
  if (s.funcStack && inst.name === undefined) options.push('func_stack_trace');
  for (const opt of options) {
    const on = !opt.startsWith('no') || inst.hasFile(`options/${opt}`);
    const name = on ? opt : opt.slice(2);
    if (!inst.hasFile(`options/${name}`))
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Failed to set ftrace option ${opt}`, { context: { option: opt } });
    saveFile(inst, `options/${name}`, ctx);
    inst.setOption(name, on);
  }
}

/** --max-graph-depth (function_graph's max_graph_depth). */
export function applyMaxGraphDepth(inst: Instance, depth: number | undefined, ctx: SetupContext): void {
  if (depth === undefined) return;
  if (!inst.hasFile('max_graph_depth'))
    throw new TraceCmdError(
      TraceCmdErrorCode.BadOption,
      `--max-graph-depth: ${where(inst)} has no max_graph_depth (no function_graph tracer in this kernel)`,
    );
  saveFile(inst, 'max_graph_depth', ctx);
  inst.write('max_graph_depth', String(depth));
}
