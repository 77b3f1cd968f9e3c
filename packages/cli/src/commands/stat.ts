/** `utp stat [-B NAME]`: the state of tracing (tracer, events, filters, pids, buffers, clock, instances, probes). */
import { Instance, listDynamicEvents, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

function describe(inst: Instance): string[] {
  const out: string[] = [];
  out.push(`Tracer: ${inst.currentTracer()}`);
  const evs = inst.enabledEvents();
  out.push('', 'Events:', ...(evs.length ? evs.map((e) => ` ${e}`) : [' (none)']));
  const filters: string[] = [];
  for (const e of evs) {
    const [sys, name] = e.split(':');
    if (!sys || !name) continue;
    const f = inst.eventFilter(sys, name);
    if (f && f !== 'none') filters.push(` ${e}: ${f}`);
  }
  if (filters.length) out.push('', 'Filters:', ...filters);
  const pids = inst.eventPids();
  if (pids.length) out.push('', `Event pids: ${pids.join(' ')}${inst.option('event-fork') ? ' (following children)' : ''}`);
  out.push('', `Buffer size: ${inst.bufferSizeKb()} KiB per CPU`);
  const sub = inst.subbufSizeKb();
  if (sub !== undefined) out.push(`Sub-buffer size: ${sub} KiB`);
  out.push(`Clock: ${inst.clocks().current}`, `Tracing cpumask: ${inst.cpumask()}`, `Tracing is ${inst.tracingOn() ? 'on' : 'off'}`);
  return out;
}

const command: Command = {
  name: 'stat',
  summary: 'show the state of the tracing system',
  async run(argv: string[]): Promise<number> {
    let name: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-B') { name = argv[++i]; if (name === undefined) throw new UsageError('stat: -B needs a name'); }
      else if (a === '--json') json = true;
      else if (a === '-h' || a === '--help') { process.stdout.write('usage: utp stat [-B NAME] [--json]\n'); return 0; }
      else throw new UsageError(`stat: unknown option '${a}'`);
    }
    const why = tracingUnavailableReason();
    if (why) { process.stderr.write(`utp stat: cannot reach tracefs: ${why}\n`); return 1; }
    const inst = Instance.open(name);
    if (json) {
      const enabled = inst.enabledEvents();
      const filters: Record<string, string> = {};
      for (const e of enabled) {
        const [sys, ev] = e.split(':');
        if (sys && ev) { const f = inst.eventFilter(sys, ev); if (f !== 'none') filters[e] = f; }
      }
      process.stdout.write(JSON.stringify({
        instance: name ?? null, tracer: inst.currentTracer(), events: enabled, filters, eventPids: inst.eventPids(),
        bufferSizeKb: inst.bufferSizeKb(), subbufSizeKb: inst.subbufSizeKb() ?? null, clock: inst.clocks().current,
        cpumask: inst.cpumask(), tracingOn: inst.tracingOn(),
        ...(name ? {} : { instances: Instance.list(), dynamicEvents: listDynamicEvents().map((d) => d.definition) }),
      }) + '\n');
      return 0;
    }
    const out = describe(inst);
    if (!name) {
      const insts = Instance.list();
      out.push('', 'Instances:', ...(insts.length ? insts.map((n) => ` ${n}`) : [' (none)']));
      const dyn = listDynamicEvents();
      if (dyn.length) out.push('', 'Dynamic events:', ...dyn.map((d) => ` ${d.definition}`));
    }
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
export default command;
