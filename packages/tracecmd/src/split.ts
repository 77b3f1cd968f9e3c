/**
 * trace-cmd split as a library: cuts a trace.dat into smaller trace.dat files by time window
 * (`start`/`end`), by a count of seconds, milliseconds, microseconds, events or pages, once
 * (OUT.1) or repeatedly (OUT.0001, OUT.0002, …), over all CPUs in time order or per CPU. The kept
 * records are packed into new pages (PagePacker); the metadata is copied, the file version and
 * compression are the input's.
 *
 * Where trace-cmd 3.1.6 differs (docs/trace-cmd-compat.md, split): it splits the top buffer only
 * (a file whose data is in instance buffers gives empty files) — utp splits every buffer, the
 * records of all buffers merged as report merges them; with a start time before a CPU's first
 * page it writes that CPU's first record twice — utp once; `-r` with an end time stops after the
 * first file — utp goes on to the end time.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  PagePacker,
  readTraceDatContent,
  zlibCompressor,
  type CpuStream,
  type Decompressor,
  type TraceDatBufferInput,
} from '@utp/tracedat';
import { fileChunks } from './cpu-drain.js';
import { openForCopy } from './convert-dat.js';
import { writeTraceDatFile } from './write-output.js';
import { zstdCompressor } from './zstd-compressor.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export type SplitUnit = 'seconds' | 'msecs' | 'usecs' | 'events' | 'pages';

export interface SplitOptions {
  input: string;
  /** Output base name (default: the input's): OUT.1, or OUT.0001… with `repeat`. */
  output: string | undefined;
  /** Keep records at or after this time (ns; 0n: from the beginning). */
  startNs: bigint;
  /** Keep records at or before this time (ns; 0n: to the end). */
  endNs: bigint;
  /** Split by this many units (undefined: one part from start to end). */
  by: { unit: SplitUnit; count: number } | undefined;
  /** Write parts until the end (-r). */
  repeat: boolean;
  /** Count per CPU (-c; always for pages). */
  perCpu: boolean;
  /** Only this CPU (-C). */
  cpu: number | undefined;
  decompressors: Partial<Record<string, Decompressor>>;
}

export const DEFAULT_SPLIT_OPTIONS: Readonly<Omit<SplitOptions, 'input'>> = Object.freeze({
  output: undefined,
  startNs: 0n,
  endNs: 0n,
  by: undefined,
  repeat: false,
  perCpu: false,
  cpu: undefined,
  decompressors: {},
});

const UNIT_NS: Record<string, bigint> = { seconds: 1_000_000_000n, msecs: 1_000_000n, usecs: 1_000n };

interface Slot {
  buffer: number;
  cpu: number;
  stream: CpuStream;
}

/** One output file's pages, spilled to a temp file per (buffer, CPU). */
class PartFiles {
  readonly files = new Map<string, { path: string; fd: number; pages: number }>();
  constructor(private readonly base: string) {}
  emit(buffer: number, cpu: number, page: Uint8Array): void {
    const key = `${buffer}.${cpu}`;
    let f = this.files.get(key);
    if (!f) {
      const path = `${this.base}.${key}`;
      f = { path, fd: openSync(path, 'w', 0o600), pages: 0 };
      this.files.set(key, f);
    }
    let o = 0;
    while (o < page.length) o += writeSync(f.fd, page, o, page.length - o);
    f.pages++;
  }
  close(): void {
    for (const f of this.files.values()) {
      if (f.fd >= 0) closeSync(f.fd);
      f.fd = -1;
    }
  }
  remove(): void {
    for (const f of this.files.values()) {
      try {
        unlinkSync(f.path);
      } catch {
        /* already gone */
      }
    }
  }
}

async function advance(s: CpuStream): Promise<boolean> {
  const r = s.advance();
  return typeof r === 'boolean' ? r : await r;
}

/** Splits `input`; resolves to the files written, in order. */
export async function splitTrace(o: Partial<SplitOptions> & { input: string }): Promise<string[]> {
  const opts: SplitOptions = { ...DEFAULT_SPLIT_OPTIONS, ...o };
  if (opts.by && (!Number.isInteger(opts.by.count) || opts.by.count <= 0))
    throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Units must be greater than 0');
  if (opts.endNs && opts.endNs < opts.startNs) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'Error: end is less than start');
  const perCpu = opts.perCpu || opts.by?.unit === 'pages' || opts.cpu !== undefined;
  const td = await openForCopy(opts.input, opts.decompressors, { exactPages: false });
  try {
    if (td.isLatency) throw new TraceCmdError(TraceCmdErrorCode.BadOption, 'trace-cmd split does not work with latency traces');
    const content = readTraceDatContent(td, opts.decompressors);
    const compression =
      td.version < 7 || td.compression === 'none' ? null : td.compression === 'zlib' ? zlibCompressor() : await zstdCompressor();
    const longSize = td.headerPage?.commitSize ?? td.userLongSize;
    const pageSize = td.pageSize;
    // streams of every buffer, top first (as the content lists them)
    const handles = td.handles();
    const slots: Slot[] = [];
    handles.forEach((h, bi) => {
      h.streams.forEach((s, cpu) => {
        if (s && (opts.cpu === undefined || opts.cpu === cpu)) slots.push({ buffer: bi, cpu, stream: s });
      });
    });
    for (const s of slots) await advance(s.stream);
    const names = handles.map((h) => h.buffer?.name ?? '');
    const clocks = handles.map((h, i) => h.buffer?.clock ?? content.buffers[i]?.clock ?? 'local');

    const out = opts.output ?? opts.input;
    const written: string[] = [];
    let startNs = opts.startNs;
    let n = 1;
    for (;;) {
      const file = opts.repeat ? `${out}.${String(n++).padStart(4, '0')}` : `${out}.1`;
      const parts = new PartFiles(join(dirname(file), `.tmp.${basename(file)}.utp-${process.pid}`));
      let wroteAny = false;
      try {
        const groups = perCpu ? slots.map((s) => [s]) : [slots];
        for (const g of groups) {
          const packers = new Map<Slot, PagePacker>();
          for (const s of g)
            packers.set(
              s,
              new PagePacker({
                pageSize,
                longSize,
                littleEndian: td.littleEndian,
                emit: (p) => parts.emit(s.buffer, s.cpu, p),
              }),
            );
          if (startNs) for (const s of g) while (s.stream.has && s.stream.rec.ts < startNs) await advance(s.stream);
          let base = startNs;
          let count = 0;
          let pages = 0;
          for (;;) {
            let pick: Slot | undefined;
            for (const s of g) {
              if (!s.stream.has) continue;
              if (!pick || s.stream.rec.ts < pick.stream.rec.ts) pick = s;
            }
            if (!pick) break;
            const rec = pick.stream.rec;
            const ts = rec.ts;
            if (opts.endNs && ts > opts.endNs) break;
            if (count === 0 && !base) base = ts;
            const by = opts.by;
            if (count > 0 && by) {
              if (by.unit === 'events' && count >= by.count) break;
              const unit = UNIT_NS[by.unit];
              if (unit !== undefined && ts > base + BigInt(by.count) * unit) break;
            }
            const packer = packers.get(pick)!;
            if (packer.needsPage(rec)) {
              if (by?.unit === 'pages' && ++pages > by.count) break;
              packer.newPage(rec);
            }
            packer.add(rec);
            count++;
            wroteAny = true;
            await advance(pick.stream);
          }
          for (const p of packers.values()) p.finish();
        }
        parts.close();
        const buffers: TraceDatBufferInput[] = names.map((name, bi) => ({
          name,
          clock: clocks[bi]!,
          pageSize,
          cpus: [...parts.files.entries()]
            .filter(([k]) => Number(k.split('.')[0]) === bi)
            .map(([k, f]) => ({ cpu: Number(k.split('.')[1]), data: { [Symbol.iterator]: () => fileChunks(f.path) } })),
        }));
        writeTraceDatFile(file, content.meta, buffers, {
          version: td.version === 6 ? 6 : 7,
          compression,
          littleEndian: td.littleEndian,
          longSize: td.userLongSize,
          pageSize,
          cpuCount: content.cpuCount,
        });
      } finally {
        parts.close();
        parts.remove();
      }
      written.push(file);
      if (!opts.repeat) break;
      startNs = 0n;
      const more = slots.some((s) => s.stream.has && (!opts.endNs || s.stream.rec.ts <= opts.endNs));
      if (!wroteAny || !more) break;
    }
    return written;
  } finally {
    await td.close();
  }
}
