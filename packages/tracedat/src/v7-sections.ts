/**
 * trace.dat v7: compression id, then sections (16-byte headers: id, flags, STRINGS offset of a
 * description, size), chained OPTIONS sections whose options name the metadata and BUFFER
 * sections; compressed section bodies; salvage of BUFFER sections whose option was cut off.
 */
import { MemorySource } from '@utp/bytes';
import { Cursor } from './cursor.js';
import { decompressorFor } from './decompress.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId, optionString } from './options.js';
import { readMetadataSection } from './metadata.js';
import { recoverCompressedCpus } from './recover-buffers.js';
import { deferKallsymsSection, lazyKallsymsOf } from './lazy-kallsyms.js';
import { applyOption, finishClock } from './option-reducer.js';
import type { ParseState } from './parse-state.js';
import type { TraceDatBuffer, TraceDatSection } from './types.js';

export async function parseV7(s: ParseState, c: Cursor): Promise<void> {
  s.compression = await c.cstring('compression name', 64);
  s.compressionVersion = await c.cstring('compression version', 64);
  s.decompressor = decompressorFor(s.compression, s.opts.decompressors);
  const firstOptions = await c.u64n('options offset');
  await scanSections(s, c.pos);
  let next = firstOptions;
  const seen = new Set<number>();
  while (next !== 0) {
    if (seen.has(next)) throw new TraceDatError(TraceDatErrorCode.BadSection, 'Options sections form a loop', { offset: next });
    seen.add(next);
    try {
      next = await readOptionsV7(s, next);
    } catch (e) {
      // a cut file loses the options sections written after the data (with the BUFFER
      // options of instances): keep what was read, salvage those buffers below
      if (seen.size === 1 || !isCut(e, next, s.src.size)) throw e;
      s.diag('warning', TraceDatDiagnostic.Truncated, `The options section at offset ${next} is missing; the trace is truncated`, next);
      break;
    }
  }
  {
    for (const sec of s.pendingSections) {
      if (s.opts.skipMetadata && sec.id !== OptionId.HeaderInfo) continue;
      const lazy = sec.id === OptionId.Kallsyms ? lazyKallsymsOf(s.tep) : undefined;
      if (lazy) {
        await deferKallsymsSection(s, lazy, sec.offset, s.decompressor);
        continue;
      }
      const body = await openSection(s, sec.offset, sec.id);
      await readMetadataSection(s, body, sec.id);
    }
  }
  await salvageBuffers(s);
  if (s.v7Top) s.buffers.push(s.v7Top);
  s.buffers.push(...s.v7Instances);
  // trace-cmd: handle->cpus = top buffer's cpus; max_cpu (what `cpus=` shows) = max(CPUCOUNT, that).
  let maxCpu = s.cpuCount;
  if (s.v7Top) {
    maxCpu = Math.max(maxCpu, s.v7Top.cpus.length);
    s.v7Top.maxCpu = maxCpu;
  }
  s.cpuCount = maxCpu;
  for (const b of s.v7Instances) b.maxCpu = Math.max(maxCpu, b.cpus.length);
  finishClock(s);
  await prepareBuffers(s);
}

/** Compressed BUFFER sections no BUFFER option describes (their option was cut off): CPUs found by scanning. */
async function salvageBuffers(s: ParseState): Promise<void> {
  const known = new Set([s.v7Top, ...s.v7Instances].map((b) => b?.sectionOffset));
  for (const sec of s.sections) {
    if (sec.id !== OptionId.Buffer || known.has(sec.offset) || !(sec.flags & 1) || !s.decompressor) continue;
    const end = Math.min(s.src.size, sec.offset + 16 + sec.size);
    const cpus = await recoverCompressedCpus(s.src, sec.offset + 16, end, s.pageSize, s.littleEndian);
    if (!cpus.length) continue;
    const name = sec.description?.startsWith('buffer flyrecord ') ? sec.description.slice(17) : `buffer@${sec.offset}`;
    s.diag(
      'warning',
      TraceDatDiagnostic.Truncated,
      `Buffer ${JSON.stringify(name)} has no CPU table (cut off); ${cpus.length} CPU(s) found by scanning its data, CPU ids may be wrong`,
      sec.offset,
    );
    const b: TraceDatBuffer = {
      name,
      clock: s.traceClock ?? '',
      pageSize: s.pageSize,
      cpus,
      compressed: true,
      latency: false,
      sectionOffset: sec.offset,
      maxCpu: 0,
    };
    if (name === '' && (!s.v7Top || s.v7Top.cpus.length === 0)) s.v7Top = b;
    else s.v7Instances.push(b);
  }
}

/** Walks all section headers after the file header (to collect STRINGS for descriptions). */
async function scanSections(s: ParseState, start: number): Promise<void> {
  let off = start;
  const parts: Uint8Array[] = [];
  const found: Array<Omit<TraceDatSection, 'description'> & { desc: number }> = [];
  while (off + 16 <= s.src.size && found.length < 100000) {
    const c = new Cursor(s.src, off, s.littleEndian);
    let id: number, flags: number, desc: number, size: number;
    try {
      id = await c.u16();
      flags = await c.u16();
      desc = await c.u32();
      size = await c.u64n();
    } catch {
      break;
    }
    found.push({ offset: off, id, flags, size, desc });
    if (id === OptionId.Strings) {
      try {
        const body = await sectionBody(s, off + 16, size, flags, id);
        parts.push(body.slice());
      } catch {
        /* descriptions are cosmetic */
      }
    }
    if (off + 16 + size > s.src.size) break;
    off += 16 + size;
  }
  let total = 0;
  for (const p of parts) total += p.length;
  s.strings = new Uint8Array(total);
  total = 0;
  for (const p of parts) {
    s.strings.set(p, total);
    total += p.length;
  }
  for (const f of found) {
    let description: string | undefined;
    if (f.desc >= 0 && f.desc < s.strings.length && f.desc !== 0xffffffff) {
      const z = s.strings.indexOf(0, f.desc);
      description = optionString(s.strings.subarray(f.desc, z < 0 ? s.strings.length : z));
    }
    s.sections.push({ offset: f.offset, id: f.id, flags: f.flags, size: f.size, description });
  }
}

/** Reads (and decompresses) a metadata section body. */
async function sectionBody(s: ParseState, bodyOffset: number, size: number, flags: number, id: number): Promise<Uint8Array> {
  const c = new Cursor(s.src, bodyOffset, s.littleEndian, Math.min(s.src.size, bodyOffset + size), 'section');
  if (!(flags & 1)) return c.bytes(size, 'section body');
  if (!s.decompressor)
    throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Compressed section in a file without compression', {
      offset: bodyOffset - 16,
      context: { sectionId: id },
    });
  const csize = await c.u32('compressed size');
  const usize = await c.u32('uncompressed size');
  const data = await c.bytes(csize, 'compressed section');
  try {
    return s.decompressor(data, usize);
  } catch (e) {
    throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Cannot decompress section', {
      offset: bodyOffset - 16,
      context: { sectionId: id },
      cause: e,
    });
  }
}

/** A cursor over a section's body after checking its id. */
export async function openSection(s: ParseState, offset: number, id: number): Promise<Cursor> {
  const c = new Cursor(s.src, offset, s.littleEndian, s.src.size, 'section header');
  const sid = await c.u16('section id');
  const flags = await c.u16('section flags');
  await c.u32('section description');
  const size = await c.u64n('section size');
  if (sid !== id) {
    throw new TraceDatError(TraceDatErrorCode.BadSection, 'Section id does not match its option', {
      offset,
      context: { expected: id, found: sid },
    });
  }
  if (flags & 1) {
    const body = await sectionBody(s, offset + 16, size, flags, id);
    const mc = new Cursor(new MemorySource(body), 0, s.littleEndian, body.length, `section ${id}`);
    mc.bounded = true;
    return mc;
  }
  const fc = new Cursor(s.src, offset + 16, s.littleEndian, Math.min(s.src.size, offset + 16 + size), `section ${id}`);
  fc.bounded = true;
  return fc;
}

async function readOptionsV7(s: ParseState, offset: number): Promise<number> {
  const body = await openSection(s, offset, OptionId.Done).catch((e: unknown) => {
    throw new TraceDatError(TraceDatErrorCode.BadSection, 'Cannot read options section', { offset, cause: e });
  });
  for (;;) {
    const at = body.pos;
    const id = await body.u16('option id');
    const size = await body.u32('option size');
    const data = (await body.bytes(size, 'option data')).slice();
    if (id === OptionId.Done) {
      if (size < 8) return 0;
      const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, s.littleEndian);
      return Number(v);
    }
    applyOption(s, { id, data, offset: at });
  }
}

/** Reads each BUFFER section header to learn whether its data is compressed (v7). */
async function prepareBuffers(s: ParseState): Promise<void> {
  if (s.version !== 7) return;
  for (const b of s.buffers) {
    if (b.sectionOffset <= 0 || b.sectionOffset + 16 > s.src.size) continue;
    const c = new Cursor(s.src, b.sectionOffset, s.littleEndian);
    await c.u16();
    const flags = await c.u16();
    b.compressed = (flags & 1) !== 0 && s.decompressor !== undefined;
  }
}

/** The error says the data at `offset` is missing (the file ends before it). */
function isCut(e: unknown, offset: number, size: number): boolean {
  if (offset + 16 > size) return true;
  for (let x = e as { code?: string; cause?: unknown } | undefined; x; x = x.cause as typeof x) {
    if (x.code === TraceDatErrorCode.Truncated) return true;
  }
  return false;
}
