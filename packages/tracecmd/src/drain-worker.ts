/**
 * The drain thread (a worker_threads entry; see splice-drain.ts): for its CPUs, sleeps in a
 * blocking poll(2) until the kernel says a CPU's buffer reached buffer_percent (or a wake-up or
 * the timeout), then splices every whole sub-buffer into that CPU's file; on "finish" it collects
 * the rest (whole pages, then the partly filled ones with read()). Nothing here runs on the main
 * event loop, so a busy or blocked main thread cannot make the ring buffer overflow.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { CpuSplice, pollSync, truncateFd, setThreadFifoPriority } from '@utp/tracefs';
import { pageCommit, fullCommitOf, type PageLayout } from './page-layout.js';

/** Control words (Int32Array over `ctl`): command, state, errno of a refused -r priority (0: none). */
export const CTL_COMMAND = 0,
  CTL_STATE = 1,
  CTL_PRIO_ERRNO = 2,
  CTL_WORDS = 3;
export const CMD_RUN = 0,
  CMD_FINISH = 1,
  CMD_ABORT = 2;
export const STATE_STARTING = 0,
  STATE_RUNNING = 1,
  STATE_DONE = 2,
  STATE_FAILED = 3;

export interface DrainWorkerData {
  /** `outFd2`: the second file of a rotating output (maxPages > 0). */
  cpus: Array<{ cpu: number; traceFd: number; outFd: number; outFd2: number; slot: number }>;
  layout: PageLayout;
  wakeFd: number;
  /** Int32Array[2]: command, state. */
  ctl: SharedArrayBuffer;
  /** Float64Array: bytes written per slot. */
  bytes: SharedArrayBuffer;
  maxSleepMs: number;
  minSleepMs: number;
  /** buffer_percent is 0: poll says "ready" at any data, so pause after each drain. */
  pace: boolean;
  /** 'read': never splice (page reads up to the page being written). */
  mode: 'splice' | 'read';
  /**
   * trace-cmd record --poll: never wait in poll(2) for the kernel; read without blocking and, after
   * a round that found nothing, sleep maxSleepMs (fractions allowed).
   */
  poll: boolean;
  /** SCHED_FIFO priority of this thread (trace-cmd record -r); 0: leave the policy alone. */
  rtPrio: number;
  /**
   * trace-cmd record -m: 4 KiB pages per file of a CPU's two alternating files (0: one growing
   * file). When the file written reaches it, the other one is emptied and written from then on.
   */
  maxPages: number;
  /** Int32Array per slot: which file (0: outFd, 1: outFd2) is written now. */
  current: SharedArrayBuffer;
}

/** Pages counted per file of a rotating output (trace-cmd counts the system's 4 KiB pages). */
const ROTATE_PAGE = 4096;

/** read() fallback: pages up to the first one the writer is still on, written in big writes. */
class PageReader {
  private buf: Uint8Array;
  private dv: DataView;
  private full: number;
  constructor(
    private traceFd: number,
    public outFd: number,
    private l: PageLayout,
  ) {
    this.buf = new Uint8Array(l.pageSize * 64);
    this.dv = new DataView(this.buf.buffer);
    this.full = fullCommitOf(l);
  }
  move(final: boolean): number {
    const ps = this.l.pageSize;
    let fill = 0,
      total = 0;
    for (;;) {
      if (fill + ps > this.buf.length) {
        this.write(fill);
        fill = 0;
      }
      let n: number;
      try {
        n = readSync(this.traceFd, this.buf, fill, ps, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') break;
        throw e;
      }
      if (n <= 0) break;
      if (n < ps) this.buf.fill(0, fill + n, fill + ps);
      fill += ps;
      total += ps;
      if (!final && pageCommit(this.dv, fill - ps, this.l) < this.full) break;
    }
    this.write(fill);
    return total;
  }
  private write(n: number): void {
    let o = 0;
    while (o < n) o += writeSync(this.outFd, this.buf, o, n - o, null);
  }
}

function run(d: DrainWorkerData): void {
  const ctl = new Int32Array(d.ctl);
  const bytes = new Float64Array(d.bytes);
  const ps = d.layout.pageSize;
  const splicers: Array<CpuSplice | undefined> = [];
  const readers: Array<PageReader | undefined> = [];
  const current = new Int32Array(d.current);
  // a rotating output: bytes not yet counted as a page, and pages in the file written now
  const rot = d.cpus.map(() => ({ count: 0, pages: 0 }));
  try {
    if (d.rtPrio > 0) {
      const err = setThreadFifoPriority(d.rtPrio);
      if (err) Atomics.store(ctl, CTL_PRIO_ERRNO, (osConstants.errno as Record<string, number>)[err] ?? 1);
    }
    for (const c of d.cpus) {
      splicers.push(d.mode === 'splice' ? new CpuSplice(c.traceFd, c.outFd, ps) : undefined);
      readers.push(undefined);
    }
    const outFd = (i: number): number => (current[d.cpus[i]!.slot] ? d.cpus[i]!.outFd2 : d.cpus[i]!.outFd);
    const rotate = (i: number, n: number): void => {
      const r = rot[i]!;
      r.count += n;
      if (r.count >= ROTATE_PAGE) {
        r.pages += Math.floor(r.count / ROTATE_PAGE);
        r.count = 0;
      }
      if (r.pages < d.maxPages) return;
      r.pages = 0;
      const slot = d.cpus[i]!.slot;
      current[slot] = current[slot] ? 0 : 1;
      const fd = outFd(i);
      truncateFd(fd);
      const s = splicers[i];
      if (s) s.outFd = fd;
      const rd = readers[i];
      if (rd) rd.outFd = fd;
    };
    const move = (i: number, final: boolean): number => {
      const c = d.cpus[i]!;
      let n = 0;
      const s = splicers[i];
      if (s) {
        try {
          n = final ? s.readRest() : s.moveFull();
        } catch (e) {
          if ((e as { code?: string }).code !== 'TRACEFS_UNSUPPORTED') throw e;
          s.close();
          splicers[i] = undefined; // splice refused: read pages from now on
        }
      }
      if (!splicers[i]) n += (readers[i] ??= new PageReader(c.traceFd, outFd(i), d.layout)).move(final);
      if (n) bytes[c.slot] = bytes[c.slot]! + n;
      if (n && d.maxPages > 0 && !final) rotate(i, n);
      return n;
    };
    const fds = [...d.cpus.map((c) => c.traceFd), d.wakeFd];
    const ready = new Uint8Array(fds.length);
    Atomics.store(ctl, CTL_STATE, STATE_RUNNING);
    Atomics.notify(ctl, CTL_STATE);
    while (d.poll && Atomics.load(ctl, CTL_COMMAND) === CMD_RUN) {
      let moved = 0;
      for (let i = 0; i < d.cpus.length; i++) moved += move(i, false);
      if (!moved && d.maxSleepMs > 0) Atomics.wait(ctl, CTL_COMMAND, CMD_RUN, d.maxSleepMs);
    }
    while (Atomics.load(ctl, CTL_COMMAND) === CMD_RUN) {
      // at least 1 ms: a 0 timeout (-s 0) would spin where trace-cmd's blocking read waits
      const r = pollSync(fds, Math.max(1, Math.ceil(d.maxSleepMs)), ready);
      // The wake pipe is never emptied here: several threads poll it, and it is written only to
      // end the loop (a thread that emptied it could leave another asleep).
      if (Atomics.load(ctl, CTL_COMMAND) !== CMD_RUN) break;
      let moved = 0;
      for (let i = 0; i < d.cpus.length; i++) moved += move(i, false);
      // Pace when poll cannot wait for whole pages (buffer_percent 0), or said "ready" for
      // nothing (no spin): let pages fill — briefly while data streams in.
      let pause = 0;
      if (d.pace) pause = moved >= d.cpus.length * 8 * ps ? Math.min(2, d.minSleepMs) : d.minSleepMs;
      else if (r > 0 && moved === 0 && !ready[fds.length - 1]) pause = d.minSleepMs;
      if (pause > 0) Atomics.wait(ctl, CTL_COMMAND, CMD_RUN, pause);
    }
    if (Atomics.load(ctl, CTL_COMMAND) === CMD_FINISH) {
      for (let i = 0; i < d.cpus.length; i++) move(i, true);
    }
    for (const s of splicers) s?.close();
    Atomics.store(ctl, CTL_STATE, STATE_DONE);
    Atomics.notify(ctl, CTL_STATE);
    parentPort?.postMessage({ done: true });
  } catch (e) {
    for (const s of splicers) {
      try {
        s?.close();
      } catch {
        /* */
      }
    }
    const err = e as Error & { code?: string };
    Atomics.store(ctl, CTL_STATE, STATE_FAILED);
    Atomics.notify(ctl, CTL_STATE);
    parentPort?.postMessage({ error: { message: err.message ?? String(e), code: err.code } });
  }
}

if (parentPort && workerData && (workerData as { drain?: DrainWorkerData }).drain) run((workerData as { drain: DrainWorkerData }).drain);
