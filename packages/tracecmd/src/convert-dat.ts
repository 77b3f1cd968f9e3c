/**
 * trace-cmd convert as a library: a trace.dat rewritten in another file version (6 or 7) and
 * compression (none, zlib, zstd, any), with the same metadata, options and buffers. The CPU data
 * is copied page for page (decompressed and compressed again as needed), so `trace-cmd report`
 * prints the same for both files.
 */
import { statSync } from 'node:fs';
import { FileSource } from '@utp/bytes/node';
import { TraceDat, readTraceDatContent, type TraceDatBufferInput, type Decompressor, type TraceDatOptions } from '@utp/tracedat';
import { compressorFor, writeTraceDatFile, type CompressionName } from './write-output.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export interface ConvertDatOptions {
  input: string;
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
  /** Replacement decompressors by algorithm name (e.g. a WebAssembly zstd). */
  decompressors: Partial<Record<string, Decompressor>>;
}

export const DEFAULT_CONVERT_DAT_OPTIONS: Readonly<Omit<ConvertDatOptions, 'input' | 'output'>> = Object.freeze({
  fileVersion: 7,
  compression: 'any',
  decompressors: {},
});

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a),
      y = statSync(b);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** Opens a trace.dat for copying (metadata parsed, CPU data read on demand). */
export async function openForCopy(
  input: string,
  decompressors: Partial<Record<string, Decompressor>> = {},
  extra: Partial<TraceDatOptions> = {},
): Promise<TraceDat> {
  let src: FileSource;
  try {
    src = new FileSource(input);
  } catch (e) {
    throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Cannot open ${input}`, { cause: e });
  }
  try {
    return await TraceDat.open(src, { ...extra, decompressors });
  } catch (e) {
    await src.close();
    throw e;
  }
}

export async function convertTraceDat(
  o: Partial<ConvertDatOptions> & { input: string; output: string },
): Promise<{ output: string; size: number }> {
  const opts: ConvertDatOptions = { ...DEFAULT_CONVERT_DAT_OPTIONS, ...o };
  if (opts.fileVersion !== 6 && opts.fileVersion !== 7)
    throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Unsupported file version, supported versions are 6 and 7', {
      context: { version: opts.fileVersion },
    });
  if (sameFile(opts.input, opts.output)) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'input and output file are the same');
  const compression = await compressorFor(
    opts.fileVersion === 6 && opts.compression === 'any' ? 'none' : opts.compression,
    opts.fileVersion,
  );
  const td = await openForCopy(opts.input, opts.decompressors);
  try {
    const c = readTraceDatContent(td, opts.decompressors);
    const buffers: TraceDatBufferInput[] = c.buffers.map((b) => ({ name: b.name, clock: b.clock, pageSize: b.pageSize, cpus: b.cpus }));
    const size = writeTraceDatFile(opts.output, c.meta, buffers, {
      version: opts.fileVersion,
      compression,
      littleEndian: td.littleEndian,
      longSize: td.userLongSize,
      pageSize: td.pageSize,
      cpuCount: c.cpuCount,
      extraOptions: c.options,
    });
    return { output: opts.output, size };
  } finally {
    await td.close();
  }
}
