/** trace.dat v6: metadata in fixed order, options, then "flyrecord" (or "latency") blocks per buffer. */
import { Cursor } from './cursor.js';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId } from './options.js';
import { readMetadataSection } from './metadata.js';
import { applyOption, finishClock, parseTraceClock } from './option-reducer.js';
import type { ParseState } from './parse-state.js';
import type { TraceDatBuffer, TraceDatCpu } from './types.js';

export async function parseV6(s: ParseState, c: Cursor): Promise<void> {
  await readMetadataSection(s, c, OptionId.HeaderInfo);
  await readMetadataSection(s, c, OptionId.FtraceEvents);
  await readMetadataSection(s, c, OptionId.EventFormats);
  await readMetadataSection(s, c, OptionId.Kallsyms);
  await readMetadataSection(s, c, OptionId.Printk);
  await readMetadataSection(s, c, OptionId.Cmdlines);
  s.cpuCount = await c.u32('cpu count');
  if (s.cpuCount > 65536)
    throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Implausible CPU count', { offset: c.pos - 4, context: { cpus: s.cpuCount } });
  let tag = await c.text(10, 'options tag');
  if (tag.startsWith('options')) {
    await readOptionsV6(s, c);
    tag = await c.text(10, 'data tag');
  }
  const top = await readV6DataBlock(s, c, tag, '', true);
  if (top) s.buffers.push(top);
  for (const inst of s.v6InstanceOffsets) {
    try {
      const ic = new Cursor(s.src, inst.offset, s.littleEndian);
      let t = await ic.text(10, 'buffer tag');
      if (t.startsWith('options')) {
        await readOptionsV6(s, ic);
        t = await ic.text(10, 'buffer tag');
      }
      const b = await readV6DataBlock(s, ic, t, inst.name, false);
      if (b) s.buffers.push(b);
    } catch (e) {
      s.diag('warning', TraceDatDiagnostic.Truncated, `failed to read sub buffer ${inst.name}: ${(e as Error).message}`, inst.offset);
    }
  }
  finishClock(s);
}

async function readOptionsV6(s: ParseState, c: Cursor): Promise<void> {
  for (;;) {
    const at = c.pos;
    const id = await c.u16('option id');
    if (id === OptionId.Done) return;
    const size = await c.u32('option size');
    const data = (await c.bytes(size, 'option data')).slice();
    applyOption(s, { id, data, offset: at });
  }
}

async function readV6DataBlock(s: ParseState, c: Cursor, tag: string, name: string, top: boolean): Promise<TraceDatBuffer | undefined> {
  if (tag.startsWith('latency')) {
    if (top) {
      // init_data_v6 still reads "u64 size + [clock]" when there is a TRACECLOCK option,
      // eating the start of the latency text (trace-cmd 3.1.6 does exactly this)
      let pos = c.pos;
      if (s.useTraceClock && pos + 8 <= s.src.size) {
        const len = await c.u64('latency clock size');
        pos += 8;
        const left = s.src.size - pos;
        if (len <= BigInt(left)) pos += Number(len);
        else if (len < 1n << 40n) pos = s.src.size;
      }
      s.latencyOffset = pos;
      s.latencyEnd = s.src.size;
    }
    return undefined;
  }
  if (!tag.startsWith('flyrecord')) {
    throw new TraceDatError(TraceDatErrorCode.BadHeader, 'Expected "flyrecord" or "latency" tag', {
      offset: c.pos - 10,
      context: { tag: JSON.stringify(tag.replace(/\0.*$/, '')) },
    });
  }
  const sectionOffset = c.pos - 10;
  const cpus: TraceDatCpu[] = [];
  for (let i = 0; i < s.cpuCount; i++) {
    const offset = await c.u64n('cpu data offset');
    const size = await c.u64n('cpu data size');
    cpus.push({ cpu: i, offset, size });
  }
  let clock = s.traceClock ?? '';
  if (top && s.useTraceClock) {
    try {
      const len = await c.u64n('trace clock size');
      const text = await c.text(len, 'trace clock');
      parseTraceClock(s, text);
      clock = s.traceClock ?? clock;
    } catch {
      parseTraceClock(s, '[local]');
      s.diag('warning', TraceDatDiagnostic.BadEventFormat, 'File has trace_clock bug, using local clock');
    }
  }
  return { name, clock, pageSize: s.pageSize, cpus, compressed: false, latency: false, sectionOffset, maxCpu: s.cpuCount };
}
