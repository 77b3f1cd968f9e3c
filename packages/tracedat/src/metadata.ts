import { OptionId } from './options.js';
import { decodeLatin1 } from '@utp/bytes';
import type { Cursor } from './cursor.js';
import { deferKallsymsText, lazyKallsymsOf } from './lazy-kallsyms.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import type { LazyHost } from './lazy-kallsyms.js';
import type { TraceDatOptions } from './types.js';
import type { Tep } from '@utp/traceevent';

/** Where the metadata readers put what they read (the parse state; a test may pass its own). */
export interface MetadataSink extends LazyHost {
  readonly tep: Tep;
  readonly opts: Readonly<Pick<TraceDatOptions, 'skipMetadata' | 'keepFormatTexts'>>;
  readonly formatTexts: Array<{ system: string; text: string }>;
  /** header_page / header_event texts. */
  setHeaderPage(pageText: string, eventText: string): void;
}

/**
 * Parses one metadata block (v6 file part or v7 section body; the bytes are the
 * same): header_page/header_event, ftrace formats, event formats, kallsyms, printk,
 * saved cmdlines. Results go into the sink's Tep.
 */
export async function readMetadataSection(td: MetadataSink, c: Cursor, id: number): Promise<void> {
  const skip = td.opts.skipMetadata;
  if ((id === OptionId.FtraceEvents || id === OptionId.EventFormats) && c.bounded) {
    // a v7 section: parse the whole body synchronously (thousands of formats)
    const base = c.pos;
    readFormats(td, await c.rest('event formats'), base, id, c.where, skip);
    return;
  }
  switch (id) {
    case OptionId.HeaderInfo: {
      const at = c.pos;
      const tag = await c.text(12, 'header_page tag');
      if (tag !== 'header_page\0') throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Expected "header_page"', { offset: at });
      const psize = await c.u64n('header_page size');
      const page = await c.text(psize, 'header_page');
      const at2 = c.pos;
      const tag2 = await c.text(13, 'header_event tag');
      if (tag2 !== 'header_event\0') throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Expected "header_event"', { offset: at2 });
      const esize = await c.u64n('header_event size');
      const ev = await c.text(esize, 'header_event');
      td.setHeaderPage(page, ev);
      return;
    }
    case OptionId.FtraceEvents: {
      const n = await c.u32('ftrace format count');
      for (let i = 0; i < n; i++) {
        const size = await c.u64n('format size');
        const at = c.pos;
        const text = await c.text(size, 'ftrace format');
        if (!skip) addFormat(td, text, 'ftrace', at);
      }
      return;
    }
    case OptionId.EventFormats: {
      const systems = await c.u32('system count');
      for (let s = 0; s < systems; s++) {
        const sys = await c.cstring('system name', 4096);
        const n = await c.u32('event count');
        for (let i = 0; i < n; i++) {
          const size = await c.u64n('format size');
          const at = c.pos;
          const text = await c.text(size, 'event format');
          if (!skip) addFormat(td, text, sys, at);
        }
      }
      return;
    }
    case OptionId.Kallsyms: {
      const size = await c.u32('kallsyms size');
      if (skip) {
        await c.skip(size, 'kallsyms');
        return;
      }
      const lazy = lazyKallsymsOf(td.tep);
      if (lazy && c.readsFrom(td.src)) {
        const at = c.pos;
        await c.skip(size, 'kallsyms');
        await deferKallsymsText(td, lazy, at, size);
        return;
      }
      const text = await c.text(size, 'kallsyms');
      if (size) td.tep.loadKallsyms(text);
      return;
    }
    case OptionId.Printk: {
      const size = await c.u32('printk size');
      if (skip) {
        await c.skip(size, 'printk');
        return;
      }
      const text = await c.text(size, 'printk');
      if (size) td.tep.loadPrintk(text);
      return;
    }
    case OptionId.Cmdlines: {
      const size = await c.u64n('cmdlines size');
      if (skip) {
        await c.skip(size, 'cmdlines');
        return;
      }
      const text = await c.text(size, 'cmdlines');
      if (size) td.tep.loadCmdlines(text);
      return;
    }
  }
}

function addFormatBytes(td: MetadataSink, bytes: Uint8Array, system: string, offset: number): void {
  try {
    td.tep.addEventFormatBytes(bytes, system);
  } catch (e) {
    td.diag('warning', TraceDatDiagnostic.BadEventFormat, `Cannot parse event format of system ${system}: ${(e as Error).message}`, offset);
  }
}

function addFormat(td: MetadataSink, text: string, system: string, offset: number): void {
  if (td.opts.keepFormatTexts) td.formatTexts.push({ system, text });
  try {
    td.tep.addEventFormat(text, system);
  } catch (e) {
    td.diag('warning', TraceDatDiagnostic.BadEventFormat, `Cannot parse event format of system ${system}: ${(e as Error).message}`, offset);
  }
}

/**
 * FtraceEvents / EventFormats from a whole section body: each format registered from its bytes
 * (decoded when its event is first used), or decoded now where the texts are kept.
 */
function readFormats(td: MetadataSink, b: Uint8Array, base: number, id: number, where: string, skip: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = td.littleEndian;
  let p = 0;
  const need = (n: number, what: string): void => {
    if (n > b.length - p) {
      throw new TraceDatError(TraceDatErrorCode.Truncated, `Unexpected end of ${where} reading ${what}`, {
        offset: base + p,
        context: { need: n, have: b.length - p },
      });
    }
  };
  const u32 = (what: string): number => {
    need(4, what);
    const v = dv.getUint32(p, le);
    p += 4;
    return v;
  };
  const u64n = (what: string): number => {
    need(8, what);
    const v = dv.getBigUint64(p, le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new TraceDatError(TraceDatErrorCode.BadHeader, `Value out of range reading ${what}`, {
        offset: base + p,
        context: { value: v },
      });
    p += 8;
    return Number(v);
  };
  const format = (system: string, what: string): void => {
    const size = u64n('format size');
    need(size, what);
    const at = p;
    p += size;
    if (skip) return;
    if (td.opts.keepFormatTexts) addFormat(td, decodeLatin1(b, at, at + size), system, base + at);
    else addFormatBytes(td, b.subarray(at, at + size), system, base + at);
  };
  if (id === OptionId.FtraceEvents) {
    const n = u32('ftrace format count');
    for (let i = 0; i < n; i++) format('ftrace', 'ftrace format');
    return;
  }
  const systems = u32('system count');
  for (let s = 0; s < systems; s++) {
    const z = b.indexOf(0, p);
    if (z < 0 || z - p > 4096) throw new TraceDatError(TraceDatErrorCode.Truncated, 'Unterminated system name', { offset: base + p });
    const sys = decodeLatin1(b, p, z);
    p = z + 1;
    const n = u32('event count');
    for (let i = 0; i < n; i++) format(sys, 'event format');
  }
}
