/// <reference types="node" />
/**
 * What `perf record` reads from the machine besides the rings: the header features (hostname,
 * os release, arch, CPUs, memory), the tracing data of the tracepoints recorded (tracefs files,
 * as trace-event-info.c copies them), the kernel's map, and the COMM/MMAP2 records it
 * synthesizes for threads that already exist (from /proc).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { arch, hostname, machine, release } from 'node:os';
import { join } from 'node:path';
import type { WriterFeatures } from '../perf-data-writer.js';
import { encodeComm, encodeMmap, encodeMmap2, encodeTracingData } from '../perf-records.js';
import { Misc } from '../constants.js';
import { eventsDir } from './events.js';
import { parseCpuList } from './maps.js';

const read = (f: string): string | undefined => {
  try {
    return readFileSync(f, 'latin1');
  } catch {
    return undefined;
  }
};

/** HOSTNAME … CPUID, TOTAL_MEM: the features that describe the machine. */
export function hostFeatures(version: string): Partial<WriterFeatures> {
  const f: Partial<WriterFeatures> = { hostname: hostname(), osRelease: release(), version, arch: machine() };
  const online = read('/sys/devices/system/cpu/online');
  const present = read('/sys/devices/system/cpu/present');
  if (online) {
    const on = parseCpuList(online);
    const pr = present ? parseCpuList(present) : on;
    f.nrCpus = { available: (pr[pr.length - 1] ?? on.length - 1) + 1, online: on.length };
  }
  const info = read('/proc/cpuinfo') ?? '';
  const field = (k: string): string | undefined => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const model = field('model name');
  if (model) f.cpuDesc = model.replace(/\s+/g, ' ');
  const vendor = field('vendor_id');
  if (vendor && arch() !== 'arm64') f.cpuId = `${vendor},${field('cpu family') ?? 0},${field('model') ?? 0},${field('stepping') ?? 0}`;
  const mem = /^MemTotal:\s+(\d+)/m.exec(read('/proc/meminfo') ?? '');
  if (mem) f.totalMem = BigInt(mem[1]!);
  return f;
}

/** The TRACING_DATA blob for these tracepoints (`sys:name`), from tracefs. */
export function tracingDataFor(tracepoints: readonly string[]): Uint8Array {
  const dir = eventsDir() ?? '/sys/kernel/tracing/events';
  const top = join(dir, '..');
  const bytes = (f: string): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(f));
    } catch {
      return new Uint8Array(0);
    }
  };
  const bySys = new Map<string, Uint8Array[]>();
  for (const tp of tracepoints) {
    const i = tp.indexOf(':');
    const sys = tp.slice(0, i),
      name = tp.slice(i + 1);
    let l = bySys.get(sys);
    if (!l) bySys.set(sys, (l = []));
    l.push(bytes(join(dir, sys, name, 'format')));
  }
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return encodeTracingData({
    littleEndian: le,
    longSize: 8,
    pageSize: 4096,
    headerPage: bytes(join(dir, 'header_page')),
    headerEvent: bytes(join(dir, 'header_event')),
    ftrace: [],
    systems: [...bySys].map(([system, formats]) => ({ system, formats })),
    kallsyms: new Uint8Array(0),
    printk: bytes(join(top, 'printk_formats')),
    savedCmdlines: bytes(join(top, 'saved_cmdlines')),
  });
}

/** The kernel's text map as perf synthesizes it: MMAP of `[kernel.kallsyms]_text`, _text to _etext. */
export function kernelMmap(idHdrSize: number): Uint8Array | undefined {
  const text = read('/proc/kallsyms');
  if (!text) return undefined;
  const start = /^([0-9a-f]+) [Tt] _text$/m.exec(text)?.[1];
  const end = /^([0-9a-f]+) [Tt] _etext$/m.exec(text)?.[1];
  if (!start || !end || /^0+$/.test(start)) return undefined;
  const s = BigInt(`0x${start}`),
    e = BigInt(`0x${end}`);
  return encodeMmap(
    { pid: -1 >>> 0, tid: 0, start: s, len: e - s, pgoff: s, filename: '[kernel.kallsyms]_text', misc: Misc.Kernel },
    { idHdrSize },
  );
}

/** Every process id in /proc, ascending. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * perf's synthesized records for a process that exists: a COMM per thread, and an MMAP2 per
 * executable mapping of /proc/PID/maps (not for a workload about to exec: perf sends its COMM
 * only). A process that ends meanwhile gives what was read.
 */
export function synthesizeProcess(pid: number, idHdrSize: number, emit: (rec: Uint8Array) => void, withMaps = true): void {
  let tids: number[];
  try {
    tids = readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return;
  }
  for (const tid of tids) {
    const comm = read(`/proc/${pid}/task/${tid}/comm`);
    if (comm === undefined) continue;
    emit(encodeComm(pid, tid, comm.replace(/\n$/, ''), { idHdrSize }));
  }
  const maps = withMaps ? read(`/proc/${pid}/maps`) : undefined;
  if (!maps) return;
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const perms = m[3]!;
    if (perms[2] !== 'x') continue;
    const prot = (perms[0] === 'r' ? 1 : 0) | (perms[1] === 'w' ? 2 : 0) | 4;
    const start = BigInt(`0x${m[1]}`),
      end = BigInt(`0x${m[2]}`);
    emit(
      encodeMmap2(
        {
          pid,
          tid: pid,
          start,
          len: end - start,
          pgoff: BigInt(`0x${m[4]}`),
          maj: parseInt(m[5]!, 16),
          min: parseInt(m[6]!, 16),
          ino: BigInt(m[7]!),
          inoGeneration: 0n,
          prot,
          flags: perms[3] === 's' ? 1 : 2,
          filename: m[8] || '//anon',
          misc: Misc.User,
        },
        { idHdrSize },
      ),
    );
  }
}
