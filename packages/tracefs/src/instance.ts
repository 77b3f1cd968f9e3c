/**
 * A tracefs instance (libtracefs' struct tracefs_instance): the top-level buffer (no name) or
 * instances/NAME. Every per-instance file of tracefs is reachable from here.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { decodeLatin1 } from '@utp/bytes';
import { TraceFsError, TraceFsErrorCode } from './errors.js';
import { tracingDir } from './paths.js';
import { readTraceFile, writeTraceFile, readWholeFile } from './tracefs-file.js';
import { globToRegExp } from './glob.js';

export interface EventName {
  system: string;
  name: string;
}

/** Parsed `per_cpu/cpuN/stats`. */
export interface CpuStats {
  entries: number;
  overrun: number;
  commitOverrun: number;
  bytes: number;
  oldestEventTs: string;
  nowTs: string;
  droppedEvents: number;
  readEvents: number;
  /** The file as the kernel wrote it (stored in trace.dat CPUSTAT options). */
  text: string;
}

export function parseCpuStats(text: string): CpuStats {
  const get = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const num = (k: string): number => Number(get(k) || 0);
  return {
    entries: num('entries'),
    overrun: num('overrun'),
    commitOverrun: num('commit overrun'),
    bytes: num('bytes'),
    oldestEventTs: get('oldest event ts'),
    nowTs: get('now ts'),
    droppedEvents: num('dropped events'),
    readEvents: num('read events'),
    text,
  };
}

export class Instance {
  /** Instance name; undefined for the top-level buffer. */
  readonly name: string | undefined;
  /** Absolute directory of the instance. */
  readonly path: string;
  /** The tracefs root. */
  readonly root: string;

  private constructor(root: string, name: string | undefined) {
    this.root = root;
    this.name = name;
    this.path = name === undefined ? root : `${root}/instances/${name}`;
  }

  /** The top-level instance. */
  static top(): Instance {
    return new Instance(tracingDir(), undefined);
  }

  /** An existing instance by name (undefined or '' = top). */
  static open(name?: string): Instance {
    if (!name) return Instance.top();
    const i = new Instance(tracingDir(), name);
    if (!existsSync(i.path))
      throw new TraceFsError(TraceFsErrorCode.NotFound, 'No such instance', { file: i.path, context: { instance: name } });
    return i;
  }

  /** Creates instances/NAME (tracefs_instance_create); fails with Exists if it is there already. */
  static create(name: string): Instance {
    if (!/^[^/\s]+$/.test(name)) throw new TraceFsError(TraceFsErrorCode.BadArgument, 'Bad instance name', { context: { instance: name } });
    const i = new Instance(tracingDir(), name);
    try {
      mkdirSync(i.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new TraceFsError(TraceFsErrorCode.Exists, 'Instance exists already', { file: i.path, errno: code });
      throw new TraceFsError(TraceFsErrorCode.KernelRefused, 'Cannot create instance', { file: i.path, errno: code, cause: e });
    }
    return i;
  }

  static exists(name: string): boolean {
    return existsSync(`${tracingDir()}/instances/${name}`);
  }

  /** Names of all instances (tracefs_instances). */
  static list(glob?: string): string[] {
    const dir = `${tracingDir()}/instances`;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const re = glob ? globToRegExp(glob) : undefined;
    return names.filter((n) => !re || re.test(n)).sort();
  }

  get isTop(): boolean {
    return this.name === undefined;
  }

  /** Removes the instance directory (tracefs_instance_destroy). */
  remove(): void {
    if (this.isTop) throw new TraceFsError(TraceFsErrorCode.BadArgument, 'The top instance cannot be removed');
    try {
      rmdirSync(this.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      throw new TraceFsError(TraceFsErrorCode.KernelRefused, 'Cannot remove instance', { file: this.path, errno: code, cause: e });
    }
  }

  file(rel: string): string {
    return `${this.path}/${rel}`;
  }
  hasFile(rel: string): boolean {
    return existsSync(this.file(rel));
  }
  read(rel: string): string {
    return readTraceFile(this.file(rel));
  }
  readBytes(rel: string): Uint8Array {
    return readWholeFile(this.file(rel));
  }
  /** Writes with error_log reporting; `append` for command files (set_event, *_events, trigger). */
  write(rel: string, data: string | Uint8Array, append = false): void {
    writeTraceFile(this.file(rel), data, { append, errorLog: this.file('error_log') });
  }
  /** The instance's error_log. */
  errorLog(): string {
    return this.hasFile('error_log') ? this.read('error_log') : '';
  }
  clearErrorLog(): void {
    if (this.hasFile('error_log')) this.write('error_log', '');
  }

  // ---- tracers ----
  availableTracers(): string[] {
    return this.read('available_tracers').split(/\s+/).filter(Boolean);
  }
  currentTracer(): string {
    return this.read('current_tracer').trim();
  }
  /** Sets current_tracer; a tracer the kernel refuses (e.g. function here: EPERM) becomes a clear error. */
  setTracer(name: string): void {
    if (!this.availableTracers().includes(name)) {
      throw new TraceFsError(TraceFsErrorCode.NotFound, `Tracer '${name}' is not available on this kernel`, {
        file: this.file('available_tracers'),
        context: { available: this.availableTracers().join(' ') },
      });
    }
    try {
      this.write('current_tracer', name);
    } catch (e) {
      const err = e as TraceFsError;
      const why =
        err.errno === 'EPERM' ? 'EPERM, operation not permitted' : err.errno === 'EBUSY' ? 'EBUSY, in use' : (err.errno ?? 'refused');
      throw new TraceFsError(TraceFsErrorCode.KernelRefused, `The kernel refuses the '${name}' tracer (${why})`, {
        file: this.file('current_tracer'),
        errno: err.errno,
        errorLog: err.errorLog,
      });
    }
  }

  // ---- events ----
  /** Event systems (directories under events/). */
  eventSystems(glob?: string): string[] {
    const re = glob ? globToRegExp(glob) : undefined;
    return readdirSync(this.file('events'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && (!re || re.test(d.name)))
      .map((d) => d.name)
      .sort();
  }
  /** Events of the systems matching `systemGlob`, names matching `eventGlob` (tracefs_event_systems/_events). */
  events(systemGlob = '*', eventGlob = '*'): EventName[] {
    const out: EventName[] = [];
    const re = globToRegExp(eventGlob);
    for (const system of this.eventSystems(systemGlob)) {
      for (const d of readdirSync(this.file(`events/${system}`), { withFileTypes: true })) {
        if (d.isDirectory() && re.test(d.name)) out.push({ system, name: d.name });
      }
    }
    return out;
  }
  /**
   * Matches an event spec as trace-cmd's -e takes it: "SYSTEM", "SYSTEM:EVENT", "EVENT" or globs.
   * Throws NotFound when nothing matches.
   */
  matchEvents(spec: string): EventName[] {
    let sys: string, ev: string;
    const i = spec.indexOf(':');
    const j = spec.indexOf('/');
    const sep = i >= 0 ? i : j;
    if (sep >= 0) {
      sys = spec.slice(0, sep);
      ev = spec.slice(sep + 1) || '*';
    } else if (spec === 'all') {
      sys = '*';
      ev = '*';
    } else {
      const bySys = this.events(spec, '*');
      const byEv = this.events('*', spec);
      const list = [...bySys, ...byEv.filter((e) => !bySys.some((b) => b.system === e.system && b.name === e.name))];
      if (!list.length) throw new TraceFsError(TraceFsErrorCode.NotFound, `No event matches '${spec}'`, { file: this.file('events') });
      return list;
    }
    const list = this.events(sys, ev);
    if (!list.length) throw new TraceFsError(TraceFsErrorCode.NotFound, `No event matches '${spec}'`, { file: this.file('events') });
    return list;
  }
  private evPath(system?: string, event?: string): string {
    if (!system) return 'events';
    return event ? `events/${system}/${event}` : `events/${system}`;
  }
  /** Enables an event, a system (event undefined) or everything (both undefined). */
  enableEvent(system?: string, event?: string): void {
    this.setEnable(system, event, '1');
  }
  disableEvent(system?: string, event?: string): void {
    this.setEnable(system, event, '0');
  }
  /** ftrace-system events (print, function...) have no enable file: they are always on. */
  private setEnable(system: string | undefined, event: string | undefined, v: string): void {
    const rel = `${this.evPath(system, event)}/enable`;
    if (system === 'ftrace' && !this.hasFile(rel) && this.hasFile(this.evPath(system, event))) return;
    this.write(rel, v);
  }
  /** "1", "0" or "X" (mixed) as the kernel reports it. */
  eventEnabled(system?: string, event?: string): string {
    const rel = `${this.evPath(system, event)}/enable`;
    if (system === 'ftrace' && !this.hasFile(rel)) return '1';
    return this.read(rel).trim();
  }
  /** Enabled events as listed by set_event ("system:event" lines). */
  enabledEvents(): string[] {
    return this.read('set_event').split('\n').filter(Boolean);
  }
  /** The `format` file text of one event. */
  eventFormat(system: string, event: string): string {
    return this.read(`events/${system}/${event}/format`);
  }
  eventId(system: string, event: string): number {
    return Number(this.read(`events/${system}/${event}/id`).trim());
  }
  setEventFilter(system: string, event: string | undefined, filter: string): void {
    this.write(`${this.evPath(system, event)}/filter`, filter);
  }
  clearEventFilter(system: string, event?: string): void {
    this.write(`${this.evPath(system, event)}/filter`, '0');
  }
  eventFilter(system: string, event: string): string {
    return this.read(`events/${system}/${event}/filter`).trim();
  }
  addEventTrigger(system: string, event: string, trigger: string): void {
    this.write(`events/${system}/${event}/trigger`, trigger, true);
  }
  removeEventTrigger(system: string, event: string, trigger: string): void {
    this.write(`events/${system}/${event}/trigger`, '!' + trigger, true);
  }
  eventTriggers(system: string, event: string): string[] {
    return this.read(`events/${system}/${event}/trigger`)
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
  }
  /** Restricts events to these pids (set_event_pid); `fork` also follows children (option event-fork). */
  setEventPids(pids: number[], fork = false): void {
    this.write('set_event_pid', pids.join(' '));
    if (fork) this.setOption('event-fork', true);
  }
  clearEventPids(): void {
    this.write('set_event_pid', '');
  }
  eventPids(): number[] {
    return this.read('set_event_pid').split(/\s+/).filter(Boolean).map(Number);
  }
  /** header_page / header_event texts (per instance: header_page follows buffer_subbuf_size_kb). */
  headerPage(): string {
    return this.read('events/header_page');
  }
  headerEvent(): string {
    return this.read('events/header_event');
  }

  // ---- options ----
  options(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const l of this.read('trace_options').split('\n')) {
      if (!l) continue;
      if (l.startsWith('no')) out[l.slice(2)] = false;
      else out[l] = true;
    }
    return out;
  }
  option(name: string): boolean {
    return this.read(`options/${name}`).trim() === '1';
  }
  setOption(name: string, on: boolean): void {
    if (!this.hasFile(`options/${name}`))
      throw new TraceFsError(TraceFsErrorCode.NotFound, `No trace option '${name}'`, { file: this.file(`options/${name}`) });
    this.write(`options/${name}`, on ? '1' : '0');
  }

  // ---- buffers, clock, cpumask, on/off ----
  bufferSizeKb(cpu?: number): number {
    const t = this.read(cpu === undefined ? 'buffer_size_kb' : `per_cpu/cpu${cpu}/buffer_size_kb`).trim();
    const m = /^(\d+)/.exec(t);
    return m ? Number(m[1]) : NaN;
  }
  setBufferSizeKb(kb: number, cpu?: number): void {
    this.write(cpu === undefined ? 'buffer_size_kb' : `per_cpu/cpu${cpu}/buffer_size_kb`, String(kb));
  }
  /** Sub-buffer size in KiB (kernel >= 6.8), or undefined when the kernel has no such file. */
  subbufSizeKb(): number | undefined {
    return this.hasFile('buffer_subbuf_size_kb') ? Number(this.read('buffer_subbuf_size_kb').trim()) : undefined;
  }
  setSubbufSizeKb(kb: number): void {
    if (!this.hasFile('buffer_subbuf_size_kb'))
      throw new TraceFsError(TraceFsErrorCode.Unsupported, 'This kernel has no buffer_subbuf_size_kb', {
        file: this.file('buffer_subbuf_size_kb'),
      });
    try {
      this.write('buffer_subbuf_size_kb', String(kb));
    } catch (e) {
      const err = e as TraceFsError;
      if (err.code !== TraceFsErrorCode.KernelRefused) throw e;
      const why =
        err.errno === 'EPERM'
          ? 'EPERM, operation not permitted'
          : err.errno === 'EINVAL'
            ? 'EINVAL, not a size it takes'
            : (err.errno ?? 'refused');
      throw new TraceFsError(TraceFsErrorCode.KernelRefused, `The kernel refuses ${kb} KiB sub-buffers (${why})`, {
        file: this.file('buffer_subbuf_size_kb'),
        errno: err.errno,
        errorLog: err.errorLog,
      });
    }
  }
  /** The ring-buffer sub-buffer ("page") size in bytes, from header_page (data offset + size). */
  subBufferSize(): number {
    const t = this.headerPage();
    const m = /field:\s*char data;\s*offset:(\d+);\s*size:(\d+);/.exec(t);
    return m ? Number(m[1]) + Number(m[2]) : 4096;
  }
  clocks(): { current: string; available: string[] } {
    const words = this.read('trace_clock').trim().split(/\s+/);
    let current = '';
    const available = words.map((w) => {
      if (w.startsWith('[')) {
        current = w.slice(1, -1);
        return current;
      }
      return w;
    });
    return { current, available };
  }
  setClock(clock: string): void {
    if (!this.clocks().available.includes(clock)) {
      throw new TraceFsError(TraceFsErrorCode.NotFound, `Clock '${clock}' is not available`, {
        file: this.file('trace_clock'),
        context: { available: this.clocks().available.join(' ') },
      });
    }
    this.write('trace_clock', clock);
  }
  cpumask(): string {
    return this.read('tracing_cpumask').trim();
  }
  setCpumask(mask: string): void {
    this.write('tracing_cpumask', mask);
  }
  tracingOn(): boolean {
    return this.read('tracing_on').trim() === '1';
  }
  setTracingOn(on: boolean): void {
    this.write('tracing_on', on ? '1' : '0');
  }
  bufferPercent(): number | undefined {
    return this.hasFile('buffer_percent') ? Number(this.read('buffer_percent').trim()) : undefined;
  }
  setBufferPercent(p: number): void {
    this.write('buffer_percent', String(p));
  }

  // ---- contents ----
  /** Empties the ring buffer (writes to `trace`). */
  clearTrace(): void {
    this.write('trace', '');
  }
  /** Text of the `trace` file (non-consuming). */
  readTrace(): string {
    return decodeLatin1(this.readBytes('trace'));
  }
  /** Snapshot: take (1), clear (2), free (0), read. */
  takeSnapshot(): void {
    this.snapshotWrite('1');
  }
  clearSnapshot(): void {
    this.snapshotWrite('2');
  }
  freeSnapshot(): void {
    this.snapshotWrite('0');
  }
  readSnapshot(): string {
    return decodeLatin1(this.readBytes('snapshot'));
  }
  private snapshotWrite(v: string): void {
    if (!this.hasFile('snapshot'))
      throw new TraceFsError(TraceFsErrorCode.Unsupported, 'This kernel has no snapshot support', { file: this.file('snapshot') });
    this.write('snapshot', v);
  }
  /** Writes a trace_marker (print event). */
  writeMarker(text: string): void {
    this.write('trace_marker', text);
  }
  /** Writes trace_marker_raw: a 4-byte id followed by data (raw_data event). */
  writeMarkerRaw(id: number, data: Uint8Array = new Uint8Array(0)): void {
    const b = new Uint8Array(4 + data.length);
    new DataView(b.buffer).setUint32(0, id >>> 0, true);
    b.set(data, 4);
    this.write('trace_marker_raw', b);
  }

  // ---- CPUs ----
  /** CPU numbers that have a per_cpu directory. */
  cpus(): number[] {
    return readdirSync(this.file('per_cpu'))
      .map((d) => /^cpu(\d+)$/.exec(d))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }
  cpuStatsText(cpu: number): string {
    return this.read(`per_cpu/cpu${cpu}/stats`);
  }
  cpuStats(cpu: number): CpuStats {
    return parseCpuStats(this.cpuStatsText(cpu));
  }
  rawPipePath(cpu: number): string {
    return this.file(`per_cpu/cpu${cpu}/trace_pipe_raw`);
  }

  /** True when the path is (still) an instance directory. */
  exists(): boolean {
    try {
      return statSync(this.path).isDirectory();
    } catch {
      return false;
    }
  }
}
