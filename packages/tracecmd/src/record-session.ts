/**
 * A recording session (trace-cmd record as a library): sets up an instance (a private
 * `utp-<pid>-<n>` by default), drains every CPU while tracing, writes trace.dat, and leaves
 * tracefs as it found it — also on errors and signals (call `cleanup()`, which is synchronous).
 */
import { dirname, basename, join } from 'node:path';
import { endianness } from 'node:os';
import { closeSync, openSync, readSync, unlinkSync, readdirSync, statSync } from 'node:fs';
import {
  Instance,
  createPrivateInstance,
  destroyInstance,
  acquireSharedInstance,
  type SharedInstance,
  sweepStale,
  createUprobe,
  parseUprobeSpec,
  removeDynamicEvent,
  TraceFsError,
  TraceFsErrorCode,
  pidAlive,
  recordingCpuCount,
  type EventName,
  type DynamicEvent,
  type SweepResult,
} from '@utp/tracefs';
import { OptionId, type TraceDatBufferInput } from '@utp/tracedat';
import { fileChunks, pageLayoutOf } from './cpu-drain.js';
import { SpliceDrain } from './splice-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { procMapsOption, readProcAddrMaps, type ProcAddrMaps } from './proc-maps.js';
import { writeTraceFile, type CompressionName } from './write-output.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';
import {
  applyFunctionLists,
  applyMaxGraphDepth,
  applyOptions,
  disableFtrace,
  emptyInstanceSetup,
  resolveEvents,
  setCmdlinesSize,
  setFunctionTrace,
  type BeforeChange,
  type InstanceSetup,
  type SetupContext,
} from './set.js';

export interface EventSpec {
  /** "SYSTEM", "SYSTEM:EVENT", "EVENT", globs, or "all". */
  spec: string;
  /** Filter for the matched events (trace-cmd -f after -e). */
  filter?: string;
  /** Trigger to add (trace-cmd -R). */
  trigger?: string;
  /** -v -e: disable these events (after the others are enabled). */
  disable?: boolean;
}

export interface RecordOptions {
  events: EventSpec[];
  tracer: string | undefined;
  pids: number[];
  /** Follow children of the filtered pids (option event-fork). */
  followChildren: boolean;
  /** Record in instance NAME (created if missing, removed afterwards if we created it). */
  instanceName: string | undefined;
  /** Record in the top-level buffer (settings restored afterwards). */
  top: boolean;
  bufferSizeKb: number | undefined;
  subbufSizeKb: number | undefined;
  clock: string | undefined;
  cpumask: string | undefined;
  /** Uprobe specs "[NAME=]PATH:SYMBOL|0xOFF[%return] [ARGS]"; their events are enabled. */
  uprobes: string[];
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
  /** Store a DATE option (trace-cmd --date). */
  date: boolean;
  /** Longest sleep of the drain loop in ms. */
  maxSleepMs: number;
  /** Pause after a drain that found little data, in ms (lets pages fill). */
  minSleepMs: number;
  /**
   * buffer_percent (poll wake-up threshold). Default 1: the drain threads wake when 1% of a
   * CPU's buffer holds whole unread pages, splice them, and sleep again (most headroom, no
   * spinning). 0 wakes at any data and paces the loop by minSleepMs. undefined keeps the
   * instance's value.
   */
  bufferPercent: number | undefined;
  /** Drain threads (default: one per CPU, at most 8). */
  drainThreads: number | undefined;
  /** 'splice' (whole sub-buffers spliced while tracing, as trace-cmd) or 'read' (page reads). */
  drainMode: 'splice' | 'read' | 'none';
  /** trace-cmd record --poll: the drain threads never wait in poll(2); they sleep maxSleepMs after an empty round. */
  poll: boolean;
  /** trace-cmd record -r: SCHED_FIFO priority of the drain threads (0: unchanged). A refusal is in `warnings`. */
  rtPrio: number;
  /** trace-cmd record -m: keep about this many KiB per CPU, the newest (0: everything). */
  maxKb: number;
  /** trace-cmd record --temp: the folder of the per-CPU temp files (default: the output's). */
  tempDir: string | undefined;
  /** trace-cmd record --proc-map: store the traced processes' address maps (PROCMAPS options). */
  procMaps: boolean;
  /**
   * trace-cmd record --tsc2nsec: record with the x86-tsc clock and store this multiplier and shift
   * (perf's time_mult/time_shift; see `tsc2nsecParams()`) in a TSC2NSEC option.
   */
  tsc2nsec: { mult: number; shift: number } | undefined;
  // ---- the tracefs setup shared with utp set (set.ts's pieces; every change is undone afterwards) ----
  /** -O -T -l -n -g --func-stack --max-graph-depth, in the recorded instance. */
  setup: Partial<InstanceSetup>;
  /** -d: options/function-trace off while recording (trace-cmd writes it on without -d). */
  disableFunctionTrace: boolean;
  /** -D: also /proc/sys/kernel/ftrace_enabled = 0 (global). */
  totalDisable: boolean;
  /** -i: an event that matches nothing is skipped, not an error. */
  ignoreMissingEvents: boolean;
  /** -k: leave the setup (instance, events, options, ...) as it is after recording; tracing is turned off. */
  keep: boolean;
  /** --cmdlines-size: the global saved_cmdlines_size while recording. */
  cmdlinesSize: number | undefined;
  /** --no-filter: the -P/-F pid filters are not written (trace-cmd skips its task filter). */
  noFilter: boolean;
  /** -v -B NAME: instances removed before recording. */
  removeInstances: string[];
  /** A setup flag that does not apply (e.g. -g in an instance, which trace-cmd ignores). */
  onWarning: ((message: string) => void) | undefined;
}

export const DEFAULT_RECORD_OPTIONS: Readonly<RecordOptions> = Object.freeze({
  events: [],
  tracer: undefined,
  pids: [],
  followChildren: false,
  instanceName: undefined,
  top: false,
  bufferSizeKb: undefined,
  subbufSizeKb: undefined,
  clock: undefined,
  cpumask: undefined,
  uprobes: [],
  output: 'trace.dat',
  fileVersion: 7,
  compression: 'any',
  date: false,
  maxSleepMs: 1000,
  minSleepMs: 20,
  bufferPercent: 1,
  drainThreads: undefined,
  drainMode: 'splice',
  poll: false,
  rtPrio: 0,
  maxKb: 0,
  tempDir: undefined,
  procMaps: false,
  tsc2nsec: undefined,
  setup: {},
  disableFunctionTrace: false,
  totalDisable: false,
  ignoreMissingEvents: false,
  keep: false,
  cmdlinesSize: undefined,
  noFilter: false,
  removeInstances: [],
  onWarning: undefined,
});

export interface CpuResult {
  cpu: number;
  events: number;
  lost: number;
  bytes: number;
  /** With -m (maxKb): the bytes kept in the file, the newest of `bytes`. */
  keptBytes?: number;
}
export interface RecordResult {
  output: string;
  size: number;
  cpus: CpuResult[];
  sweep: SweepResult;
}

type Restore = () => void;

/**
 * The DATE option (trace-cmd --date): wall-clock microseconds minus trace-clock microseconds,
 * as a hex string; readers add it (x1000) to every time stamp. The trace clock's "now" comes
 * from the per-CPU stats file, read between two wall-clock samples.
 */
function dateOffset(inst: Instance): string {
  const before = Date.now();
  const now = inst.cpuStats(inst.cpus()[0] ?? 0).nowTs;
  const after = Date.now();
  const m = /^(\d+)\.(\d{1,9})$/.exec(now);
  if (!m) return '0x0';
  const traceUs = BigInt(m[1]!) * 1000000n + BigInt(m[2]!.padEnd(6, '0').slice(0, 6));
  const wallUs = BigInt(Math.round((before + after) / 2)) * 1000n;
  const d = wallUs - traceUs;
  return d < 0n ? '-0x' + (-d).toString(16) : '0x' + d.toString(16);
}

/** The `[bracketed]` clock of a trace_clock text ("local" if none is marked). */
export function currentClock(traceClockText: string): string {
  return /\[([^\]\s]+)\]/.exec(traceClockText)?.[1] ?? 'local';
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The chunks of several files one after the other; with `page`, each cut to whole pages of that size. */
function* filesChunks(paths: readonly string[], page = 0): Generator<Uint8Array> {
  for (const p of paths) yield* fileChunks(p, 1 << 20, page ? Math.floor(fileSize(p) / page) * page : Infinity);
}

export class RecordSession {
  readonly opts: RecordOptions;
  instance: Instance | undefined;
  private ownsInstance = false;
  private shared: SharedInstance | undefined;
  private restores: Restore[] = [];
  private internalRestores: Restore[] = [];
  private probes: DynamicEvent[] = [];
  private drain: SpliceDrain | undefined;
  private enabled: EventName[] = [];
  private baseline = new Map<number, { read: number; lost: number }>();
  private cleaned = false;
  /** -k: the instance this session created (removed again only if the recording fails before it starts). */
  private keepCreated = false;
  /** -k applies once tracing started: a setup that fails is undone. */
  private started = false;
  private sweep: SweepResult = { instances: [], groups: [], errors: [] };
  private tempPrefix: string;
  /** Address maps of the traced processes (--proc-map), newest first; see addProcMaps(). */
  private procMaps: ProcAddrMaps[] = [];
  /** Things the kernel refused that do not stop a recording (e.g. the -r priority), one line each. */
  readonly warnings: string[] = [];

  constructor(opts: Partial<RecordOptions> = {}) {
    this.opts = { ...DEFAULT_RECORD_OPTIONS, ...opts };
    if (this.opts.top && this.opts.instanceName) throw new TraceCmdError(TraceCmdErrorCode.BadOption, '--top and -B exclude each other');
    if (this.opts.keep && !this.opts.top && !this.opts.instanceName)
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, '-k keeps the setup of a named instance: give -B NAME or --top');
    if (this.opts.fileVersion === 6 && !['none', 'any'].includes(this.opts.compression)) {
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'trace.dat version 6 cannot be compressed');
    }
    if (this.opts.tsc2nsec && this.opts.clock !== undefined && this.opts.clock !== 'x86-tsc')
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, '--tsc2nsec records with the x86-tsc clock; it excludes -C');
    this.tempPrefix = join(this.tempDir(), `.${basename(this.opts.output)}.utp-${process.pid}`);
  }

  private tempDir(): string {
    return this.opts.tempDir ?? dirname(this.opts.output);
  }

  /** Sets up the instance, probes, events and filters (tracing stays off until start()). */
  setup(): void {
    this.sweep = sweepStale();
    this.removeStaleTempFiles();
    const o = this.opts;
    // -i and typos: every event is resolved before anything is written (after the uprobes when there
    // are some: an -e may name their events)
    let events = o.uprobes.length ? undefined : resolveEvents(o.events, o.ignoreMissingEvents);
    for (const name of o.removeInstances) if (Instance.exists(name)) Instance.open(name).remove();
    let inst: Instance;
    if (o.top) inst = Instance.top();
    else if (o.keep && o.instanceName) {
      // -k: the instance stays, so it is not registered as shared (the last user would remove it)
      this.keepCreated = !Instance.exists(o.instanceName);
      inst = this.keepCreated ? Instance.create(o.instanceName) : Instance.open(o.instanceName);
    } else if (o.instanceName) {
      // Shared with any other recorder naming the same -B NAME: the last one to leave removes it
      // (and only if utp created it). While others may use it, every change is undone one by one.
      this.shared = acquireSharedInstance(o.instanceName);
      inst = this.shared.instance;
    } else {
      inst = createPrivateInstance();
      this.ownsInstance = true;
    }
    this.instance = inst;
    const setup: InstanceSetup = { ...emptyInstanceSetup(), ...o.setup };
    const ctx: SetupContext = { strict: true, before: this.saver(false), onWarning: o.onWarning };
    try {
      setFunctionTrace(inst, !o.disableFunctionTrace, ctx);
      if (o.totalDisable) disableFtrace({ strict: true, before: this.saver(true) });
      this.change(inst, 'tracing_on', () => inst.setTracingOn(false));
      if (o.subbufSizeKb !== undefined) this.change(inst, 'buffer_subbuf_size_kb', () => inst.setSubbufSizeKb(o.subbufSizeKb!));
      if (o.bufferSizeKb !== undefined) {
        // "7 (expanded: 1408)" until first use: restore the size it would expand to.
        this.change(
          inst,
          'buffer_size_kb',
          () => inst.setBufferSizeKb(o.bufferSizeKb!),
          (t) => /expanded:\s*(\d+)/.exec(t)?.[1] ?? /\d+/.exec(t)?.[0] ?? t.trim(),
        );
      }
      const clock = o.tsc2nsec ? 'x86-tsc' : o.clock;
      if (clock !== undefined)
        this.change(
          inst,
          'trace_clock',
          () => inst.setClock(clock),
          (t) => /\[(\S+)\]/.exec(t)?.[1] ?? 'local',
        );
      if (o.cpumask !== undefined) this.change(inst, 'tracing_cpumask', () => inst.setCpumask(o.cpumask!));
      applyFunctionLists(inst, setup, ctx);
      if (o.bufferPercent !== undefined && inst.bufferPercent() !== undefined) {
        // the drain's own setting: undone also under -k (it is not part of the user's setup)
        const old = inst.read('buffer_percent').trim();
        this.internalRestores.push(() => inst.write('buffer_percent', old));
        inst.setBufferPercent(o.bufferPercent);
      }
      if (o.tracer !== undefined) {
        this.change(inst, 'current_tracer', () => inst.setTracer(o.tracer!));
      }
      for (const spec of o.uprobes) {
        const p = createUprobe(parseUprobeSpec(spec));
        this.probes.push(p);
        this.enableOne(inst, { system: p.group, name: p.name }, undefined, undefined);
      }
      events ??= resolveEvents(o.events, o.ignoreMissingEvents);
      for (const { e, evs } of events) if (!e.disable) for (const ev of evs) this.enableOne(inst, ev, e.filter, e.trigger);
      for (const { e, evs } of events) if (e.disable) for (const ev of evs) this.disableOne(inst, ev, e.trigger);
      if (!o.events.length && !o.uprobes.length && o.tracer === undefined) {
        throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Nothing to record: give events (-e) or a tracer (-p)');
      }
      if (o.cmdlinesSize !== undefined) setCmdlinesSize(o.cmdlinesSize, { strict: true, before: this.saver(true) });
      // after the tracer: setting a function tracer resets func_stack_trace
      applyOptions(inst, setup, ctx);
      applyMaxGraphDepth(inst, setup.maxGraphDepth, ctx);
      if (o.pids.length) this.setPids(o.pids);
      if (o.followChildren) {
        // as trace-cmd -c (also with --no-filter): event-fork, and function-fork where the kernel has it
        this.change(inst, 'options/event-fork', () => inst.setOption('event-fork', true));
        if (inst.hasFile('options/function-fork')) this.change(inst, 'options/function-fork', () => inst.setOption('function-fork', true));
      }
      this.change(
        inst,
        'trace',
        () => inst.clearTrace(),
        () => '',
      );
      // 'none': the caller reads trace_pipe_raw itself (utp stream); no drain may compete for its pages.
      if (this.opts.drainMode !== 'none') this.prepareDrain(inst);
    } catch (e) {
      try {
        this.cleanup();
      } catch (c) {
        // the setup's error is what the user needs; the incomplete cleanup is said after it
        throw new TraceCmdError(
          (e as { code?: TraceCmdErrorCode }).code ?? TraceCmdErrorCode.BadOption,
          `${(e as Error).message}; and ${(c as Error).message}`,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
  }

  /** Temp files a killed recorder left next to the same output, or in --temp (`.NAME.utp-<deadpid>...`). */
  private removeStaleTempFiles(): void {
    const base = basename(this.opts.output).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^\\.${base}\\.utp-(\\d+)(-x\\d*)?\\.(tmp|cpu\\d+(\\.1)?)$|^${base}\\.utp-(\\d+)\\.tmp$`);
    for (const dir of new Set([dirname(this.opts.output), this.tempDir()])) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const m = re.exec(n);
        const pid = m ? Number(m[1] ?? m[5]) : NaN;
        if (m && pid !== process.pid && !pidAlive(pid)) {
          try {
            unlinkSync(join(dir, n));
          } catch {
            /* raced */
          }
        }
      }
    }
  }

  /** set.ts's writes save the old text here first (instance files only when the instance is not ours). */
  private saver(global: boolean): BeforeChange {
    return (_what, read, restore) => {
      if (this.ownsInstance && !global) return;
      const old = read();
      this.restores.push(() => restore(old));
    };
  }

  /** Adds pids to the event pid filter (e.g. the traced command, before it runs); --no-filter: none. */
  setPids(pids: number[]): void {
    const inst = this.mustInstance();
    if (this.opts.noFilter) return;
    const cur = inst.eventPids();
    this.change(
      inst,
      'set_event_pid',
      () => inst.setEventPids([...new Set([...cur, ...pids])]),
      () => cur.join(' '),
    );
  }

  private enableOne(inst: Instance, ev: EventName, filter: string | undefined, trigger: string | undefined): void {
    const rel = `events/${ev.system}/${ev.name}`;
    if (filter !== undefined)
      this.change(
        inst,
        `${rel}/filter`,
        () => inst.setEventFilter(ev.system, ev.name, filter),
        (t) => (t.trim() === 'none' ? '0' : t),
      );
    if (trigger !== undefined) {
      inst.addEventTrigger(ev.system, ev.name, trigger);
      this.restores.push(() => inst.removeEventTrigger(ev.system, ev.name, trigger));
    }
    const was = inst.eventEnabled(ev.system, ev.name);
    inst.enableEvent(ev.system, ev.name);
    if (!this.ownsInstance && was !== '1') this.restores.push(() => inst.disableEvent(ev.system, ev.name));
    else if (this.ownsInstance)
      this.restores.push(() => {
        try {
          inst.disableEvent(ev.system, ev.name);
        } catch {
          /* gone */
        }
      });
    if (!this.enabled.some((x) => x.system === ev.system && x.name === ev.name)) this.enabled.push(ev);
  }

  /** -v -e: the event is disabled (and enabled again afterwards if it was). */
  private disableOne(inst: Instance, ev: EventName, trigger: string | undefined): void {
    // its trigger is written all the same, as trace-cmd does
    if (trigger !== undefined) {
      inst.addEventTrigger(ev.system, ev.name, trigger);
      this.restores.push(() => inst.removeEventTrigger(ev.system, ev.name, trigger));
    }
    const was = inst.eventEnabled(ev.system, ev.name);
    inst.disableEvent(ev.system, ev.name);
    if (!this.ownsInstance && was === '1') this.restores.push(() => inst.enableEvent(ev.system, ev.name));
    this.enabled = this.enabled.filter((x) => x.system !== ev.system || x.name !== ev.name);
  }

  /** Applies a change, remembering how to undo it (only needed when the instance is not ours). */
  private change(inst: Instance, rel: string, apply: () => void, fromFile: (text: string) => string = (t) => t.trim()): void {
    if (!this.ownsInstance && rel !== 'trace') {
      const old = fromFile(inst.read(rel));
      // Registered before applying: a write the kernel refuses may still have changed the file (a filter
      // that fails to parse replaces the old one), so the old value must come back either way.
      if (rel === 'buffer_size_kb' && old === 'X') {
        // Per-CPU sizes differ: restore each CPU's own size.
        const perCpu = inst
          .cpus()
          .map((c) => [`per_cpu/cpu${c}/buffer_size_kb`, inst.read(`per_cpu/cpu${c}/buffer_size_kb`).trim()] as const);
        this.restores.push(() => {
          for (const [f, v] of perCpu) inst.write(f, v);
        });
      } else this.restores.push(() => inst.write(rel, old));
      apply();
    } else apply();
  }

  private mustInstance(): Instance {
    if (!this.instance) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'setup() was not called');
    return this.instance;
  }

  /**
   * Opens every CPU's trace_pipe_raw and launches the drain threads (done at the end of setup(),
   * so their start-up overlaps the caller's own; start() waits until they run).
   */
  private prepareDrain(inst: Instance): void {
    // poll(2) waits for buffer_percent of a CPU's buffer; at 0 (or without the file) it wakes at
    // any data, and the drain threads pace themselves instead.
    const pace = (inst.bufferPercent() ?? 0) === 0;
    this.drain = new SpliceDrain(inst, inst.cpus(), this.tempPrefix, pageLayoutOf(inst), {
      maxSleepMs: this.opts.maxSleepMs,
      minSleepMs: this.opts.minSleepMs,
      pace,
      threads: this.opts.drainThreads,
      mode: this.opts.drainMode === 'read' ? 'read' : 'splice',
      poll: this.opts.poll,
      rtPrio: this.opts.rtPrio,
      maxKb: this.opts.maxKb,
    });
    this.drain.launch();
  }

  /** Starts draining (once the drain threads run) and turns tracing on. */
  start(): void {
    const inst = this.mustInstance();
    if (!this.drain) this.prepareDrain(inst);
    for (const c of inst.cpus()) {
      const s = inst.cpuStats(c);
      this.baseline.set(c, { read: s.readEvents, lost: s.overrun + s.droppedEvents });
    }
    this.drain!.start();
    if (this.drain!.priorityRefused)
      this.warnings.push(
        `cannot give the drain threads SCHED_FIFO priority ${this.opts.rtPrio} (sched_setscheduler: ${this.drain!.priorityRefused})`,
      );
    // --proc-map with -P: the maps of the given pids as tracing starts (trace-cmd reads them then)
    if (this.opts.procMaps) for (const pid of this.opts.pids) this.addProcMaps(readProcAddrMaps(pid));
    this.started = true;
    inst.setTracingOn(true);
  }

  /** Adds a traced process's address maps (--proc-map), e.g. read by a ProcMapTracer at its exit; a pid seen again is replaced. */
  addProcMaps(m: ProcAddrMaps | undefined): void {
    if (!m) return;
    this.procMaps = [m, ...this.procMaps.filter((x) => x.pid !== m.pid)];
  }

  /** The options utp adds to the file beyond the writer's own (PROCMAPS, TSC2NSEC), as trace-cmd orders them. */
  private extraOptions(): Array<{ id: number; data: Uint8Array }> {
    const out: Array<{ id: number; data: Uint8Array }> = [];
    for (const m of this.procMaps) {
      const data = procMapsOption(m);
      if (data) out.push({ id: OptionId.ProcMaps, data });
    }
    const t = this.opts.tsc2nsec;
    if (t) {
      // multiplier (u32), shift (u32), offset (u64: 0 on the host), in the file's byte order
      const data = new Uint8Array(16);
      const dv = new DataView(data.buffer);
      const le = endianness() === 'LE';
      dv.setUint32(0, t.mult, le);
      dv.setUint32(4, t.shift, le);
      out.push({ id: OptionId.Tsc2Nsec, data });
    }
    return out;
  }

  /** The buffer clock stored in the file: trace-cmd names it tsc2nsec when it converts. */
  private fileClock(clockText: string): string {
    return this.opts.tsc2nsec ? 'tsc2nsec' : currentClock(clockText);
  }

  /** Stops tracing, drains the rest, writes the output file, and cleans up. */
  async stop(): Promise<RecordResult> {
    const inst = this.mustInstance();
    const drain = this.drain;
    if (!drain) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'start() was not called');
    try {
      inst.setTracingOn(false);
      await drain.stop();
      const cpus = inst.cpus();
      const results: CpuResult[] = [];
      const stats: string[] = [];
      const bytes = drain.bytesPerCpu();
      const files = drain.dataFiles();
      for (const [i, c] of cpus.entries()) {
        const s = inst.cpuStats(c);
        const b = this.baseline.get(c) ?? { read: 0, lost: 0 };
        const r: CpuResult = { cpu: c, events: s.readEvents - b.read, lost: s.overrun + s.droppedEvents - b.lost, bytes: bytes[i] ?? 0 };
        if (this.opts.maxKb > 0) r.keptBytes = files[i]!.reduce((a, f) => a + fileSize(f), 0);
        results.push(r);
        stats.push(`CPU: ${c}\n${s.text}`);
      }
      const meta = collectMetadata(inst, this.opts.tracer !== undefined && !this.enabled.length ? undefined : this.enabled);
      // The clock of the instance recorded (trace-cmd record: the first instance's trace_clock),
      // in the TRACECLOCK option and in every BUFFER option.
      const clockText = inst.read('trace_clock');
      const clock = this.fileClock(clockText);
      const dataBuffer: TraceDatBufferInput = {
        name: this.ownsInstance && !this.opts.instanceName ? '' : (inst.name ?? ''),
        clock,
        cpuStats: stats,
        cpus: cpus.map((cpu, i) => ({ cpu, data: { [Symbol.iterator]: () => filesChunks(files[i]!) } })),
      };
      const buffers: TraceDatBufferInput[] = dataBuffer.name === '' ? [dataBuffer] : [{ name: '', clock, cpus: [] }, dataBuffer];
      const size = await writeTraceFile(this.opts.output, meta, buffers, {
        fileVersion: this.opts.fileVersion,
        compression: this.opts.compression,
        traceClock: clockText,
        uname: unameString(),
        cpuCount: recordingCpuCount(cpus),
        pageSize: drain.pageSize,
        ...(this.opts.date ? { date: dateOffset(inst) } : {}),
        extraOptions: this.extraOptions(),
      });
      return { output: this.opts.output, size, cpus: results, sweep: this.sweep };
    } finally {
      // The file is written: a setting the kernel would not take back is a warning, not a failed recording.
      try {
        this.cleanup();
      } catch (e) {
        this.cleanupError = e;
      }
    }
  }

  /** Events and losses per CPU so far (the kernel's per-CPU stats since start()); for live views. */
  progress(): CpuResult[] {
    const inst = this.mustInstance();
    const bytes = this.drain?.bytesPerCpu() ?? [];
    return inst.cpus().map((c, i) => {
      const s = inst.cpuStats(c);
      const b = this.baseline.get(c) ?? { read: 0, lost: 0 };
      return { cpu: c, events: s.entries + s.readEvents - b.read, lost: s.overrun + s.droppedEvents - b.lost, bytes: bytes[i] ?? 0 };
    });
  }

  /**
   * While recording (utp view --live): writes `output` as the recording's head, a trace.dat (v7,
   * uncompressed) with every section but no event data: header_page/header_event, the formats of
   * the enabled events, kallsyms/printk, cmdlines, CPU count, page size, clock. The pages come
   * apart (livePages). Returns undefined once the session stopped.
   */
  async liveHead(output: string): Promise<number | undefined> {
    const inst = this.mustInstance();
    const drain = this.drain;
    if (!drain || this.cleaned) return undefined;
    if (this.opts.maxKb > 0) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'a live view streams every page: -m cannot be used');
    const cpus = inst.cpus();
    const meta = {
      ...collectMetadata(inst, this.opts.tracer !== undefined && !this.enabled.length ? undefined : this.enabled),
      cmdlines: Instance.top().readBytes('saved_cmdlines'),
    };
    const clockText = inst.read('trace_clock');
    const clock = this.fileClock(clockText);
    const dataBuffer: TraceDatBufferInput = {
      name: this.ownsInstance && !this.opts.instanceName ? '' : (inst.name ?? ''),
      clock,
      cpus: cpus.map((cpu) => ({ cpu, data: [] })),
    };
    const buffers: TraceDatBufferInput[] = dataBuffer.name === '' ? [dataBuffer] : [{ name: '', clock, cpus: [] }, dataBuffer];
    return writeTraceFile(output, meta, buffers, {
      fileVersion: 7,
      compression: 'none',
      traceClock: clockText,
      uname: unameString(),
      cpuCount: recordingCpuCount(cpus),
      pageSize: drain.pageSize,
      extraOptions: this.extraOptions(),
    });
  }

  /**
   * While recording: the whole sub-buffers the drain has written per CPU since `from[i]` (bytes into
   * CPU i's data, i in instance.cpus() order), at most `maxBytes` in all (shared out between the CPUs
   * that have more), with the kernel's view of each CPU read just before: `passed`, its clock (as the
   * stats file prints it) before which the CPU had no unread event (the oldest unread one's time, or
   * "now" when there was none), and `complete` when the answer holds every byte written so far; and
   * saved_cmdlines now. Undefined once the session stopped (its files are gone).
   */
  livePages(
    from: readonly number[],
    maxBytes: number,
  ):
    | { cpus: Array<{ cpu: number; from: number; bytes: Uint8Array; passed: string; complete: boolean }>; cmdlines: Uint8Array }
    | undefined {
    const inst = this.mustInstance();
    const drain = this.drain;
    if (!drain || this.cleaned) return undefined;
    const cpus = inst.cpus();
    // the kernel first: what it had consumed then is in the files read after (or soon: the page asks again)
    const stats = cpus.map((c) => inst.cpuStats(c));
    const written = drain.bytesPerCpu();
    const ps = drain.pageSize;
    const files = drain.paths();
    const want = cpus.map((_c, i) => Math.max(0, Math.floor((written[i] ?? 0) / ps) * ps - Math.max(0, from[i] ?? 0)));
    // shares: CPUs asking less than an equal share leave the rest to the others
    const share = new Array<number>(cpus.length).fill(0);
    let left = Math.max(ps, Math.floor(maxBytes / ps) * ps);
    let open = cpus.map((_c, i) => i).filter((i) => want[i]! > 0);
    while (open.length && left >= ps) {
      const each = Math.max(ps, Math.floor(left / open.length / ps) * ps);
      for (const i of open) {
        const n = Math.min(want[i]! - share[i]!, each, left);
        share[i]! += n;
        left -= n;
      }
      open = open.filter((i) => share[i]! < want[i]!);
    }
    const out = cpus.map((cpu, i) => {
      const at = Math.max(0, from[i] ?? 0);
      const bytes = new Uint8Array(share[i]!);
      if (bytes.length) {
        const fd = openSync(files[i]!, 'r');
        try {
          let o = 0;
          while (o < bytes.length) {
            const n = readSync(fd, bytes, o, bytes.length - o, at + o);
            if (!n) break;
            o += n;
          }
          if (o < bytes.length) throw new Error(`${files[i]}: ${o} of ${bytes.length} bytes at ${at}`);
        } finally {
          closeSync(fd);
        }
      }
      const st = stats[i]!;
      const complete = at + bytes.length === Math.floor((written[i] ?? 0) / ps) * ps;
      return { cpu, from: at, bytes, passed: st.entries === 0 ? st.nowTs : st.oldestEventTs, complete };
    });
    return { cpus: out, cmdlines: Instance.top().readBytes('saved_cmdlines') };
  }

  /** Set when stop() wrote the file but could not restore everything (the caller reports it). */
  cleanupError: unknown = undefined;

  /**
   * Undoes everything (synchronous, idempotent; safe from signal and exit handlers): closes
   * readers, removes temp files, restores changed settings, removes probes and our instance.
   */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    const errors: unknown[] = [];
    const attempt = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    };
    if (this.drain) attempt(() => this.drain!.dispose(true));
    else
      for (const c of this.instance?.cpus() ?? [])
        attempt(() => {
          try {
            unlinkSync(`${this.tempPrefix}.cpu${c}`);
          } catch {
            /* none */
          }
        });
    const inst = this.instance;
    if (inst && !this.ownsInstance) attempt(() => inst.setTracingOn(false));
    // -k: tracing is off; the instance, its events, options and the probes stay (trace-cmd resets nothing)
    if (inst?.exists()) for (const r of this.internalRestores) attempt(r);
    if (this.opts.keep && this.started) {
      if (errors.length)
        throw new TraceFsError(TraceFsErrorCode.KernelRefused, `Cleanup was incomplete (${errors.length} problem(s))`, {
          cause: errors[0],
        });
      return;
    }
    for (const r of this.restores.reverse()) attempt(r);
    if (inst && (this.ownsInstance || this.keepCreated)) attempt(() => destroyInstance(inst));
    if (this.shared) attempt(() => this.shared!.release());
    for (const p of this.probes) attempt(() => removeDynamicEvent(p));
    if (errors.length) {
      throw new TraceFsError(TraceFsErrorCode.KernelRefused, `Cleanup was incomplete (${errors.length} problem(s))`, { cause: errors[0] });
    }
  }
}
