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
  /** Instance name; undefined = top. */
  instanceName: string | undefined;
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
}

export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({
  instanceName: undefined,
  output: 'trace.dat',
  fileVersion: 7,
  compression: 'any',
});

export async function extractTrace(options: Partial<ExtractOptions> = {}): Promise<{ output: string; size: number; cpus: CpuResult[] }> {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  const inst = Instance.open(o.instanceName);
  const cpus = inst.cpus();
  const before = new Map(cpus.map((c) => [c, inst.cpuStats(c)]));
  const prefix = join(dirname(o.output), `.${basename(o.output)}.utp-${process.pid}-x`);
  const drain = new CpuDrain(inst, cpus, prefix, pageLayoutOf(inst), { maxSleepMs: 0 });
  try {
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
    const clock = currentClock(clockText);
    const paths = drain.paths();
    const data: TraceDatBufferInput = {
      name: inst.name ?? '',
      clock,
      cpuStats: stats,
      cpus: cpus.map((cpu, i) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(paths[i]!) } })),
    };
    const buffers = data.name === '' ? [data] : [{ name: '', clock, cpus: [] }, data];
    const size = await writeTraceFile(o.output, collectMetadata(inst), buffers, {
      fileVersion: o.fileVersion,
      compression: o.compression,
      traceClock: clockText,
      uname: unameString(),
      cpuCount: recordingCpuCount(cpus),
      pageSize: drain.pageSize,
    });
    return { output: o.output, size, cpus: results };
  } finally {
    drain.dispose(true);
  }
}
