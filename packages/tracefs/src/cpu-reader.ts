/**
 * Per-CPU raw reads of trace_pipe_raw a sub-buffer at a time (tracefs_cpu_read), and waiting for
 * data with poll(2) on a worker thread (no busy loop). poll on trace_pipe_raw honours the
 * instance's buffer_percent, like trace-cmd's splice waits.
 */
import { openSync, readSync, closeSync, writeSync, constants } from 'node:fs';
import koffi from 'koffi';
import { decodeLatin1 } from '@utp/bytes';
import { TraceFsError, TraceFsErrorCode } from './errors.js';
import type { Instance } from './instance.js';

type PollFn = ((fds: Uint8Array, n: number, timeout: number) => number) & {
  async(fds: Uint8Array, n: number, timeout: number, cb: (err: unknown, res: number) => void): void;
};
let libc: { poll: PollFn; pipe2: (fds: Int32Array, flags: number) => number } | undefined;
function lib(): NonNullable<typeof libc> {
  if (!libc) {
    const l = koffi.load('libc.so.6');
    libc = {
      poll: l.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)') as unknown as PollFn,
      pipe2: l.func('int pipe2(_Out_ int *fds, int flags)') as unknown as (fds: Int32Array, flags: number) => number,
    };
  }
  return libc;
}

const POLLIN = 1;

/** One CPU's trace_pipe_raw, opened non-blocking. */
export class CpuReader {
  readonly cpu: number;
  readonly pageSize: number;
  readonly path: string;
  fd: number;

  /** `raw`: the main ring buffer (trace_pipe_raw, default) or the snapshot buffer (snapshot_raw). */
  constructor(
    instance: Instance,
    cpu: number,
    pageSize = instance.subBufferSize(),
    raw: 'trace_pipe_raw' | 'snapshot_raw' = 'trace_pipe_raw',
  ) {
    this.cpu = cpu;
    this.pageSize = pageSize;
    this.path = raw === 'trace_pipe_raw' ? instance.rawPipePath(cpu) : instance.file(`per_cpu/cpu${cpu}/${raw}`);
    try {
      this.fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw new TraceFsError(TraceFsErrorCode.ReadFailed, `Cannot open ${raw}`, {
        file: this.path,
        errno: (e as NodeJS.ErrnoException).code,
        cause: e,
      });
    }
  }

  /**
   * Reads one sub-buffer into `buf` at `offset` (room for pageSize bytes needed). Returns the
   * number of bytes (a whole sub-buffer: header + events + zero fill), or 0 when empty (EAGAIN).
   */
  read(buf: Uint8Array, offset = 0): number {
    try {
      return readSync(this.fd, buf, offset, this.pageSize, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 0;
      if (code === 'EINTR') return 0;
      throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot read trace_pipe_raw', { file: this.path, errno: code, cause: e });
    }
  }

  /** Reads one sub-buffer into a new array, or null when the buffer is empty. */
  readPage(): Uint8Array | null {
    const b = new Uint8Array(this.pageSize);
    const n = this.read(b);
    return n > 0 ? b.subarray(0, n) : null;
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = -1;
    }
  }
}

/**
 * Waits with poll(2) (on a libuv worker thread) until any of the fds is readable, the timeout
 * passes, or `wake()` is called. One Waiter per loop; not reentrant.
 */
export class Waiter {
  private pipe = new Int32Array(2);
  private buf = new Uint8Array(0);
  private closed = false;

  constructor() {
    if (lib().pipe2(this.pipe, constants.O_NONBLOCK | 0o2000000 /* O_CLOEXEC */) !== 0) {
      throw new TraceFsError(TraceFsErrorCode.Unsupported, 'pipe2() failed');
    }
  }

  /** Resolves to the indexes (into `fds`) that are readable; [] on timeout or wake. */
  wait(fds: readonly number[], timeoutMs: number): Promise<number[]> {
    const n = fds.length + 1;
    if (this.buf.length !== n * 8) this.buf = new Uint8Array(n * 8);
    const dv = new DataView(this.buf.buffer);
    for (let i = 0; i < n; i++) {
      dv.setInt32(i * 8, i < fds.length ? fds[i]! : this.pipe[0]!, true);
      dv.setInt16(i * 8 + 4, POLLIN, true);
      dv.setInt16(i * 8 + 6, 0, true);
    }
    const buf = this.buf;
    return new Promise((resolve, reject) => {
      lib().poll.async(buf, n, Math.max(-1, Math.floor(timeoutMs)), (err, res) => {
        if (err) {
          reject(err);
          return;
        }
        const ready: number[] = [];
        if (res > 0) {
          for (let i = 0; i < fds.length; i++) if (dv.getInt16(i * 8 + 6, true) !== 0) ready.push(i);
          if (dv.getInt16(fds.length * 8 + 6, true) !== 0) this.drainPipe();
        }
        resolve(ready);
      });
    });
  }

  /** Makes a pending (or the next) wait() return at once. */
  wake(): void {
    if (this.closed) return;
    try {
      writeSync(this.pipe[1]!, new Uint8Array([1]));
    } catch {
      /* pipe full: a wake is pending */
    }
  }

  private drainPipe(): void {
    const b = new Uint8Array(64);
    try {
      while (readSync(this.pipe[0]!, b, 0, 64, null) > 0) {
        /* empty it */
      }
    } catch {
      /* EAGAIN */
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.pipe[0]!);
    } catch {
      /* */
    }
    try {
      closeSync(this.pipe[1]!);
    } catch {
      /* */
    }
  }
}

/**
 * Consuming text reads of trace_pipe (or per_cpu/cpuN/trace_pipe): yields text as events come,
 * waiting in poll(2); ends when `signal` aborts (the wait is woken at once).
 */
export async function* readTracePipe(instance: Instance, opts: { cpu?: number; signal?: AbortSignal } = {}): AsyncGenerator<string> {
  const path = instance.file(opts.cpu === undefined ? 'trace_pipe' : `per_cpu/cpu${opts.cpu}/trace_pipe`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot open trace_pipe', {
      file: path,
      errno: (e as NodeJS.ErrnoException).code,
      cause: e,
    });
  }
  const waiter = new Waiter();
  const onAbort = (): void => waiter.wake();
  opts.signal?.addEventListener('abort', onAbort);
  const buf = new Uint8Array(1 << 16);
  try {
    while (!opts.signal?.aborted) {
      let text = '';
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' || code === 'EINTR') break;
          throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot read trace_pipe', { file: path, errno: code, cause: e });
        }
        if (n <= 0) break;
        text += decodeLatin1(buf, 0, n);
      }
      if (text) yield text;
      else await waiter.wait([fd], 1000);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    waiter.close();
    closeSync(fd);
  }
}
