/**
 * `utp stat [-t] [-o] [-B NAME]...`: what `trace-cmd stat` prints, byte for byte (tracer, events,
 * filters, triggers, function filters, buffers, clock, cpumask, probes, pids, options, on/off,
 * error log, instances). `--json` gives the same state as one JSON object.
 */
import { Instance, listDynamicEvents, tracingUnavailableReason } from '@utp/tracefs';
import { statReport } from '@utp/tracecmd';
import type { Command } from '../command.js';
import { getoptLong } from '../getopt.js';

export const HELP = `usage: utp stat [-B buf][-t][-o] [--json]
          -B show the status of a instance buffer
          -t show the top level status along with buffer specified by -B
          -o list tracing options
          --json the state as JSON (utp)`;

const command: Command = {
  name: 'stat',
  summary: 'show the state of the tracing system',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const { opts } = getoptLong('stat', argv, 'htoB:', [{ name: 'json', arg: 'none' }]);
    const instances: string[] = [];
    let top = false,
      options = false,
      json = false;
    for (const o of opts) {
      if (o.key === 'B') {
        instances.push(o.value!);
        top = false;
      } else if (o.key === 't') top = true;
      else if (o.key === 'o') options = true;
      else if (o.key === 'json') json = true;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp stat: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    if (json) {
      const name = instances.at(-1);
      const inst = Instance.open(name);
      const enabled = inst.enabledEvents();
      const filters: Record<string, string> = {};
      for (const e of enabled) {
        const [sys, ev] = e.split(':');
        if (sys && ev) {
          const f = inst.eventFilter(sys, ev);
          if (f !== 'none') filters[e] = f;
        }
      }
      process.stdout.write(
        JSON.stringify({
          instance: name ?? null,
          tracer: inst.currentTracer(),
          events: enabled,
          filters,
          eventPids: inst.eventPids(),
          bufferSizeKb: inst.bufferSizeKb(),
          subbufSizeKb: inst.subbufSizeKb() ?? null,
          clock: inst.clocks().current,
          cpumask: inst.cpumask(),
          tracingOn: inst.tracingOn(),
          ...(options ? { options: inst.options() } : {}),
          ...(name ? {} : { instances: Instance.list(), dynamicEvents: listDynamicEvents().map((d) => d.definition) }),
        }) + '\n',
      );
      return 0;
    }
    // -t after the -B's (or alone) puts the top instance first; -B after -t does not undo it in
    // trace-cmd either (topt stays set): track it as trace-cmd does.
    const topt = opts.some((o) => o.key === 't');
    process.stdout.write(Buffer.from(statReport({ instances, top: topt || top, options }), 'latin1'));
    return 0;
  },
};
export default command;
