// Public API of @utp/model: the unified event stream, its trace.dat and perf.data sources, the columnar model.
export * from './event-stream.js';
export { TraceDatSource } from './tracedat-source.js';
export { LiveFeed } from './live-feed.js';
export type { TraceDatSourceOptions } from './tracedat-source.js';
export { PerfDataSource } from './perfdata-source.js';
export type { PerfDataSourceOptions } from './perfdata-source.js';
export { EventStore, lowerBoundBy, lowerBoundI32 } from './event-store.js';
export { Intervals, Strings } from './intervals.js';
export { Analyses, TaskState, stateName } from './analyses.js';
export { TraceModel, Timeline } from './trace-model.js';
export type { Bins, EventColumns, FilterSpec, LoadOptions, Stats } from './trace-model.js';
export { CtfSource, ROW_BITS } from './ctf-source.js';
export type { CtfSourceOptions, CtfSkeleton } from './ctf-source.js';
export { FtraceTextSource } from './ftrace-text-source.js';
export type { FtraceTextSourceOptions } from './ftrace-text-source.js';
export { SelectSource, selects } from './select-source.js';
export type { Selection } from './select-source.js';
