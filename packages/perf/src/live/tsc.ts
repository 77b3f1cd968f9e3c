/// <reference types="node" />
/**
 * The TSC → ns conversion the kernel publishes in a perf event's mmap page (perf_event_mmap_page:
 * cap_user_time, time_shift, time_mult), as trace-cmd record --tsc2nsec and perf's tsc.c read it:
 * a software event is opened on each CPU for this process and the page of each is read; every CPU
 * must agree. ns = (tsc * mult) >> shift.
 */
import { closeSync, readFileSync } from 'node:fs';
import { LiveError, LiveErrorCode } from './errors.js';
import { parseCpuList } from './maps.js';
import { errnoName, mmapFd, munmap, perfEventOpen, PERF_FLAG_FD_CLOEXEC } from './sys.js';

export interface TscConversion {
  mult: number;
  shift: number;
}

/** perf_event_mmap_page: capabilities (u64 at 40; bit 3 cap_user_time), time_shift (u16 at 50), time_mult (u32 at 52). */
const CAPS = 40,
  SHIFT = 50,
  MULT = 52,
  CAP_USER_TIME = 1n << 3n;

function onlineCpus(): number[] {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim());
  } catch {
    return [0];
  }
}

/**
 * Reads time_mult/time_shift from each online CPU's perf mmap page. Throws LiveError
 * (NotSupported) when the kernel gives none (cap_user_time clear: the TSC is not the clock
 * source, as in many VMs) or the CPUs disagree; (OpenFailed/MmapFailed) when perf refuses.
 */
export function tscConversion(cpus: readonly number[] = onlineCpus()): TscConversion {
  // PERF_TYPE_SOFTWARE / PERF_COUNT_SW_CPU_CLOCK, disabled, exclude_kernel: only its page is wanted
  const attr = new Uint8Array(128);
  const dv = new DataView(attr.buffer);
  const le = true;
  dv.setUint32(0, 1, le);
  dv.setUint32(4, attr.length, le);
  dv.setBigUint64(40, 1n | (1n << 5n), le);
  let first: TscConversion | undefined;
  const page = 4096;
  for (const cpu of cpus) {
    const fd = perfEventOpen(attr, 0, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
      throw new LiveError(LiveErrorCode.OpenFailed, `perf_event_open for the TSC conversion failed: cpu=${cpu}, errno=${errnoName(-fd)}`);
    try {
      const m = mmapFd(fd, 2 * page);
      if (typeof m === 'number')
        throw new LiveError(LiveErrorCode.MmapFailed, `mmap of the perf page failed: cpu=${cpu}, errno=${errnoName(-m)}`);
      try {
        const p = new DataView(m.buf);
        const caps = p.getBigUint64(CAPS, le);
        const c = { mult: p.getUint32(MULT, le), shift: p.getUint16(SHIFT, le) };
        if (!(caps & CAP_USER_TIME) || c.mult === 0)
          throw new LiveError(
            LiveErrorCode.NotSupported,
            `the kernel gives no TSC to ns conversion (perf mmap page without cap_user_time): cpu=${cpu}`,
          );
        if (first && (first.mult !== c.mult || first.shift !== c.shift))
          throw new LiveError(
            LiveErrorCode.NotSupported,
            `CPUs disagree on the TSC multiplier and shift: cpu=${cpu}, mult=${c.mult}, shift=${c.shift}, expected ${first.mult};${first.shift}`,
          );
        first ??= c;
      } finally {
        munmap(m.ptr, 2 * page);
      }
    } finally {
      closeSync(fd);
    }
  }
  if (!first) throw new LiveError(LiveErrorCode.NotSupported, 'no CPU to read the TSC conversion from');
  return first;
}
