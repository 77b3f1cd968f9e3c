/**
 * trace-cmd restore as a library: a trace.dat from the per-CPU raw-page files a recorder left
 * behind (trace-cmd's `trace.dat.cpuN`, or utp record's `.NAME.utp-PID.cpuN` after a SIGKILL),
 * with this machine's metadata (every event format, kallsyms, printk, cmdlines) as trace-cmd
 * restore takes it. File i is CPU i, in the order given.
 *
 * `createOnly` (-c) writes a partial file instead: that metadata and nothing else, to be taken
 * elsewhere; `input` (-i) takes the metadata (and page size, byte order, long size, and unless
 * given otherwise the version and compression) from such a partial file, as trace-cmd restore -i
 * copies its headers up to the cmdlines.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Instance, recordingCpuCount } from '@utp/tracefs';
import { readTraceDatContent, type Decompressor, type TraceDatBufferInput } from '@utp/tracedat';
import { fileChunks, pageLayoutOf } from './cpu-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { compressorFor, writeTraceDatFile, writeTraceFile, UTP_VERSION_STRING, type CompressionName } from './write-output.js';
import { currentClock } from './record-session.js';
import { openForCopy } from './convert-dat.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export interface RestoreOptions {
  cpuFiles: string[];
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
  /** Instance whose page layout and clock the data has (default: the top). */
  instanceName?: string;
  /** -c: write only the metadata (a partial file); with cpuFiles, as without -c. */
  createOnly?: boolean;
  /** -k (with -c, as trace-cmd uses it): a kallsyms file stored instead of /proc/kallsyms. */
  kallsyms?: string;
  /** -i: a partial file (restore -c) whose metadata the output takes instead of this machine's. */
  input?: string;
  /** With `input`: take its version (and compression) unless these were given. */
  versionGiven?: boolean;
  compressionGiven?: boolean;
  decompressors?: Partial<Record<string, Decompressor>>;
}

const sameFile = (a: string, b: string): boolean => {
  try {
    const x = statSync(a),
      y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
};

export async function restoreTrace(o: Partial<RestoreOptions> & { cpuFiles: string[] }): Promise<{ output: string; size: number }> {
  const opts: RestoreOptions = { output: 'trace.dat', fileVersion: 7, compression: 'any', ...o };
  if (opts.createOnly && opts.input) throw new TraceCmdError(TraceCmdErrorCode.BadOption, '-c and -i are incompatible');
  if (!opts.cpuFiles.length && !opts.createOnly) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'No data files found');
  for (const f of [...opts.cpuFiles, ...(opts.input ? [opts.input] : [])]) {
    try {
      statSync(f);
    } catch (e) {
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Cannot read ${f}`, { cause: e });
    }
    if (sameFile(f, opts.output)) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'input and output file are the same');
  }
  const inst = Instance.open(opts.instanceName);
  const clockText = inst.read('trace_clock');
  const cpus = opts.cpuFiles.map((_, i) => i);
  const data: TraceDatBufferInput = {
    name: '',
    clock: currentClock(clockText),
    cpus: opts.cpuFiles.map((p, cpu) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(p) } })),
  };
  if (opts.input) {
    const head = Buffer.alloc(12);
    const fd = openSync(opts.input, 'r');
    try {
      readSync(fd, head, 0, 12, 0);
    } finally {
      closeSync(fd);
    }
    if (head.subarray(3, 10).toString('latin1') === 'tracing' && head[10] === 0x36 && head[11] === 0)
      throw new TraceCmdError(
        TraceCmdErrorCode.BadOption,
        `${opts.input} is a version 6 partial file: utp restore -i reads version 7 ones (trace-cmd restore -c's default)`,
      );
    const td = await openForCopy(opts.input, opts.decompressors ?? {});
    try {
      const c = readTraceDatContent(td, opts.decompressors ?? {});
      const version = opts.versionGiven ? opts.fileVersion : td.version === 6 ? 6 : 7;
      const compName: CompressionName = opts.compressionGiven
        ? opts.compression
        : version === 6 || !td.compression || td.compression === 'none'
          ? 'none'
          : (td.compression as CompressionName);
      const size = writeTraceDatFile(opts.output, c.meta, [data], {
        version,
        compression: await compressorFor(compName, version),
        littleEndian: td.littleEndian,
        longSize: td.userLongSize,
        pageSize: td.pageSize,
        cpuCount: recordingCpuCount(cpus),
        traceClock: clockText,
        versionString: UTP_VERSION_STRING,
        traceId: randomBytes(8).readBigUInt64LE(0),
      });
      return { output: opts.output, size };
    } finally {
      await td.close();
    }
  }
  const layout = pageLayoutOf(inst);
  const partial = opts.createOnly === true && opts.cpuFiles.length === 0;
  const meta = collectMetadata(Instance.top());
  if (partial && opts.kallsyms !== undefined) {
    try {
      meta.kallsyms = readFileSync(opts.kallsyms);
    } catch (e) {
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Cannot read ${opts.kallsyms}`, { cause: e });
    }
  }
  const size = await writeTraceFile(opts.output, meta, partial ? [] : [data], {
    fileVersion: opts.fileVersion,
    compression: opts.compression,
    traceClock: clockText,
    uname: unameString(),
    cpuCount: recordingCpuCount(cpus.length ? cpus : [0]),
    pageSize: layout.pageSize,
    partial,
  });
  return { output: opts.output, size };
}
