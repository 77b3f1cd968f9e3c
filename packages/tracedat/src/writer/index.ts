// The trace.dat v6/v7 writer (universal).
export { writeTraceDat, WriterErrorCode } from './trace-dat-writer.js';
export type { TraceDatMetadata, TraceDatBufferInput, TraceDatCpuInput, TraceDatWriteOptions, Text } from './trace-dat-writer.js';
export { MemorySink } from './write-sink.js';
export type { WriteSink } from './write-sink.js';
export { zlibCompressor } from './compressor.js';
export type { Compressor } from './compressor.js';
