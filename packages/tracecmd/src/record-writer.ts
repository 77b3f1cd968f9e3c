/**
 * A trace.dat written from records (`utp convert` from CTF, perf.data, or a filtered trace.dat):
 * each record goes into new ring-buffer pages of its (buffer, CPU) (PagePacker, as split packs
 * them), the pages are spilled to temporary files next to the output, and `finish()` hands them
 * with the metadata and options to the trace.dat writer (temp file + rename).
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PagePacker, type Compressor, type TraceDatBufferInput, type TraceDatMetadata } from '@utp/tracedat';
import type { KRecord } from '@utp/traceevent';
import { fileChunks } from './cpu-drain.js';
import { writeTraceDatFile } from './write-output.js';

export interface RecordDatWriterOptions {
  output: string;
  meta: TraceDatMetadata;
  /** Options copied verbatim (uname, clock, DATE/OFFSET, …). */
  options: ReadonlyArray<{ id: number; data: Uint8Array }>;
  version: 6 | 7;
  compression: Compressor | null;
  littleEndian: boolean;
  /** User-space sizeof(long) (file header). */
  userLongSize: number;
  /** Kernel long size (header_page's commit field). */
  longSize: number;
  pageSize: number;
  cpuCount: number;
  /** The buffers, top ('') first. */
  buffers: ReadonlyArray<{ name: string; clock: string }>;
}

export class RecordDatWriter {
  private readonly files = new Map<string, { path: string; fd: number; buffer: number; cpu: number }>();
  private readonly packers = new Map<string, PagePacker>();
  /** Records written. */
  count = 0;
  private readonly base: string;

  constructor(private readonly o: RecordDatWriterOptions) {
    this.base = join(dirname(o.output), `.${basename(o.output)}.pages-${process.pid}`);
  }

  /** Adds `rec` (its ts is the value stored in the file, before DATE/OFFSET) to buffer `buffer`. */
  add(buffer: number, rec: KRecord): void {
    const key = `${buffer}.${rec.cpu}`;
    let p = this.packers.get(key);
    if (!p) {
      const path = `${this.base}.${key}`;
      const f = { path, fd: openSync(path, 'w', 0o600), buffer, cpu: rec.cpu };
      this.files.set(key, f);
      p = new PagePacker({
        pageSize: this.o.pageSize,
        longSize: this.o.longSize,
        littleEndian: this.o.littleEndian,
        emit: (page) => {
          let n = 0;
          while (n < page.length) n += writeSync(f.fd, page, n, page.length - n);
        },
      });
      this.packers.set(key, p);
    }
    if (p.needsPage(rec)) p.newPage(rec);
    p.add(rec);
    this.count++;
  }

  /**
   * Writes the trace.dat (temp file + rename) and removes the page files. Returns its size.
   * `cpuCount`: at least this many CPUs (a source that learns its count while read).
   */
  finish(cpuCount = 0): number {
    try {
      for (const p of this.packers.values()) p.finish();
      this.closeFiles();
      const cpus = Math.max(cpuCount, this.o.cpuCount, 1, ...[...this.files.values()].map((f) => f.cpu + 1));
      const buffers: TraceDatBufferInput[] = this.o.buffers.map((b, bi) => ({
        name: b.name,
        clock: b.clock,
        pageSize: this.o.pageSize,
        cpus: [...this.files.values()]
          .filter((f) => f.buffer === bi)
          .sort((a, b) => a.cpu - b.cpu)
          .map((f) => ({ cpu: f.cpu, data: { [Symbol.iterator]: () => fileChunks(f.path) } })),
      }));
      return writeTraceDatFile(this.o.output, this.o.meta, buffers, {
        version: this.o.version,
        compression: this.o.compression,
        littleEndian: this.o.littleEndian,
        longSize: this.o.userLongSize,
        pageSize: this.o.pageSize,
        cpuCount: cpus,
        extraOptions: this.o.options,
      });
    } finally {
      this.abort();
    }
  }

  /** Removes the page files (on error, or after finish). */
  abort(): void {
    this.closeFiles();
    for (const f of this.files.values()) {
      try {
        unlinkSync(f.path);
      } catch {
        /* already gone */
      }
    }
    this.files.clear();
  }

  private closeFiles(): void {
    for (const f of this.files.values()) {
      if (f.fd >= 0) closeSync(f.fd);
      f.fd = -1;
    }
  }
}
