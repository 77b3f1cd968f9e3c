/** Writes a trace.dat from per-CPU page files into a temp file, then renames it into place. */
import { openSync, closeSync, renameSync, unlinkSync, fsyncSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import {
  writeTraceDat,
  zlibCompressor,
  type Compressor,
  type TraceDatMetadata,
  type TraceDatBufferInput,
  type TraceDatWriteOptions,
} from '@utp/tracedat';
import { FileSink } from './file-sink.js';
import { zstdCompressor } from './zstd-compressor.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export type CompressionName = 'none' | 'zlib' | 'zstd' | 'any';

export interface OutputOptions {
  fileVersion: 6 | 7;
  compression: CompressionName;
  traceClock: string;
  uname: string;
  cpuCount: number;
  pageSize: number;
  date?: string;
  /** Options added after the writer's own (PROCMAPS, TSC2NSEC). */
  extraOptions?: ReadonlyArray<{ id: number; data: Uint8Array }>;
  /** A partial file (restore -c): metadata only, no buffers. */
  partial?: boolean;
}

export const DEFAULT_OUTPUT: Readonly<Pick<OutputOptions, 'fileVersion' | 'compression'>> = Object.freeze({
  fileVersion: 7,
  compression: 'any',
});

export async function compressorFor(name: CompressionName, version: 6 | 7): Promise<Compressor | null> {
  if (version === 6) {
    if (name !== 'none' && name !== 'any')
      throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'trace.dat version 6 cannot be compressed', { context: { compression: name } });
    return null;
  }
  if (name === 'none') return null;
  if (name === 'zlib') return zlibCompressor();
  if (name === 'zstd' || name === 'any') return zstdCompressor();
  throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Unknown compression', { context: { compression: name } });
}

/** Node's 32-bit targets; every other `process.arch` is an LP64 target (sizeof(long) = 8). */
const ILP32_ARCHES: ReadonlySet<string> = new Set(['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390']);

/**
 * sizeof(long) of this process, which trace-cmd stores in the file header ("this may not be what
 * the kernel is"; the kernel's long size is the header_page commit size). Readers give it to
 * tep_set_long_size, so it must be the user space's, not a guess: derived from `arch`
 * (default: process.arch).
 */
export function userLongSize(arch: string = process.arch): 4 | 8 {
  return ILP32_ARCHES.has(arch) ? 4 : 8;
}

/** The VERSION option string utp writes. */
export const UTP_VERSION_STRING = 'utp 0.1.0';

/**
 * Writes `out` atomically (temp file in the same directory + rename). Returns the size.
 */
export async function writeTraceFile(
  out: string,
  meta: TraceDatMetadata,
  buffers: TraceDatBufferInput[],
  o: OutputOptions,
): Promise<number> {
  const compression = await compressorFor(o.compression, o.fileVersion);
  return writeTraceDatFile(out, meta, buffers, {
    version: o.fileVersion,
    compression,
    littleEndian: endianness() === 'LE',
    longSize: userLongSize(),
    pageSize: o.pageSize,
    cpuCount: o.cpuCount,
    traceClock: o.traceClock,
    uname: o.uname,
    versionString: UTP_VERSION_STRING,
    traceId: randomBytes(8).readBigUInt64LE(0),
    ...(o.date !== undefined ? { date: o.date } : {}),
    ...(o.extraOptions?.length ? { extraOptions: o.extraOptions } : {}),
    ...(o.partial ? { partial: true } : {}),
  });
}

/** Writes `out` with the writer's own options, atomically (temp file in the same directory + rename). Returns the size. */
export function writeTraceDatFile(out: string, meta: TraceDatMetadata, buffers: TraceDatBufferInput[], opts: TraceDatWriteOptions): number {
  const tmp = `${out}.utp-${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const sink = new FileSink(fd);
    const n = writeTraceDat(sink, meta, buffers, opts);
    sink.flush();
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, out);
    return n;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* */
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* */
    }
    throw new TraceCmdError(TraceCmdErrorCode.Write, 'Cannot write trace file', { cause: e, context: { file: out } });
  }
}
