import { OptionId } from './options.js';
import type { Cursor } from './cursor.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import type { TraceDat } from './trace-dat.js';

/**
 * Parses one metadata block (v6 file part or v7 section body; the bytes are the
 * same): header_page/header_event, ftrace formats, event formats, kallsyms, printk,
 * saved cmdlines. Results go into the TraceDat's Tep.
 */
export async function readMetadataSection(td: TraceDat, c: Cursor, id: number): Promise<void> {
  const skip = td.opts.skipMetadata;
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
      if (skip) { await c.skip(size, 'kallsyms'); return; }
      if (td.lazyKallsyms && c.readsFrom(td.src)) {
        const at = c.pos;
        await c.skip(size, 'kallsyms');
        await td.deferKallsymsText(at, size);
        return;
      }
      const text = await c.text(size, 'kallsyms');
      if (size) td.tep.loadKallsyms(text);
      return;
    }
    case OptionId.Printk: {
      const size = await c.u32('printk size');
      if (skip) { await c.skip(size, 'printk'); return; }
      const text = await c.text(size, 'printk');
      if (size) td.tep.loadPrintk(text);
      return;
    }
    case OptionId.Cmdlines: {
      const size = await c.u64n('cmdlines size');
      if (skip) { await c.skip(size, 'cmdlines'); return; }
      const text = await c.text(size, 'cmdlines');
      if (size) td.tep.loadCmdlines(text);
      return;
    }
  }
}

function addFormat(td: TraceDat, text: string, system: string, offset: number): void {
  if (td.opts.keepFormatTexts) td.formatTexts.push({ system, text });
  try {
    td.tep.addEventFormat(text, system);
  } catch (e) {
    td.diag('warning', TraceDatDiagnostic.BadEventFormat, `Cannot parse event format of system ${system}: ${(e as Error).message}`, offset);
  }
}
