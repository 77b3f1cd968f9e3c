/// <reference types="node" />
/**
 * A CTF trace directory as the unified event stream (`CtfSource` of @utp/model): the metadata and
 * every data stream file (names starting with '.' are not streams, as for babeltrace2), and utp's
 * trace.dat skeleton (skeleton.ts) when `utp convert` left one there.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FileSource } from '@utp/bytes/node';
import { TraceDat, type Decompressor } from '@utp/tracedat';
import { CtfSource } from '@utp/model';
import type { CtfSkeleton } from '@utp/model';
import type { Diagnostic } from '@utp/traceevent';
import { SKELETON_DAT, SKELETON_JSON, readSkeletonFiles } from './skeleton.js';

export async function openCtfDirSource(
  dir: string,
  decompressors: Partial<Record<string, Decompressor>>,
  onDiagnostic?: (d: Diagnostic) => void,
): Promise<{ source: CtfSource; close(): Promise<void> }> {
  const names = readdirSync(dir).filter((n) => n !== 'metadata' && !n.startsWith('.') && statSync(join(dir, n)).isFile());
  const files = names.map((n) => ({ name: n, source: new FileSource(join(dir, n)) }));
  let td: TraceDat | undefined;
  const close = async (): Promise<void> => {
    for (const f of files) await f.source.close();
    await td?.close();
  };
  try {
    let skeleton: CtfSkeleton | undefined;
    if (existsSync(join(dir, SKELETON_DAT)) && existsSync(join(dir, SKELETON_JSON))) {
      const side = readSkeletonFiles(dir);
      const src = new FileSource(side.skeletonPath);
      try {
        td = await TraceDat.open(src, { decompressors });
      } catch (e) {
        await src.close();
        throw e;
      }
      skeleton = { td, streams: side.info.streams, unknownLosses: side.info.unknownLosses };
    }
    const source = await CtfSource.open(readFileSync(join(dir, 'metadata')), files, {
      name: basename(resolve(dir)),
      skeleton,
      onDiagnostic,
    });
    return { source, close };
  } catch (e) {
    await close();
    throw e;
  }
}
