/// <reference types="node" />
/**
 * What a CTF written by `utp convert` keeps of its trace.dat beyond the events, so that it converts
 * back exactly (docs/convert.md, "CTF → trace.dat"): two hidden files in the CTF directory, which
 * babeltrace2 ignores (it skips names starting with '.'):
 * - `.utp-tracedat.dat`: the original trace.dat without its event data (a v7 file, zstd, written by
 *   the trace.dat writer: header_page/header_event, every format, kallsyms, printk, cmdlines, the options —
 *   uname, trace clock, DATE/OFFSET, CPU stats… — and the buffers with no CPU data);
 * - `.utp-tracedat.json`: `{ "utpTracedat": 1, version, compressed, streams: [{name, buffer, cpu}],
 *   unknownLosses: [{stream, index}] }` — which buffer and CPU each CTF stream file is, and where
 *   the losses of unknown size were (CTF 1.8 can only count known ones).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySink, OptionId, readTraceDatContent, writeTraceDat, type Compressor, type Decompressor, type TraceDat } from '@utp/tracedat';
import type { TraceDatToCtfResult } from '@utp/ctf';

export const SKELETON_DAT = '.utp-tracedat.dat';
export const SKELETON_JSON = '.utp-tracedat.json';

export interface SkeletonInfo {
  utpTracedat: 1;
  version: 6 | 7;
  compressed: boolean;
  streams: Array<{ name: string; buffer: string; cpu: number }>;
  unknownLosses: Array<{ stream: string; index: number }>;
}

/** The skeleton trace.dat of `td` (no CPU data) and its JSON, as bytes. */
export function makeSkeleton(
  td: TraceDat,
  r: TraceDatToCtfResult,
  decompressors: Partial<Record<string, Decompressor>>,
  compression: Compressor | null,
): { dat: Uint8Array; json: string } {
  const c = readTraceDatContent(td, decompressors);
  const sink = new MemorySink();
  const version = td.version === 6 ? 6 : 7;
  // always v7 (compressed: kallsyms is most of it); the version to write back is in the JSON
  writeTraceDat(
    sink,
    c.meta,
    (c.buffers.length ? c.buffers : [{ name: '', clock: td.traceClock ?? 'local', pageSize: td.pageSize }]).map((b) => ({
      name: b.name,
      clock: b.clock,
      pageSize: b.pageSize,
      cpus: [],
    })),
    {
      version: 7,
      compression,
      littleEndian: td.littleEndian,
      longSize: td.userLongSize,
      pageSize: td.pageSize,
      cpuCount: c.cpuCount,
      // the CTF holds converted times: TSC2NSEC is not kept
      extraOptions: c.options.filter((o) => o.id !== OptionId.Tsc2Nsec),
    },
  );
  const info: SkeletonInfo = {
    utpTracedat: 1,
    version,
    compressed: td.version >= 7 && td.compression !== 'none',
    streams: r.streamInfo.map((s) => ({ name: s.name, buffer: s.buffer, cpu: s.cpu })),
    unknownLosses: r.unknownLossAt,
  };
  return { dat: sink.finish().slice(), json: JSON.stringify(info) + '\n' };
}

/** Writes the skeleton files into `dir` (the CTF's temporary directory). */
export function writeSkeletonFiles(dir: string, s: { dat: Uint8Array; json: string }): void {
  writeFileSync(join(dir, SKELETON_DAT), s.dat);
  writeFileSync(join(dir, SKELETON_JSON), s.json);
}

/** Reads the skeleton beside a CTF trace; throws a one-line error when it is not there. */
export function readSkeletonFiles(dir: string): { skeletonPath: string; info: SkeletonInfo } {
  const dat = join(dir, SKELETON_DAT),
    json = join(dir, SKELETON_JSON);
  if (!existsSync(dat) || !existsSync(json))
    throw new Error(
      `${dir}: this CTF trace was not written by utp convert (no ${SKELETON_DAT}): only those convert to trace.dat (the tracefs formats are not in CTF)`,
    );
  let info: SkeletonInfo;
  try {
    info = JSON.parse(readFileSync(json, 'utf8')) as SkeletonInfo;
  } catch (e) {
    throw new Error(`${json}: cannot read it: ${(e as Error).message}`);
  }
  if (info.utpTracedat !== 1 || !Array.isArray(info.streams))
    throw new Error(`${json}: not a utp trace.dat skeleton description (version ${String(info.utpTracedat)})`);
  info.unknownLosses ??= [];
  return { skeletonPath: dat, info };
}
