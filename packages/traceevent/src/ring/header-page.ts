/**
 * `events/header_page`: the layout of a ring-buffer sub-buffer header
 * (libtraceevent's tep_parse_header_page). The `commit` field's size is the
 * kernel's `long` size, which decides the data offset (16 on 64-bit, 12 on 32-bit).
 */

export interface HeaderPage {
  timestampOffset: number;
  timestampSize: number;
  /** Offset/size of the `commit` word (size = kernel long size). */
  commitOffset: number;
  commitSize: number;
  overwriteOffset: number;
  /** Where events start in a sub-buffer and how many bytes they may use. */
  dataOffset: number;
  dataSize: number;
  /** dataOffset + dataSize (tep_get_sub_buffer_size). */
  subBufferSize: number;
  /** True when the text was empty (very old kernels): values are defaults. */
  oldFormat: boolean;
}

const FIELD_RE = /field:\s*([^;]*?)\s*;\s*offset:\s*(\d+)\s*;\s*size:\s*(\d+)\s*;/g;

/**
 * Parses the header_page text. `longSize` and `pageSize` are used only for the
 * old (empty) format, as libtraceevent does.
 */
export function parseHeaderPage(text: string, longSize = 8, pageSize = 4096): HeaderPage {
  if (text.trim().length === 0) {
    return {
      timestampOffset: 0,
      timestampSize: 8,
      commitOffset: 8,
      commitSize: longSize,
      overwriteOffset: 0,
      dataOffset: 8 + longSize,
      dataSize: pageSize - 8 - longSize,
      subBufferSize: pageSize,
      oldFormat: true,
    };
  }
  const found = new Map<string, { offset: number; size: number }>();
  for (const m of text.matchAll(FIELD_RE)) {
    const decl = m[1]!.replace(/\[.*$/, '').trim();
    const name = decl.split(/[\s*]+/).pop() ?? '';
    if (!found.has(name)) found.set(name, { offset: Number(m[2]), size: Number(m[3]) });
  }
  const ts = found.get('timestamp') ?? { offset: 0, size: 8 };
  const commit = found.get('commit') ?? { offset: 8, size: longSize };
  const overwrite = found.get('overwrite') ?? { offset: commit.offset, size: 1 };
  const data = found.get('data') ?? { offset: commit.offset + commit.size, size: pageSize - commit.offset - commit.size };
  return {
    timestampOffset: ts.offset,
    timestampSize: ts.size,
    commitOffset: commit.offset,
    commitSize: commit.size,
    overwriteOffset: overwrite.offset,
    dataOffset: data.offset,
    dataSize: data.size,
    subBufferSize: data.offset + data.size,
    oldFormat: false,
  };
}
