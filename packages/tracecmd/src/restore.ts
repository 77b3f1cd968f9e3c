/**
 * trace-cmd restore as a library: a trace.dat from the per-CPU raw-page files a recorder left
 * behind (trace-cmd's `trace.dat.cpuN`, or utp record's `.NAME.utp-PID.cpuN` after a SIGKILL),
 * with this machine's metadata (every event format, kallsyms, printk, cmdlines) as trace-cmd
 * restore takes it. File i is CPU i, in the order given.
 */
import { statSync } from 'node:fs';
import { Instance, recordingCpuCount } from '@utp/tracefs';
import type { TraceDatBufferInput } from '@utp/tracedat';
import { fileChunks, pageLayoutOf } from './cpu-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { writeTraceFile, type CompressionName } from './write-output.js';
import { currentClock } from './record-session.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export interface RestoreOptions {
  cpuFiles: string[];
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
  /** Instance whose page layout and clock the data has (default: the top). */
  instanceName?: string;
}

export async function restoreTrace(o: Partial<RestoreOptions> & { cpuFiles: string[] }): Promise<{ output: string; size: number }> {
  const opts: RestoreOptions = { output: 'trace.dat', fileVersion: 7, compression: 'any', ...o };
  if (!opts.cpuFiles.length) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'No data files found');
  for (const f of opts.cpuFiles) {
    let st;
    try {
      st = statSync(f);
    } catch (e) {
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Cannot read ${f}`, { cause: e });
    }
    try {
      if (statSync(opts.output).ino === st.ino) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'input and output file are the same');
    } catch (e) {
      if (e instanceof TraceCmdError) throw e;
    }
  }
  const inst = Instance.open(opts.instanceName);
  const layout = pageLayoutOf(inst);
  const clockText = inst.read('trace_clock');
  const cpus = opts.cpuFiles.map((_, i) => i);
  const data: TraceDatBufferInput = {
    name: '',
    clock: currentClock(clockText),
    cpus: opts.cpuFiles.map((p, cpu) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(p) } })),
  };
  const size = await writeTraceFile(opts.output, collectMetadata(Instance.top()), [data], {
    fileVersion: opts.fileVersion,
    compression: opts.compression,
    traceClock: clockText,
    uname: unameString(),
    cpuCount: recordingCpuCount(cpus),
    pageSize: layout.pageSize,
  });
  return { output: opts.output, size };
}
