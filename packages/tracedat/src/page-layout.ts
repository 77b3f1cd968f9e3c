/**
 * trace-cmd 3.1.6's view of where each CPU's pages are (trace-input.c, read in memory:
 * INMEMORY_DECOMPRESS). Compressed CPU data gets "virtual" offsets: the top handle starts
 * at the file header's page size and each CPU with data moves the cursor to the next
 * multiple of the handle's page size past its uncompressed size; an instance handle is a
 * copy of the top handle made after the top data was set up, so its first CPU starts where
 * the top handle stopped, but it steps by its own BUFFER page size. get_page() rejects a
 * page offset that is not a multiple of the handle's page size ("bad page offset"), which
 * ends that CPU after its first page. Uncompressed data uses real file offsets with the
 * same check.
 */
import type { ByteSource } from '@utp/bytes';
import { readFully, readFullySync } from './read-fully.js';

/** One compressed chunk: file position of its 8-byte header, and its place in the uncompressed stream. */
export interface ChunkInfo {
  /** File offset of the chunk header (u32 compressed size, u32 uncompressed size). */
  zoffset: number;
  zsize: number;
  /** Offset of the chunk's first byte in the CPU's uncompressed data. */
  offset: number;
  size: number;
}

export interface ChunkTable {
  chunks: ChunkInfo[];
  /** Sum of the uncompressed chunk sizes (trace-cmd's file_size for compressed data). */
  total: number;
  /** The table ended early (file cut): `chunks` holds what could be read. */
  truncated: boolean;
}

/** Reads the chunk table at `offset` (u32 count, then per chunk u32 zsize, u32 size, zsize bytes). */
export function readChunkTableSync(src: ByteSource, offset: number, le: boolean): ChunkTable {
  const t: ChunkTable = { chunks: [], total: 0, truncated: false };
  const h = readFullySync(src, offset, 4);
  if (h.length < 4) { t.truncated = true; return t; }
  const n = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, le);
  let p = offset + 4;
  for (let i = 0; i < n; i++) {
    const b = readFullySync(src, p, 8);
    if (!addChunk(t, b, p, le, src.size)) break;
    p += 8 + t.chunks[t.chunks.length - 1]!.zsize;
  }
  return t;
}

export async function readChunkTable(src: ByteSource, offset: number, le: boolean): Promise<ChunkTable> {
  if (src.readSync) return readChunkTableSync(src, offset, le);
  const t: ChunkTable = { chunks: [], total: 0, truncated: false };
  const h = await readFully(src, offset, 4);
  if (h.length < 4) { t.truncated = true; return t; }
  const n = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, le);
  let p = offset + 4;
  for (let i = 0; i < n; i++) {
    const b = await readFully(src, p, 8);
    if (!addChunk(t, b, p, le, src.size)) break;
    p += 8 + t.chunks[t.chunks.length - 1]!.zsize;
  }
  return t;
}

function addChunk(t: ChunkTable, b: Uint8Array, at: number, le: boolean, fileSize: number): boolean {
  if (b.length < 8) { t.truncated = true; return false; }
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  const zsize = dv.getUint32(0, le);
  const size = dv.getUint32(4, le);
  if (at + 8 + zsize > fileSize) { t.truncated = true; return false; }
  t.chunks.push({ zoffset: at, zsize, offset: t.total, size });
  t.total += size;
  return true;
}

/** `(x + p - 1) & ~(p - 1)` in trace-cmd's 64-bit arithmetic (p need not be a power of two). */
export function alignUp(x: number, p: number): number {
  if (isPow2(p)) return Math.ceil(x / p) * p;
  const P = BigInt(p);
  return Number(BigInt.asUintN(64, (BigInt(x) + P - 1n) & ~(P - 1n)));
}

/** `offset & (p - 1)` is not zero: get_page's "bad page offset" test. */
export function misaligned(offset: number, p: number): boolean {
  if (isPow2(p)) return offset % p !== 0;
  return (BigInt(offset) & BigInt(p - 1)) !== 0n;
}

function isPow2(p: number): boolean {
  return p > 0 && p <= 2 ** 52 && Number.isInteger(Math.log2(p));
}

/** Where trace-cmd puts one CPU of one handle. */
export interface CpuPlace {
  /** Virtual (compressed) or file (raw) offset of the CPU's first page. */
  start: number;
  /** Uncompressed size (compressed data) or stored size (raw). */
  size: number;
  /** Chunk table (compressed data only). */
  table: ChunkTable | undefined;
}

/** The input needed to place a handle's CPUs. */
export interface HandleInput {
  /** trace-cmd's handle page size: file header for the top handle and v6, BUFFER page size for v7 instances. */
  pageSize: number;
  compressed: boolean;
  /** Per CPU slot: file offset and stored size (size 0 = no data). */
  cpus: Array<{ offset: number; size: number }>;
}

/**
 * Places the CPUs of the top handle, then of each instance handle (each starting from the
 * top handle's final cursor). `tables` gives the chunk table of compressed CPU data.
 */
export function placeHandles(headerPageSize: number, top: HandleInput | undefined, instances: HandleInput[],
  tables: (fileOffset: number) => ChunkTable): { top: CpuPlace[]; instances: CpuPlace[][] } {
  const place = (h: HandleInput, next: number): { places: CpuPlace[]; next: number } => {
    const places: CpuPlace[] = [];
    for (const c of h.cpus) {
      if (!h.compressed || c.size <= 0) { places.push({ start: c.offset, size: c.size, table: undefined }); continue; }
      const table = tables(c.offset);
      places.push({ start: next, size: table.total, table });
      next = alignUp(next + table.total, h.pageSize);
    }
    return { places, next };
  };
  const t = top ? place(top, headerPageSize) : { places: [], next: headerPageSize };
  return { top: t.places, instances: instances.map((h) => place(h, t.next).places) };
}
