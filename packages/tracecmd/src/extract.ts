/**
 * trace-cmd extract as a library: reads what is in an instance's ring buffer (consuming it)
 * and writes a trace.dat with every event format, as trace-cmd extract does.
 */
import { dirname, basename, join } from 'node:path';
import { Instance } from '@utp/tracefs';
import type { TraceDatBufferInput } from '@utp/tracedat';
import { CpuDrain, fileChunks } from './cpu-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { writeTraceFile, type CompressionName } from './write-output.js';
import type { CpuResult } from './record-session.js';

export interface ExtractOptions {
  /** Instance name; undefined = top. */
  instanceName: string | undefined;
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
}

export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({ instanceName: undefined, output: 'trace.dat', fileVersion: 7, compression: 'any' });

export async function extractTrace(options: Partial<ExtractOptions> = {}): Promise<{ output: string; size: number; cpus: CpuResult[] }> {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  const inst = Instance.open(o.instanceName);
  const cpus = inst.cpus();
  const before = new Map(cpus.map((c) => [c, inst.cpuStats(c)]));
  const prefix = join(dirname(o.output), `.${basename(o.output)}.utp-${process.pid}-x`);
  const drain = new CpuDrain(inst, cpus, prefix, inst.subBufferSize(), { maxSleepMs: 0 });
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
    const clock = inst.clocks().current;
    const paths = drain.paths();
    const data: TraceDatBufferInput = {
      name: inst.name ?? '', clock, cpuStats: stats,
      cpus: cpus.map((cpu, i) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(paths[i]!) } })),
    };
    const buffers = data.name === '' ? [data] : [{ name: '', clock: Instance.top().clocks().current, cpus: [] }, data];
    const size = await writeTraceFile(o.output, collectMetadata(inst), buffers, {
      fileVersion: o.fileVersion, compression: o.compression, traceClock: Instance.top().read('trace_clock'),
      uname: unameString(), cpuCount: cpus.length, pageSize: inst.subBufferSize(),
    });
    return { output: o.output, size, cpus: results };
  } finally {
    drain.dispose(true);
  }
}
