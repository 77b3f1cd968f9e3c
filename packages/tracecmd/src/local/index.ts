// trace-cmd's local (tracefs) subcommands as library calls: list, stat, show.
export { statReport, optionLines } from './stat.js';
export type { StatOptions } from './stat.js';
export { listReport, pluginFiles, partialOutput } from './list.js';
export type { ListOptions } from './list.js';
export { SHOW_FILE_FLAGS, showInstanceFile, showInstanceDir, showPath, showEventFile } from './show.js';
export type { ShowTarget } from './show.js';
export { breToRegExp } from './posix-regex.js';
export { countCpus, strstrip } from './tracefs-read.js';
export { tracingTargets, setTracingOn, clearBuffers, snapshot, stackTracer, checkEvents } from './control.js';
export type { Targets, SnapshotOptions, CheckEventsResult } from './control.js';
export { pluginOptionsReport } from './plugin-options.js';
