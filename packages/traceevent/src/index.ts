// Public API of @utp/traceevent (the libtraceevent role): an explicit list. What is not
// here (the print engine's closures, OutBuffer's put* digit writers, parsers' internals)
// may change without notice.

// core types
export { FieldFlag } from './core/types.js';
export type { Field, TraceRecord, Diagnostic, DiagnosticHandler, FunctionSymbol } from './core/types.js';
export type { EventFormat, TepField } from './core/event-format.js';
// output buffer the emitters write into (report-style printing)
export { OutBuffer, makeChunk } from './core/out-buffer.js';
export type { Chunk } from './core/out-buffer.js';
// ring-buffer sub-buffers
export { parseHeaderPage } from './ring/header-page.js';
export type { HeaderPage } from './ring/header-page.js';
export { KBuffer, KBufferType, KRecord } from './ring/kbuffer.js';
export type { KBufferOptions, KBufferRawEvent } from './ring/kbuffer.js';
// the handle
export { Tep, TepErrorCode, bytesToLatin1 } from './tep/tep.js';
export type { PrintMode, EventHandler, PrintFunction } from './tep/tep.js';
export type { EmitFn } from './print/emit/print-emit.js';
// the report line
export { LinePrinter, formatTime, eventNameColumn, latencyFlags } from './line/print-line.js';
export type { LineOptions } from './line/print-line.js';
// plugins
export { DEFAULT_PLUGIN_OPTIONS, applyPluginOption, pluginOptionsFromArgs, loadPlugins, formatFuncRepeatTime } from './plugins/index.js';
export type { PluginOptions, FuncRepeatTimeFormat, FgraphLookahead } from './plugins/index.js';
// filters (trace-cmd report -F)
export { EventFilter, CompiledEventFilter, FilterErrorCode, FilterParser, breToRegExp } from './filter/index.js';
export type { FilterMatchResult, FilterNode } from './filter/index.js';
