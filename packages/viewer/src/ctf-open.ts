/**
 * The worker's opener of a CTF trace directory (utp view of a CTF, or a folder picked or dropped on
 * the page): its files, each a Blob (fetched from the server or the picked File), become the
 * ByteSources of a `CtfSource` — metadata, every stream (names not starting with '.', as for
 * babeltrace2) and utp's trace.dat skeleton (`.utp-tracedat.dat` + `.utp-tracedat.json`) when it is
 * there. Reads are Blob slices; the synchronous reads CtfSource's lazy decoding needs go through
 * FileReaderSync (workers have it), or the whole file is read when there is no FileReaderSync.
 */
import type { ByteSource } from '@utp/bytes';
import { MemorySource } from '@utp/bytes';
import { CtfSource } from '@utp/model';
import type { CtfSkeleton, EventSink, EventSource } from '@utp/model';
import { TraceDat } from '@utp/tracedat';
import type { Decompressor } from '@utp/tracedat';
import type { Diagnostic } from '@utp/traceevent';
import type { CtfFileRef } from './protocol.js';

const SKELETON_DAT = '.utp-tracedat.dat';
const SKELETON_JSON = '.utp-tracedat.json';

type SyncReader = { readAsArrayBuffer(b: Blob): ArrayBuffer };
const SyncReaderCtor = (globalThis as { FileReaderSync?: new () => SyncReader }).FileReaderSync;

/** A Blob's slices as a ByteSource, with synchronous reads through FileReaderSync. */
class BlobSliceSource implements ByteSource {
  readonly size: number;
  private readonly reader: SyncReader;
  constructor(
    private readonly blob: Blob,
    readonly name: string,
  ) {
    this.size = blob.size;
    this.reader = new SyncReaderCtor!();
  }
  private range(offset: number, length: number): [number, number] {
    const start = Math.min(Math.max(0, offset), this.size);
    return [start, Math.min(this.size, start + Math.max(0, length))];
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const [a, b] = this.range(offset, length);
    return new Uint8Array(await this.blob.slice(a, b).arrayBuffer());
  }
  readSync(offset: number, length: number): Uint8Array {
    const [a, b] = this.range(offset, length);
    return new Uint8Array(this.reader.readAsArrayBuffer(this.blob.slice(a, b)));
  }
}

async function blobOf(f: CtfFileRef): Promise<Blob> {
  if (f.file) return f.file;
  const res = await fetch(f.url!);
  if (!res.ok) throw new Error(`Cannot fetch ${f.name}: HTTP ${res.status}`);
  return res.blob();
}

async function sourceOf(blob: Blob, name: string): Promise<ByteSource> {
  if (SyncReaderCtor) return new BlobSliceSource(blob, name);
  return new MemorySource(new Uint8Array(await blob.arrayBuffer()), name);
}

/** `.utp-tracedat.json`, checked as the CLI checks it (skeleton.ts's readSkeletonFiles). */
function skeletonInfo(text: string, where: string): Omit<CtfSkeleton, 'td'> {
  let info: { utpTracedat?: unknown; streams?: unknown; unknownLosses?: unknown };
  try {
    info = JSON.parse(text) as typeof info;
  } catch (e) {
    throw new Error(`${where}: cannot read it: ${(e as Error).message}`);
  }
  if (info.utpTracedat !== 1 || !Array.isArray(info.streams))
    throw new Error(`${where}: not a utp trace.dat skeleton description (version ${String(info.utpTracedat)})`);
  return {
    streams: info.streams as CtfSkeleton['streams'],
    unknownLosses: Array.isArray(info.unknownLosses) ? (info.unknownLosses as CtfSkeleton['unknownLosses']) : [],
  };
}

/** Opens the CTF trace `name` made of `files` (one directory's). */
export async function openCtfFiles(
  name: string,
  files: readonly CtfFileRef[],
  decompressors: Partial<Record<string, Decompressor>>,
  onDiagnostic: (d: Diagnostic) => void,
): Promise<CtfSource> {
  const meta = files.find((f) => f.name === 'metadata');
  if (!meta) throw new Error(`${name}: not a CTF trace (no metadata file)`);
  const metadata = new Uint8Array(await (await blobOf(meta)).arrayBuffer());
  const streams: Array<{ name: string; source: ByteSource }> = [];
  for (const f of files)
    if (f.name !== 'metadata' && !f.name.startsWith('.')) streams.push({ name: f.name, source: await sourceOf(await blobOf(f), f.name) });
  let skeleton: CtfSkeleton | undefined;
  const dat = files.find((f) => f.name === SKELETON_DAT);
  const json = files.find((f) => f.name === SKELETON_JSON);
  if (dat && json) {
    const info = skeletonInfo(await (await blobOf(json)).text(), `${name}/${SKELETON_JSON}`);
    const bytes = new Uint8Array(await (await blobOf(dat)).arrayBuffer());
    const td = await TraceDat.open(new MemorySource(bytes, `${name}/${SKELETON_DAT}`), { decompressors });
    skeleton = { td, ...info };
  }
  return CtfSource.open(metadata, streams, { name, skeleton, onDiagnostic });
}

/**
 * `src` moved by `by` ns on the timeline (the viewer's shift control; CtfSource has no offset option):
 * every event and loss is pushed `by` later, the rest is the source's.
 */
export function shiftedSource(src: EventSource, by: bigint): EventSource {
  if (by === 0n) return src;
  const n = Number(by);
  return {
    meta: { ...src.meta, tsOffset: src.meta.tsOffset + by },
    classes: src.classes,
    read(sink: EventSink, options) {
      return src.read(
        {
          expect: sink.expect?.bind(sink),
          lost: sink.lost ? (l) => sink.lost!({ ...l, ts: l.ts + n }) : undefined,
          event(e) {
            e.ts += n;
            if (e.tsBig !== undefined) e.tsBig += by;
            return sink.event(e);
          },
        },
        options,
      );
    },
    record: (loc, ts, cpu) => src.record(loc, ts - n, cpu),
    values: (loc, classId) => src.values(loc, classId),
    info: (loc, classId, ts, cpu) => src.info(loc, classId, ts - n, cpu),
    commOf: (pid) => src.commOf(pid),
  };
}
