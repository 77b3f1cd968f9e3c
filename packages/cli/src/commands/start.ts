/**
 * `utp start`: configures tracing like record (same -e/-f/-p/-P/-c/-b/-C/-M/-B flags) in the top
 * instance (or -B NAME, created if missing) and leaves it running, without recording to a file.
 * `utp stop` turns it off, `utp extract` saves it, `utp reset` undoes it.
 */
import { Instance, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';
import { parseRecordArgs } from './record.js';

const command: Command = {
  name: 'start',
  summary: 'start tracing without recording to a file',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write('usage: utp start [-e EVENT [-f FILTER]]... [-p TRACER] [-P PID] [-c] [-B NAME] [-b KB] [-C CLOCK] [-M MASK]\n');
      return 0;
    }
    const { opts, command: cmd, filterCmd } = parseRecordArgs(argv);
    if (cmd.length) throw new UsageError('start: does not run a command (use utp record)');
    // Flags that only make sense for a recording are refused, not silently ignored.
    if (opts.uprobes?.length) throw new UsageError('start: --uprobe is not supported (use utp record)');
    if (filterCmd) throw new UsageError('start: -F needs a command (use utp record)');
    if (opts.output !== undefined) throw new UsageError('start: -o does not apply (start writes no file; use utp extract)');
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp start: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    // Resolve every event before changing anything: a typo must not leave tracing half configured.
    const resolved = (opts.events ?? []).map((e) => ({ e, evs: Instance.top().matchEvents(e.spec) }));
    const inst = opts.instanceName
      ? Instance.exists(opts.instanceName)
        ? Instance.open(opts.instanceName)
        : Instance.create(opts.instanceName)
      : Instance.top();
    const wasOn = inst.read('tracing_on').trim() === '1';
    inst.setTracingOn(false);
    try {
      if (opts.bufferSizeKb !== undefined) inst.setBufferSizeKb(opts.bufferSizeKb);
      if (opts.subbufSizeKb !== undefined) inst.setSubbufSizeKb(opts.subbufSizeKb);
      if (opts.clock !== undefined) inst.setClock(opts.clock);
      if (opts.cpumask !== undefined) inst.setCpumask(opts.cpumask);
      if (opts.tracer !== undefined) inst.setTracer(opts.tracer);
      for (const { e, evs } of resolved) {
        for (const ev of evs) {
          if (e.filter !== undefined) inst.setEventFilter(ev.system, ev.name, e.filter);
          if (e.trigger !== undefined) inst.addEventTrigger(ev.system, ev.name, e.trigger);
          inst.enableEvent(ev.system, ev.name);
        }
      }
      if (opts.pids?.length) inst.setEventPids(opts.pids, opts.followChildren ?? false);
    } catch (e) {
      if (wasOn) inst.setTracingOn(true);
      throw e;
    }
    inst.setTracingOn(true);
    return 0;
  },
};
export default command;
