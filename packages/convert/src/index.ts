// Public API of @utp/convert: utp convert's sinks over @utp/model's unified event stream.
export { ByteOut } from './out-buffer.js';
export type { ByteSink } from './out-buffer.js';
export { ChromeJsonWriter, writeChromeJson, usText, CPU_PID, cpuTid, idleTid } from './chrome-json.js';
export type { ChromeJsonOptions, ChromeJsonResult, ConvertResult } from './chrome-json.js';
export { PerfettoWriter, writePerfetto } from './perfetto.js';
export type { PerfettoOptions, PerfettoResult } from './perfetto.js';
export { TYPED_EVENTS, GENERIC } from './perfetto-events.js';
export type { TypedEvent, ProtoType } from './perfetto-events.js';
export { ProtoWriter } from './proto-writer.js';
export { PID_LIMIT } from './tasks.js';
