/// <reference types="node" />
/**
 * The inputs of `utp convert` as streams of trace.dat records (what the trace.dat sink and the
 * filters take): a trace.dat, a CTF trace that `utp convert` wrote (with its trace.dat skeleton,
 * skeleton.ts), or a perf.data's tracepoint samples (their formats from the tracing-data feature).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource } from '@utp/bytes/node';
import { OptionId, TraceDat, readTraceDatContent, type TraceDatMetadata, type Decompressor } from '@utp/tracedat';
import { KRecord, type Tep } from '@utp/traceevent';
import { CtfTrace, ctfToRecords } from '@utp/ctf';
import { Feature, PerfData, RecordType, AttrType } from '@utp/perf';
import { FtraceTextSource } from '@utp/model';
import { readSkeletonFiles } from './skeleton.js';

export type InputKind = 'dat' | 'ctf' | 'perf' | 'text';

export interface RecordSource {
  kind: InputKind;
  tep: Tep;
  meta: TraceDatMetadata;
  /** Options to copy (uname, clocks, DATE/OFFSET…). */
  options: Array<{ id: number; data: Uint8Array }>;
  version: 6 | 7;
  /** The input was compressed (trace.dat v7 compression). */
  compressed: boolean;
  littleEndian: boolean;
  userLongSize: number;
  longSize: number;
  pageSize: number;
  cpuCount: number;
  buffers: Array<{ name: string; clock: string }>;
  /** What trace-cmd report shows = stored timestamp + tsOffset. */
  tsOffset: bigint;
  /** Each record with its stored timestamp (rec.ts) and buffer index. Return false to stop. */
  forEach(cb: (rec: KRecord, buffer: number) => boolean | void): Promise<void>;
  /** Warnings to print once the pass is done. */
  warnings: string[];
  close(): Promise<void>;
}

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The kind of `path` by its content (a directory holding `metadata` is CTF); undefined when unknown. */
export function inputKind(path: string): InputKind | undefined {
  try {
    if (statSync(path).isDirectory()) return existsSync(join(path, 'metadata')) ? 'ctf' : undefined;
    const b = head(path, 10);
    if (b.length >= 10 && b[0] === 0x17 && b[1] === 0x08 && b[2] === 0x44 && b.subarray(3, 10).toString('latin1') === 'tracing')
      return 'dat';
    const m = b.subarray(0, 8).toString('latin1');
    if (m === 'PERFILE2' || m === '2ELIFREP') return 'perf';
    // ftrace text (tracefs's trace / trace_pipe, trace-cmd report's output): by its first line
    if (FtraceTextSource.sniff(head(path, 4096))) return 'text';
  } catch {
    /* unreadable */
  }
  return undefined;
}

/** Options never copied: TSC2NSEC (the records carry converted times). */
const DROP: ReadonlySet<number> = new Set([OptionId.Tsc2Nsec]);

async function openDat(path: string, decompressors: Partial<Record<string, Decompressor>>): Promise<TraceDat> {
  const src = new FileSource(path);
  try {
    return await TraceDat.open(src, { decompressors });
  } catch (e) {
    await src.close();
    throw e;
  }
}

function fromTraceDat(
  td: TraceDat,
  decompressors: Partial<Record<string, Decompressor>>,
  kind: InputKind,
): Omit<RecordSource, 'forEach' | 'close'> {
  const c = readTraceDatContent(td, decompressors);
  return {
    kind,
    tep: td.tep,
    meta: c.meta,
    options: c.options.filter((o) => !DROP.has(o.id)),
    version: td.version === 6 ? 6 : 7,
    compressed: td.version >= 7 && td.compression !== 'none',
    littleEndian: td.littleEndian,
    userLongSize: td.userLongSize,
    longSize: td.headerPage?.commitSize ?? td.userLongSize,
    pageSize: td.pageSize,
    cpuCount: c.cpuCount,
    buffers: c.buffers.length ? c.buffers.map((b) => ({ name: b.name, clock: b.clock })) : [{ name: '', clock: 'local' }],
    tsOffset: td.tsOffset,
    warnings: [],
  };
}

export async function openTraceDatSource(path: string, decompressors: Partial<Record<string, Decompressor>>): Promise<RecordSource> {
  const td = await openDat(path, decompressors);
  try {
    const base = fromTraceDat(td, decompressors, 'dat');
    const index = new Map(base.buffers.map((b, i) => [b.name, i]));
    const off = td.tsOffset;
    return {
      ...base,
      async forEach(cb) {
        await td.forEachRecord((rec, buffer) => {
          // the reader shows stored + DATE/OFFSET; the sink stores the value before them
          if (off !== 0n) rec.ts = rec.ts - off;
          const r = cb(rec, index.get(buffer.name) ?? 0);
          if (off !== 0n) rec.ts = rec.ts + off;
          return r;
        });
      },
      close: () => td.close(),
    };
  } catch (e) {
    await td.close();
    throw e;
  }
}

/** A CTF trace written by `utp convert --to ctf`, with the trace.dat skeleton stored beside it. */
export async function openCtfSource(dir: string, decompressors: Partial<Record<string, Decompressor>>): Promise<RecordSource> {
  const side = readSkeletonFiles(dir);
  const td = await openDat(side.skeletonPath, decompressors);
  try {
    const base = fromTraceDat(td, decompressors, 'ctf');
    base.version = side.info.version;
    base.compressed = side.info.compressed;
    const names = readdirSync(dir).filter((n) => n !== 'metadata' && !n.startsWith('.') && statSync(join(dir, n)).isFile());
    const sources = names.map((n) => ({ name: n, source: new FileSource(join(dir, n)) }));
    const trace = CtfTrace.open(readFileSync(join(dir, 'metadata')), sources, dir);
    const clock = [...trace.tc.clocks.values()][0];
    const clockOff = clock ? clock.offsetS * 1000000000n + clock.offset : 0n;
    const bufIndex = new Map(base.buffers.map((b, i) => [b.name, i]));
    const streams = new Map<string, { buffer: number; cpu: number }>();
    for (const s of side.info.streams) streams.set(s.name, { buffer: bufIndex.get(s.buffer) ?? 0, cpu: s.cpu });
    const unknownLosses = new Map<string, Set<number>>();
    for (const l of side.info.unknownLosses) {
      let set = unknownLosses.get(l.stream);
      if (!set) unknownLosses.set(l.stream, (set = new Set()));
      set.add(l.index);
    }
    const warnings: string[] = [];
    return {
      ...base,
      warnings,
      async forEach(cb) {
        await ctfToRecords(
          trace,
          td.tep,
          {
            tsDelta: clockOff - td.tsOffset,
            streams,
            unknownLosses,
            onDiagnostic: (d) => {
              if (d.code !== 'CTF_DISCARDED') warnings.push(`${dir}: ${d.message}`);
            },
          },
          cb,
        );
      },
      async close() {
        for (const s of sources) await s.source.close();
        await td.close();
      },
    };
  } catch (e) {
    await td.close();
    throw e;
  }
}

/** The metadata blocks of a perf TRACING_DATA blob (the layout of a v6 trace.dat's head). */
function tracingDataMeta(b: Uint8Array): { meta: TraceDatMetadata; le: boolean; longSize: number; pageSize: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = b.indexOf(0, 10) + 1;
  const le = b[p] === 0;
  const longSize = b[p + 1]!;
  const pageSize = dv.getUint32(p + 2, le);
  p += 6;
  const cstr = (): string => {
    const z = b.indexOf(0, p);
    const s = Buffer.from(b.subarray(p, z)).toString('latin1');
    p = z + 1;
    return s;
  };
  const u32 = (): number => {
    const v = dv.getUint32(p, le);
    p += 4;
    return v;
  };
  const u64 = (): number => {
    const v = Number(dv.getBigUint64(p, le));
    p += 8;
    return v;
  };
  const bytes = (n: number): Uint8Array => {
    const x = b.slice(p, p + n);
    p += n;
    return x;
  };
  cstr();
  const headerPage = bytes(u64());
  cstr();
  const headerEvent = bytes(u64());
  const ftraceFormats: Uint8Array[] = [];
  for (let i = u32(); i > 0; i--) ftraceFormats.push(bytes(u64()));
  const systems: TraceDatMetadata['systems'] = [];
  for (let s = u32(); s > 0; s--) {
    const name = cstr();
    const formats: Uint8Array[] = [];
    for (let i = u32(); i > 0; i--) formats.push(bytes(u64()));
    systems.push({ name, formats });
  }
  const kallsyms = bytes(u32());
  const printk = bytes(u32());
  const cmdlines = p + 8 <= b.length ? bytes(u64()) : new Uint8Array(0);
  return { meta: { headerPage, headerEvent, ftraceFormats, systems, kallsyms, printk, cmdlines }, le, longSize, pageSize };
}

/** perf.data: its tracepoint samples (PERF_SAMPLE_RAW) as records; other samples are counted and left out. */
export async function openPerfSource(path: string): Promise<RecordSource> {
  const src = new FileSource(path);
  let pd: PerfData;
  try {
    pd = await PerfData.open(src, {});
  } catch (e) {
    await src.close();
    throw e;
  }
  const blob = pd.features.raw.get(Feature.TracingData);
  if (!blob) {
    await src.close();
    throw new Error(`${path} has no tracing data (recorded without tracepoint events): nothing maps to trace.dat`);
  }
  const t = tracingDataMeta(blob);
  const commit = /field:\s*local_t\s+commit;\s*offset:\d+;\s*size:(\d+);/.exec(
    Buffer.from(t.meta.headerPage as Uint8Array).toString('latin1'),
  );
  const f = pd.features;
  const options: Array<{ id: number; data: Uint8Array }> = [];
  if (f.hostname || f.osRelease)
    options.push({ id: OptionId.Uname, data: Buffer.from(`Linux ${f.hostname ?? ''} ${f.osRelease ?? ''} ${f.arch ?? ''}\0`, 'latin1') });
  const warnings: string[] = [];
  const meta = t.meta;
  let maxCpu = -1;
  const out: RecordSource = {
    kind: 'perf',
    tep: pd.tep,
    meta,
    options,
    version: 7,
    compressed: true,
    littleEndian: t.le,
    userLongSize: t.longSize,
    longSize: commit ? Number(commit[1]) : t.longSize,
    pageSize: t.pageSize,
    cpuCount: f.nrCpus?.available ?? 0,
    buffers: [{ name: '', clock: 'local' }],
    tsOffset: 0n,
    warnings,
    async forEach(cb) {
      const comms = new Map<number, string>();
      const skipped = new Map<string, number>();
      const rec = new KRecord();
      let pad = new Uint8Array(256);
      let stop = false;
      await pd.forEach((ev) => {
        if (stop) return;
        if (ev.type === RecordType.Comm) {
          const tid = ev.view.getUint32(12, pd.littleEndian);
          const z = ev.data.indexOf(0, 16);
          comms.set(tid, Buffer.from(ev.data.subarray(16, z < 0 ? ev.data.length : z)).toString('latin1'));
          return;
        }
        if (ev.type !== RecordType.Sample) return;
        const raw = ev.sample.raw;
        if (!raw || ev.evsel?.attr.type !== AttrType.Tracepoint) {
          const name = ev.evsel?.name ?? 'unknown';
          skipped.set(name, (skipped.get(name) ?? 0) + 1);
          return;
        }
        const size = (raw.length + 3) & ~3;
        let page: Uint8Array = raw;
        if (size !== raw.length || raw.byteOffset % 4 !== 0) {
          if (pad.length < size) pad = new Uint8Array(size * 2);
          pad.set(raw);
          pad.fill(0, raw.length, size);
          page = pad;
        }
        rec.page = page;
        rec.view = new DataView(page.buffer, page.byteOffset, page.byteLength);
        rec.offset = 0;
        rec.size = size;
        rec.cpu = Math.max(0, ev.sample.cpu);
        if (rec.cpu > maxCpu) maxCpu = rec.cpu;
        rec.missedEvents = 0;
        rec.ts = BigInt(Math.max(0, ev.sample.time));
        if (cb(rec, 0) === false) stop = true;
      });
      if (out.cpuCount <= maxCpu) out.cpuCount = maxCpu + 1;
      // saved cmdlines: the tracing data's, then the COMM records' names
      const lines = new Map<number, string>();
      for (const l of Buffer.from(meta.cmdlines as Uint8Array)
        .toString('latin1')
        .split('\n')) {
        const m = /^(\d+) (.*)$/.exec(l);
        if (m) lines.set(Number(m[1]), m[2]!);
      }
      for (const [pid, comm] of comms) lines.set(pid, comm);
      meta.cmdlines = Buffer.from([...lines].map(([p, c]) => `${p} ${c}\n`).join(''), 'latin1');
      const n = [...skipped.values()].reduce((a, b) => a + b, 0);
      if (n)
        warnings.push(`${n} samples of events with no tracefs format left out (${[...skipped].map(([k, v]) => `${k}: ${v}`).join(', ')})`);
    },
    close: async () => src.close(),
  };
  return out;
}
