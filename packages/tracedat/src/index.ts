// Public API of @utp/tracedat.
export * from './writer/index.js';
export { TraceDat } from './trace-dat.js';
export type { TraceDatBuffer, TraceDatCpu, TraceDatOptions, TraceDatSection, RecordCallback } from './types.js';
export { TraceDatError, TraceDatErrorCode, TraceDatDiagnostic } from './errors.js';
export { OptionId, optionString, strtoll } from './options.js';
export type { RawOption } from './options.js';
export { zstdDecompressor, zlibDecompressor, decompressorFor } from './decompress.js';
export type { Decompressor } from './decompress.js';
export { CpuStream } from './cpu-stream.js';
export type { CpuStreamInit, TsAdjust } from './cpu-stream.js';
export { placeHandles } from './page-layout.js';
export type { ChunkInfo, ChunkTable, CpuPlace, HandleInput } from './page-layout.js';
export { mergeRecords, earliestLive } from './merge.js';
export type { RecordSource } from './merge.js';
export { dumpTraceDat, DumpItem } from './dump.js';
export { readTraceDatContent } from './content.js';
export type { TraceDatContent, ContentBuffer, ContentCpu } from './content.js';
export type { DumpInput, DumpOptions } from './dump.js';
