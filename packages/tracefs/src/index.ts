// Public API of @utp/tracefs (Node only): the libtracefs role.
export { TraceFsError, TraceFsErrorCode } from './errors.js';
export type { TraceFsErrorOptions } from './errors.js';
export { tracingDir, tracingUnavailableReason } from './paths.js';
export type { FindTracefsOptions } from './paths.js';
export { readTraceFile, readWholeFile, writeTraceFile, lastErrorLogEntry } from './tracefs-file.js';
export type { WriteOptions } from './tracefs-file.js';
export { globToRegExp, globMatch } from './glob.js';
export { Instance, parseCpuStats } from './instance.js';
export type { EventName, CpuStats } from './instance.js';
export { elfSymbols, elfSymbolOffset, elfVaddrToOffset } from './elf-symbols.js';
export type { ElfSymbol } from './elf-symbols.js';
export {
  listDynamicEvents,
  createUprobe,
  createKprobe,
  createEprobe,
  createSynthetic,
  removeDynamicEvent,
  removeDynamicEventsOfGroup,
  parseUprobeSpec,
  utpGroup,
  syntheticCommandFile,
} from './dynamic-events.js';
export type { DynamicEvent, DynamicEventKind, UprobeSpec } from './dynamic-events.js';
export { CpuReader, Waiter, readTracePipe } from './cpu-reader.js';
export { CpuSplice, WakePipe, pollSync, truncateFd, setThreadFifoPriority } from './cpu-splice.js';
export { parseCpuList, configuredCpuCount, recordingCpuCount } from './cpu-count.js';
export {
  createPrivateInstance,
  destroyInstance,
  sweepStale,
  pidAlive,
  ownerPid,
  ownerOf,
  ownerAlive,
  ownedBySelf,
  procStartTime,
  selfStartTime,
  ownerToken,
} from './private-instance.js';
export type { SweepResult, Owner } from './private-instance.js';
export { acquireSharedInstance, sharedInstanceUsers, runDir } from './shared-instance.js';
export type { SharedInstance } from './shared-instance.js';
export { traceFsState, diffTraceFsState } from './tracefs-state.js';
export { subbufSizeRefusal } from './refusals.js';
export type { TraceFsState, DiffOptions } from './tracefs-state.js';
