/**
 * trace-cmd set as a library: configures tracefs instances (events with filters and triggers,
 * tracer, clock, buffer size, cpumask, options, event pids) without recording, and leaves them
 * so. What it writes, file by file, is what `trace-cmd set -d` writes in the same instance
 * (test/trace-cmd-set.test.mjs compares every file of both instances). trace-cmd 3.1.6 without
 * -d fails on a kernel that refuses the function tracer (it writes /proc/sys/kernel/ftrace_enabled
 * first: "Can't enable ftrace", nothing set); utp leaves that global switch alone unless -D asks.
 * Every event is resolved before anything is written.
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

export interface SetInstanceSpec {
  /** undefined: the top instance. */
  name: string | undefined;
  /** -v -B: remove the instance. */
  remove: boolean;
  events: SetEventSpec[];
  tracer: string | undefined;
  clock: string | undefined;
  bufferSizeKb: number | undefined;
  cpumask: string | undefined;
  /** -O options, "name" or "noname", in order. */
  options: string[];
  /** -P */
  pids: number[];
  /** -c: also the children (event-fork, function-fork). */
  children: boolean;
  /** -T: a stack trace on every event (option stacktrace). */
  stacktrace: boolean;
  /** -l / -n / -g function lists (set_ftrace_filter, set_ftrace_notrace, set_graph_function). */
  filterFunctions: string[];
  notraceFunctions: string[];
  graphFunctions: string[];
  /** --func-stack (option func_stack_trace). */
  funcStack: boolean;
  /** --max-graph-depth */
  maxGraphDepth: number | undefined;
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
    options: [],
    pids: [],
    children: false,
    stacktrace: false,
    filterFunctions: [],
    notraceFunctions: [],
    graphFunctions: [],
    funcStack: false,
    maxGraphDepth: undefined,
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
    onWarning: undefined,
    ...o,
  };
  const top = Instance.top();
  // resolve first: a typo must not leave tracing half configured
  const resolved = opts.instances.map((spec) => ({
    spec,
    events: spec.events.map((e) => {
      let evs: EventName[] = [];
      try {
        evs = top.matchEvents(e.spec);
      } catch (err) {
        if (!opts.ignoreMissingEvents) throw err;
      }
      if (!evs.length && !opts.ignoreMissingEvents)
        throw new TraceCmdError(TraceCmdErrorCode.BadOption, `No events enabled with ${e.spec}`, { context: { event: e.spec } });
      return { e, evs };
    }),
  }));
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
    if (last?.inst.hasFile('options/function-trace')) last.inst.setOption('function-trace', !opts.disableFunctionTrace);
    if (opts.totalDisable) {
      try {
        writeFileSync(PROC_FTRACE, '0');
      } catch (e) {
        throw new TraceCmdError(TraceCmdErrorCode.Refused, `Cannot disable ftrace (${PROC_FTRACE})`, { cause: e });
      }
    }
    for (const { inst, spec } of live) if (spec.clock !== undefined) inst.setClock(spec.clock);
    for (const { inst, spec } of live) {
      functionList(inst, 'set_ftrace_filter', spec.filterFunctions, opts.onWarning);
      functionList(inst, 'set_ftrace_notrace', spec.notraceFunctions, opts.onWarning);
      functionList(inst, 'set_graph_function', spec.graphFunctions, opts.onWarning);
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
      for (const { e, evs } of events) if (e.disable) for (const ev of evs) inst.disableEvent(ev.system, ev.name);
    }
    if (opts.cmdlinesSize !== undefined) top.write('saved_cmdlines_size', String(opts.cmdlinesSize));
    for (const { inst, spec } of live) if (spec.bufferSizeKb !== undefined) inst.setBufferSizeKb(spec.bufferSizeKb);
    for (const { inst, spec } of live) if (spec.tracer !== undefined) inst.setTracer(spec.tracer);
    for (const { inst, spec } of live) {
      const options = [...spec.options];
      if (spec.stacktrace) options.push('stacktrace');
      if (spec.children) options.push('event-fork', 'function-fork');
      if (spec.funcStack) options.push('func_stack_trace');
      for (const opt of options) {
        const on = !opt.startsWith('no') || inst.hasFile(`options/${opt}`);
        const name = on ? opt : opt.slice(2);
        if (!inst.hasFile(`options/${name}`))
          throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Failed to set ftrace option ${opt}`, { context: { option: opt } });
        inst.setOption(name, on);
      }
      if (spec.pids.length) inst.write('set_event_pid', spec.pids.join(' '));
      if (spec.maxGraphDepth !== undefined) {
        if (!inst.hasFile('max_graph_depth'))
          throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'This kernel has no max_graph_depth (function graph tracer)');
        inst.write('max_graph_depth', String(spec.maxGraphDepth));
      }
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

function functionList(inst: Instance, file: string, funcs: string[], warn: ((m: string) => void) | undefined): void {
  if (!funcs.length) return;
  if (!inst.hasFile(file)) {
    warn?.(`${inst.name ? `instance ${inst.name}` : 'the top instance'} has no ${file}: ${funcs.join(' ')} not set`);
    return;
  }
  try {
    for (const f of funcs) inst.write(file, f, true);
  } catch (e) {
    // trace-cmd goes on silently; say it once
    const errno = (e as { errno?: string }).errno ?? 'refused';
    warn?.(`the kernel refuses ${file} (${errno}; function tracing is not available): ${funcs.join(' ')} not set`);
  }
}

/** The current value of /proc/sys/kernel/ftrace_enabled (for messages and tests). */
export function ftraceEnabled(): string {
  try {
    return readFileSync(PROC_FTRACE, 'latin1').trim();
  } catch {
    return '';
  }
}
