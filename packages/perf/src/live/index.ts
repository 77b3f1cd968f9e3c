/// <reference types="node" />
// @utp/perf/live: perf's live half (Node only; the libperf role). docs/api-map.md maps libperf's C calls here.
export { CpuMap, ThreadMap, parseCpuList } from './maps.js';
export { Evsel, Evlist, Mmap, encodeAttr, perfEventParanoid, closeAllLive } from './evlist.js';
export type { CountsValues, EvselOptions } from './evlist.js';
export { parseEvents, tracepointId, eventsDir } from './events.js';
export type { EventSpec } from './events.js';
export { LiveError, LiveErrorCode } from './errors.js';
export { childrenRusage, clockNs, clockResNs } from './sys.js';
export { tscConversion } from './tsc.js';
export type { TscConversion } from './tsc.js';
export { hostFeatures, tracingDataFor, kernelMmap, allPids, synthesizeProcess } from './record-host.js';
