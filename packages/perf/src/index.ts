// Public API of @utp/perf. Reader half (universal); the live half (perf_event_open) adds its exports below.
export { PerfData, isPerfData, zstdStreamDecoder } from './perf-data.js';
export type { PerfDataOptions, PerfEvent, PerfEvsel, Decompressor } from './perf-data.js';
export { parseAttr, attrFlag, sampleIdSize, sampleIdPos, trailerIdPos, readSize, AttrFlag } from './attr.js';
export type { PerfEventAttr } from './attr.js';
export { parseSample, parseSampleId, emptySample } from './sample.js';
export type { PerfSample } from './sample.js';
export { parseFeature, parseBuildIds, emptyFeatures } from './features.js';
export type { PerfFeatures, EventDesc, BuildIdEntry, NrCpus, NumaNode, CacheLevel, CompressedInfo, ClockData } from './features.js';
export { loadTracingData } from './tracing-data.js';
export type { TracingDataInfo } from './tracing-data.js';
export { eventName } from './event-names.js';
export { RecordType, RECORD_NAMES, SampleType, ReadFormat, Feature, FEATURE_NAMES, Misc, AttrType, CallchainContext } from './constants.js';
export { PerfError, PerfErrorCode, PerfDiagnostic } from './errors.js';
export { demangle } from './demangle.js';
// live half (perf_event_open through koffi, Node only): the ./live subpath export (src/live/), kept out of this entry
export { PerfDataWriter, PerfMemorySink, encodeFileAttr, encodeBuildIds, PERF_ATTR_SIZE } from './perf-data-writer.js';
export type { PerfWriteSink, WriterEvsel, WriterFeatures } from './perf-data-writer.js';
export { encodeComm, encodeMmap, encodeMmap2, encodeTask, encodeSample, encodeTracingData } from './perf-records.js';
export type { Mmap2Fields, SampleFields, TracingDataInput } from './perf-records.js';
