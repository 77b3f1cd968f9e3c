/**
 * `utp list [-e [regex]][-F][--full][-R][-l][-t][-o][-f [regex]][-P][-O][-B][-C][-c][-s]`: what
 * `trace-cmd list` prints, byte for byte, parsed as trace-cmd parses it (a flag's argument is the
 * next word unless it starts with '-'). `--json` gives events, tracers, options, clocks as JSON.
 */
import { Instance, tracingUnavailableReason, type EventName } from '@utp/tracefs';
import { listReport, partialOutput, type ListOptions } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';

export const HELP = `usage:
 utp list [-e [regex]][-t][-o][-f [regex]]
          -e list available events
            -F show event format
            --full show the print fmt with -F
            -R show event triggers
            -l show event filters
          -t list available tracers
          -o list available options
          -f [regex] list available functions to filter on
          -P list loaded plugin files (by path)
          -O list plugin options
          -B list defined buffer instances
          -C list the defined clocks (and active one)
          -c list the supported trace file compression algorithms
          -s list event systems
          --json events, tracers, options, clocks as JSON (utp)`;

/** What utp compresses trace.dat with (name, the library version written into the file): trace-cmd lists its own build's. */
const COMPRESSORS: Array<[string, string]> = [
  ['zstd', '1.5.5'],
  ['zlib', '1.2.13'],
];

const command: Command = {
  name: 'list',
  summary: 'list available events, tracers, options',
  async run(argv: string[]): Promise<number> {
    const o: Partial<ListOptions> = { compressors: COMPRESSORS };
    let json = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a[0] !== '-') continue;
      const next = argv[i + 1];
      const arg = next !== undefined && next[0] !== '-' ? next : undefined;
      switch (a[1]) {
        case 'h':
          process.stdout.write(HELP + '\n');
          return 0;
        case 'e':
          o.events = true;
          if (arg !== undefined) o.eventRe = arg;
          else delete o.eventRe;
          break;
        case 'B':
          o.buffers = true;
          break;
        case 'C':
          o.clocks = true;
          break;
        case 'F':
          o.format = true;
          break;
        case 'R':
          o.trigger = true;
          break;
        case 'l':
          o.filter = true;
          break;
        case 'p':
        case 't':
          o.tracers = true;
          break;
        case 'P':
          o.plugins = true;
          break;
        case 'O':
          o.pluginOptions = true;
          break;
        case 'o':
          o.options = true;
          break;
        case 'f':
          o.functions = true;
          if (arg !== undefined) o.functionRe = arg;
          else delete o.functionRe;
          break;
        case 's':
          o.systems = true;
          break;
        case 'c':
          o.compression = true;
          break;
        case '-':
          if (a === '--full') {
            o.full = true;
            break;
          }
          if (a === '--json') {
            json = true;
            break;
          }
          if (a === '--help') {
            process.stdout.write(HELP + '\n');
            return 0;
          }
          if (a === '--debug') break;
          throw new UsageError(`list: invalid option -- '${a}'`);
        default:
          throw new UsageError(`list: invalid option -- '${a[1] ?? ''}'`);
      }
    }
    if (
      (o.compression || o.pluginOptions) &&
      !o.events &&
      !o.tracers &&
      !o.options &&
      !o.clocks &&
      !o.buffers &&
      !o.functions &&
      !o.systems &&
      !o.plugins &&
      !json
    ) {
      process.stdout.write(listReport(o));
      return 0;
    }
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp list: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    if (json) {
      const inst = Instance.top();
      const all = !o.events && !o.tracers && !o.options && !o.clocks;
      let list: EventName[] = [];
      if (o.events || all) list = inst.events();
      process.stdout.write(
        JSON.stringify({
          ...(o.events || all ? { events: list.map((e) => (o.format ? { ...e, format: inst.eventFormat(e.system, e.name) } : e)) } : {}),
          ...(o.tracers || all ? { tracers: inst.availableTracers() } : {}),
          ...(o.options || all ? { options: inst.options() } : {}),
          ...(o.clocks ? { clocks: inst.clocks() } : {}),
          ...(o.compression ? { compression: COMPRESSORS.map(([n]) => n) } : {}),
        }) + '\n',
      );
      return 0;
    }
    let text: string;
    try {
      text = listReport(o);
    } catch (e) {
      process.stdout.write(Buffer.from(partialOutput(e), 'latin1'));
      throw e;
    }
    process.stdout.write(Buffer.from(text, 'latin1'));
    return 0;
  },
};
export default command;
