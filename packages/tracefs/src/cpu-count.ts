/**
 * How many CPUs a recording covers. trace-cmd sizes its per-CPU tables with
 * tracecmd_count_cpus() = sysconf(_SC_NPROCESSORS_CONF), which glibc answers from
 * /sys/devices/system/cpu/possible (the number of CPUs in that list), falling back to the
 * cpuN directories of /sys/devices/system/cpu. The kernel creates per_cpu/cpuN in tracefs for
 * the same possible CPUs. utp takes the larger of that count and the highest per_cpu id + 1,
 * so that a CPU id past a (theoretically) sparse possible list still gets its table slot.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

/** Parses a kernel CPU list ("0-3,5,7-8") into sorted ids; throws on garbage. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  const t = text.trim();
  if (!t) return [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new TraceFsError(TraceFsErrorCode.BadArgument, 'Bad CPU list', { context: { list: text.trim() } });
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 1 << 16) throw new TraceFsError(TraceFsErrorCode.BadArgument, 'Bad CPU range', { context: { range: part } });
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * sysconf(_SC_NPROCESSORS_CONF) as glibc computes it on Linux: the count of CPUs in
 * /sys/devices/system/cpu/possible, else of cpuN directories; undefined when neither is readable.
 * `sysfs` is the cpu directory (tests pass a fake one).
 */
export function configuredCpuCount(sysfs = '/sys/devices/system/cpu'): number | undefined {
  try {
    const n = parseCpuList(readFileSync(`${sysfs}/possible`, 'latin1')).length;
    if (n > 0) return n;
  } catch {
    /* fall back */
  }
  try {
    const n = readdirSync(sysfs).filter((d) => /^cpu\d+$/.test(d)).length;
    if (n > 0) return n;
  } catch {
    /* none */
  }
  return undefined;
}

/**
 * The CPU count to store in a trace.dat for a recording of `cpuIds` (the per_cpu directories
 * of the instance): trace-cmd's count, but never less than the highest id + 1.
 */
export function recordingCpuCount(cpuIds: readonly number[], sysfs?: string): number {
  const maxId = cpuIds.reduce((m, c) => Math.max(m, c), -1);
  return Math.max(configuredCpuCount(sysfs) ?? 0, maxId + 1);
}
