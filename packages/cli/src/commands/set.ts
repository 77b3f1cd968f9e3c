/**
 * `utp set`: trace-cmd set's flags over @utp/tracecmd's setTracing — configures the top instance
 * or -B instances (created when missing) without recording. Flags after -B NAME apply to NAME;
 * -v negates the -e and -B that follow it.
 */
import { describeError } from '@utp/bytes';
import { Instance, tracingUnavailableReason } from '@utp/tracefs';
import { emptySetInstance, setTracing, type SetInstanceSpec, type SetEventSpec } from '@utp/tracecmd';
import { UsageError, type Command } from '../command.js';
import { getoptLong } from '../getopt.js';
import { runAfterSetup } from './run-cmd.js';

export const HELP = `usage:
 utp set [-v][-e event [-f filter][-R trigger]][-p plugin][-d][-D] \\
           [-q][-O option ][-l func][-g func][-n func] \\
           [-P pid][-c][-b size][-B buf][-C clock][-M mask][-T][-i][-F][--fork][--user U][command ...]
          -e enable event
          -f filter for previous -e event
          -R trigger for previous -e event
          -p set ftrace plugin (a tracer the kernel refuses is one line naming it)
          -P set PIDs to be traced (set_event_pid)
          -c also trace the children of -P (options event-fork, function-fork)
          -C set the trace clock
          -T do a stacktrace on all events
          -l filter function name
          -g set graph function
          -n do not trace function
          -m max size per CPU in kilobytes (accepted; set records no file)
          -M set CPU mask to trace
          -v will negate all -e (disable those events) and -B (delete those instances) after it
          -d disable function tracer when running (options/function-trace)
          -D Full disable of function tracing (for all users: /proc/sys/kernel/ftrace_enabled)
          -O option to enable (or disable with no prefix)
          -b change kernel buffersize (in kilobytes per CPU)
          -B create sub buffer and following events will be enabled here
          -i do not fail if an event is not found
          -q print no output to the screen
          --quiet print no output to the screen
          --module filter module name (for -l, -n, -g: func:mod:NAME)
          --func-stack perform a stack trace for function tracer (options/func_stack_trace)
          --max-graph-depth limit function_graph depth
          --cmdlines-size change kernel saved_cmdlines_size
          --verbose 'level' accepted (utp has no log levels)
          -F with a command: only the command is traced (its pid in set_event_pid)
          --user execute the specified [command ...] as given user
          --fork return immediately if a command is specified (else set waits for it)
          unlike trace-cmd 3.1.6, set works where the kernel refuses the function tracer
          (trace-cmd writes /proc/sys/kernel/ftrace_enabled first and fails unless -d)`;

const LONGS = [
  { name: 'func-stack', arg: 'none' as const },
  { name: 'max-graph-depth', arg: 'required' as const },
  { name: 'cmdlines-size', arg: 'required' as const },
  { name: 'quiet', arg: 'none' as const, key: 'q' },
  { name: 'module', arg: 'required' as const },
  { name: 'user', arg: 'required' as const },
  { name: 'fork', arg: 'none' as const },
  { name: 'verbose', arg: 'optional' as const },
  { name: 'help', arg: 'none' as const, key: 'h' },
];

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`set: ${what} must be a positive number: '${v}'`);
  return n;
}

const command: Command = {
  name: 'set',
  summary: 'set tracefs state (events, tracer, clock, buffers, options) without recording',
  async run(argv: string[]): Promise<number> {
    const { opts, operands } = getoptLong('set', argv, '+hae:f:FA:p:cC:dDGo:O:s:r:V:vg:l:n:P:N:tb:R:B:ksSiTm:M:H:q', LONGS);
    const top = emptySetInstance(undefined);
    let topUsed = false;
    const instances: SetInstanceSpec[] = [];
    let cur = top;
    let lastEvent: SetEventSpec | undefined;
    let negative = false,
      disable = false,
      total = false,
      ignore = false,
      cmdlinesSize: number | undefined,
      module: string | undefined,
      user: string | undefined,
      fork = false,
      filterCmd = false;
    const touch = (): void => {
      if (cur === top) topUsed = true;
    };
    const fn = (name: string): string => (module ? `${name}:mod:${module}` : name);
    for (const o of opts) {
      const v = o.value ?? '';
      switch (o.key) {
        case 'h':
          process.stdout.write(HELP + '\n');
          return 0;
        case 'e':
          touch();
          lastEvent = { spec: v, filter: undefined, triggers: [], disable: negative };
          cur.events.push(lastEvent);
          break;
        case 'f':
          if (!lastEvent) throw new UsageError('set: filter must come after event');
          lastEvent.filter = lastEvent.filter === undefined ? `(${v})` : `${lastEvent.filter}&&(${v})`;
          break;
        case 'R':
          if (!lastEvent) throw new UsageError('set: trigger must come after event');
          lastEvent.triggers.push(v);
          break;
        case 'p':
          touch();
          if (cur.tracer !== undefined) throw new UsageError('set: only one plugin allowed');
          cur.tracer = v.trim();
          break;
        case 'P':
          touch();
          for (const p of v.split(',')) if (p) cur.pids.push(Number.parseInt(p, 10) || 0);
          break;
        case 'c':
          touch();
          cur.children = true;
          break;
        case 'C':
          touch();
          cur.clock = v;
          break;
        case 'T':
          touch();
          cur.stacktrace = true;
          break;
        case 'l':
          touch();
          cur.filterFunctions.push(fn(v));
          break;
        case 'n':
          touch();
          cur.notraceFunctions.push(fn(v));
          break;
        case 'g':
          touch();
          cur.graphFunctions.push(fn(v));
          break;
        case 'module':
          module = v;
          break;
        case 'M':
          touch();
          cur.cpumask = v;
          break;
        case 'O':
          touch();
          cur.options.push(v);
          break;
        case 'b':
          touch();
          cur.bufferSizeKb = positiveInt(v, '-b');
          break;
        case 'B':
          cur = emptySetInstance(v);
          cur.remove = negative;
          instances.push(cur);
          lastEvent = undefined;
          break;
        case 'v':
          negative = true;
          break;
        case 'd':
          disable = true;
          break;
        case 'D':
          disable = true;
          total = true;
          break;
        case 'i':
          ignore = true;
          break;
        case 'func-stack':
          touch();
          cur.funcStack = true;
          break;
        case 'max-graph-depth':
          touch();
          cur.maxGraphDepth = positiveInt(v, '--max-graph-depth');
          break;
        case 'cmdlines-size':
          cmdlinesSize = positiveInt(v, '--cmdlines-size');
          break;
        case 'q':
        case 'verbose':
        case 'm':
        case 's':
          break;
        case 'user':
          user = v;
          break;
        case 'fork':
          fork = true;
          break;
        case 'F':
          filterCmd = true;
          break;
        default:
          throw new UsageError(`set: -${o.key} is not a set option`);
      }
    }
    for (const [flag, on] of [
      ['-F', filterCmd],
      ['--fork', fork],
      ['--user', user !== undefined],
    ] as const)
      if (on && !operands.length) throw new UsageError(`set: ${flag} needs a command`);
    const all = topUsed ? [top, ...instances] : instances;
    if (!all.length && cmdlinesSize === undefined && !disable && !operands.length) throw new UsageError('set: nothing to set');
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp set: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    try {
      setTracing({
        instances: all,
        disableFunctionTrace: disable,
        totalDisable: total,
        ignoreMissingEvents: ignore,
        cmdlinesSize,
        onWarning: (m) => process.stderr.write(`utp set: warning: ${m}\n`),
      });
    } catch (e) {
      process.stderr.write(`utp set: ${describeError(e)}\n`);
      return 1;
    }
    if (!operands.length) return 0;
    // CMD, as trace-cmd set runs it (run_cmd): -F puts its pid in the filter of the instances set first
    const targets = all.length ? all : [top];
    return runAfterSetup({
      who: 'utp set',
      cmd: operands,
      fork,
      user,
      beforeRelease: (pid) => {
        if (!filterCmd) return;
        for (const t of targets) (t.name === undefined ? Instance.top() : Instance.open(t.name)).write('set_event_pid', String(pid), true);
      },
    });
  },
};
export default command;
