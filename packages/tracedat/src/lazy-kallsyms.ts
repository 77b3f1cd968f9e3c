/**
 * kallsyms handed to the Tep lazily, when it offers `loadKallsymsLazy(get)` (`get()` returns
 * the text when a symbol is first looked up). Files carry megabytes of kallsyms that most
 * reports never read: with it, open() neither decompresses nor decodes them.
 */
import type { ByteSource } from '@utp/bytes';
import type { Tep } from '@utp/traceevent';
import { Cursor } from './cursor.js';
import type { Decompressor } from './decompress.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId } from './options.js';
import { readFully, readFullySync } from './read-fully.js';

/** The Tep's lazy kallsyms loader; `get` returns the text's bytes (the table parses them undecoded). */
export type LazyKallsyms = (get: () => string | Uint8Array) => void;

/** The Tep's `loadKallsymsLazy`, bound, or undefined when it has none. */
export function lazyKallsymsOf(tep: Tep): LazyKallsyms | undefined {
  const f = (tep as unknown as { loadKallsymsLazy?: LazyKallsyms }).loadKallsymsLazy;
  return typeof f === 'function' ? f.bind(tep) : undefined;
}

export interface LazyHost {
  readonly src: ByteSource;
  readonly littleEndian: boolean;
  diag(level: 'error' | 'warning' | 'info', code: string, message: string, offset?: number): void;
}

/** Hands the kallsyms text at [offset, offset+size) over lazily (read now only when the source cannot read synchronously). */
export async function deferKallsymsText(host: LazyHost, load: LazyKallsyms, offset: number, size: number): Promise<void> {
  if (!size) return;
  const src = host.src;
  const early = src.readSync ? undefined : await readFully(src, offset, size);
  load(() => {
    const b = early ?? readFullySync(src, offset, size);
    if (b.length < size)
      host.diag('warning', TraceDatDiagnostic.Truncated, 'kallsyms cut short; the trace is truncated', offset + b.length);
    return b;
  });
}

/** v7: checks the kallsyms section header now; reads and decompresses its body when the Tep asks. */
export async function deferKallsymsSection(
  host: LazyHost,
  load: LazyKallsyms,
  offset: number,
  decompress: Decompressor | undefined,
): Promise<void> {
  const c = new Cursor(host.src, offset, host.littleEndian, host.src.size, 'section header');
  const sid = await c.u16('section id');
  const flags = await c.u16('section flags');
  await c.u32('section description');
  const size = await c.u64n('section size');
  if (sid !== OptionId.Kallsyms) {
    throw new TraceDatError(TraceDatErrorCode.BadSection, 'Section id does not match its option', {
      offset,
      context: { expected: OptionId.Kallsyms, found: sid },
    });
  }
  if (!(flags & 1)) {
    const len = await c.u32('kallsyms size');
    await deferKallsymsText(host, load, offset + 20, Math.min(len, Math.max(0, size - 4)));
    return;
  }
  if (!decompress)
    throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Compressed section in a file without compression', {
      offset,
      context: { sectionId: sid },
    });
  const src = host.src;
  const le = host.littleEndian;
  const bodyAt = offset + 16;
  const early = src.readSync ? undefined : await readFully(src, bodyAt, size);
  load(() => {
    try {
      const b = early ?? readFullySync(src, bodyAt, size);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const csize = dv.getUint32(0, le);
      const usize = dv.getUint32(4, le);
      if (8 + csize > b.length) throw new Error(`need ${8 + csize} bytes, have ${b.length}`);
      const body = decompress(b.subarray(8, 8 + csize), usize);
      const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, le);
      return body.subarray(4, 4 + n);
    } catch (e) {
      host.diag('warning', TraceDatDiagnostic.Decompress, `Cannot read the kallsyms section: ${(e as Error).message}`, offset);
      return '';
    }
  });
}
