// A top-buffer copy of an instance-buffer trace: trace-cmd 3.1.6 segfaults on `report -F` over files
// whose data is in instance buffers (as `trace-cmd extract -B` writes them), so the -F comparisons run
// on a file whose top buffer holds the instance's pages. The pages are taken from a v6 file that
// `trace-cmd convert` wrote (a small parser here, independent of utp's reader), and put back with
// utp's writer (tested on its own against trace-cmd in packages/tracedat/src/writer/writer.test.ts).
// The caller checks the copy with trace-cmd itself: its plain report must be the original's without
// the buffer-name prefix.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from './live.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Splits a little-endian trace.dat v6 into what the writer takes. */
export function parseV6(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 10;
  const cstr = () => {
    let s = '';
    while (b[p] !== 0) s += String.fromCharCode(b[p++]);
    p++;
    return s;
  };
  const u16 = () => {
    const v = dv.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = () => {
    const v = dv.getUint32(p, true);
    p += 4;
    return v;
  };
  const u64 = () => {
    const v = Number(dv.getBigUint64(p, true));
    p += 8;
    return v;
  };
  const bytes = (n) => {
    const v = b.subarray(p, p + n);
    p += n;
    return v;
  };
  const text = (d) => {
    let s = '';
    for (const c of d) {
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  };
  if (cstr() !== '6') throw new Error('not a trace.dat v6');
  if (b[p] !== 0) throw new Error('big-endian v6 not supported here');
  const longSize = b[p + 1];
  p += 2;
  const pageSize = u32();
  cstr();
  const headerPage = bytes(u64());
  cstr();
  const headerEvent = bytes(u64());
  const ftraceFormats = [];
  for (let n = u32(); n > 0; n--) ftraceFormats.push(bytes(u64()));
  const systems = [];
  for (let n = u32(); n > 0; n--) {
    const name = cstr();
    const formats = [];
    for (let k = u32(); k > 0; k--) formats.push(bytes(u64()));
    systems.push({ name, formats });
  }
  const kallsyms = bytes(u32()),
    printk = bytes(u32()),
    cmdlines = bytes(u64());
  const cpuCount = u32();
  const opts = { version: 6, compression: null, littleEndian: true, longSize, pageSize, cpuCount };
  const instances = [];
  const stats = [];
  let tag = text(bytes(10));
  if (tag === 'options  ') {
    for (let id = u16(); id !== 0; id = u16()) {
      const d = bytes(u32());
      if (id === 1) opts.date = text(d);
      else if (id === 2) stats.push(text(d));
      else if (id === 3)
        instances.push({ at: Number(new DataView(d.buffer, d.byteOffset).getBigUint64(0, true)), name: text(d.subarray(8)) });
      else if (id === 4) opts.traceClock = text(d);
      else if (id === 5) opts.uname = text(d);
      else if (id === 7) opts.tsOffset = text(d);
      else if (id === 9) opts.versionString = text(d);
      else if (id === 11) opts.traceId = new DataView(d.buffer, d.byteOffset).getBigUint64(0, true);
    }
    tag = text(bytes(10));
  }
  const flyrecord = (name) => {
    const cpus = [];
    for (let c = 0; c < cpuCount; c++) {
      const off = u64(),
        size = u64();
      cpus.push({ cpu: c, data: [b.subarray(off, off + size)] });
    }
    const clock = text(bytes(u64())).replace(/^\[|\]$/g, '');
    return { name, clock, cpus };
  };
  if (tag !== 'flyrecord') throw new Error(`expected flyrecord, found ${JSON.stringify(tag)}`);
  const top = flyrecord('');
  top.cpuStats = stats;
  const buffers = [top];
  for (const inst of instances) {
    p = inst.at;
    if (text(bytes(10)) !== 'flyrecord') throw new Error(`no flyrecord for buffer ${inst.name}`);
    buffers.push(flyrecord(inst.name));
  }
  return { meta: { headerPage, headerEvent, ftraceFormats, systems, kallsyms, printk, cmdlines }, buffers, opts };
}

/**
 * Writes OUT: a v6 file whose top buffer holds the pages of the single instance buffer of INPUT
 * (any version; converted to v6 by trace-cmd first). Returns { file, name } (the instance's name).
 */
export async function topBufferCopy(input, out, workDir) {
  const v6 = convert(input, join(workDir, `${out.split('/').pop()}.src-v6.dat`), { version: 6, compression: 'none' });
  const { meta, buffers, opts } = parseV6(new Uint8Array(readFileSync(v6)));
  const inst = buffers.filter((b) => b.name !== '');
  if (inst.length !== 1) throw new Error(`topBufferCopy: expected one instance buffer, found ${inst.length}`);
  if (buffers[0].cpus.some((c) => c.data[0].length > 0)) throw new Error('topBufferCopy: the top buffer already holds data');
  const { writeTraceDat, MemorySink } = await import(join(ROOT, 'packages/tracedat/dist/index.js'));
  const sink = new MemorySink();
  writeTraceDat(sink, meta, [{ name: '', clock: inst[0].clock, cpus: inst[0].cpus.filter((c) => c.data[0].length > 0) }], opts);
  writeFileSync(out, sink.finish());
  return { file: out, name: inst[0].name };
}

/** A report of a file with one instance buffer, as it would print with that data in the top buffer. */
export function withoutBufferPrefix(text, name) {
  const prefix = `${name}: `;
  return text
    .split('\n')
    .map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l))
    .join('\n');
}
