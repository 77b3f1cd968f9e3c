/**
 * trace-cmd 3.1.6's page-size rules that decide what it reads: the page size of each input
 * handle, and the handles its setup rejects (a first page whose commit exceeds that size).
 * The page walk itself (bad page offset / bad page read) is in cpu-stream.ts, the (virtual)
 * offsets in page-layout.ts.
 */
import type { ByteSource } from '@utp/bytes';
import type { Decompressor } from './decompress.js';
import type { CpuPlace } from './page-layout.js';
import { readFully } from './read-fully.js';
import type { TraceDatBuffer } from './types.js';

/** trace-cmd's page size for the handle of buffer `b`: the file header's, except for v7 instances. */
export function handlePageSize(version: number, headerPageSize: number, b: TraceDatBuffer): number {
  return version === 7 && b.name !== '' ? b.pageSize : headerPageSize;
}

export interface InitCheckInput {
  src: ByteSource;
  buffers: TraceDatBuffer[];
  littleEndian: boolean;
  /** The kernel's long (header_page commit size). */
  longSize: number;
  decompressor: Decompressor | undefined;
  pageSizeOf: (b: TraceDatBuffer) => number;
  /** trace-cmd's placement of every buffer's CPUs (needed for compressed data). */
  places: () => Promise<Map<TraceDatBuffer, CpuPlace[]>>;
}

export type InitFailure = { buffer: TraceDatBuffer; cpu: number; commit: number };

/**
 * What trace-cmd 3.1.6's handle setup rejects (init_cpu → update_page_info): it maps the first
 * page of every CPU with data, in CPU order, and fails the whole handle at the first page whose
 * commit is larger than the handle's page size. A failed top handle makes `trace-cmd report`
 * print nothing at all (stderr `failed to init data`, exit status 2); a failed instance handle
 * is left out ("could not retrieve handle NAME", exit 0). One entry per failing buffer (its
 * first bad CPU). Reads one page (compressed: one chunk) per CPU.
 */
export async function initFailures(i: InitCheckInput): Promise<InitFailure[]> {
  const out: InitFailure[] = [];
  const long = i.longSize;
  const places = i.buffers.some((b) => b.compressed) ? await i.places() : undefined;
  for (const b of i.buffers) {
    if (b.latency) continue;
    const ps = i.pageSizeOf(b);
    for (let k = 0; k < b.cpus.length; k++) {
      const c = b.cpus[k]!;
      if (c.size <= 0) continue;
      let head: Uint8Array | undefined;
      if (b.compressed && i.decompressor) {
        const ch = places?.get(b)?.[k]?.table?.chunks[0];
        if (!ch) continue;
        const data = await readFully(i.src, ch.zoffset + 8, ch.zsize);
        try {
          head = i.decompressor(data, ch.size).subarray(0, 16);
        } catch {
          continue;
        }
      } else head = await readFully(i.src, c.offset, 16);
      if (head.length < 8 + long) continue;
      const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const commit = dv.getUint32(long === 8 && !i.littleEndian ? 12 : 8, i.littleEndian) & ((1 << 27) - 1);
      if (commit > ps) {
        out.push({ buffer: b, cpu: c.cpu, commit });
        break;
      }
    }
  }
  return out;
}
