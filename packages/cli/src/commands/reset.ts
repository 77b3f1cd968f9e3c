/**
 * `utp reset [-b KB] [-B NAME]... [-a] [-d] [-t] [--stale]`: trace-cmd 3.1.6's reset. Removes utp
 * instances and probe groups whose owner is dead (always), then, for the instances named (the top
 * one unless -B names one, or with -t; every instance with -a, except those of live utp
 * processes), does what trace-cmd reset does to them, in its order: tracing off, tracer nop,
 * events off, filters and triggers cleared, buffer cleared (and resized with -b), every dynamic
 * event removed (except live utp processes' probes), error_log cleared, clock local, event pids
 * cleared, tracing_max_latency 0, all CPUs in tracing_cpumask, -d's instances removed, function
 * filters cleared, tracing on. utp also turns options/event-fork off and puts buffer_percent back
 * to 50 (what a killed `utp record` may leave), which trace-cmd does not touch.
 */
import {
  Instance,
  sweepStale,
  destroyInstance,
  ownerAlive,
  sharedInstanceUsers,
  tracingUnavailableReason,
  listDynamicEvents,
  removeDynamicEvent,
  type DynamicEvent,
} from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

export const HELP = `usage:
 utp reset [-b size][-B buf][-a][-d][-t][--stale]
          Disables the tracer (may reset trace file)
          Used in conjunction with start
          -b change the kernel buffer size (in kilobytes per CPU; of the -B before it,
             or of every instance after -a)
          -d delete the previous specified instance (every instance after -a)
          -B reset the given buffer instance (may specify multiple -B)
          -a reset all instances (except top one, and those of a running utp record)
          -t reset the top level instance (useful with -B or -a)
          --stale only remove the instances and probes of dead utp processes
          Every dynamic event (kprobe, uprobe, eprobe, synthetic) is removed, as by
          trace-cmd reset, except the probes of running utp processes.`;

interface Target {
  name: string | undefined;
  bufferKb?: number;
  keep: boolean;
}

/** Runs `f` on each instance, ignoring files the kernel lacks or refuses (EPERM: function tracing locked down). */
function each(insts: Instance[], f: (i: Instance) => void): void {
  for (const i of insts) {
    try {
      f(i);
    } catch (e) {
      const code = (e as { errno?: string; cause?: { code?: string } }).errno ?? (e as { cause?: { code?: string } }).cause?.code;
      if (code !== 'ENOENT' && code !== 'EPERM' && code !== 'EACCES') throw e;
    }
  }
}

function write(i: Instance, rel: string, text: string): void {
  if (i.hasFile(rel)) i.write(rel, text);
}

/** Removes every trigger of every event (commands without count and filter; twice, for ordered ones). */
function clearTriggers(inst: Instance): void {
  for (let pass = 0; pass < 3; pass++) {
    let left = 0;
    for (const ev of inst.events()) {
      if (!inst.hasFile(`events/${ev.system}/${ev.name}/trigger`)) continue;
      for (const t of inst.eventTriggers(ev.system, ev.name)) {
        const cmd = t.split(' ')[0]!.replace(/:(unlimited|count=\d+|\d+)$/, '');
        try {
          inst.removeEventTrigger(ev.system, ev.name, cmd);
        } catch {
          left++;
        }
      }
    }
    if (!left) break;
  }
}

/** Truncates a function-filter file, then removes what truncation leaves (commands) with '!'. */
function clearFuncFilter(inst: Instance, rel: string): void {
  if (!inst.hasFile(rel)) return;
  inst.write(rel, '');
  for (const l of inst.read(rel).split('\n')) {
    if (!l || l.startsWith('#')) continue;
    try {
      inst.write(rel, `!${l.split(' ')[0]}`, true);
    } catch {
      /* gone with another line */
    }
  }
}

/** Every dynamic event except the probes of live utp processes; eprobes first (they sit on others). */
function clearDynamicEvents(errors: string[]): void {
  const evs = listDynamicEvents().filter((ev) => !ownerAlive(ev.group));
  evs.sort((a, b) => Number(b.kind === 'eprobe') - Number(a.kind === 'eprobe'));
  const all = [Instance.top(), ...Instance.list().map((n) => Instance.open(n))];
  for (const ev of evs) {
    for (const i of all) {
      try {
        if (i.hasFile(`events/${ev.group}/${ev.name}/enable`)) i.disableEvent(ev.group, ev.name);
      } catch {
        /* */
      }
    }
    try {
      removeDynamicEvent(ev as DynamicEvent);
    } catch (e) {
      errors.push(`cannot remove dynamic event ${ev.group}/${ev.name}: ${(e as Error).message}`);
    }
  }
}

function fullCpumask(cpus: number): string {
  const hex = ((1n << BigInt(cpus)) - 1n).toString(16);
  const words: string[] = [];
  for (let end = hex.length; end > 0; end -= 8) words.unshift(hex.slice(Math.max(0, end - 8), end));
  return words.join(',');
}

const command: Command = {
  name: 'reset',
  summary: 'disable tracing, remove stale utp instances and probes',
  async run(argv: string[]): Promise<number> {
    const top: Target = { name: undefined, keep: true };
    const list: Target[] = [];
    let current = top,
      topt = false,
      lastAll = false,
      all = false,
      staleOnly = false;
    const named = (n: string): Target => {
      let t = list.find((x) => x.name === n);
      if (!t) list.push((t = { name: n, keep: true }));
      return t;
    };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = (): string => {
        const x = argv[++i];
        if (x === undefined) throw new UsageError(`reset: option ${a} needs a value`);
        return x;
      };
      if (a === '-B') {
        lastAll = false;
        current = named(v());
        current.keep = true;
      } else if (a === '-t') {
        lastAll = false;
        topt = true;
        current = top;
      } else if (a === '-a') {
        lastAll = true;
        all = true;
        for (const n of Instance.list()) named(n).keep = true;
      } else if (a === '-d') {
        if (lastAll) for (const t of list) t.keep = false;
        else if (current === top) throw new UsageError('reset: Can not delete top level buffer');
        else current.keep = false;
      } else if (a === '--stale') staleOnly = true;
      else if (a === '-b') {
        const s = v();
        if (!/^-?\d+$/.test(s)) throw new UsageError(`reset: -b wants KiB per CPU, got '${s}'`);
        const kb = Math.max(1, Number(s)); // trace-cmd: the minimum is 1
        if (lastAll) for (const t of list) t.bufferKb = kb;
        else current.bufferKb = kb;
      } else if (a === '-h' || a === '--help') {
        process.stdout.write(HELP + '\n');
        return 0;
      } else throw new UsageError(`reset: unknown option '${a}'`);
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp reset: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    const sw = sweepStale();
    for (const n of [...sw.instances, ...sw.groups]) process.stdout.write(`removed stale ${n}\n`);
    const errors = [...sw.errors];
    if (staleOnly) {
      for (const e of errors) process.stderr.write(`utp reset: ${e}\n`);
      return errors.length ? 1 : 0;
    }
    const targets: Target[] = [];
    if (topt || current === top) targets.push(top);
    for (const t of list) {
      if (sw.instances.includes(t.name!)) continue; // just swept
      if (!Instance.exists(t.name!)) {
        if (all && !argv.includes(t.name!)) continue; // went away since -a listed it
        throw new UsageError(`reset: no instance '${t.name}'`);
      }
      if (ownerAlive(t.name!) || sharedInstanceUsers(t.name!).length) {
        process.stderr.write(`utp reset: skipped instance ${t.name} (a running utp record owns it)\n`);
        continue;
      }
      targets.push(t);
    }
    const insts = targets.map((t) => Instance.open(t.name));
    each(insts, (i) => i.setTracingOn(false));
    each(insts, (i) => {
      if (i.currentTracer().startsWith('function')) i.write('trace_options', 'nofunc_stack_trace');
    });
    each(insts, (i) => {
      if (i.currentTracer() !== 'nop') i.setTracer('nop');
    });
    each(insts, (i) => {
      i.disableEvent();
      for (const s of i.eventSystems()) if (i.hasFile(`events/${s}/filter`)) i.write(`events/${s}/filter`, '0');
    });
    each(insts, (i) => write(i, 'set_ftrace_pid', ''));
    each(insts, (i) => i.clearTrace());
    targets.forEach((t, k) => {
      if (t.bufferKb !== undefined) insts[k]!.setBufferSizeKb(t.bufferKb);
    });
    each(insts, (i) => {
      for (const ev of i.events()) {
        const rel = `events/${ev.system}/${ev.name}/filter`;
        if (i.hasFile(rel) && i.read(rel).trim() !== 'none') i.clearEventFilter(ev.system, ev.name);
      }
    });
    each(insts, clearTriggers);
    // An enable_event trigger that fired since the events went off left its target on (trace-cmd
    // leaves it so): off again now that no trigger is left.
    each(insts, (i) => i.disableEvent());
    clearDynamicEvents(errors);
    each(insts, (i) => write(i, 'error_log', ' '));
    each(insts, (i) => {
      if (i.clocks().current !== 'local') i.setClock('local');
    });
    each(insts, (i) => i.clearEventPids());
    each(insts, (i) => write(i, 'tracing_max_latency', '0'));
    each(insts, (i) => {
      const n = Math.max(...i.cpus()) + 1;
      if (n > 0) write(i, 'tracing_cpumask', fullCpumask(n));
    });
    // utp's own: what a killed utp record may leave, which trace-cmd reset does not touch.
    each(insts, (i) => {
      if (i.hasFile('options/event-fork') && i.option('event-fork')) i.setOption('event-fork', false);
      if (i.bufferPercent() !== undefined && i.bufferPercent() !== 50) i.setBufferPercent(50);
    });
    targets.forEach((t, k) => {
      if (t.keep) return;
      destroyInstance(insts[k]!);
      process.stdout.write(`removed instance ${t.name}\n`);
    });
    const kept = insts.filter((_, k) => targets[k]!.keep);
    for (const rel of ['set_ftrace_filter', 'set_ftrace_notrace', 'set_graph_function', 'set_graph_notrace'])
      each(kept, (i) => clearFuncFilter(i, rel));
    each(kept, (i) => i.setTracingOn(true));
    for (const e of errors) process.stderr.write(`utp reset: ${e}\n`);
    return errors.length ? 1 : 0;
  },
};
export default command;
