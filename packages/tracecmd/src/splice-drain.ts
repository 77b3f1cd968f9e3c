/**
 * Drains every CPU's trace_pipe_raw into per-CPU temp files while tracing, on worker threads
 * (drain-worker.ts): each sleeps in poll(2) until buffer_percent of a CPU's buffer is filled and
 * then splices the whole sub-buffers into the file, as trace-cmd's recorders do; the partly
 * filled pages are read once tracing is off. The main thread only starts and stops it.
 */
import { Worker } from 'node:worker_threads';
import { openSync, closeSync, unlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { CpuReader, WakePipe, type Instance } from '@utp/tracefs';
import type { PageLayout } from './page-layout.js';
import {
  CTL_COMMAND,
  CTL_STATE,
  CTL_PRIO_ERRNO,
  CTL_WORDS,
  CMD_FINISH,
  CMD_ABORT,
  STATE_STARTING,
  STATE_RUNNING,
  STATE_FAILED,
  type DrainWorkerData,
} from './drain-worker.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export interface SpliceDrainOptions {
  /** Longest poll(2) sleep, in ms. */
  maxSleepMs: number;
  /** Pause after a drain when pacing (buffer_percent 0), in ms. */
  minSleepMs: number;
  /** The instance's buffer_percent is 0 (poll wakes at any data): pace the loop by minSleepMs. */
  pace: boolean;
  /** Drain threads (CPUs are dealt round-robin); default: one per CPU, at most 8. */
  threads: number | undefined;
  /** 'splice' (default) or 'read' (page reads, no splice). */
  mode: 'splice' | 'read';
  /** How long start() waits for the threads to run, in ms. */
  startTimeoutMs: number;
  /** Read without waiting in poll(2), sleeping maxSleepMs after an empty round (trace-cmd --poll). */
  poll: boolean;
  /** SCHED_FIFO priority of the drain threads (trace-cmd -r); 0: unchanged. */
  rtPrio: number;
  /**
   * Keep at most about this many KiB per CPU, the newest (trace-cmd -m): two files per CPU written
   * in turn, each up to half of it; the one written next is emptied first.
   */
  maxKb: number;
}

export const DEFAULT_SPLICE_DRAIN_OPTIONS: Readonly<SpliceDrainOptions> = Object.freeze({
  maxSleepMs: 1000,
  minSleepMs: 20,
  pace: false,
  threads: undefined,
  mode: 'splice',
  startTimeoutMs: 10000,
  poll: false,
  rtPrio: 0,
  maxKb: 0,
});

/**
 * Pages of 4 KiB per file of a rotating per-CPU output for `maxKb` (trace-cmd's recorder: half of
 * the KiB in pages, at least one); 0 for no limit.
 */
export function rotatePagesFor(maxKb: number): number {
  if (maxKb <= 0) return 0;
  return Math.max(1, Math.floor(Math.floor(maxKb / 4) / 2));
}

interface ThreadState {
  worker: Worker;
  ctl: Int32Array;
  done: Promise<void>;
}

export class SpliceDrain {
  readonly readers: CpuReader[] = [];
  readonly outFds: number[] = [];
  /** The second files of a rotating output (-m), else empty. */
  readonly outFds2: number[] = [];
  readonly pageSize: number;
  private readonly filePaths: string[];
  private readonly filePaths2: string[];
  /** Per CPU: 1 while the second file is the one written. */
  private readonly current: Int32Array;
  /** Set by start(): the errno name the kernel gave for the -r priority, if it refused. */
  priorityRefused: string | undefined;
  private readonly wake: WakePipe;
  private readonly bytes: Float64Array;
  private threads: ThreadState[] = [];
  private readonly opts: SpliceDrainOptions;
  private disposed = false;

  /** `layout`: the instance's sub-buffer layout (`pageLayoutOf(instance)`). */
  constructor(
    readonly instance: Instance,
    readonly cpus: number[],
    tempPrefix: string,
    readonly layout: PageLayout,
    opts: Partial<SpliceDrainOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SPLICE_DRAIN_OPTIONS, ...opts };
    this.pageSize = layout.pageSize;
    this.filePaths = cpus.map((c) => `${tempPrefix}.cpu${c}`);
    this.filePaths2 = this.opts.maxKb > 0 ? this.filePaths.map((p) => `${p}.1`) : [];
    this.bytes = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, cpus.length)));
    this.current = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, cpus.length)));
    this.wake = new WakePipe();
    try {
      for (const [i, cpu] of cpus.entries()) {
        this.readers.push(new CpuReader(instance, cpu, layout.pageSize));
        this.outFds.push(openSync(this.filePaths[i]!, 'w', 0o600));
        if (this.filePaths2.length) this.outFds2.push(openSync(this.filePaths2[i]!, 'w', 0o600));
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * Starts the drain threads without waiting for them (idempotent): call it early (e.g. while
   * setting up) so that `start()` finds them running.
   */
  launch(): void {
    if (this.threads.length || this.disposed) return;
    const n = Math.max(1, Math.min(this.cpus.length, this.opts.threads ?? Math.min(8, this.cpus.length)));
    for (let t = 0; t < n; t++) {
      const mine = this.cpus.map((cpu, slot) => ({ cpu, slot })).filter((x) => x.slot % n === t);
      const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS));
      const data: DrainWorkerData = {
        cpus: mine.map(({ cpu, slot }) => ({
          cpu,
          slot,
          traceFd: this.readers[slot]!.fd,
          outFd: this.outFds[slot]!,
          outFd2: this.outFds2[slot] ?? -1,
        })),
        layout: this.layout,
        wakeFd: this.wake.readFd,
        ctl: ctl.buffer as SharedArrayBuffer,
        bytes: this.bytes.buffer as SharedArrayBuffer,
        maxSleepMs: this.opts.maxSleepMs,
        minSleepMs: this.opts.minSleepMs,
        pace: this.opts.pace,
        mode: this.opts.mode,
        poll: this.opts.poll,
        rtPrio: this.opts.rtPrio,
        maxPages: rotatePagesFor(this.opts.maxKb),
        current: this.current.buffer as SharedArrayBuffer,
      };
      const worker = new Worker(new URL('./drain-worker.js', import.meta.url), { workerData: { drain: data } });
      const done = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: { done?: boolean; error?: { message: string; code?: string } }) => {
          if (m.error)
            reject(
              new TraceCmdError(TraceCmdErrorCode.Write, `Drain thread failed: ${m.error.message}`, {
                context: { code: m.error.code ?? '' },
              }),
            );
          else if (m.done) resolve();
        });
        worker.on('error', (e) => reject(new TraceCmdError(TraceCmdErrorCode.Write, 'Drain thread failed', { cause: e })));
        worker.on('exit', () => resolve());
      });
      done.catch(() => {
        /* reported by stop() */
      });
      this.threads.push({ worker, ctl, done });
    }
  }

  /** Starts the drain threads (if `launch()` did not) and returns once they run: tracing may be turned on then. */
  start(): void {
    this.launch();
    // The threads boot on their own (no help from this event loop): wait until each runs.
    const deadline = Date.now() + this.opts.startTimeoutMs;
    for (const t of this.threads) {
      while (Atomics.load(t.ctl, CTL_STATE) === STATE_STARTING && Date.now() < deadline) {
        Atomics.wait(t.ctl, CTL_STATE, STATE_STARTING, Math.max(1, deadline - Date.now()));
      }
      const st = Atomics.load(t.ctl, CTL_STATE);
      if (st !== STATE_RUNNING) {
        throw new TraceCmdError(
          TraceCmdErrorCode.Write,
          st === STATE_FAILED ? 'Drain thread failed to start' : 'Drain thread did not start in time',
        );
      }
      const e = Atomics.load(t.ctl, CTL_PRIO_ERRNO);
      if (e) this.priorityRefused = Object.entries(osConstants.errno).find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
    }
  }

  /** Stops the threads after they collected everything (call after tracing_on=0). */
  async stop(): Promise<void> {
    for (const t of this.threads) {
      Atomics.store(t.ctl, CTL_COMMAND, CMD_FINISH);
      Atomics.notify(t.ctl, CTL_COMMAND);
    }
    this.wake.wake();
    try {
      await Promise.all(this.threads.map((t) => t.done));
    } finally {
      await Promise.all(this.threads.map((t) => t.worker.terminate()));
      this.threads = [];
    }
  }

  /** Bytes written per CPU so far (live while tracing). */
  bytesPerCpu(): number[] {
    return Array.from(this.bytes);
  }
  /** The primary per-CPU files (the only ones without -m). */
  paths(): string[] {
    return this.filePaths.slice();
  }

  /**
   * Per CPU, its files in the order their data goes into trace.dat: without -m the one file; with
   * -m the older of the two (the one not written last) first, then the newer.
   */
  dataFiles(): string[][] {
    if (!this.filePaths2.length) return this.filePaths.map((p) => [p]);
    return this.filePaths.map((p, i) => (this.current[i] ? [p, this.filePaths2[i]!] : [this.filePaths2[i]!, p]));
  }

  /**
   * Synchronous: stops the threads (waiting briefly until they leave their loop), closes every fd,
   * and with `removeFiles` deletes the temp files. Safe from exit handlers.
   */
  dispose(removeFiles = true): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.threads) {
      Atomics.store(t.ctl, CTL_COMMAND, CMD_ABORT);
      Atomics.notify(t.ctl, CTL_COMMAND);
    }
    this.wake.wake();
    const deadline = Date.now() + 3000;
    for (const t of this.threads) {
      for (
        let st = Atomics.load(t.ctl, CTL_STATE);
        (st === STATE_RUNNING || st === STATE_STARTING) && Date.now() < deadline;
        st = Atomics.load(t.ctl, CTL_STATE)
      ) {
        Atomics.wait(t.ctl, CTL_STATE, st, Math.max(1, deadline - Date.now()));
      }
      void t.worker.terminate();
    }
    this.threads = [];
    for (const r of this.readers) r.close();
    for (const fd of [...this.outFds, ...this.outFds2]) {
      try {
        closeSync(fd);
      } catch {
        /* */
      }
    }
    this.outFds.length = 0;
    this.outFds2.length = 0;
    this.wake.close();
    if (removeFiles)
      for (const p of [...this.filePaths, ...this.filePaths2]) {
        try {
          unlinkSync(p);
        } catch {
          /* */
        }
      }
  }
}
