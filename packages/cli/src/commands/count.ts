/**
 * `utp count -e EVENT… [-a] [-C CPUS] [-x SEP] [--no-big-num] [-v] [-- CMD…]`: counts events with
 * perf_event_open (@utp/perf/live) as `perf stat -e …` does, and prints perf stat's table (or its
 * `-x SEP` CSV lines) on stderr. `utp stat` stays trace-cmd's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { describeError } from '@utp/bytes';
import { CpuMap, Evlist, Evsel, ThreadMap, childrenRusage, closeAllLive, parseEvents } from '@utp/perf/live';
import type { EventSpec } from '@utp/perf/live';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { formatCounts } from './count-format.js';
import type { CountRow } from './count-format.js';

export const HELP = `usage: utp count [-e EVENT]... [-a] [-C CPUS] [-x SEP] [--no-big-num] [-v] [-- CMD [ARG...]]
  counts events while CMD runs, as perf stat -e does (table or -x CSV on stderr)
          -e EVENT  an event: SYS:EVENT tracepoint (globs allowed), task-clock, cpu-clock, context-switches,
                    cpu-migrations, page-faults, minor-faults, major-faults, cycles, instructions ... (:u/:k)
          -a        system-wide, on every CPU
          -C CPUS   only these CPUs (e.g. 0-1,3; implies system-wide)
          -x SEP    CSV lines: count, unit, event, run time, percentage, metric value, metric unit
          --no-big-num  no thousands separators
          -v        say why an event is not supported`;

/** Where CMD is on PATH (execvp's search), or undefined. */
function which(cmd: string): string | undefined {
  const cands = cmd.includes('/') ? [cmd] : (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d || '.', cmd));
  for (const c of cands) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The thousands separator of the locale perf would use (glibc's LC_NUMERIC), '' in C/POSIX. */
function thousandsSep(): string {
  const loc = process.env['LC_ALL'] || process.env['LC_NUMERIC'] || process.env['LANG'] || '';
  if (!loc || loc === 'C' || loc === 'POSIX' || /^C\./.test(loc)) return '';
  const r = spawnSync('locale', ['thousands_sep'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.replace(/\n$/, '') : '';
}

const command: Command = {
  name: 'count',
  summary: 'count events while a command runs, as perf stat does',
  async run(argv: string[]): Promise<number> {
    const specs: EventSpec[] = [];
    let all = false,
      cpuList: string | undefined,
      sep: string | undefined,
      bigNum = true,
      verbose = false;
    let i = 0;
    const arg = (o: string): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`count: option ${o} needs an argument`);
      return v;
    };
    const events: string[] = [];
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-h' || a === '--help') {
        process.stdout.write(HELP + '\n');
        return 0;
      }
      if (a === '-e' || a === '--event') events.push(arg(a));
      else if (a.startsWith('-e') && a.length > 2) events.push(a.slice(2));
      else if (a.startsWith('--event=')) events.push(a.slice(8));
      else if (a === '-a' || a === '--all-cpus') all = true;
      else if (a === '-C' || a === '--cpu') cpuList = arg(a);
      else if (a === '-x' || a === '--field-separator') sep = arg(a);
      else if (a.startsWith('-x') && a.length > 2) sep = a.slice(2);
      else if (a === '--no-big-num') bigNum = false;
      else if (a === '-B' || a === '--big-num') bigNum = true;
      else if (a === '-v' || a === '--verbose') verbose = true;
      else if (a.startsWith('-')) throw new UsageError(`count: unknown option ${a} (see utp count --help)`);
      else break;
    }
    const cmd = argv.slice(i);
    if (!events.length) throw new UsageError('count: name the events with -e EVENT (utp count uses no default list)');
    if (!cmd.length && !all && cpuList === undefined)
      throw new UsageError('count: give a command (-- CMD) or -a / -C to count system-wide');
    try {
      for (const e of events) specs.push(...parseEvents(e));
    } catch (e) {
      process.stderr.write(`utp count: ${describeError(e)}\n`);
      return 1;
    }
    const systemWide = all || cpuList !== undefined;
    const path = cmd.length ? which(cmd[0]!) : undefined;
    if (cmd.length && !path) {
      process.stderr.write(`utp count: cannot run ${cmd[0]}: No such file or directory\n`);
      return 1;
    }
    const evsels = specs.map((s) => new Evsel(s, { disabled: true, inherit: !systemWide, enableOnExec: !systemWide, userFallback: true }));
    const list = new Evlist(evsels);
    // SIGINT/SIGTERM: passed on to the workload (a terminal's ^C reaches it anyway), whose end
    // prints the counts; without a workload they end the counting
    let childRef: { kill(sig: NodeJS.Signals): boolean } | undefined;
    const onSignal = (sig: NodeJS.Signals): void => {
      childRef?.kill(sig);
    };
    let stopWait: (() => void) | undefined;
    const onStop = (): void => stopWait?.();
    process.on('SIGINT', cmd.length ? onSignal : onStop);
    process.on('SIGTERM', cmd.length ? onSignal : onStop);
    try {
      let t0: bigint, t1: bigint;
      let status = 0;
      let ru: { user: number; sys: number } | undefined;
      if (cmd.length) {
        const ru0 = childrenRusage();
        // The shell waits on fd 3 until the counters are attached, then execs CMD: counting starts
        // at that exec (enable_on_exec), as perf stat's workload does.
        const child = spawn('/bin/sh', ['-c', 'read _ <&3; exec 3<&-; exec "$@"', 'sh', ...cmd], {
          stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        });
        childRef = child;
        const exited = new Promise<number>((res) => {
          child.on('exit', (code, sig) => res(code ?? 128 + (sig ? (osConstants.signals[sig] ?? 0) : 0)));
        });
        const spawned = await new Promise<boolean>((res) => {
          child.once('spawn', () => res(true));
          child.once('error', () => res(false));
        });
        if (!spawned || child.pid === undefined) {
          process.stderr.write('utp count: cannot start /bin/sh for the workload\n');
          return 1;
        }
        try {
          list.setMaps(
            systemWide ? (cpuList ? CpuMap.parse(cpuList) : CpuMap.online()) : CpuMap.dummy(),
            systemWide ? ThreadMap.dummy() : ThreadMap.of([child.pid]),
          );
          list.open({ skipUnsupported: true });
          if (systemWide) list.enable();
        } catch (e) {
          child.kill('SIGKILL');
          await exited;
          throw e;
        }
        t0 = process.hrtime.bigint();
        const pipe = child.stdio[3] as NodeJS.WritableStream;
        pipe.end('\n');
        status = await exited;
        t1 = process.hrtime.bigint();
        const ru1 = childrenRusage();
        ru = { user: ru1.user - ru0.user, sys: ru1.sys - ru0.sys };
      } else {
        list.setMaps(cpuList ? CpuMap.parse(cpuList) : CpuMap.online(), ThreadMap.dummy());
        list.open({ skipUnsupported: true });
        list.enable();
        t0 = process.hrtime.bigint();
        const keepAlive = setInterval(() => {}, 1 << 30);
        await new Promise<void>((res) => {
          stopWait = res;
        });
        clearInterval(keepAlive);
        t1 = process.hrtime.bigint();
      }
      if (systemWide) list.disable();
      const rows: CountRow[] = evsels.map((e) => {
        if (!e.supported) {
          if (verbose) process.stderr.write(`utp count: ${e.name} event is not supported by the kernel (${e.notSupportedReason})\n`);
          return { spec: { ...e.spec, name: e.name }, supported: false, val: 0n, ena: 0n, run: 0n };
        }
        const c = e.readTotal();
        return { spec: { ...e.spec, name: e.name }, supported: true, val: c.val, ena: c.ena, run: c.run };
      });
      list.close();
      const target = all ? 'system wide' : cpuList !== undefined ? `CPU(s) ${cpuList}` : cmd.join(' ');
      process.stderr.write(
        formatCounts(rows, {
          target,
          walltimeNs: Number(t1 - t0),
          rusage: cmd.length ? ru : undefined,
          csvSep: sep,
          thousands: bigNum && sep === undefined ? thousandsSep() : '',
        }),
      );
      return status;
    } catch (e) {
      list.close();
      process.stderr.write(`utp count: ${describeError(e)}\n`);
      return 1;
    } finally {
      closeAllLive();
      process.off('SIGINT', cmd.length ? onSignal : onStop);
      process.off('SIGTERM', cmd.length ? onSignal : onStop);
    }
  },
};
export default command;
