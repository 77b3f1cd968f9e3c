/// <reference types="node" />
/**
 * libperf's evsel / evlist: events opened with perf_event_open on a CPU map × thread map,
 * enabled, read (counting with TOTAL_TIME_ENABLED|RUNNING, group reads) or sampled through
 * the mmap ring, and closed. Every fd and mapping an Evlist opens is closed by close(), by an
 * error while opening, and at process exit.
 */
import { closeSync, readFileSync, readSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { PerfEventAttr } from '../attr.js';
import { AttrFlag, sampleIdPos, trailerIdPos } from '../attr.js';
import { AttrType, ReadFormat, RecordType, SampleType } from '../constants.js';
import type { PerfEvent, PerfEvsel } from '../perf-data.js';
import { emptySample, parseSample, parseSampleId } from '../sample.js';
import type { EventSpec } from './events.js';
import { parseEvents } from './events.js';
import { LiveError, LiveErrorCode } from './errors.js';
import type { CpuMap, ThreadMap } from './maps.js';
import { CpuMap as CpuMapClass, ThreadMap as ThreadMapClass } from './maps.js';
import { IOC_FLAG_GROUP, Ioc, PERF_FLAG_FD_CLOEXEC, errnoName, eventId, ioctlInt, mmapFd, munmap, perfEventOpen, pollFds } from './sys.js';

const E = osConstants.errno;
const ATTR_SIZE = 128; // PERF_ATTR_SIZE_VER7

/** perf_counts_values: the value and the times it was enabled and running (ns). */
export interface CountsValues {
  val: bigint;
  ena: bigint;
  run: bigint;
  id: bigint;
  lost: bigint;
}

/** What an Evsel is asked to be, beyond its event (the perf_event_attr knobs). */
export interface EvselOptions {
  /** Start disabled (enable() or enableOnExec turns it on). Default true. */
  disabled: boolean;
  /** Count the children the task forks after the open. */
  inherit: boolean;
  enableOnExec: boolean;
  /** Sampling: a sample every N events (0 = counting only). */
  samplePeriod: bigint;
  /** Sampling frequency in Hz instead of a period. */
  sampleFreq: number;
  sampleType: number;
  readFormat: number;
  /** Wake the reader after this many bytes in the ring (watermark) … */
  wakeupWatermark: number;
  /** … or after this many samples (when the watermark is 0). */
  wakeupEvents: number;
  sampleIdAll: boolean;
  /** COMM/MMAP/FORK/EXIT side-band records (comm, mmap, task). */
  taskEvents: boolean;
  excludeUser: boolean;
  excludeKernel: boolean;
  /**
   * perf's fallback: refused (EACCES) under perf_event_paranoid > 1, count user space only
   * (exclude_kernel, exclude_hv) and name the event `NAME:u`, as perf stat and record do.
   */
  userFallback: boolean;
}

const DEFAULTS: Readonly<EvselOptions> = Object.freeze({
  disabled: true,
  inherit: false,
  enableOnExec: false,
  samplePeriod: 0n,
  sampleFreq: 0,
  sampleType: 0,
  readFormat: ReadFormat.TotalTimeEnabled | ReadFormat.TotalTimeRunning,
  wakeupWatermark: 0,
  wakeupEvents: 1,
  sampleIdAll: false,
  taskEvents: false,
  excludeUser: false,
  excludeKernel: false,
  userFallback: false,
});

function bit(b: number, on: boolean): bigint {
  return on ? 1n << BigInt(b) : 0n;
}

/** perf_event_attr as the kernel takes it (PERF_ATTR_SIZE_VER7, little- or big-endian as the machine). */
export function encodeAttr(a: PerfEventAttr): Uint8Array {
  const b = new Uint8Array(ATTR_SIZE);
  const dv = new DataView(b.buffer);
  const le = LE;
  dv.setUint32(0, a.type, le);
  dv.setUint32(4, ATTR_SIZE, le);
  dv.setBigUint64(8, a.config, le);
  dv.setBigUint64(16, a.samplePeriod, le);
  dv.setBigUint64(24, BigInt(a.sampleType), le);
  dv.setBigUint64(32, BigInt(a.readFormat), le);
  dv.setBigUint64(40, a.flags, le);
  dv.setUint32(48, a.wakeupEvents, le);
  dv.setUint32(52, a.bpType, le);
  dv.setBigUint64(56, a.config1, le);
  dv.setBigUint64(64, a.config2, le);
  dv.setBigUint64(72, a.branchSampleType, le);
  dv.setBigUint64(80, a.sampleRegsUser, le);
  dv.setUint32(88, a.sampleStackUser, le);
  dv.setInt32(92, a.clockid, le);
  dv.setBigUint64(96, a.sampleRegsIntr, le);
  dv.setUint32(104, a.auxWatermark, le);
  dv.setUint16(108, a.sampleMaxStack, le);
  return b;
}
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** /proc/sys/kernel/perf_event_paranoid, or undefined. */
export function perfEventParanoid(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Open fds of all live Evlists, closed at exit. */
const live = new Set<Evlist>();
let exitHook = false;
/** Closes every Evlist still open (signal handlers call this before exiting). */
export function closeAllLive(): void {
  for (const l of [...live]) l.close();
}

/** perf_evsel: one event, opened on every (cpu, thread) of its maps. */
export class Evsel {
  readonly attr: PerfEventAttr;
  readonly opts: EvselOptions;
  /** fds[cpuIndex][threadIndex], -1 where not open. */
  fds: number[][] = [];
  ids: bigint[] = [];
  /** False when the kernel has no such event here (perf stat's `<not supported>`). */
  supported = true;
  /** Why it is not supported (the errno name). */
  notSupportedReason = '';
  leader: Evsel | undefined;
  index = 0;
  cpus: CpuMap = CpuMapClass.dummy();
  threads: ThreadMap = ThreadMapClass.dummy();

  constructor(
    readonly spec: EventSpec,
    opts: Partial<EvselOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    const o = this.opts;
    const freq = o.sampleFreq > 0;
    const flags =
      bit(AttrFlag.Disabled, o.disabled) |
      bit(AttrFlag.Inherit, o.inherit) |
      bit(AttrFlag.ExcludeUser, o.excludeUser || spec.excludeUser) |
      bit(AttrFlag.ExcludeKernel, o.excludeKernel || spec.excludeKernel) |
      bit(AttrFlag.Mmap, o.taskEvents) |
      bit(AttrFlag.Comm, o.taskEvents) |
      bit(AttrFlag.Freq, freq) |
      bit(12, o.enableOnExec) |
      bit(AttrFlag.Task, o.taskEvents) |
      bit(14, o.wakeupWatermark > 0) |
      bit(AttrFlag.SampleIdAll, o.sampleIdAll);
    this.attr = {
      type: spec.type,
      size: ATTR_SIZE,
      config: spec.config,
      samplePeriod: freq ? BigInt(o.sampleFreq) : o.samplePeriod,
      sampleType: o.sampleType,
      readFormat: o.readFormat,
      flags,
      wakeupEvents: o.wakeupWatermark > 0 ? o.wakeupWatermark : o.wakeupEvents,
      bpType: spec.bpType ?? 0,
      config1: spec.config1 ?? 0n,
      config2: spec.config2 ?? 0n,
      branchSampleType: 0n,
      sampleRegsUser: 0n,
      sampleStackUser: 0,
      clockid: 0,
      sampleRegsIntr: 0n,
      auxWatermark: 0,
      sampleMaxStack: 0,
      freq,
      sampleIdAll: o.sampleIdAll,
      nrRegsUser: 0,
      nrRegsIntr: 0,
    };
  }

  /** perf_evsel__new from a perf event name (`sched:sched_switch`, `task-clock`, `cycles:u`). */
  static fromName(name: string, opts: Partial<EvselOptions> = {}): Evsel[] {
    return parseEvents(name).map((s) => new Evsel(s, opts));
  }

  private renamed: string | undefined;
  get name(): string {
    return this.renamed ?? this.spec.name;
  }

  /** perf_evsel__open: one fd per (cpu, thread). Throws a LiveError (after closing what it opened). */
  open(cpus: CpuMap, threads: ThreadMap): void {
    this.cpus = cpus;
    this.threads = threads;
    const bytes = encodeAttr(this.attr);
    this.fds = [];
    this.ids = [];
    try {
      for (let c = 0; c < cpus.length; c++) {
        const row: number[] = [];
        this.fds.push(row);
        for (let t = 0; t < threads.length; t++) {
          const group = this.leader && this.leader !== this ? (this.leader.fds[c]?.[t] ?? -1) : -1;
          let fd = perfEventOpen(bytes, threads.pid(t), cpus.cpu(c), group, PERF_FLAG_FD_CLOEXEC);
          if (fd === -E.EACCES && this.userFallback(bytes))
            fd = perfEventOpen(bytes, threads.pid(t), cpus.cpu(c), group, PERF_FLAG_FD_CLOEXEC);
          if (fd < 0) throw this.openError(-fd, cpus.cpu(c), threads.pid(t));
          row.push(fd);
          this.ids.push(eventId(fd));
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Switches to user-space-only counting when perf would (see EvselOptions.userFallback); true when it did. */
  private userFallback(bytes: Uint8Array): boolean {
    const kernelBit = 1n << BigInt(AttrFlag.ExcludeKernel);
    if (!this.opts.userFallback || this.attr.flags & kernelBit || (perfEventParanoid() ?? 2) <= 1) return false;
    this.attr.flags |= kernelBit | (1n << BigInt(AttrFlag.ExcludeHv));
    bytes.set(encodeAttr(this.attr));
    const m = /:([ukh]+)$/.exec(this.spec.name);
    this.renamed = m && this.attr.type !== AttrType.Tracepoint ? `${this.spec.name}u` : `${this.spec.name}:u`;
    return true;
  }

  private openError(err: number, cpu: number, pid: number): LiveError {
    const where = { event: this.name, cpu: cpu >= 0 ? cpu : undefined, pid: pid >= 0 ? pid : undefined, errno: errnoName(err) };
    if (err === E.EACCES || err === E.EPERM) {
      const p = perfEventParanoid();
      return new LiveError(
        LiveErrorCode.NoPermission,
        `No permission to open ${this.name} (perf_event_paranoid=${p ?? '?'}: run as root, or lower /proc/sys/kernel/perf_event_paranoid)`,
        { context: where },
      );
    }
    if (err === E.EMFILE || err === E.ENFILE)
      return new LiveError(LiveErrorCode.TooManyFiles, `Too many open files opening ${this.name} (raise the limit: ulimit -n)`, {
        context: where,
      });
    if (
      err === E.ENOENT ||
      err === E.EOPNOTSUPP ||
      err === E.ENODEV ||
      err === E.ENXIO ||
      (err === E.EINVAL && this.attr.type !== AttrType.Tracepoint)
    )
      return new LiveError(LiveErrorCode.NotSupported, `Event ${this.name} is not supported here`, { context: where });
    if (err === E.ESRCH) return new LiveError(LiveErrorCode.OpenFailed, `No such task for ${this.name}`, { context: where });
    return new LiveError(LiveErrorCode.OpenFailed, `perf_event_open failed for ${this.name}`, { context: where });
  }

  private each(fn: (fd: number) => void): void {
    for (const row of this.fds) for (const fd of row) if (fd >= 0) fn(fd);
  }
  private ioctl(req: number, what: string, arg = 0): void {
    this.each((fd) => {
      const r = ioctlInt(fd, req, arg);
      if (r < 0) throw new LiveError(LiveErrorCode.IoctlFailed, `${what} failed for ${this.name}`, { context: { errno: errnoName(-r) } });
    });
  }
  /** PERF_EVENT_IOC_ENABLE on every fd. */
  enable(): void {
    this.ioctl(Ioc.Enable, 'PERF_EVENT_IOC_ENABLE');
  }
  disable(): void {
    this.ioctl(Ioc.Disable, 'PERF_EVENT_IOC_DISABLE');
  }
  reset(): void {
    this.ioctl(Ioc.Reset, 'PERF_EVENT_IOC_RESET');
  }

  /** perf_evsel__read: the counts of one (cpu, thread). */
  read(cpuIndex: number, threadIndex: number): CountsValues {
    const fd = this.fds[cpuIndex]?.[threadIndex] ?? -1;
    if (fd < 0) throw new LiveError(LiveErrorCode.Closed, `${this.name} is not open`, {});
    const f = this.attr.readFormat & ~ReadFormat.Group;
    const n =
      8 +
      (f & ReadFormat.TotalTimeEnabled ? 8 : 0) +
      (f & ReadFormat.TotalTimeRunning ? 8 : 0) +
      (f & ReadFormat.Id ? 8 : 0) +
      (f & ReadFormat.Lost ? 8 : 0);
    const b = new Uint8Array(n);
    let got: number;
    try {
      got = readSync(fd, b, 0, n, null);
    } catch (e) {
      throw new LiveError(LiveErrorCode.ReadFailed, `Cannot read ${this.name}`, { cause: e });
    }
    if (got < 8) throw new LiveError(LiveErrorCode.ReadFailed, `Short read of ${this.name}`, { context: { bytes: got } });
    const dv = new DataView(b.buffer);
    let p = 0;
    const next = (): bigint => {
      const v = dv.getBigUint64(p, LE);
      p += 8;
      return v;
    };
    const val = next();
    const ena = f & ReadFormat.TotalTimeEnabled ? next() : 0n;
    const run = f & ReadFormat.TotalTimeRunning ? next() : 0n;
    const id = f & ReadFormat.Id ? next() : 0n;
    const lost = f & ReadFormat.Lost ? next() : 0n;
    return { val, ena, run, id, lost };
  }

  /** The counts summed over every (cpu, thread) (perf stat's global aggregation). */
  readTotal(): CountsValues {
    const t: CountsValues = { val: 0n, ena: 0n, run: 0n, id: 0n, lost: 0n };
    for (let c = 0; c < this.fds.length; c++)
      for (let k = 0; k < this.fds[c]!.length; k++) {
        const v = this.read(c, k);
        t.val += v.val;
        t.ena += v.ena;
        t.run += v.run;
        t.lost += v.lost;
      }
    return t;
  }

  /** A group read on the leader's fd: one value per member, in group order (PERF_FORMAT_GROUP). */
  readGroup(cpuIndex: number, threadIndex: number): { ena: bigint; run: bigint; values: { id: bigint; val: bigint }[] } {
    const fd = this.fds[cpuIndex]?.[threadIndex] ?? -1;
    if (fd < 0) throw new LiveError(LiveErrorCode.Closed, `${this.name} is not open`, {});
    const f = this.attr.readFormat;
    if (!(f & ReadFormat.Group)) throw new LiveError(LiveErrorCode.ReadFailed, `${this.name} was not opened with PERF_FORMAT_GROUP`, {});
    const b = new Uint8Array(8 * 3 + 24 * 64);
    const got = readSync(fd, b, 0, b.length, null);
    const dv = new DataView(b.buffer, 0, got);
    let p = 0;
    const next = (): bigint => {
      const v = dv.getBigUint64(p, LE);
      p += 8;
      return v;
    };
    const nr = Number(next());
    const ena = f & ReadFormat.TotalTimeEnabled ? next() : 0n;
    const run = f & ReadFormat.TotalTimeRunning ? next() : 0n;
    const values: { id: bigint; val: bigint }[] = [];
    for (let i = 0; i < nr; i++) {
      const val = next();
      const id = f & ReadFormat.Id ? next() : 0n;
      if (f & ReadFormat.Lost) next();
      values.push({ id, val });
    }
    return { ena, run, values };
  }

  /** perf_evsel__close. */
  close(): void {
    this.each((fd) => {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    });
    this.fds = [];
  }

  /** The PerfEvsel shape of the perf.data reader (for decoded samples). */
  toPerfEvsel(): PerfEvsel {
    return { index: this.index, attr: this.attr, ids: this.ids.map(Number), name: this.name };
  }
}

/** One mmap'ed ring (perf_mmap): a metadata page and 2^n data pages. */
export class Mmap {
  readonly size: number;
  readonly dataSize: number;
  readonly head: BigUint64Array;
  readonly data: Uint8Array;
  private tmp = new Uint8Array(0);
  /** PERF_RECORD_LOST totals seen in this ring. */
  lost = 0n;
  constructor(
    readonly fd: number,
    readonly cpu: number,
    private ptr: unknown,
    buf: ArrayBuffer,
    pageSize: number,
    /** A read-only ring the kernel writes backward and overwrites (perf record --overwrite). */
    readonly overwrite = false,
  ) {
    this.size = buf.byteLength;
    this.dataSize = this.size - pageSize;
    this.head = new BigUint64Array(buf, 0, pageSize / 8);
    this.data = new Uint8Array(buf, pageSize, this.dataSize);
  }

  /**
   * Every record between the tail and the head (perf_mmap__read_init/read_event/consume): the head
   * is loaded with a full barrier before the data is read, the tail stored with one after, so the
   * kernel never overwrites what is being read. Records that wrap the end are copied out.
   */
  read(cb: (rec: Uint8Array, dv: DataView) => void): number {
    if (!this.ptr) return 0;
    if (this.overwrite) return this.readBackward(cb);
    const head = Atomics.load(this.head, 128); // data_head (offset 1024)
    let tail = this.head[129]!; // data_tail: only we write it
    const mask = BigInt(this.dataSize - 1);
    const dataView = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    let n = 0;
    while (tail < head) {
      const off = Number(tail & mask);
      let rec: Uint8Array;
      let dv: DataView;
      const size =
        off + 8 <= this.dataSize ? dataView.getUint16(off + 6, LE) : new DataView(this.wrapped(off, 8).slice().buffer).getUint16(6, LE);
      if (size < 8) break;
      if (off + size <= this.dataSize) {
        rec = this.data.subarray(off, off + size);
        dv = new DataView(this.data.buffer, this.data.byteOffset + off, size);
      } else {
        rec = this.wrapped(off, size).slice();
        dv = new DataView(rec.buffer);
      }
      if (dv.getUint32(0, LE) === RecordType.Lost) this.lost += dv.getBigUint64(16, LE);
      cb(rec, dv);
      tail += BigInt(size);
      n++;
    }
    Atomics.store(this.head, 129, tail);
    return n;
  }

  /**
   * An overwrite ring (write_backward, read-only; pause its output first): the kernel writes each
   * record just below the head, so the newest record starts at data_head and older ones follow it
   * up the ring, until a whole ring's worth of bytes, or a record that would run into the newest
   * one again (a partly overwritten oldest record), or never-written zeros (a ring that did not
   * fill). Delivered oldest first, each record copied out (later reads of the same ring would see
   * them again: the kernel keeps no tail here, so the caller reads once, at the end).
   */
  readBackward(cb: (rec: Uint8Array, dv: DataView) => void): number {
    if (!this.ptr) return 0;
    const head = Atomics.load(this.head, 128);
    if (head === this.lastBackwardHead) return 0;
    this.lastBackwardHead = head;
    const mask = BigInt(this.dataSize - 1);
    const found: Uint8Array[] = [];
    let at = 0;
    while (at + 8 <= this.dataSize) {
      const off = Number((head + BigInt(at)) & mask);
      const hdr = this.wrapped(off, 8);
      const size = hdr[6]! | (hdr[7]! << 8);
      if (size < 8 || at + size > this.dataSize) break;
      found.push(this.wrapped(off, size).slice());
      at += size;
    }
    for (let i = found.length - 1; i >= 0; i--) {
      const rec = found[i]!;
      const dv = new DataView(rec.buffer);
      if (dv.getUint32(0, LE) === RecordType.Lost) this.lost += dv.getBigUint64(16, LE);
      cb(rec, dv);
    }
    return found.length;
  }
  private lastBackwardHead = -1n;

  private wrapped(off: number, size: number): Uint8Array {
    if (this.tmp.length < size) this.tmp = new Uint8Array(Math.max(size, 256));
    const first = this.dataSize - off;
    if (first >= size) this.tmp.set(this.data.subarray(off, off + size));
    else {
      this.tmp.set(this.data.subarray(off), 0);
      this.tmp.set(this.data.subarray(0, size - first), first);
    }
    return this.tmp.subarray(0, size);
  }

  unmap(): void {
    if (this.ptr) munmap(this.ptr, this.size);
    this.ptr = undefined;
  }
}

/** perf_evlist: the events opened together; counting and the sampling rings. */
export class Evlist {
  readonly evsels: Evsel[] = [];
  cpus: CpuMap = CpuMapClass.dummy();
  threads: ThreadMap = ThreadMapClass.dummy();
  mmaps: Mmap[] = [];
  private opened = false;

  constructor(evsels: readonly Evsel[] = []) {
    for (const e of evsels) this.add(e);
  }
  /** perf_evlist__add. */
  add(e: Evsel): void {
    e.index = this.evsels.length;
    this.evsels.push(e);
  }
  /** perf_evlist__set_maps. */
  setMaps(cpus: CpuMap, threads: ThreadMap): void {
    this.cpus = cpus;
    this.threads = threads;
  }
  /** perf_evlist__set_leader: makes the events one group (read together, scheduled together). */
  setLeader(): void {
    const l = this.evsels[0];
    for (const e of this.evsels) {
      e.leader = l;
      // members follow the leader: enabling the leader starts the whole group
      if (e !== l) e.attr.flags &= ~(1n << BigInt(AttrFlag.Disabled));
    }
  }

  /**
   * perf_evlist__open. `skipUnsupported` (perf stat's way): an event the kernel does not have is
   * marked `supported = false` and left closed instead of failing the open.
   */
  open(opts: { skipUnsupported?: boolean } = {}): void {
    if (!exitHook) {
      exitHook = true;
      process.once('exit', closeAllLive);
    }
    live.add(this);
    this.opened = true;
    try {
      for (const e of this.evsels) {
        try {
          e.open(this.cpus, this.threads);
        } catch (err) {
          if (opts.skipUnsupported && (err as LiveError).code === LiveErrorCode.NotSupported) {
            e.supported = false;
            e.notSupportedReason = String((err as LiveError).context['errno'] ?? '');
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private openSupported(): Evsel[] {
    return this.evsels.filter((e) => e.fds.length);
  }
  enable(): void {
    for (const e of this.openSupported()) e.enable();
  }
  disable(): void {
    for (const e of this.openSupported()) e.disable();
  }

  /**
   * perf_evlist__mmap: one ring of `pages` data pages (a power of two) per (cpu, thread) of the
   * first sampling event; the others' output is redirected into it (PERF_EVENT_IOC_SET_OUTPUT).
   * `overwrite`: read-only rings the kernel overwrites, newest data kept (the events must have
   * write_backward set); read them once, after pause(true).
   */
  mmap(pages = 8, overwrite = false): Mmap[] {
    if (pages < 1 || (pages & (pages - 1)) !== 0)
      throw new LiveError(LiveErrorCode.MmapFailed, 'Ring pages must be a power of two', { context: { pages } });
    const pageSize = 4096;
    const samplers = this.openSupported().filter((e) => e.attr.samplePeriod > 0n);
    if (!samplers.length) return this.mmaps;
    try {
      const first = samplers[0]!;
      for (let c = 0; c < first.fds.length; c++)
        for (let t = 0; t < first.fds[c]!.length; t++) {
          const fd = first.fds[c]![t]!;
          const m = mmapFd(fd, (pages + 1) * pageSize, !overwrite);
          if (typeof m === 'number')
            throw new LiveError(
              LiveErrorCode.MmapFailed,
              `Cannot mmap the ring of ${first.name} (${pages} pages; perf_event_mlock_kb may be too low)`,
              { context: { errno: errnoName(-m), cpu: this.cpus.cpu(c) } },
            );
          this.mmaps.push(new Mmap(fd, this.cpus.cpu(c), m.ptr, m.buf, pageSize, overwrite));
          for (const o of samplers.slice(1)) {
            const ofd = o.fds[c]?.[t] ?? -1;
            if (ofd >= 0 && ioctlInt(ofd, Ioc.SetOutput, fd) < 0)
              throw new LiveError(LiveErrorCode.IoctlFailed, `PERF_EVENT_IOC_SET_OUTPUT failed for ${o.name}`, {});
          }
        }
    } catch (e) {
      this.munmap();
      throw e;
    }
    return this.mmaps;
  }

  /** PERF_EVENT_IOC_PAUSE_OUTPUT on every ring: while paused the kernel drops new records (counted as lost) instead of writing them. */
  pause(on: boolean): void {
    for (const m of this.mmaps)
      if (ioctlInt(m.fd, Ioc.PauseOutput, on ? 1 : 0) < 0)
        throw new LiveError(LiveErrorCode.IoctlFailed, `PERF_EVENT_IOC_PAUSE_OUTPUT failed on the ring of CPU ${m.cpu}`, {});
  }

  munmap(): void {
    for (const m of this.mmaps) m.unmap();
    this.mmaps = [];
  }

  /** perf_evlist__poll: waits up to `timeoutMs` for a ring to pass its wakeup mark. */
  poll(timeoutMs: number): number {
    const r = pollFds(
      this.mmaps.map((m) => m.fd),
      timeoutMs,
    );
    return Math.max(r, 0);
  }

  /** poll(2) on the rings: how many are readable, and whether every one has hung up (its tasks are gone). */
  pollRings(timeoutMs: number): { ready: number; hangup: boolean } {
    const out = new Uint8Array(this.mmaps.length);
    const r = pollFds(
      this.mmaps.map((m) => m.fd),
      timeoutMs,
      out,
    );
    return { ready: Math.max(r, 0), hangup: out.length > 0 && r > 0 && out.every((x) => (x & 2) !== 0) };
  }

  /**
   * Reads every ring and delivers each record in the perf.data reader's shape (PerfEvent: the
   * sample fields decoded by the same parser; LOST records carry their count), with the CPU of its
   * ring (-1 for a task's ring). Returns how many.
   */
  readRecords(cb: (ev: PerfEvent, cpu: number) => void): number {
    const samplers = this.openSupported().filter((e) => e.attr.samplePeriod > 0n);
    const byId = new Map<number, PerfEvsel>();
    const pes = samplers.map((e) => e.toPerfEvsel());
    for (const p of pes) for (const id of p.ids) byId.set(id, p);
    const idPos = pes[0] ? sampleIdPos(pes[0].attr) : -1;
    const isPos = pes[0] ? trailerIdPos(pes[0].attr) : -1;
    let n = 0;
    for (const m of this.mmaps) {
      n += m.read((rec, dv) => {
        const type = dv.getUint32(0, LE),
          misc = dv.getUint16(4, LE),
          size = dv.getUint16(6, LE);
        const s = emptySample();
        let evsel: PerfEvsel | undefined = pes.length === 1 ? pes[0] : undefined;
        if (type === RecordType.Sample) {
          // the id sits where the first event's sample_type puts it (IDENTIFIER first, or ID after IP/TID/TIME/ADDR)
          if (pes.length > 1 && idPos >= 0 && size >= 16 + idPos * 8) evsel = byId.get(Number(dv.getBigUint64(8 + idPos * 8, LE)));
          if (evsel) parseSample(rec, dv, 8, size, evsel.attr, LE, s, 8);
        } else if (type !== RecordType.Lost) {
          if (pes.length > 1 && isPos > 0 && size >= 8 + isPos * 8) evsel = byId.get(Number(dv.getBigUint64(size - isPos * 8, LE)));
          if (evsel) parseSampleId(dv, size, evsel.attr, LE, s, 8);
        }
        cb({ type, misc, size, data: rec, view: dv, fileOffset: -1, compressed: false, evsel, sample: s }, m.cpu);
      });
    }
    return n;
  }

  /** Lost records seen so far over all rings. */
  get lost(): bigint {
    let t = 0n;
    for (const m of this.mmaps) t += m.lost;
    return t;
  }

  /** perf_evlist__close: unmaps every ring and closes every fd. */
  close(): void {
    this.munmap();
    for (const e of this.evsels) e.close();
    if (this.opened) live.delete(this);
    this.opened = false;
  }
}

/** Sample type that identifies the event in a shared ring. */
export const SAMPLE_IDENTIFIER = SampleType.Identifier;
export { IOC_FLAG_GROUP };
