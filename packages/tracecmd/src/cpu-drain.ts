/**
 * Page reads of every CPU's trace_pipe_raw into per-CPU temp files on the calling thread:
 * `drainAll()` for a one-shot copy (extract), or a poll-paced loop on the event loop. Recording
 * uses SpliceDrain (drain threads, splice) instead: a loop on the event loop stalls with it.
 */
import { openSync, writeSync, closeSync, unlinkSync, statSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { CpuReader, Waiter, type Instance } from '@utp/tracefs';
import { parseHeaderPage } from '@utp/traceevent';
import { pageCommit, fullCommitOf, type PageLayout } from './page-layout.js';

export { pageCommit, fullCommitOf, type PageLayout };

/** The sub-buffer layout of an instance (header_page follows buffer_subbuf_size_kb). */
export function pageLayoutOf(instance: Instance): PageLayout {
  const hp = parseHeaderPage(instance.headerPage());
  return {
    pageSize: hp.subBufferSize,
    dataOffset: hp.dataOffset,
    commitOffset: hp.commitOffset,
    commitSize: hp.commitSize,
    littleEndian: endianness() === 'LE',
  };
}

/** Where pages come from (a CpuReader; tests pass fakes). */
export interface PageSource {
  readonly pageSize: number;
  /** Reads one sub-buffer into `buf` at `offset`; 0 when there is none now. */
  read(buf: Uint8Array, offset: number): number;
}

export interface CpuDrainOptions {
  /** Longest sleep between drains, in ms (data is also drained when poll says so). */
  maxSleepMs: number;
  /** Pause after a drain that found little data (default 20 ms). */
  minSleepMs?: number;
  /** Called after each drain with bytes per CPU so far (for progress). */
  onProgress?: (bytes: number[]) => void;
  /** Which per-CPU file to read: the ring buffer (default) or the snapshot buffer (extract -s). */
  raw?: 'trace_pipe_raw' | 'snapshot_raw';
}

/** Accumulates pages of one CPU and appends them to a file in big writes. */
export class CpuSink {
  private buf: Uint8Array;
  private fill = 0;
  bytes = 0;
  pages = 0;
  readonly fd: number;
  constructor(
    readonly path: string,
    pageSize: number,
  ) {
    this.fd = openSync(path, 'w', 0o600);
    this.buf = new Uint8Array(Math.max(pageSize * 64, 1 << 18));
  }
  /**
   * Reads from `r` until EAGAIN, or (unless `final`) until a page that is not full: that is the
   * page the kernel is still writing, whose events were copied out; reading on would chase the
   * writer and store a page per handful of events. Returns pages read.
   */
  drain(r: PageSource, final: boolean, layout: PageLayout, fullCommit = fullCommitOf(layout)): number {
    let n = 0;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    for (;;) {
      if (this.fill + r.pageSize > this.buf.length) this.flush();
      const got = r.read(this.buf, this.fill);
      if (got <= 0) break;
      // A short read (should not happen with page-sized reads) is padded to a page.
      if (got < r.pageSize) this.buf.fill(0, this.fill + got, this.fill + r.pageSize);
      this.fill += r.pageSize;
      this.bytes += r.pageSize;
      this.pages++;
      n++;
      if (!final && pageCommit(dv, this.fill - r.pageSize, layout) < fullCommit) break;
    }
    return n;
  }
  flush(): void {
    let o = 0;
    while (o < this.fill) o += writeSync(this.fd, this.buf, o, this.fill - o);
    this.fill = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Reads a temp file back in chunks (for the trace.dat writer). */
export function* fileChunks(path: string, chunk = 1 << 20, limit = Infinity): Generator<Uint8Array> {
  const size = Math.min(limit, statSync(path).size);
  if (!size) return;
  const fd = openSync(path, 'r');
  try {
    let pos = 0;
    while (pos < size) {
      const b = new Uint8Array(Math.min(chunk, size - pos));
      let o = 0;
      while (o < b.length) {
        const n = readSync(fd, b, o, b.length - o, pos + o);
        if (!n) break;
        o += n;
      }
      pos += o;
      yield b.subarray(0, o);
      if (!o) break;
    }
  } finally {
    closeSync(fd);
  }
}

export class CpuDrain {
  readonly readers: CpuReader[];
  readonly sinks: CpuSink[];
  private waiter = new Waiter();
  private stopping = false;
  private loop: Promise<void> | undefined;

  /** A page whose commit is at least this is "full" (room for no typical event left). */
  private readonly fullCommit: number;
  readonly pageSize: number;

  /** `layout`: the instance's sub-buffer layout (`pageLayoutOf(instance)`). */
  constructor(
    readonly instance: Instance,
    readonly cpus: number[],
    tempPrefix: string,
    readonly layout: PageLayout,
    private opts: CpuDrainOptions,
  ) {
    this.pageSize = layout.pageSize;
    this.fullCommit = fullCommitOf(layout);
    const pageSize = layout.pageSize;
    this.readers = [];
    this.sinks = [];
    try {
      for (const cpu of cpus) {
        this.readers.push(new CpuReader(instance, cpu, pageSize, opts.raw));
        this.sinks.push(new CpuSink(`${tempPrefix}.cpu${cpu}`, pageSize));
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /**
   * Drains every CPU once now. `final` reads to the end (after tracing stopped); otherwise
   * each CPU is read up to its first partly filled page.
   */
  drainAll(final = true): number {
    let n = 0;
    for (let i = 0; i < this.readers.length; i++) n += this.sinks[i]!.drain(this.readers[i]!, final, this.layout, this.fullCommit);
    return n;
  }

  /** Starts the background loop. */
  start(): void {
    const fds = this.readers.map((r) => r.fd);
    this.loop = (async () => {
      while (!this.stopping) {
        await this.waiter.wait(fds, this.opts.maxSleepMs);
        if (this.stopping) break;
        const n = this.drainAll(false);
        // poll woke us as soon as there was data (buffer_percent 0): let pages fill before the
        // next look — briefly when data streams in (many full pages), longer when it trickles.
        const busy = n >= this.readers.length * 8;
        const pause = busy ? Math.min(2, this.opts.minSleepMs ?? 20) : (this.opts.minSleepMs ?? 20);
        if (pause > 0 && !this.stopping) await new Promise((r) => setTimeout(r, pause));
        this.opts.onProgress?.(this.sinks.map((s) => s.bytes));
      }
    })();
  }

  /** Stops the loop and drains what is left (call after tracing_on=0). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.waiter.wake();
    if (this.loop) await this.loop;
    this.drainAll();
    for (const s of this.sinks) s.flush();
  }

  bytesPerCpu(): number[] {
    return this.sinks.map((s) => s.bytes);
  }
  paths(): string[] {
    return this.sinks.map((s) => s.path);
  }

  /** Closes fds; `removeFiles` deletes the temp files. */
  dispose(removeFiles = true): void {
    this.stopping = true;
    this.waiter.wake();
    for (const r of this.readers) r.close();
    for (const s of this.sinks) {
      try {
        s.close();
      } catch {
        /* */
      }
      if (removeFiles) {
        try {
          unlinkSync(s.path);
        } catch {
          /* */
        }
      }
    }
    this.waiter.close();
  }
}
