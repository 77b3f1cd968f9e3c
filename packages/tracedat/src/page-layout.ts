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
  const w = new Window(src, le);
  const t: ChunkTable = { chunks: [], total: 0, truncated: false };
  if (!w.haveSync(offset, 4)) {
    t.truncated = true;
    return t;
  }
  const n = w.u32(offset);
  let p = offset + 4;
  for (let i = 0; i < n; i++) {
    if (!w.haveSync(p, 8) || !addChunk(t, w, p, src.size)) {
      t.truncated = true;
      break;
    }
    p += 8 + t.chunks[t.chunks.length - 1]!.zsize;
  }
  return t;
}

export async function readChunkTable(src: ByteSource, offset: number, le: boolean): Promise<ChunkTable> {
  if (src.readSync) return readChunkTableSync(src, offset, le);
  const w = new Window(src, le);
  const t: ChunkTable = { chunks: [], total: 0, truncated: false };
  if (!(await w.have(offset, 4))) {
    t.truncated = true;
    return t;
  }
  const n = w.u32(offset);
  let p = offset + 4;
  for (let i = 0; i < n; i++) {
    if (!(await w.have(p, 8)) || !addChunk(t, w, p, src.size)) {
      t.truncated = true;
      break;
    }
    p += 8 + t.chunks[t.chunks.length - 1]!.zsize;
  }
  return t;
}

/** Reads ahead in 64 KiB windows: chunk headers are a few KiB apart. */
class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private start = 0;
  constructor(
    private readonly src: ByteSource,
    private readonly le: boolean,
  ) {}
  private inside(at: number, n: number): boolean {
    return at >= this.start && at + n <= this.start + this.buf.length;
  }
  private take(at: number, b: Uint8Array): void {
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.start = at;
  }
  haveSync(at: number, n: number): boolean {
    if (!this.inside(at, n)) this.take(at, readFullySync(this.src, at, Math.max(n, Math.min(1 << 16, this.src.size - at))));
    return this.inside(at, n);
  }
  async have(at: number, n: number): Promise<boolean> {
    if (!this.inside(at, n)) this.take(at, await readFully(this.src, at, Math.max(n, Math.min(1 << 16, this.src.size - at))));
    return this.inside(at, n);
  }
  u32(at: number): number {
    return this.view.getUint32(at - this.start, this.le);
  }
}

function addChunk(t: ChunkTable, w: Window, at: number, fileSize: number): boolean {
  const zsize = w.u32(at);
  const size = w.u32(at + 4);
  if (at + 8 + zsize > fileSize) return false;
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
export function placeHandles(
  headerPageSize: number,
  top: HandleInput | undefined,
  instances: HandleInput[],
  tables: (fileOffset: number) => ChunkTable,
): { top: CpuPlace[]; instances: CpuPlace[][] } {
  const place = (h: HandleInput, next: number): { places: CpuPlace[]; next: number } => {
    const places: CpuPlace[] = [];
    for (const c of h.cpus) {
      if (!h.compressed || c.size <= 0) {
        places.push({ start: c.offset, size: c.size, table: undefined });
        continue;
      }
      const table = tables(c.offset);
      places.push({ start: next, size: table.total, table });
      next = alignUp(next + table.total, h.pageSize);
    }
    return { places, next };
  };
  const t = top ? place(top, headerPageSize) : { places: [], next: headerPageSize };
  return { top: t.places, instances: instances.map((h) => place(h, t.next).places) };
}

/** The buffers of a file as the placement needs them. */
export interface PlacedBuffer {
  name: string;
  compressed: boolean;
  latency: boolean;
  cpus: Array<{ offset: number; size: number }>;
}

/**
 * trace-cmd's placement of every buffer's CPUs, computed once on first use (it reads the
 * chunk tables of all compressed CPU data: 8 bytes per chunk).
 */
export class BufferPlaces<B extends PlacedBuffer> {
  private places: Map<B, CpuPlace[]> | undefined;
  private loading: Promise<Map<B, CpuPlace[]>> | undefined;
  private tables = new Map<number, ChunkTable>();

  constructor(
    private readonly src: ByteSource,
    private readonly littleEndian: boolean,
    private readonly headerPageSize: number,
    /** The top buffer (if any) and the instances, in handle order. */
    private readonly top: B | undefined,
    private readonly instances: B[],
    private readonly handlePageSize: (b: B) => number,
  ) {}

  /** Placement of CPU slot `i` of `b` (synchronous when the source reads synchronously). */
  of(b: B, i: number): CpuPlace | Promise<CpuPlace> {
    const pick = (m: Map<B, CpuPlace[]>): CpuPlace => m.get(b)?.[i] ?? { start: 0, size: 0, table: undefined };
    if (this.places) return pick(this.places);
    if (this.src.readSync) return pick(this.sync());
    return this.all().then(pick);
  }

  /** All placements (loads the chunk tables). */
  all(): Promise<Map<B, CpuPlace[]>> {
    if (this.places) return Promise.resolve(this.places);
    this.loading ??= (async () => {
      for (const off of this.compressedCpus()) {
        if (!this.tables.has(off)) this.tables.set(off, await readChunkTable(this.src, off, this.littleEndian));
      }
      return this.compute();
    })();
    return this.loading;
  }

  private sync(): Map<B, CpuPlace[]> {
    for (const off of this.compressedCpus()) {
      if (!this.tables.has(off)) this.tables.set(off, readChunkTableSync(this.src, off, this.littleEndian));
    }
    return this.compute();
  }

  private compressedCpus(): number[] {
    const out: number[] = [];
    for (const b of [this.top, ...this.instances]) {
      if (b?.compressed && !b.latency) for (const c of b.cpus) if (c.size > 0) out.push(c.offset);
    }
    return out;
  }

  private compute(): Map<B, CpuPlace[]> {
    const input = (b: B): HandleInput => ({ pageSize: this.handlePageSize(b), compressed: b.compressed && !b.latency, cpus: b.cpus });
    const empty: ChunkTable = { chunks: [], total: 0, truncated: true };
    const r = placeHandles(
      this.headerPageSize,
      this.top ? input(this.top) : undefined,
      this.instances.map(input),
      (off) => this.tables.get(off) ?? empty,
    );
    const m = new Map<B, CpuPlace[]>();
    if (this.top) m.set(this.top, r.top);
    this.instances.forEach((b, k) => {
      m.set(b, r.instances[k]!);
    });
    this.places = m;
    return m;
  }
}
