/**
 * `utp start`: configures tracing like record (same flags: -e/-f/-R/-p/-P/-c/-b/-C/-M/-B and the setup
 * flags -O/-T/-v/-i/-d/-D/-l/-n/-g/--module/--func-stack/--max-graph-depth/--cmdlines-size) in the top
 * instance (or -B NAME, created if missing) through @utp/tracecmd's setTracing — the same writes as
 * `utp set` — and turns tracing on, without recording to a file. With CMD it runs CMD once tracing is on
 * (-F: only CMD is traced) and waits for it; --fork returns at once, as trace-cmd start --fork.
 * `utp stop` turns it off, `utp extract` saves it, `utp reset` undoes it.
 */
import { describeError } from '@utp/bytes';
import { emptyInstanceSetup, emptySetInstance, setTracing, type SetInstanceSpec } from '@utp/tracecmd';
import { Instance, tracingUnavailableReason } from '@utp/tracefs';
import { UsageError, type Command } from '../command.js';
import { parseRecordArgs } from './record.js';
import { runAfterSetup } from './run-cmd.js';

const HELP = `usage: utp start [OPTIONS] [--fork] [-- CMD [ARGS...]]
  -e EVENT [-f FILTER] [-R TRIGGER], -p TRACER, -P PID, -F, -c, -B NAME, -b KB, -C CLOCK, -M MASK,
  --subbuf-size KB: as utp record
  -O OPTION, -T, -v, -i, -d, -D, -l FUNC, -n FUNC, -g FUNC, --module MOD, --func-stack,
  --max-graph-depth N, --cmdlines-size N, --no-filter: as utp set / utp record (left set)
  --fork           with CMD: return once CMD runs (default: wait for it to exit)
  --user USER      run CMD as USER
  --verbose[=L]    accepted (utp has no log levels)
  -q, --quiet      accepted (start prints nothing)`;

const command: Command = {
  name: 'start',
  summary: 'start tracing without recording to a file',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(HELP + '\n');
      return 0;
    }
    const fork = argv.includes('--fork');
    const { opts, command: cmd, filterCmd, profile, user } = parseRecordArgs(argv.filter((a) => a !== '--fork'));
    // Flags that only make sense for a recording are refused, not silently ignored.
    if (opts.uprobes?.length) throw new UsageError('start: --uprobe is not supported (use utp record)');
    if (profile) throw new UsageError('start: --profile is not supported (use utp record --profile or utp profile)');
    if (filterCmd && !cmd.length) throw new UsageError('start: -F needs a command');
    if (fork && !cmd.length) throw new UsageError('start: --fork needs a command');
    if (user !== undefined && !cmd.length) throw new UsageError('start: --user needs a command');
    if (opts.output !== undefined) throw new UsageError('start: -o does not apply (start writes no file; use utp extract)');
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp start: cannot reach tracefs: ${why}\n`);
      return 1;
    }
    const spec: SetInstanceSpec = {
      ...emptySetInstance(opts.instanceName),
      ...emptyInstanceSetup(),
      ...opts.setup,
      events: (opts.events ?? []).map((e) => ({
        spec: e.spec,
        filter: e.filter,
        triggers: e.trigger !== undefined ? [e.trigger] : [],
        disable: e.disable ?? false,
      })),
      tracer: opts.tracer,
      clock: opts.clock,
      bufferSizeKb: opts.bufferSizeKb,
      cpumask: opts.cpumask,
      pids: opts.noFilter ? [] : (opts.pids ?? []),
      children: opts.followChildren ?? false,
    };
    const removed: SetInstanceSpec[] = (opts.removeInstances ?? []).map((n) => ({ ...emptySetInstance(n), remove: true }));
    const instanceExisted = opts.instanceName === undefined || Instance.exists(opts.instanceName);
    const inst = (): Instance => (opts.instanceName ? Instance.open(opts.instanceName) : Instance.top());
    const wasOn = instanceExisted && inst().tracingOn();
    if (instanceExisted) inst().setTracingOn(false);
    try {
      setTracing({
        instances: [...removed, spec],
        disableFunctionTrace: opts.disableFunctionTrace ?? false,
        totalDisable: opts.totalDisable ?? false,
        ignoreMissingEvents: opts.ignoreMissingEvents ?? false,
        cmdlinesSize: opts.cmdlinesSize,
        strictFunctions: true,
        onWarning: (m) => process.stderr.write(`utp start: warning: ${m}\n`),
      });
      if (opts.subbufSizeKb !== undefined) inst().setSubbufSizeKb(opts.subbufSizeKb);
    } catch (e) {
      if (wasOn) inst().setTracingOn(true);
      process.stderr.write(`utp start: ${describeError(e)}\n`);
      return 1;
    }
    if (!cmd.length) {
      inst().setTracingOn(true);
      return 0;
    }
    // CMD held at a gate until its pid is in the filter (-F) and tracing is on
    return runAfterSetup({
      who: 'utp start',
      cmd,
      fork,
      user,
      beforeRelease: (pid) => {
        if (filterCmd && !opts.noFilter) inst().write('set_event_pid', String(pid), true);
        inst().setTracingOn(true);
      },
    });
  },
};
export default command;
