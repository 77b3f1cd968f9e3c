/**
 * trace-cmd extract as a library: reads what is in an instance's ring buffer (consuming it)
 * and writes a trace.dat with every event format, as trace-cmd extract does.
 */
import { dirname, basename, join } from 'node:path';
import { Instance, recordingCpuCount } from '@utp/tracefs';
import type { TraceDatBufferInput } from '@utp/tracedat';
import { CpuDrain, fileChunks, pageLayoutOf } from './cpu-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { writeTraceFile, type CompressionName } from './write-output.js';
import { currentClock, type CpuResult } from './record-session.js';

export interface ExtractOptions {
  /** Instance name; undefined = top (unless `instanceNames` names some). */
  instanceName: string | undefined;
  /** More instances (trace-cmd extract -B, repeatable); each becomes a buffer of the file. */
  instanceNames: string[];
  /** Also the top-level buffer when instances are named (trace-cmd extract -t); it comes first. */
  top: boolean;
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
}

export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({
  instanceName: undefined,
  instanceNames: [],
  top: false,
  output: 'trace.dat',
  fileVersion: 7,
  compression: 'any',
});

export interface ExtractResult {
  output: string;
  size: number;
  /** The first buffer's CPUs. */
  cpus: CpuResult[];
  /** Every buffer extracted, in file order ('' is the top level). */
  buffers: Array<{ name: string; cpus: CpuResult[] }>;
}

/**
 * Reads the named instances (or the top level), consuming their ring buffers, into one trace.dat:
 * the top level first when it is read (no -B, or -t), then each instance as a BUFFER, as trace-cmd
 * extract orders them. The file's trace clock is the first buffer's.
 */
export async function extractTrace(options: Partial<ExtractOptions> = {}): Promise<ExtractResult> {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  const names = [...new Set([...(o.instanceName !== undefined ? [o.instanceName] : []), ...o.instanceNames])];
  const insts = [...(names.length === 0 || o.top ? [Instance.top()] : []), ...names.map((n) => Instance.open(n))];
  const prefix = join(dirname(o.output), `.${basename(o.output)}.utp-${process.pid}-x`);
  const drains: CpuDrain[] = [];
  try {
    const parts = insts.map((inst, k) => {
      const cpus = inst.cpus();
      const before = new Map(cpus.map((c) => [c, inst.cpuStats(c)]));
      const drain = new CpuDrain(inst, cpus, k ? `${prefix}${k}` : prefix, pageLayoutOf(inst), { maxSleepMs: 0 });
      drains.push(drain);
      drain.drainAll();
      for (const s of drain.sinks) s.flush();
      const bytes = drain.bytesPerCpu();
      const stats: string[] = [];
      const results: CpuResult[] = cpus.map((c, i) => {
        const s = inst.cpuStats(c);
        stats.push(`CPU: ${c}\n${s.text}`);
        const b = before.get(c)!;
        return { cpu: c, events: s.readEvents - b.readEvents, lost: s.overrun + s.droppedEvents, bytes: bytes[i] ?? 0 };
      });
      // The clock of the instance whose data this is (trace-cmd extract would store the top
      // instance's, which mislabels an instance recorded with another clock).
      const clockText = inst.read('trace_clock');
      const paths = drain.paths();
      const data: TraceDatBufferInput = {
        name: inst.name ?? '',
        clock: currentClock(clockText),
        pageSize: drain.pageSize,
        cpuStats: stats,
        cpus: cpus.map((cpu, i) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(paths[i]!) } })),
      };
      return { inst, cpus, clockText, data, results };
    });
    const first = parts[0]!;
    const buffers =
      first.data.name === '' ? parts.map((p) => p.data) : [{ name: '', clock: first.data.clock, cpus: [] }, ...parts.map((p) => p.data)];
    const size = await writeTraceFile(o.output, collectMetadata(first.inst), buffers, {
      fileVersion: o.fileVersion,
      compression: o.compression,
      traceClock: first.clockText,
      uname: unameString(),
      cpuCount: recordingCpuCount(first.cpus),
      pageSize: drains[0]!.pageSize,
    });
    return { output: o.output, size, cpus: first.results, buffers: parts.map((p) => ({ name: p.data.name, cpus: p.results })) };
  } finally {
    for (const d of drains) d.dispose(true);
  }
}
