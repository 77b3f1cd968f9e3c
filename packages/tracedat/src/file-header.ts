/**
 * The trace.dat file header (magic, version, endianness, user long size, page size), then the
 * v6 or v7 reader for the rest (libtracecmd's tracecmd_alloc_fd + tracecmd_read_headers).
 */
import { Cursor } from './cursor.js';
import { TraceDatError, TraceDatErrorCode } from './errors.js';
import type { ParseState } from './parse-state.js';
import { parseV6 } from './v6-reader.js';
import { parseV7 } from './v7-sections.js';

const MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67];

/** Parses the whole file's metadata into `s`. Throws TraceDatError on garbage. */
export async function parseFile(s: ParseState): Promise<void> {
  const src = s.src;
  if (src.size < 12) {
    throw new TraceDatError(
      TraceDatErrorCode.BadMagic,
      src.size === 0 ? 'Empty file, not a trace.dat' : 'File too small for a trace.dat header',
      { offset: 0, context: { size: src.size } },
    );
  }
  const c = new Cursor(src, 0, true);
  const magic = await c.bytes(10, 'magic');
  for (let i = 0; i < 10; i++) {
    if (magic[i] !== MAGIC[i]) throw new TraceDatError(TraceDatErrorCode.BadMagic, 'Not a trace.dat file (bad magic)', { offset: i });
  }
  const vstr = await c.cstring('version', 16);
  const version = Number(vstr);
  if (!/^\d+$/.test(vstr) || (version !== 6 && version !== 7)) {
    throw new TraceDatError(TraceDatErrorCode.BadVersion, 'Unsupported trace.dat version', { offset: 10, context: { version: vstr } });
  }
  s.version = version;
  const endian = await c.u8('endian');
  if (endian > 1)
    throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Bad endian byte', { offset: c.pos - 1, context: { value: endian } });
  s.littleEndian = endian === 0;
  c.littleEndian = s.littleEndian;
  s.tep.littleEndian = s.littleEndian;
  s.userLongSize = await c.u8('long size');
  // tep_set_long_size(handle->long_size): %s of pointer fields, long arrays and bprint use it
  s.tep.longSize = s.userLongSize;
  s.pageSize = await c.u32('page size');
  if (s.pageSize < 64 || s.pageSize > 1 << 28) {
    throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Bad page size', { offset: c.pos - 4, context: { pageSize: s.pageSize } });
  }
  if (version === 6) await parseV6(s, c);
  else await parseV7(s, c);
}
