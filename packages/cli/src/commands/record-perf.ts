/**
 * `utp record --perf -e EVENT... [-a | -p PID | -- CMD] [-c N | -F FREQ] [-g] [-m PAGES] [-o FILE]`:
 * records with perf_event_open (@utp/perf/live) into a perf.data that perf 6.1 reads, setting the
 * attrs as `perf record` does for the same flags (see docs/formats/perf-data.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, fsyncSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describeError } from '@utp/bytes';
import { AttrFlag, AttrType, PerfDataWriter, emptySample, ReadFormat, RecordType, SampleType, sampleIdSize } from '@utp/perf';
import type { PerfEventAttr, WriterFeatures } from '@utp/perf';
import {
  CpuMap,
  Evlist,
  Evsel,
  ThreadMap,
  allPids,
  clockNs,
  clockResNs,
  closeAllLive,
  hostFeatures,
  kernelMmap,
  parseEvents,
  synthesizeProcess,
  tracingDataFor,
} from '@utp/perf/live';
import type { EventSpec } from '@utp/perf/live';
import { FileSink } from '@utp/tracecmd';
import { UsageError } from '../command.js';
import { checkOutputPath } from './record.js';
import { BuildIdTracker } from './record-perf-buildids.js';
import { StatusLine, type CpuProgress } from '../status-line.js';

export const PERF_HELP = `usage: utp record --perf -e EVENT... [-a | -p PID[,PID...] | [--] CMD [ARGS...]] [-c N | -F FREQ] [-g] [-k CLOCK] [-m PAGES] [-o FILE] [-q]
  records with perf_event_open into a perf.data (perf 6.1's format; read it with perf script or utp report)
  -e EVENT   SYS:EVENT tracepoint (globs allowed), or a software event: cpu-clock, task-clock,
             context-switches, cpu-migrations, page-faults, minor-faults, major-faults ...; repeatable
  -a         system-wide, on every CPU (until CMD ends, or Ctrl-C)
  -p PID     the threads of these processes (until they end, or Ctrl-C)
  -c N       a sample every N events (default: 1 for tracepoints, else -F 4000)
  -F FREQ    samples per second
  -g         record callchains
  -m PAGES   ring pages per CPU (a power of two; default 128)
  --overwrite  flight recorder: rings the kernel overwrites, read once at the end (the newest
             PAGES of each CPU are kept; perf record --overwrite)
  -k CLOCK   sample time from CLOCK (mono, realtime, monotonic_raw, boottime, tai; perf's -k)
  -o FILE    output (default perf.data)
  -q         no summary line, no live status line (drawn only when stderr is a terminal)`;

interface PerfArgs {
  events: string[];
  all: boolean;
  pids: number[];
  period: bigint | undefined;
  freq: number | undefined;
  callchain: boolean;
  pages: number;
  /** --overwrite: backward rings, the newest data kept, read at the stop. */
  overwrite: boolean;
  output: string;
  quiet: boolean;
  /** -k: the clock id (use_clockid), or undefined. */
  clockid: number | undefined;
  command: string[];
}

export function parsePerfRecordArgs(argv: string[]): PerfArgs | 'help' {
  const a: PerfArgs = {
    events: [],
    all: false,
    pids: [],
    period: undefined,
    freq: undefined,
    callchain: false,
    pages: 128,
    overwrite: false,
    output: 'perf.data',
    quiet: false,
    clockid: undefined,
    command: [],
  };
  let i = 0;
  const value = (o: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`record --perf: option ${o} needs a value`);
    return v;
  };
  const num = (o: string, v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`record --perf: option ${o} wants a positive number, got '${v}'`);
    return Number(v);
  };
  for (; i < argv.length; i++) {
    const o = argv[i]!;
    if (o === '--') {
      i++;
      break;
    }
    if (!o.startsWith('-') || o === '-') break;
    switch (o) {
      case '--perf':
        break;
      case '-e':
      case '--event':
        a.events.push(value(o));
        break;
      case '-a':
      case '--all-cpus':
        a.all = true;
        break;
      case '-p':
      case '--pid':
        for (const p of value(o).split(',')) a.pids.push(num('-p', p));
        break;
      case '-c':
      case '--count':
        a.period = BigInt(num(o, value(o)));
        break;
      case '-F':
      case '--freq':
        a.freq = num(o, value(o));
        break;
      case '-g':
        a.callchain = true;
        break;
      case '-m':
      case '--mmap-pages': {
        const n = num(o, value(o));
        if (n & (n - 1)) throw new UsageError(`record --perf: -m wants a power of two, got ${n}`);
        a.pages = n;
        break;
      }
      case '--overwrite':
        a.overwrite = true;
        break;
      case '-o':
      case '--output':
        a.output = value(o);
        break;
      case '-k':
      case '--clockid': {
        const v = value(o);
        const id = CLOCKS[v] ?? (/^\d+$/.test(v) ? Number(v) : undefined);
        if (id === undefined) throw new UsageError(`record --perf: unknown clock '${v}' (mono, realtime, monotonic_raw, boottime, tai)`);
        a.clockid = id;
        break;
      }
      case '-q':
      case '--quiet':
        a.quiet = true;
        break;
      case '-h':
      case '--help':
        return 'help';
      default:
        throw new UsageError(`record --perf: unknown option '${o}' (see 'utp record --perf --help')`);
    }
  }
  a.command = argv.slice(i);
  if (!a.events.length) throw new UsageError('record --perf: name the events with -e EVENT');
  if (a.period !== undefined && a.freq !== undefined) throw new UsageError('record --perf: -c and -F exclude each other');
  const targets = (a.all ? 1 : 0) + (a.pids.length ? 1 : 0);
  if (targets > 1) throw new UsageError('record --perf: -a and -p exclude each other');
  if (a.pids.length && a.command.length) throw new UsageError('record --perf: -p and a command exclude each other');
  if (!targets && !a.command.length) throw new UsageError('record --perf: give a command (-- CMD), -a or -p PID');
  return a;
}

/** perf's -k names (util/clockid.c) → clock ids. */
const CLOCKS: Record<string, number> = {
  realtime: 0,
  CLOCK_REALTIME: 0,
  mono: 1,
  monotonic: 1,
  CLOCK_MONOTONIC: 1,
  monotonic_raw: 4,
  raw: 4,
  CLOCK_MONOTONIC_RAW: 4,
  boottime: 7,
  boot: 7,
  CLOCK_BOOTTIME: 7,
  tai: 11,
  CLOCK_TAI: 11,
};

const bit = (b: number): bigint => 1n << BigInt(b);
const EXCLUDE_GUEST = 20,
  ENABLE_ON_EXEC = 12,
  KSYMBOL = 29,
  BPF_EVENT = 30;
/** The side-band bits perf puts on its tracking event. */
const TRACKING =
  bit(AttrFlag.Mmap) |
  bit(AttrFlag.Comm) |
  bit(AttrFlag.Task) |
  bit(AttrFlag.Mmap2) |
  bit(AttrFlag.CommExec) |
  bit(KSYMBOL) |
  bit(BPF_EVENT);

/** The attrs `perf record` (6.1) sets for these flags; the evsels are not opened yet. */
export function perfRecordEvsels(specs: readonly EventSpec[], a: PerfArgs): Evsel[] {
  const workload = a.command.length > 0 && !a.all;
  const evsels: Evsel[] = [];
  for (const spec of specs) {
    const e = new Evsel(spec, {});
    const at = e.attr;
    const tp = spec.type === AttrType.Tracepoint;
    let st = SampleType.Ip | SampleType.Tid | SampleType.Time;
    let freq = false;
    let period = 1n;
    // a PMU event's own period= term wins over -c/-F, as perf's per-event terms do
    if (spec.period !== undefined) period = spec.period;
    else if (a.period !== undefined) period = a.period;
    else if (a.freq !== undefined) {
      freq = true;
      period = BigInt(a.freq);
    } else if (!tp) {
      freq = true;
      period = 4000n;
    }
    if (freq) st |= SampleType.Period;
    if (tp) st |= SampleType.Raw | SampleType.Cpu | SampleType.Period;
    if (a.all) st |= SampleType.Cpu;
    if (a.callchain) st |= SampleType.Callchain;
    at.sampleType = st;
    at.samplePeriod = period;
    at.freq = freq;
    at.readFormat = ReadFormat.Id | ReadFormat.Lost;
    at.wakeupEvents = 0;
    at.sampleIdAll = true;
    at.flags =
      bit(AttrFlag.Disabled) |
      bit(AttrFlag.Inherit) |
      (freq ? bit(AttrFlag.Freq) : 0n) |
      (workload ? bit(ENABLE_ON_EXEC) : 0n) |
      bit(AttrFlag.SampleIdAll) |
      bit(EXCLUDE_GUEST) |
      (spec.excludeUser ? bit(AttrFlag.ExcludeUser) : 0n) |
      (spec.excludeKernel ? bit(AttrFlag.ExcludeKernel) : 0n);
    evsels.push(e);
  }
  if (a.all) {
    // system-wide: a dummy event tracks mmap/comm/task from the open on (perf's dummy:HG)
    const d = new Evsel(
      { name: 'dummy:HG', type: AttrType.Software, config: 9n, excludeUser: false, excludeKernel: false, unit: '', scale: 1 },
      {},
    );
    const at = d.attr;
    at.sampleType = SampleType.Ip | SampleType.Tid | SampleType.Time | SampleType.Cpu;
    at.samplePeriod = 1n;
    at.freq = false;
    at.readFormat = ReadFormat.Id | ReadFormat.Lost;
    at.wakeupEvents = 0;
    at.sampleIdAll = true;
    at.flags = bit(AttrFlag.Inherit) | bit(AttrFlag.SampleIdAll) | TRACKING;
    evsels.push(d);
  } else evsels[0]!.attr.flags |= TRACKING;
  if (a.overwrite) for (const e of evsels) e.attr.flags |= bit(AttrFlag.WriteBackward);
  if (a.clockid !== undefined)
    for (const e of evsels) {
      e.attr.flags |= bit(AttrFlag.UseClockid);
      e.attr.clockid = a.clockid;
    }
  if (evsels.length > 1) {
    // several events share a ring: samples say whose they are (IDENTIFIER when the layouts differ)
    const same = evsels.every((e) => e.attr.sampleType === evsels[0]!.attr.sampleType);
    for (const e of evsels) e.attr.sampleType |= same ? SampleType.Id : SampleType.Identifier;
  }
  return evsels;
}

/** The utp version for the VERSION feature. */
function utpVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `utp ${pkg.version ?? ''}`.trim();
  } catch {
    return 'utp';
  }
}

export async function runPerfRecord(argv: string[]): Promise<number> {
  const parsed = parsePerfRecordArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(PERF_HELP + '\n');
    return 0;
  }
  const a = parsed;
  const who = 'utp record';
  const specs: EventSpec[] = [];
  try {
    for (const e of a.events) specs.push(...parseEvents(e));
  } catch (e) {
    process.stderr.write(`${who}: ${describeError(e)}\n`);
    return 1;
  }
  const target = checkOutputPath(a.output);
  const tmp = join(dirname(target), `.${basename(target)}.utp-${process.pid}.tmp`);
  const evsels = perfRecordEvsels(specs, a);
  const list = new Evlist(evsels);
  let fd = -1;
  let child: ChildProcess | undefined;
  let stop: (() => void) | undefined;
  let stopped = false;
  let signals = 0;
  let statusLine: StatusLine | undefined;
  const cleanup = (): void => {
    closeAllLive();
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        /* closed */
      }
      fd = -1;
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      cleanup();
      process.exit(128 + (osConstants.signals[sig] ?? 15));
    }
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    stopped = true;
    stop?.();
  };
  const SIGS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of SIGS) process.on(s, onSignal);
  process.on('exit', cleanup);
  let status = 0;
  try {
    let release: (() => void) | undefined;
    let exited: Promise<void> | undefined;
    if (a.command.length) {
      // the shell waits on fd 3 until the events are open, then execs CMD (enable_on_exec starts them)
      const c = spawn('/bin/sh', ['-c', 'read _ <&3 && exec 3<&- && exec "$@"', 'sh', ...a.command], {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      });
      child = c;
      const gate = c.stdio[3] as NodeJS.WritableStream;
      gate.on('error', () => {
        /* the child is gone; its status says why */
      });
      exited = new Promise<void>((res) =>
        c.once('exit', (code, sig) => {
          status = code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : 1);
          res();
        }),
      );
      const ok = await new Promise<boolean>((res) => {
        c.once('spawn', () => res(true));
        c.once('error', () => res(false));
      });
      if (!ok || c.pid === undefined) {
        process.stderr.write(`${who}: cannot start /bin/sh for the command\n`);
        return 1;
      }
      release = () => {
        gate.write('\n');
        gate.end();
      };
    }
    const threads = a.all
      ? ThreadMap.dummy()
      : a.pids.length
        ? ThreadMap.of(a.pids.flatMap((p) => ThreadMap.forPid(p).pids))
        : ThreadMap.of([child!.pid!]);
    list.setMaps(CpuMap.online(), threads);
    try {
      list.open();
      list.mmap(a.pages, a.overwrite);
    } catch (e) {
      child?.kill('SIGKILL');
      await exited;
      throw e;
    }
    // perf's record__init_clock: the wall clock (µs) and the sampling clock read together
    let clockData: WriterFeatures['clockData'] | undefined;
    if (a.clockid !== undefined) {
      const wall = (clockNs(0) / 1000n) * 1000n;
      clockData = { clockid: a.clockid, wallClockNs: wall, clockidNs: clockNs(a.clockid) };
    }
    fd = openSync(tmp, 'w', 0o600);
    const sink = new FileSink(fd);
    const writer = new PerfDataWriter(
      sink,
      evsels.map((e) => ({ attr: e.attr, ids: e.ids, name: e.name })),
    );
    const idHdr = sampleIdSize(evsels[0]!.attr as PerfEventAttr);
    const ids = new BuildIdTracker();
    const emit = (rec: Uint8Array): void => {
      writer.record(rec);
      const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      ids.add({
        type: view.getUint32(0, true),
        misc: view.getUint16(4, true),
        size: rec.length,
        data: rec,
        view,
        fileOffset: -1,
        compressed: false,
        evsel: undefined,
        sample: emptySample(),
      });
    };
    // the kernel map and the tasks' COMM/MMAP2 records; with --overwrite at the end instead (perf's
    // tail synthesis: the rings' own side-band records of the start are overwritten by then)
    const synthesize = (): void => {
      const km = kernelMmap(idHdr);
      if (km) emit(km);
      if (a.all) for (const pid of allPids()) synthesizeProcess(pid, idHdr, emit);
      else if (a.pids.length) for (const pid of a.pids) synthesizeProcess(pid, idHdr, emit);
      else if (!a.overwrite) synthesizeProcess(child!.pid!, idHdr, emit, false);
      else for (const rec of workloadSeen) emit(rec);
    };
    /** --overwrite with a workload: its COMM/MMAP2 as last seen alive (it is reaped before the tail synthesis). */
    let workloadSeen: Uint8Array[] = [];
    const seeWorkload = (): void => {
      if (!a.overwrite || a.all || a.pids.length || !child?.pid) return;
      const recs: Uint8Array[] = [];
      synthesizeProcess(child.pid, idHdr, (r) => recs.push(r));
      if (recs.length) workloadSeen = recs;
    };
    if (!a.overwrite) synthesize();
    writer.record(new Uint8Array([RecordType.FinishedInit, 0, 0, 0, 0, 0, 8, 0]));
    let samples = 0,
      lostRecords = 0,
      lost = 0n;
    let first = -1,
      last = -1;
    // per ring's CPU (or the sample's, for a task's ring), for the status line
    const perCpu = new Map<number, CpuProgress>();
    const progressOf = (cpu: number): CpuProgress => {
      let p = perCpu.get(cpu);
      if (!p) {
        p = { cpu, events: 0, lost: 0, bytes: 0 };
        perCpu.set(cpu, p);
      }
      return p;
    };
    const drain = (): number => {
      const n = list.readRecords((ev, ringCpu) => {
        writer.record(ev.data);
        ids.add(ev);
        const p = progressOf(ringCpu >= 0 ? ringCpu : ev.sample.cpu >= 0 ? ev.sample.cpu : -1);
        p.bytes += ev.size;
        if (ev.type === RecordType.Sample) {
          p.events++;
          samples++;
          const t = ev.sample.time;
          if (t >= 0) {
            if (first < 0 || t < first) first = t;
            if (t > last) last = t;
          }
        } else if (ev.type === RecordType.Lost) {
          lostRecords++;
          const k = ev.view.getBigUint64(16, true);
          lost += k;
          p.lost += Number(k);
        }
      });
      if (n) writer.finishedRound();
      return n;
    };
    // a workload's events start at its exec (enable_on_exec); the others now
    if (!(a.command.length && !a.all)) list.enable();
    release?.();
    const stopPromise = new Promise<void>((res) => {
      stop = res;
    });
    if (exited)
      void exited.then(() => {
        stopped = true;
        stop?.();
      });
    if (!a.command.length && process.stderr.isTTY) process.stderr.write(`${who}: recording; press Ctrl-C to stop\n`);
    statusLine = new StatusLine(
      who,
      () => [...perCpu.values()].sort((x, y) => x.cpu - y.cpu),
      process.stderr,
      !a.quiet,
      undefined,
      a.overwrite ? 'overwrite rings: read at the stop' : undefined,
    ).start();
    // poll(2) blocks this thread: short timeouts, and the event loop runs between them (exit, signals)
    // (an overwrite ring is read once, paused, at the stop: until then only wait)
    while (!stopped) {
      if (a.overwrite) {
        seeWorkload();
        await new Promise<void>((res) => setTimeout(res, 50));
        // -p: until those processes end (a paused-at-the-end ring gives no hangup to poll for)
        if (a.pids.length && !a.command.length && a.pids.every((p) => !existsSync(`/proc/${p}`))) break;
        continue;
      }
      const r = list.pollRings(50);
      drain();
      if (r.hangup && !a.command.length) break;
      await new Promise<void>((res) => setImmediate(res));
    }
    void stopPromise;
    if (exited && child && child.exitCode === null && child.signalCode === null) await exited;
    list.disable();
    if (a.overwrite) list.pause(true);
    drain();
    if (a.overwrite) {
      synthesize();
      writer.finishedRound();
    }
    statusLine.stop();
    list.close();
    const features: Partial<WriterFeatures> = {
      ...hostFeatures(utpVersion()),
      cmdline: [process.argv[1] ?? 'utp', ...process.argv.slice(2)],
      eventDesc: true,
    };
    const tps = evsels.filter((e) => e.attr.type === AttrType.Tracepoint).map((e) => e.spec.name);
    if (tps.length) features.tracingData = tracingDataFor([...new Set(tps)]);
    features.buildIds = ids.entries();
    if (clockData && a.clockid !== undefined) {
      features.clockId = clockResNs(a.clockid);
      features.clockData = clockData;
    }
    if (first >= 0) features.sampleTime = { first: BigInt(first), last: BigInt(last) };
    writer.finish(features);
    sink.flush();
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
    if (!a.quiet) {
      const size = statSync(target).size;
      process.stderr.write(`[ utp record: Captured and wrote ${(size / 1048576).toFixed(3)} MB ${a.output} (${samples} samples) ]\n`);
    }
    if (lostRecords) process.stderr.write(`${who}: warning: ${lost} events lost in ${lostRecords} LOST records (ring full; try -m)\n`);
    if (status !== 0) process.stderr.write(`${who}: the command exited with status ${status}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`${who}: ${describeError(e)}\n`);
    return 1;
  } finally {
    statusLine?.stop();
    for (const s of SIGS) process.off(s, onSignal);
    cleanup();
    process.off('exit', cleanup);
  }
}
