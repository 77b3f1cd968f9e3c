// Public API of @utp/tracecmd (Node only): record / extract / stream as a library.
export { TraceCmdError, TraceCmdErrorCode } from './errors.js';
export { RecordSession, DEFAULT_RECORD_OPTIONS, currentClock } from './record-session.js';
export type { RecordOptions, RecordResult, CpuResult, EventSpec } from './record-session.js';
export { CpuDrain, CpuSink, fileChunks, pageLayoutOf, pageCommit, fullCommitOf } from './cpu-drain.js';
export type { CpuDrainOptions, PageLayout, PageSource } from './cpu-drain.js';
export { SpliceDrain, DEFAULT_SPLICE_DRAIN_OPTIONS, rotatePagesFor } from './splice-drain.js';
export { parseProcMaps, readProcAddrMaps, procMapsOption } from './proc-maps.js';
export type { ProcAddrMap, ProcAddrMaps } from './proc-maps.js';
export { ProcMapTracer } from './procmap-tracer.js';
export type { SpliceDrainOptions } from './splice-drain.js';
export { collectMetadata, unameString } from './metadata.js';
export { writeTraceFile, writeTraceDatFile, compressorFor, userLongSize, UTP_VERSION_STRING, DEFAULT_OUTPUT } from './write-output.js';
export type { CompressionName, OutputOptions } from './write-output.js';
export { zstdCompressor } from './zstd-compressor.js';
export { FileSink } from './file-sink.js';
export { extractTrace, extractTargets, checkExtractPlugin, DEFAULT_EXTRACT_OPTIONS } from './extract.js';
export type { ExtractOptions, ExtractTraceOption, ExtractResult, ExtractBufferResult } from './extract.js';
export * from './local/index.js';
export { restoreTrace } from './restore.js';
export type { RestoreOptions } from './restore.js';
export { convertTraceDat, openForCopy, DEFAULT_CONVERT_DAT_OPTIONS } from './convert-dat.js';
export type { ConvertDatOptions } from './convert-dat.js';
export { splitTrace, DEFAULT_SPLIT_OPTIONS } from './split.js';
export type { SplitOptions, SplitUnit } from './split.js';
export {
  setTracing,
  emptySetInstance,
  ftraceEnabled,
  emptyInstanceSetup,
  resolveEvents,
  setFunctionTrace,
  disableFtrace,
  setCmdlinesSize,
  applyFunctionLists,
  applyOptions,
  applyMaxGraphDepth,
} from './set.js';
export type { SetOptions, SetInstanceSpec, SetEventSpec, InstanceSetup, BeforeChange, SetupContext } from './set.js';
export { RecordDatWriter } from './record-writer.js';
export type { RecordDatWriterOptions } from './record-writer.js';
