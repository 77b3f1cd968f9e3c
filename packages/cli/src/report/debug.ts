/**
 * `utp report --debug` (trace-cmd 3.1.6 with tracecmd_set_debug): what it adds to the listing.
 * The library's info messages (`version = N` when a file is opened, `CPU N is empty` for each
 * empty CPU of a handle when its data is set up), the page time stamp and page offset after
 * `[SUBBUFFER START]`, and after each event line ` [DELTA:0xOFFSET:SIZE]` (the raw header's
 * time delta, the record's offset inside its page, its size) followed by the padding, time
 * extend and time stamp records that come after it in the sub-buffer, up to the next event.
 *
 * Offsets are trace-cmd's `record->offset`: the file offset for uncompressed data, the virtual
 * offset of its in-memory decompression for compressed data (CpuStream.pageOffset).
 */
import type { KRecord } from '@utp/traceevent';
import type { TraceDatBuffer } from '@utp/tracedat';
import type { PageInfo } from './print-loop.js';

/** Where the record's event header is in `rec.page`: 4 bytes before the payload, or 8 when its length is in array[0]. */
function headerAt(rec: KRecord, le: boolean): number {
  const o = rec.offset;
  if (o >= 4 && rec.size > 0 && rec.size <= 112) {
    const w = rec.view.getUint32(o - 4, le);
    if ((le ? w & 31 : w >>> 27) === rec.size / 4) return o - 4;
  }
  return o - 8;
}

function hex(n: number): string {
  return n.toString(16);
}

/** trace-cmd's `record->offset`: the page's offset plus the header's place in the page. */
function recordOffset(rec: KRecord, pg: PageInfo, le: boolean): number {
  return pg.offset + (headerAt(rec, le) - pg.base);
}

/** ` [PAGE_TS:0xPAGE_OFFSET]` after `CPU:N [SUBBUFFER START]`. */
export function boundarySuffix(rec: KRecord, pg: PageInfo, pageSize: number, le: boolean): string {
  const v = rec.view;
  const ts = pg.base + 8 <= rec.page.length ? BigInt.asIntN(64, v.getBigUint64(pg.base, le)) : 0n;
  const off = recordOffset(rec, pg, le);
  return ` [${ts}:0x${hex(off - (off % pageSize))}]`;
}

/** ` [DELTA:0xOFFSET_IN_PAGE:SIZE]` and the non-event records that follow the record in its sub-buffer. */
export function eventSuffix(rec: KRecord, pg: PageInfo, pageSize: number, le: boolean): string {
  const v = rec.view;
  const hdr = headerAt(rec, le);
  const w = v.getUint32(hdr, le);
  const delta = le ? w >>> 5 : w & 0x7ffffff;
  const off = pg.offset + (hdr - pg.base);
  let s = ` [${delta}:0x${hex(off % pageSize)}:${rec.size}]`;
  // kbuffer_raw_get: stop past the commit, or at the next event (type_len < 29)
  const end = Math.min(pg.end, rec.page.length);
  let pos = rec.offset + rec.size;
  while (pos >= pg.base && pos < end && pos + 4 <= rec.page.length) {
    const h = v.getUint32(pos, le);
    const tl = le ? h & 31 : h >>> 27;
    if (tl < 29) break;
    const d = le ? h >>> 5 : h & 0x7ffffff;
    const a = pos + 8 <= rec.page.length ? v.getUint32(pos + 4, le) : 0;
    let next: number;
    if (tl === 29) {
      const len = a | 0;
      s += `\n PADDING: delta:${d} length:${len}`;
      next = pos + 4 + len;
    } else {
      // libtraceevent also ors in the top bits of the current time stamp (zero in practice)
      const ext = BigInt(a) * 134217728n + BigInt(d);
      s += tl === 30 ? `\n TIME EXTEND: delta:${ext} length:0` : `\n TIME STAMP: timestamp:${ext} length:0`;
      next = pos + 8;
    }
    if (next <= pos) break;
    pos = next;
  }
  return s;
}

/** `CPU N is empty` for each CPU of the buffer without data (init_cpu, in CPU order). */
export function emptyCpuLines(b: TraceDatBuffer | undefined): string {
  if (!b || b.latency) return '';
  let s = '';
  b.cpus.forEach((c, i) => {
    if (c.size <= 0) s += `CPU ${i} is empty\n`;
  });
  return s;
}

/**
 * In debug mode libtracecmd's critical messages exit (tracecmd_critical: exit(errno)): trace-cmd
 * stops at the first "bad page offset" of its page walk with status 234 (-EINVAL), the lines
 * printed so far kept.
 */
export class DebugExit extends Error {
  readonly status = 234;
  constructor() {
    super('bad page offset (trace-cmd --debug exits there)');
  }
}

/** Throws DebugExit when one of the inputs reported pages trace-cmd's walk refuses since `seen` diagnostics. */
export function checkBadPage(diags: ReadonlyArray<{ code: string }>, seen: number): number {
  for (let i = seen; i < diags.length; i++) if (diags[i]!.code === 'TRACEDAT_PAGES_SKIPPED') throw new DebugExit();
  return diags.length;
}
