/// <reference types="node" />
/** libperf's CPU map and thread map: the CPUs and tasks an event list is opened on. */
import { readFileSync, readdirSync } from 'node:fs';

/** Parses a CPU list ("0-3,5"). */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`Bad CPU list ${JSON.stringify(text)}`);
    const a = Number(m[1]),
      b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** perf_cpu_map: the CPUs to open on; [-1] (dummy) means "any CPU" (per-task events). */
export class CpuMap {
  private constructor(readonly cpus: readonly number[]) {}
  /** perf_cpu_map__new(NULL): the online CPUs. */
  static online(): CpuMap {
    return new CpuMap(parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
  }
  /** perf_cpu_map__new("0-1,3"). */
  static parse(list: string): CpuMap {
    return new CpuMap(parseCpuList(list));
  }
  static of(cpus: readonly number[]): CpuMap {
    return new CpuMap([...cpus]);
  }
  /** perf_cpu_map__dummy_new: one entry, -1. */
  static dummy(): CpuMap {
    return new CpuMap([-1]);
  }
  get length(): number {
    return this.cpus.length;
  }
  cpu(i: number): number {
    return this.cpus[i]!;
  }
}

/** perf_thread_map: the tasks to open on; [-1] (dummy) means "every task" (per-CPU events). */
export class ThreadMap {
  private constructor(readonly pids: readonly number[]) {}
  /** perf_thread_map__new_dummy. */
  static dummy(): ThreadMap {
    return new ThreadMap([-1]);
  }
  /** One task (its children are counted too when the events inherit). */
  static of(pids: readonly number[]): ThreadMap {
    return new ThreadMap([...pids]);
  }
  /** Every thread of a process (/proc/PID/task), as perf -p does. */
  static forPid(pid: number): ThreadMap {
    return new ThreadMap(
      readdirSync(`/proc/${pid}/task`)
        .map(Number)
        .sort((a, b) => a - b),
    );
  }
  get length(): number {
    return this.pids.length;
  }
  pid(i: number): number {
    return this.pids[i]!;
  }
}
