/**
 * `utp reset [-B NAME] [-a] [-b KB] [--stale]`: removes utp instances and probe groups whose
 * owner is dead (always), then resets the top instance (or NAME) to defaults; -a also removes
 * every other instance (except those of live utp processes); --stale only sweeps.
 */
import { Instance, sweepStale, destroyInstance, ownerAlive, sharedInstanceUsers, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

function resetInstance(inst: Instance, bufferKb: number | undefined): void {
  inst.setTracingOn(false);
  if (inst.currentTracer() !== 'nop') inst.setTracer('nop');
  // Triggers (a recorder killed with SIGKILL cannot take its own back): '!' + the command without its
  // count and filter removes one (`stacktrace:unlimited if …` → `!stacktrace`).
  for (const ev of inst.events()) {
    const rel = `events/${ev.system}/${ev.name}/trigger`;
    if (!inst.hasFile(rel)) continue;
    for (const t of inst.eventTriggers(ev.system, ev.name)) {
      const cmd = t.split(' if ')[0]!.replace(/:(unlimited|count=\d+|\d+)$/, '');
      try {
        inst.removeEventTrigger(ev.system, ev.name, cmd);
      } catch {
        /* already gone */
      }
    }
  }
  inst.disableEvent();
  if (inst.eventPids().length) inst.clearEventPids();
  for (const ev of inst.events()) {
    const rel = `events/${ev.system}/${ev.name}`;
    if (inst.hasFile(`${rel}/filter`) && inst.read(`${rel}/filter`).trim() !== 'none') inst.clearEventFilter(ev.system, ev.name);
  }
  if (inst.hasFile('options/event-fork')) inst.setOption('event-fork', false);
  // All CPUs traced again, and the kernel's default wake-up threshold.
  const n = Math.max(...inst.cpus()) + 1;
  if (n > 0 && inst.hasFile('tracing_cpumask')) {
    const hex = ((1n << BigInt(n)) - 1n).toString(16);
    const words: string[] = [];
    for (let end = hex.length; end > 0; end -= 8) words.unshift(hex.slice(Math.max(0, end - 8), end));
    inst.setCpumask(words.join(','));
  }
  if (inst.bufferPercent() !== undefined && inst.bufferPercent() !== 50) inst.setBufferPercent(50);
  if (inst.clocks().current !== 'local') inst.setClock('local');
  if (bufferKb !== undefined) inst.setBufferSizeKb(bufferKb);
  inst.clearTrace();
  inst.setTracingOn(true);
}

const command: Command = {
  name: 'reset',
  summary: 'disable tracing, remove stale utp instances and probes',
  async run(argv: string[]): Promise<number> {
    let name: string | undefined,
      all = false,
      staleOnly = false,
      bufferKb: number | undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = (): string => {
        const x = argv[++i];
        if (x === undefined) throw new UsageError(`reset: option ${a} needs a value`);
        return x;
      };
      if (a === '-B') name = v();
      else if (a === '-a') all = true;
      else if (a === '--stale') staleOnly = true;
      else if (a === '-b') {
        const s = v();
        if (!/^\d+$/.test(s)) throw new UsageError('reset: -b wants KiB');
        bufferKb = Number(s);
      } else if (a === '-h' || a === '--help') {
        process.stdout.write('usage: utp reset [-B NAME] [-a] [-b KB] [--stale]\n');
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
    for (const e of sw.errors) process.stderr.write(`utp reset: ${e}\n`);
    if (staleOnly) return sw.errors.length ? 1 : 0;
    resetInstance(name ? Instance.open(name) : Instance.top(), bufferKb);
    if (all) {
      for (const n of Instance.list()) {
        if (ownerAlive(n) || sharedInstanceUsers(n).length) continue; // a running utp record
        destroyInstance(Instance.open(n));
        process.stdout.write(`removed instance ${n}\n`);
      }
    }
    return sw.errors.length ? 1 : 0;
  },
};
export default command;
