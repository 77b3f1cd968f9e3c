/// <reference types="node" />
/** The trace.dat sink of `utp convert`: a record source, selected, into RecordDatWriter. */
import { RecordDatWriter, compressorFor, type CompressionName } from '@utp/tracecmd';
import type { RecordSource } from './sources.js';

export interface DatSinkOptions {
  /** Default: the source's version (7 for perf.data). */
  fileVersion: 6 | 7 | undefined;
  /** Default: 'any' when the source was compressed, else 'none'. */
  compression: CompressionName | undefined;
  select: ((rec: import('@utp/traceevent').KRecord) => boolean) | undefined;
  onProgress: ((records: number) => void) | undefined;
}

export async function writeDat(src: RecordSource, output: string, o: DatSinkOptions): Promise<{ records: number; size: number }> {
  const version = o.fileVersion ?? src.version;
  const compression = await compressorFor(o.compression ?? (version === 7 && src.compressed ? 'any' : 'none'), version);
  const w = new RecordDatWriter({
    output,
    meta: src.meta,
    options: src.options,
    version,
    compression,
    littleEndian: src.littleEndian,
    userLongSize: src.userLongSize,
    longSize: src.longSize,
    pageSize: src.pageSize,
    cpuCount: src.cpuCount,
    buffers: src.buffers,
  });
  const sel = o.select;
  let n = 0;
  let next = 65536;
  try {
    await src.forEach((rec, buffer) => {
      if (sel && !sel(rec)) return;
      w.add(buffer, rec);
      if (++n >= next) {
        next += 65536;
        o.onProgress?.(n);
      }
    });
    // perf.data: the cmdlines and CPU count are known once its records are read
    const size = w.finish(src.cpuCount);
    return { records: n, size };
  } catch (e) {
    w.abort();
    throw e;
  }
}
