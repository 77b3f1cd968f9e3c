/// <reference types="node" />
/**
 * `utp report --profile`: the records of every handle in trace-cmd's merge order, after the
 * report's selection (-F, --pid/--comm, --cpu, -I/-S, --align-ts, --ts-check), go to one
 * TraceProfile per buffer instead of being printed; the profiles are printed at the end.
 *
 * trace-cmd 3.1.6 profiles the top buffer of each input and prints them the last input first.
 * It dies ("Handle not found?") at the first record of an instance buffer, and with several inputs
 * it prints each file's name prefix once per record into the output; utp profiles each instance
 * too (after its file's top buffer, under a `buffer: NAME` line) and prints no prefixes.
 */
import type { KRecord } from '@utp/traceevent';
import type { ReportArgs } from './args.js';
import type { Input } from './inputs.js';
import type { Output } from './output.js';
import { printMerged } from './print-loop.js';
import type { PrintSource } from './print-loop.js';
import { buildHandles, firstTopTs } from './print-trace.js';
import type { Handle } from './print-trace.js';
import { TraceProfile } from './profile.js';
import type { ProfileHook } from './profile-hook.js';
import { formatSection, profileSections } from './profile-output.js';

export function profileOptions(args: ReportArgs, hooks: ProfileHook[]) {
  return {
    global: args.global,
    // trace-cmd prepends each -H to its list: the last one given is applied first
    hooks: [...hooks].reverse(),
    onWarning: (m: string) => process.stderr.write(`  ${m}\n`),
  };
}

/** trace_init_profile for an input's top buffer (trace-cmd does it right after the input's `cpus=` line). */
export function initTopProfile(inp: Input, args: ReportArgs, hooks: ProfileHook[]): TraceProfile {
  return new TraceProfile(inp.td.tep, inp.td.cpuCount, profileOptions(args, hooks));
}

export async function runProfile(
  inputs: Input[],
  tops: Map<Input, TraceProfile>,
  args: ReportArgs,
  hooks: ProfileHook[],
  out: Output,
): Promise<void> {
  const handles = buildHandles(inputs, args);
  const profiles = new Map<Handle, TraceProfile>();
  for (const h of handles) {
    const top = h.bufferName === '' ? tops.get(h.input) : undefined;
    profiles.set(h, top ?? new TraceProfile(h.input.td.tep, Math.max(h.streams.length, 1), profileOptions(args, hooks)));
  }
  const sources: Array<PrintSource<Handle>> = handles.map((h) => ({ streams: h.streams, tag: h, tep: h.input.td.tep, entryId: -1 }));
  const cpuSet = args.cpus ? new Set(args.cpus) : undefined;
  const noIrq = args.noIrqs,
    noSoft = args.noSoftirqs;
  const align = args.alignTs ? await firstTopTs(inputs) : 0n;
  const tsCheck = args.tsCheck && !args.quiet;
  let lastTs = 0n;
  let lastH: Handle | undefined;
  let prof: TraceProfile | undefined;
  await printMerged(sources, undefined, (rec: KRecord, h: Handle, slot: number) => {
    const inp = h.input;
    if (inp.filter && !inp.filter(rec)) return;
    if (cpuSet && !cpuSet.has(slot)) return;
    if (noIrq || noSoft) {
      const f = inp.td.tep.flagsOf(rec);
      if (noIrq && f & 0x08) return;
      if (noSoft && f & 0x10) return;
    }
    if (align !== 0n) rec.ts = BigInt.asUintN(64, rec.ts - align);
    if (tsCheck) {
      const ts = rec.ts;
      if (lastTs > ts) {
        const s = (v: bigint) => BigInt.asIntN(64, v).toString();
        process.stderr.write(`  WARNING: Record on cpu ${slot} went backwards: ${s(lastTs)} to ${s(ts)} delta: -${s(lastTs - ts)}\n\n`);
      }
      lastTs = ts;
    }
    if (h !== lastH) {
      lastH = h;
      prof = profiles.get(h)!;
    }
    prof!.addRecord(rec);
  });
  for (let k = inputs.length - 1; k >= 0; k--) {
    for (const h of handles) {
      if (h.input !== inputs[k]) continue;
      const p = profiles.get(h)!;
      const text: string[] = [];
      if (h.bufferName !== '') text.push(`\nbuffer: ${h.bufferName}\n`);
      for (const sec of profileSections(p, args.byComm)) formatSection(p.tep, sec, text);
      for (const t of text) out.write(t);
    }
  }
}
