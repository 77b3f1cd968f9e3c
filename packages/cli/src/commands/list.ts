/**
 * `utp list [-e [GLOB]] [-F] [-t] [-o] [-C] [-c] [-B NAME]`: events (with their format fields
 * under -F), tracers, options, clocks, compression algorithms. No flag lists events, tracers, options.
 */
import { Instance, tracingUnavailableReason, type EventName } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';

const command: Command = {
  name: 'list',
  summary: 'list available events, tracers, options',
  async run(argv: string[]): Promise<number> {
    let events = false, glob: string | undefined, full = false, tracers = false, options = false, clocks = false, comp = false;
    let name: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-e') { events = true; const n = argv[i + 1]; if (n !== undefined && !n.startsWith('-')) { glob = n; i++; } }
      else if (a === '-F') { full = true; events = true; }
      else if (a === '-t') tracers = true;
      else if (a === '-o') options = true;
      else if (a === '-C') clocks = true;
      else if (a === '-c') comp = true;
      else if (a === '-B') { name = argv[++i]; if (name === undefined) throw new UsageError('list: -B needs a name'); }
      else if (a === '--json') json = true;
      else if (a === '-h' || a === '--help') { process.stdout.write('usage: utp list [-e [GLOB]] [-F] [-t] [-o] [-C] [-c] [-B NAME] [--json]\n'); return 0; }
      else throw new UsageError(`list: unknown option '${a}'`);
    }
    if (comp) { process.stdout.write('zstd\nzlib\nnone\n'); if (!events && !tracers && !options && !clocks) return 0; }
    const why = tracingUnavailableReason();
    if (why) { process.stderr.write(`utp list: cannot reach tracefs: ${why}\n`); return 1; }
    const inst = Instance.open(name);
    if (!events && !tracers && !options && !clocks) { events = tracers = options = true; }
    if (json) {
      let list: EventName[] = [];
      if (events) { try { list = glob ? inst.matchEvents(glob) : inst.events(); } catch { list = []; } }
      process.stdout.write(JSON.stringify({
        ...(events ? { events: list.map((e) => (full ? { ...e, format: inst.eventFormat(e.system, e.name) } : e)) } : {}),
        ...(tracers ? { tracers: inst.availableTracers() } : {}),
        ...(options ? { options: inst.options() } : {}),
        ...(clocks ? { clocks: inst.clocks() } : {}),
        ...(comp ? { compression: ['zstd', 'zlib', 'none'] } : {}),
      }) + '\n');
      return 0;
    }
    const out: string[] = [];
    const section = (title: string): void => { if ([events, tracers, options, clocks].filter(Boolean).length > 1) out.push(`${title}:`); };
    if (events) {
      section('events');
      let list: EventName[];
      try { list = glob ? inst.matchEvents(glob) : inst.events(); } catch { list = []; }
      for (const ev of list) {
        if (!full) { out.push(`${ev.system}:${ev.name}`); continue; }
        // As trace-cmd list -F: "system: SYS" then the format file up to its print fmt line.
        const fmt = inst.eventFormat(ev.system, ev.name);
        const cut = fmt.indexOf('\nprint fmt:');
        out.push(`system: ${ev.system}`, (cut >= 0 ? fmt.slice(0, cut + 1) : fmt).replace(/\n$/, ''));
      }
    }
    if (tracers) { section('tracers'); out.push(inst.availableTracers().join(' ')); }
    if (options) { section('options'); for (const [k, v] of Object.entries(inst.options())) out.push(v ? k : `no${k}`); }
    if (clocks) { section('clocks'); out.push(inst.read('trace_clock').trim()); }
    process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
    return 0;
  },
};
export default command;
