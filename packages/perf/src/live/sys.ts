/// <reference types="node" />
/**
 * The system calls of perf's live half, through koffi (prebuilt, no C toolchain): perf_event_open
 * (by syscall number), ioctl, mmap/munmap, poll, getrusage. read(2) and close(2) go through node:fs.
 */
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';

interface Libc {
  syscall(n: number, ...args: unknown[]): number;
  ioctl(fd: number, req: number, ...args: unknown[]): number;
  mmap(addr: null, len: number, prot: number, flags: number, fd: number, off: number): unknown;
  munmap(addr: unknown, len: number): number;
  poll(fds: Uint8Array, n: number, timeout: number): number;
  getrusage(who: number, buf: Uint8Array): number;
  clock_gettime(clk: number, ts: Uint8Array): number;
  clock_getres(clk: number, ts: Uint8Array): number;
}
let libc: Libc | undefined;
export function lib(): Libc {
  if (!libc) {
    const l = koffi.load('libc.so.6');
    libc = {
      syscall: l.func('long syscall(long n, ...)') as unknown as Libc['syscall'],
      ioctl: l.func('int ioctl(int fd, unsigned long req, ...)') as unknown as Libc['ioctl'],
      mmap: l.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)') as unknown as Libc['mmap'],
      munmap: l.func('int munmap(void *addr, size_t len)') as unknown as Libc['munmap'],
      poll: l.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)') as unknown as Libc['poll'],
      getrusage: l.func('int getrusage(int who, _Out_ uint8_t *buf)') as unknown as Libc['getrusage'],
      clock_gettime: l.func('int clock_gettime(int clk, _Out_ uint8_t *ts)') as unknown as Libc['clock_gettime'],
      clock_getres: l.func('int clock_getres(int clk, _Out_ uint8_t *ts)') as unknown as Libc['clock_getres'],
    };
  }
  return libc;
}

/** perf_event_open's syscall number per architecture. */
const NR: Record<string, number> = { x64: 298, arm64: 241, arm: 364, ia32: 336, riscv64: 241, ppc64: 319, s390x: 331, loong64: 241 };

export function errno(): number {
  return koffi.errno();
}
export function errnoName(n: number): string {
  for (const [k, v] of Object.entries(osConstants.errno)) if (v === n) return k;
  return `errno ${n}`;
}

export const PERF_FLAG_FD_CLOEXEC = 8;

/** perf_event_open(attr, pid, cpu, group_fd, flags): the fd, or -errno. */
export function perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number {
  const nr = NR[process.arch];
  if (nr === undefined) return -osConstants.errno.ENOSYS;
  const fd = lib().syscall(nr, 'uint8_t *', attr, 'int', pid, 'int', cpu, 'int', groupFd, 'unsigned long', flags);
  return fd < 0 ? -errno() : fd;
}

/** _IO('$', n) and _IOW('$', n, u64) / _IOW('$', n, u32). */
const IO = (n: number): number => (0x24 << 8) | n;
const IOW = (n: number, size: number): number => (1 << 30) | (size << 16) | (0x24 << 8) | n;
const IOR = (n: number, size: number): number => (2 << 30) | (size << 16) | (0x24 << 8) | n;
export const Ioc = {
  Enable: IO(0),
  Disable: IO(1),
  Refresh: IO(2),
  Reset: IO(3),
  SetOutput: IO(5),
  Id: IOR(7, 8),
  PauseOutput: IOW(9, 4),
} as const;
/** PERF_IOC_FLAG_GROUP: the ioctl applies to the whole group. */
export const IOC_FLAG_GROUP = 1;

/** ioctl with an integer argument: 0 or -errno. */
export function ioctlInt(fd: number, req: number, arg: number): number {
  return lib().ioctl(fd, req, 'unsigned long', arg) < 0 ? -errno() : 0;
}
/** PERF_EVENT_IOC_ID: the event id the kernel gave the fd. */
export function eventId(fd: number): bigint {
  const b = new BigUint64Array(1);
  if (lib().ioctl(fd, Ioc.Id, '_Out_ uint64_t *', b) < 0) return -1n;
  return b[0]!;
}

const PROT_READ = 1,
  PROT_WRITE = 2,
  MAP_SHARED = 1;
/**
 * A shared mapping of `len` bytes of `fd`, read-write or (`writable` false) read-only: a perf ring
 * mapped read-only is one the kernel overwrites (nobody moves its tail). [pointer, ArrayBuffer] or -errno.
 */
export function mmapFd(fd: number, len: number, writable = true): { ptr: unknown; buf: ArrayBuffer } | number {
  const p = lib().mmap(null, len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (p === null || koffi.address(p) === 0xffffffffffffffffn) return -errno();
  return { ptr: p, buf: koffi.view(p, len) };
}
export function munmap(ptr: unknown, len: number): void {
  lib().munmap(ptr, len);
}

/** poll(2) for POLLIN on fds; per index: bit 0 readable, bit 1 hangup/error. The count, or -errno. */
export function pollFds(fds: readonly number[], timeoutMs: number, out?: Uint8Array): number {
  const b = new Uint8Array(fds.length * 8);
  const dv = new DataView(b.buffer);
  const le = true;
  for (let i = 0; i < fds.length; i++) {
    dv.setInt32(i * 8, fds[i]!, le);
    dv.setInt16(i * 8 + 4, 1, le);
  }
  const r = lib().poll(b, fds.length, Math.floor(timeoutMs));
  if (r < 0) return -errno();
  if (out)
    for (let i = 0; i < fds.length && i < out.length; i++) {
      const re = dv.getInt16(i * 8 + 6, le);
      out[i] = (re & 1 ? 1 : 0) | (re & (8 | 16 | 32) ? 2 : 0);
    }
  return r;
}

/** getrusage(RUSAGE_CHILDREN): user and system seconds of the reaped children. */
export function childrenRusage(): { user: number; sys: number } {
  const b = new Uint8Array(144);
  lib().getrusage(-1, b);
  const dv = new DataView(b.buffer);
  const t = (o: number): number => Number(dv.getBigInt64(o, true)) + Number(dv.getBigInt64(o + 8, true)) / 1e6;
  return { user: t(0), sys: t(16) };
}

/** clock_gettime(clk) in ns, or -1n when the clock does not exist. */
export function clockNs(clk: number): bigint {
  const b = new Uint8Array(16);
  if (lib().clock_gettime(clk, b) < 0) return -1n;
  const dv = new DataView(b.buffer);
  return dv.getBigInt64(0, true) * 1_000_000_000n + dv.getBigInt64(8, true);
}
/** clock_getres(clk) in ns, or -1n. */
export function clockResNs(clk: number): bigint {
  const b = new Uint8Array(16);
  if (lib().clock_getres(clk, b) < 0) return -1n;
  const dv = new DataView(b.buffer);
  return dv.getBigInt64(0, true) * 1_000_000_000n + dv.getBigInt64(8, true);
}
