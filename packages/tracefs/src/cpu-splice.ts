/**
 * Zero-copy per-CPU moves of whole sub-buffers from trace_pipe_raw into a file with splice(2)
 * (trace_pipe_raw → pipe → file), as trace-cmd's recorder does while tracing, plus synchronous
 * poll(2) and a wake pipe. Everything here is synchronous and meant for a worker thread, where a
 * blocking call stalls nothing else (koffi loads libc in each thread that uses it).
 *
 * The kernel splices only sub-buffers the writer has left (it refuses the page being written), so
 * a splice never chases the writer; the partly filled pages are collected with `readRest()` once
 * tracing is off (tracefs_cpu_flush).
 */
import { readSync, writeSync, constants } from 'node:fs';
import { constants as osConstants, endianness } from 'node:os';
import koffi from 'koffi';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

interface Libc {
  splice(fdIn: number, offIn: null, fdOut: number, offOut: null, len: number, flags: number): number;
  poll(fds: Uint8Array, n: number, timeout: number): number;
  pipe2(fds: Int32Array, flags: number): number;
  fcntl(fd: number, cmd: number, ...args: unknown[]): number;
  close(fd: number): number;
  ftruncate(fd: number, len: number): number;
  lseek(fd: number, off: number, whence: number): number;
  sched_setscheduler(pid: number, policy: number, param: Int32Array): number;
}
let libc: Libc | undefined;
function lib(): Libc {
  if (!libc) {
    const l = koffi.load('libc.so.6');
    libc = {
      splice: l.func(
        'long splice(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)',
      ) as unknown as Libc['splice'],
      poll: l.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)') as unknown as Libc['poll'],
      pipe2: l.func('int pipe2(_Out_ int *fds, int flags)') as unknown as Libc['pipe2'],
      fcntl: l.func('int fcntl(int fd, int cmd, ...)') as unknown as Libc['fcntl'],
      close: l.func('int close(int fd)') as unknown as Libc['close'],
      ftruncate: l.func('int ftruncate(int fd, long len)') as unknown as Libc['ftruncate'],
      lseek: l.func('long lseek(int fd, long off, int whence)') as unknown as Libc['lseek'],
      sched_setscheduler: l.func('int sched_setscheduler(int pid, int policy, int *param)') as unknown as Libc['sched_setscheduler'],
    };
  }
  return libc;
}

const SPLICE_F_MOVE = 1;
const SPLICE_F_NONBLOCK = 2;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;
const O_CLOEXEC = 0o2000000;
const { EINTR, EAGAIN, EINVAL, ENOSYS, EOPNOTSUPP } = osConstants.errno;
const POLLIN = 1;
/** struct pollfd is in the machine's byte order. */
const LE = endianness() === 'LE';

/** errno number → name (EINVAL...). */
function errnoName(n: number): string {
  for (const [k, v] of Object.entries(osConstants.errno)) if (v === n) return k;
  return String(n);
}

/** A non-blocking self-pipe: `wake()` (from any thread of the process) makes a poll on `readFd` return. */
export class WakePipe {
  readonly readFd: number;
  readonly writeFd: number;
  private closed = false;
  constructor() {
    const fds = new Int32Array(2);
    if (lib().pipe2(fds, constants.O_NONBLOCK | O_CLOEXEC) !== 0)
      throw new TraceFsError(TraceFsErrorCode.Unsupported, 'pipe2() failed', { errno: errnoName(koffi.errno()) });
    this.readFd = fds[0]!;
    this.writeFd = fds[1]!;
  }
  /** Wakes a poll on `readFd` (a byte stays until `clear()`). */
  wake(): void {
    if (this.closed) return;
    try {
      writeSync(this.writeFd, new Uint8Array([1]));
    } catch {
      /* full: a wake is pending */
    }
  }
  /** Empties the pipe (after a wake was seen). */
  clear(): void {
    WakePipe.clearFd(this.readFd);
  }
  /** `clear()` for a thread that only has the fd number. */
  static clearFd(fd: number): void {
    const b = new Uint8Array(64);
    try {
      while (readSync(fd, b, 0, 64, null) > 0) {
        /* empty it */
      }
    } catch {
      /* EAGAIN */
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    lib().close(this.readFd);
    lib().close(this.writeFd);
  }
}

/**
 * Empties the file behind `fd` and moves its position to the start (ftruncate + lseek): the next
 * write, splice included, lands at offset 0 (a rotating per-CPU file, trace-cmd record -m).
 */
export function truncateFd(fd: number): void {
  const l = lib();
  if (l.ftruncate(fd, 0) !== 0 || Number(l.lseek(fd, 0, 0)) !== 0)
    throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot truncate a per-CPU file', { errno: errnoName(koffi.errno()) });
}

const SCHED_FIFO = 1;

/**
 * Puts the calling thread under SCHED_FIFO at `priority` (sched_setscheduler(0, ...), which on
 * Linux applies to the calling thread only). Returns undefined, or the errno name of a refusal
 * (EPERM without CAP_SYS_NICE, EINVAL outside 1..99).
 */
export function setThreadFifoPriority(priority: number): string | undefined {
  const param = new Int32Array([priority]);
  return lib().sched_setscheduler(0, SCHED_FIFO, param) === 0 ? undefined : errnoName(koffi.errno());
}

let pollBuf = new Uint8Array(0);
let pollView = new DataView(pollBuf.buffer);

/**
 * Synchronous poll(2) for POLLIN on `fds` (blocks the calling thread up to `timeoutMs`, -1 for
 * ever). Returns a bit set per index in `ready` (1 = readable or error/hangup); the count.
 */
export function pollSync(fds: readonly number[], timeoutMs: number, ready?: Uint8Array): number {
  const n = fds.length;
  if (pollBuf.length !== n * 8) {
    pollBuf = new Uint8Array(n * 8);
    pollView = new DataView(pollBuf.buffer);
  }
  const buf = pollBuf,
    dv = pollView;
  for (let i = 0; i < n; i++) {
    dv.setInt32(i * 8, fds[i]!, LE);
    dv.setInt16(i * 8 + 4, POLLIN, LE);
    dv.setInt16(i * 8 + 6, 0, LE);
  }
  const r = lib().poll(buf, n, Math.max(-1, Math.floor(timeoutMs)));
  if (r < 0) {
    const e = koffi.errno();
    if (e === EINTR) return 0;
    throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'poll() failed', { errno: errnoName(e) });
  }
  if (ready) for (let i = 0; i < n && i < ready.length; i++) ready[i] = dv.getInt16(i * 8 + 6, LE) !== 0 ? 1 : 0;
  return r;
}

/**
 * One CPU's trace_pipe_raw (an fd opened O_NONBLOCK, e.g. `CpuReader.fd`) spliced into `outFd`
 * (appended at its file position) through a private pipe of up to `pipeBytes`.
 */
export class CpuSplice {
  private pipeR = -1;
  private pipeW = -1;
  /** Bytes asked of one splice: whole sub-buffers, as many as the pipe holds. */
  readonly chunk: number;
  private readBuf: Uint8Array | undefined;
  private copyBuf: Uint8Array | undefined;
  /** False once the output file refused splice (then the pipe is copied with read/write). */
  private spliceOut = true;

  /** `outFd` may be changed between moves (a rotating output, trace-cmd record -m). */
  constructor(
    readonly traceFd: number,
    public outFd: number,
    readonly pageSize: number,
    pipeBytes = 1 << 20,
  ) {
    const fds = new Int32Array(2);
    if (lib().pipe2(fds, O_CLOEXEC) !== 0)
      throw new TraceFsError(TraceFsErrorCode.Unsupported, 'pipe2() failed', { errno: errnoName(koffi.errno()) });
    this.pipeR = fds[0]!;
    this.pipeW = fds[1]!;
    // Grow the pipe (its slots carry one sub-buffer each); keep what the system grants.
    lib().fcntl(this.pipeW, F_SETPIPE_SZ, 'int', pipeBytes);
    const sz = lib().fcntl(this.pipeW, F_GETPIPE_SZ, 'int', 0);
    const slots = Math.max(1, Math.floor((sz > 0 ? sz : 65536) / 4096));
    this.chunk = slots * pageSize;
  }

  /**
   * Moves every whole sub-buffer the kernel has now into the file. Returns the bytes moved (0:
   * none ready). Throws TraceFsError (code Unsupported when splice is refused: use reads instead).
   */
  moveFull(): number {
    const l = lib();
    let total = 0;
    for (;;) {
      const n = Number(l.splice(this.traceFd, null, this.pipeW, null, this.chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
      if (n < 0) {
        const e = koffi.errno();
        if (e === EAGAIN) break;
        if (e === EINTR) continue;
        throw new TraceFsError(
          total === 0 ? TraceFsErrorCode.Unsupported : TraceFsErrorCode.ReadFailed,
          'splice from trace_pipe_raw failed',
          { errno: errnoName(e) },
        );
      }
      if (n === 0) break;
      this.toFile(n);
      total += n;
      if (n < this.chunk) break; // took all there was
    }
    return total;
  }

  private toFile(n: number): void {
    const l = lib();
    let left = n;
    while (left > 0 && this.spliceOut) {
      const m = Number(l.splice(this.pipeR, null, this.outFd, null, left, SPLICE_F_MOVE));
      if (m < 0) {
        const e = koffi.errno();
        if (e === EINTR || e === EAGAIN) continue;
        if (e === EINVAL || e === ENOSYS || e === EOPNOTSUPP) {
          this.spliceOut = false;
          break;
        } // the file system takes no splice
        throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'splice into the output file failed', { errno: errnoName(e) });
      }
      if (m === 0) throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'splice into the output file made no progress');
      left -= m;
    }
    // Without splice into the file: copy out of the pipe (it holds exactly `left` bytes).
    if (left > 0) {
      this.copyBuf ??= new Uint8Array(1 << 16);
      const b = this.copyBuf;
      while (left > 0) {
        const got = readSync(this.pipeR, b, 0, Math.min(b.length, left), null);
        if (got <= 0) throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'the splice pipe ran dry');
        let o = 0;
        while (o < got) o += writeSync(this.outFd, b, o, got - o, null);
        left -= got;
      }
    }
  }

  /**
   * After tracing stopped: the whole sub-buffers (spliced), then the partly filled ones with read()
   * one sub-buffer at a time (each written as a whole sub-buffer, zero-padded). Returns bytes.
   */
  readRest(): number {
    let total = this.moveFull();
    this.readBuf ??= new Uint8Array(this.pageSize);
    const b = this.readBuf;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.traceFd, b, 0, this.pageSize, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EINTR') continue;
        throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot read trace_pipe_raw', { errno: code, cause: e });
      }
      if (n <= 0) break;
      if (n < this.pageSize) b.fill(0, n);
      let o = 0;
      while (o < this.pageSize) o += writeSync(this.outFd, b, o, this.pageSize - o, null);
      total += this.pageSize;
    }
    return total;
  }

  /** Closes the pipe (not traceFd or outFd). */
  close(): void {
    if (this.pipeR >= 0) {
      lib().close(this.pipeR);
      lib().close(this.pipeW);
      this.pipeR = this.pipeW = -1;
    }
  }
}
