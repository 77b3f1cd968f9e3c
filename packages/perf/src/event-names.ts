import type { PerfEventAttr } from './attr.js';
import { AttrType } from './constants.js';

const HW = [
  'cycles',
  'instructions',
  'cache-references',
  'cache-misses',
  'branches',
  'branch-misses',
  'bus-cycles',
  'stalled-cycles-frontend',
  'stalled-cycles-backend',
  'ref-cycles',
];
const SW = [
  'cpu-clock',
  'task-clock',
  'page-faults',
  'context-switches',
  'cpu-migrations',
  'minor-faults',
  'major-faults',
  'alignment-faults',
  'emulation-faults',
  'dummy',
  'bpf-output',
  'cgroup-switches',
];

/** The name perf gives an attr without an event_desc (evsel__name for the generic types). */
export function eventName(a: PerfEventAttr): string {
  const c = Number(a.config);
  if (a.type === AttrType.Hardware && c < HW.length) return HW[c]!;
  if (a.type === AttrType.Software && c < SW.length) return SW[c]!;
  if (a.type === AttrType.Tracepoint) return `unknown tracepoint ${c}`;
  return `raw 0x${a.config.toString(16)}`;
}
