/**
 * Salvage for v7 files cut short: the BUFFER option that holds a buffer's CPU table sits
 * in an options section written after the buffer's data, so a cut file keeps the data
 * but loses the table. Compressed CPU data can be found again: each CPU starts at a
 * page-aligned offset with a chunk count, followed by its chunks.
 */
import type { ByteSource } from '@utp/bytes';
import { readFully } from './read-fully.js';
import type { TraceDatCpu } from './trace-dat.js';

const MAX_CHUNKS = 1 << 24;

/** The CPUs of a compressed BUFFER section body [start, end) (CPU ids in order of appearance). */
export async function recoverCompressedCpus(
  src: ByteSource,
  start: number,
  end: number,
  pageSize: number,
  le: boolean,
): Promise<TraceDatCpu[]> {
  const out: TraceDatCpu[] = [];
  const align = (x: number): number => Math.ceil(x / pageSize) * pageSize;
  let pos = align(start);
  while (pos + 4 <= end) {
    const h = await readFully(src, pos, 4);
    if (h.length < 4) break;
    const n = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, le);
    if (n === 0 || n > MAX_CHUNKS) break;
    let p = pos + 4;
    let ok = 0;
    for (let i = 0; i < n && p + 8 <= end; i++) {
      const c = await readFully(src, p, 8);
      if (c.length < 8) break;
      const dv = new DataView(c.buffer, c.byteOffset, 8);
      const zsize = dv.getUint32(0, le);
      const usize = dv.getUint32(4, le);
      if (usize === 0 || usize > 1 << 30) break;
      p += 8 + zsize;
      ok++;
    }
    if (ok === 0) break;
    out.push({ cpu: out.length, offset: pos, size: Math.min(p, end) - pos });
    if (p >= end) break;
    pos = align(p);
  }
  return out;
}
