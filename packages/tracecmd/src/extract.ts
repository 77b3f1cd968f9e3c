/**
 * trace-cmd extract as a library: reads what is in ring buffers (consuming it) and writes a
 * trace.dat with every event format, as trace-cmd extract does.
 *
 * Which buffers: the top one alone by default; with `instances` (-B) and/or `allInstances` (-a)
 * those instances, and the top one too only with `top` (-t), as trace-cmd's help describes
 * (trace-cmd 3.1.6 itself always reads the top buffer as well: its trace_extract passes topt=1).
 */
import { dirname, basename, join } from 'node:path';
import { Instance, ownerAlive, recordingCpuCount, sharedInstanceUsers } from '@utp/tracefs';
import type { TraceDatBufferInput } from '@utp/tracedat';
import { CpuDrain, fileChunks, pageLayoutOf } from './cpu-drain.js';
import { collectMetadata, unameString } from './metadata.js';
import { writeTraceFile, type CompressionName } from './write-output.js';
import { currentClock, type CpuResult } from './record-session.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

/** A trace option (`-O NAME` / `-O noNAME`) for one instance (undefined = top). */
export interface ExtractTraceOption {
  instance: string | undefined;
  option: string;
}

export interface ExtractOptions {
  /** One instance (the older single-instance form of `instances`); undefined = top. */
  instanceName: string | undefined;
  /** Instances to read (-B, in order). */
  instances: string[];
  /** Every instance (-a), except those of running utp processes (their data is theirs). */
  allInstances: boolean;
  /** The top buffer too when instances are named (-t). */
  top: boolean;
  /** Read the snapshot buffers (per_cpu/cpuN/snapshot_raw) instead of the ring buffers (-s). */
  snapshot: boolean;
  /** Options set while extracting and put back afterwards (-O). */
  traceOptions: ExtractTraceOption[];
  /** -p: checked against available_tracers (trace-cmd extract does not set it either). */
  plugin: string | undefined;
  output: string;
  fileVersion: 6 | 7;
  compression: CompressionName;
}

export const DEFAULT_EXTRACT_OPTIONS: Readonly<ExtractOptions> = Object.freeze({
  instanceName: undefined,
  instances: [],
  allInstances: false,
  top: false,
  snapshot: false,
  traceOptions: [],
  plugin: undefined,
  output: 'trace.dat',
  fileVersion: 7,
  compression: 'any',
});

export interface ExtractBufferResult {
  /** '' for the top buffer. */
  name: string;
  cpus: CpuResult[];
}

export interface ExtractResult {
  output: string;
  size: number;
  /** The CPUs of the first buffer read. */
  cpus: CpuResult[];
  buffers: ExtractBufferResult[];
  /** Instances -a left alone (a running utp record owns them). */
  skipped: string[];
  /** -O options that were changed for the extract (and put back): `NAME` or `noNAME`, per instance. */
  optionsSet: ExtractTraceOption[];
}

/** Tracers whose trace-cmd files are latency (text) traces, which utp does not write. */
const LATENCY_TRACERS = new Set(['irqsoff', 'preemptoff', 'preemptirqsoff', 'wakeup', 'wakeup_rt']);

/** trace-cmd's check of -p: nop always, else a name in available_tracers. */
export function checkExtractPlugin(plugin: string): void {
  const p = plugin.trim();
  if (p === 'nop') return;
  if (!Instance.top().availableTracers().includes(p))
    throw new TraceCmdError(TraceCmdErrorCode.BadOption, `Plugin '${p}' does not exist (not in available_tracers)`);
  if (LATENCY_TRACERS.has(p))
    throw new TraceCmdError(TraceCmdErrorCode.Refused, `plugin '${p}': latency tracer files (the text of 'trace') are not written by utp`);
}

/** The instances an extract reads, in file order (top first when it is read). */
export function extractTargets(o: Pick<ExtractOptions, 'instanceName' | 'instances' | 'allInstances' | 'top'>): {
  names: Array<string | undefined>;
  skipped: string[];
} {
  const named: string[] = [...(o.instanceName ? [o.instanceName] : []), ...o.instances];
  const skipped: string[] = [];
  if (o.allInstances) {
    for (const n of Instance.list()) {
      if (named.includes(n)) continue;
      if (ownerAlive(n) || sharedInstanceUsers(n).length) skipped.push(n);
      else named.push(n);
    }
  }
  const uniq = [...new Set(named)];
  const withTop = o.top || (!o.allInstances && uniq.length === 0);
  return { names: [...(withTop ? [undefined] : []), ...uniq], skipped };
}

interface OptionChange {
  inst: Instance;
  option: string;
  was: boolean;
}

/** Sets -O options (NAME or noNAME), returning what to put back. */
function applyOptions(opts: ExtractTraceOption[]): OptionChange[] {
  const changes: OptionChange[] = [];
  try {
    for (const { instance, option } of opts) {
      const inst = Instance.open(instance);
      const current = inst.options();
      const on = !(option.startsWith('no') && !(option in current));
      const name = on ? option : option.slice(2);
      if (!(name in current))
        throw new TraceCmdError(TraceCmdErrorCode.BadOption, `no trace option '${name}' in ${inst.file('trace_options')}`);
      if (current[name] !== on) {
        changes.push({ inst, option: name, was: current[name]! });
        inst.write('trace_options', on ? name : `no${name}`);
      }
    }
  } catch (e) {
    restoreOptions(changes);
    throw e;
  }
  return changes;
}
function restoreOptions(changes: OptionChange[]): void {
  for (const c of changes.reverse()) {
    try {
      c.inst.write('trace_options', c.was ? c.option : `no${c.option}`);
    } catch {
      /* the instance went away */
    }
  }
}

export async function extractTrace(options: Partial<ExtractOptions> = {}): Promise<ExtractResult> {
  const o = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  if (o.plugin !== undefined) checkExtractPlugin(o.plugin);
  const { names, skipped } = extractTargets(o);
  const insts = names.map((n) => Instance.open(n));
  const raw = o.snapshot ? 'snapshot_raw' : 'trace_pipe_raw';
  if (o.snapshot) {
    for (const inst of insts) {
      if (!inst.hasFile('snapshot'))
        throw new TraceCmdError(
          TraceCmdErrorCode.Refused,
          `kernel refuses: no snapshot buffer (${inst.file('snapshot')} missing: kernel built without CONFIG_TRACER_SNAPSHOT)`,
        );
    }
  }
  const changes = applyOptions(o.traceOptions);
  const drains: CpuDrain[] = [];
  try {
    const buffers: TraceDatBufferInput[] = [];
    const results: ExtractBufferResult[] = [];
    for (const [k, inst] of insts.entries()) {
      const cpus = inst.cpus();
      const before = new Map(cpus.map((c) => [c, inst.cpuStats(c)]));
      const prefix = join(dirname(o.output), `.${basename(o.output)}.utp-${process.pid}-x${k}`);
      const drain = new CpuDrain(inst, cpus, prefix, pageLayoutOf(inst), { maxSleepMs: 0, raw });
      drains.push(drain);
      drain.drainAll();
      for (const s of drain.sinks) s.flush();
      const bytes = drain.bytesPerCpu();
      const stats: string[] = [];
      const cpuResults: CpuResult[] = cpus.map((c, i) => {
        const s = inst.cpuStats(c);
        stats.push(`CPU: ${c}\n${s.text}`);
        const b = before.get(c)!;
        return { cpu: c, events: s.readEvents - b.readEvents, lost: s.overrun + s.droppedEvents, bytes: bytes[i] ?? 0 };
      });
      const paths = drain.paths();
      buffers.push({
        name: inst.name ?? '',
        clock: currentClock(inst.read('trace_clock')),
        pageSize: drain.pageSize,
        cpuStats: stats,
        cpus: cpus.map((cpu, i) => ({ cpu, data: { [Symbol.iterator]: () => fileChunks(paths[i]!) } })),
      });
      results.push({ name: inst.name ?? '', cpus: cpuResults });
    }
    const first = insts[0] ?? Instance.top();
    // The clock of the buffer read first (trace-cmd extract stores the top instance's even when it
    // reads none of its data, which mislabels an instance recorded with another clock).
    const clockText = first.read('trace_clock');
    if (buffers[0]?.name !== '') buffers.unshift({ name: '', clock: currentClock(clockText), cpus: [] });
    const allCpus = [...new Set(insts.flatMap((i) => i.cpus()))].sort((a, b) => a - b);
    const size = await writeTraceFile(o.output, collectMetadata(first), buffers, {
      fileVersion: o.fileVersion,
      compression: o.compression,
      traceClock: clockText,
      uname: unameString(),
      cpuCount: recordingCpuCount(allCpus),
      pageSize: drains[0]?.pageSize ?? pageLayoutOf(first).pageSize,
    });
    return {
      output: o.output,
      size,
      cpus: results[0]?.cpus ?? [],
      buffers: results,
      skipped,
      optionsSet: changes.map((c) => ({ instance: c.inst.name, option: c.was ? `no${c.option}` : c.option })),
    };
  } finally {
    for (const d of drains) d.dispose(true);
    restoreOptions(changes);
  }
}
