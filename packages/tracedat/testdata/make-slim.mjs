// Rewrites a trace.dat as a small v6 file for the test corpus: same options, ring-buffer
// pages and printk/cmdlines, but only the event formats the data uses and an empty kallsyms.
// Usage (after `npm run build`): node make-slim.mjs IN.dat OUT.dat [--top] [--opt ID=TEXT] [--opt-hex ID=HEX] [--drop-event NAME]
// --top: the first instance's data becomes the top buffer (no instances in the output).
// --big-endian: write a big-endian file (headers, options, pages, event headers and every
//   integer field of the records are byte-swapped; the input must be little-endian).
// The expected output of the result is then produced with trace-cmd itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { TraceDat } from '@utp/tracedat';
import { Tep } from '@utp/traceevent';
import { FileSource } from '@utp/bytes/node';

class CaptureTep extends Tep {
  formats = [];
  printk = ''; cmdlines = '';
  addEventFormat(text, system) { const id = Number(/\nID: (\d+)/.exec(text)?.[1] ?? -1); this.formats.push({ text, system, id }); return {}; }
  loadKallsyms() {} loadPrintk(t) { this.printk = t; } loadCmdlines(t) { this.cmdlines = t; }
}
const [inp, outp, ...flags] = process.argv.slice(2);
const toTop = flags.includes('--top');
const toBE = flags.includes('--big-endian');
// --drop-event NAME leaves that event's format out (its records print [UNKNOWN EVENT])
const dropped = new Set(flags.flatMap((f, i) => (f === '--drop-event' ? [flags[i + 1]] : [])));
// --opt ID=TEXT adds a C-string option, --opt-hex ID=HEX a binary one (e.g. DATE=1, OFFSET=7, TSC2NSEC=14)
const extra = [];
for (let i = 0; i < flags.length; i++) {
  if (flags[i] === '--opt' || flags[i] === '--opt-hex') {
    const [id, val] = flags[i + 1].split(/=(.*)/s);
    extra.push({ id: Number(id), data: flags[i] === '--opt' ? Buffer.from(val + '\0', 'latin1') : Buffer.from(val, 'hex') });
    i++;
  }
}
const tep = new CaptureTep();
const td = await TraceDat.open(new FileSource(inp), { tep });
const bytes = readFileSync(inp);
const used = new Set();
await td.forEachRecord((rec) => { used.add(rec.view.getUint16(rec.offset, td.littleEndian)); });
const inLE = td.littleEndian, ps = td.pageSize;
if (toBE && !inLE) throw new Error('--big-endian needs a little-endian input');
const le = toBE ? false : inLE;
// field layouts by event id, for byte-swapping record payloads
const layouts = new Map();
for (const f of tep.formats) {
  const fields = [];
  for (const m of f.text.matchAll(/field:([^;]*);\s*offset:(\d+);\s*size:(\d+);/g)) {
    const decl = m[1].trim(), off = Number(m[2]), size = Number(m[3]);
    const arr = /\[(\d*)\]\s*$/.exec(decl) || /\[(\d*)\]/.exec(decl);
    let elem = size;
    if (arr) elem = arr[1] ? size / Number(arr[1]) : 1;
    if (/\bchar\b|\bu8\b|\bs8\b/.test(decl) && arr) elem = 1;
    if (/__data_loc|__rel_loc/.test(decl)) elem = size; // the u32 (or u16) locator itself
    fields.push({ off, size, elem });
  }
  layouts.set(f.id, fields);
}
function swapInPlace(b, at, n) { for (let i = 0, j = n - 1; i < j; i++, j--) { const t = b[at + i]; b[at + i] = b[at + j]; b[at + j] = t; } }
/** Converts one little-endian sub-buffer to big-endian in place. */
function pageToBE(page) {
  const ls = td.headerPage.commitSize, start = 8 + ls;
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const flags = dv.getUint32(8, true);
  const commit = flags & ((1 << 27) - 1);
  swapInPlace(page, 0, 8); swapInPlace(page, 8, ls);
  if (flags & 0x40000000 && start + commit + ls <= page.length) swapInPlace(page, start + commit, ls);
  let curr = 0;
  while (curr < commit && start + curr + 4 <= page.length) {
    const pos = start + curr;
    const w = dv.getUint32(pos, true);
    const tl = w & 31, d = w >>> 5;
    dv.setUint32(pos, ((tl << 27) | d) >>> 0, false);
    let index, len;
    if (tl >= 29) {
      const a = dv.getUint32(pos + 4, true); swapInPlace(page, pos + 4, 4);
      curr = tl === 29 ? curr + 4 + a : curr + 8;
      continue;
    }
    if (tl === 0) { len = ((dv.getUint32(pos + 4, true) - 4) + 3) & ~3; swapInPlace(page, pos + 4, 4); index = pos + 8; }
    else { len = tl * 4; index = pos + 4; }
    const id = dv.getUint16(index, true);
    for (const f of layouts.get(id) ?? []) {
      if (f.off + f.size > len || f.elem <= 1) continue;
      for (let o = 0; o + f.elem <= f.size; o += f.elem) swapInPlace(page, index + f.off + o, f.elem);
    }
    curr = index - start + len;
  }
  return page;
}
const parts = []; let len = 0;
const push = (b) => { parts.push(b); len += b.length; };
const u16 = (v) => { const b = Buffer.alloc(2); le ? b.writeUInt16LE(v) : b.writeUInt16BE(v); push(b); };
const u32 = (v) => { const b = Buffer.alloc(4); le ? b.writeUInt32LE(v) : b.writeUInt32BE(v); push(b); };
const u64 = (v) => { const b = Buffer.alloc(8); le ? b.writeBigUInt64LE(BigInt(v)) : b.writeBigUInt64BE(BigInt(v)); push(b); return len - 8; };
const str = (s) => push(Buffer.from(s, 'latin1'));
push(Buffer.from([0x17, 0x08, 0x44])); str('tracing6\0'); push(Buffer.from([le ? 0 : 1, td.userLongSize])); u32(ps);
str('header_page\0'); u64(td.headerPageText.length); str(td.headerPageText);
str('header_event\0'); u64(td.headerEventText.length); str(td.headerEventText);
const ftrace = tep.formats.filter((f) => f.system === 'ftrace');
u32(ftrace.length); for (const f of ftrace) { u64(f.text.length); str(f.text); }
const systems = new Map();
for (const f of tep.formats) if (f.system !== 'ftrace' && used.has(f.id) && !dropped.has(/name: (\S+)/.exec(f.text)?.[1])) { if (!systems.has(f.system)) systems.set(f.system, []); systems.get(f.system).push(f); }
u32(systems.size);
for (const [s, fs] of systems) { str(s + '\0'); u32(fs.length); for (const f of fs) { u64(f.text.length); str(f.text); } }
u32(0); u32(tep.printk.length); str(tep.printk); u64(tep.cmdlines.length); str(tep.cmdlines);
u32(td.cpuCount);
str('options  \0');
const patches = [];
for (const o of td.options) {
  if (o.id === 3 && td.version === 7) continue;
  if (o.id === 3 && toTop) continue;
  if (o.id === 3) { u16(3); u32(o.data.length); patches.push({ at: u64(0), name: Buffer.from(o.data.subarray(8)).toString('latin1').replace(/\0.*$/s, '') }); push(Buffer.from(o.data.subarray(8))); continue; }
  if (o.id >= 16) continue;
  const d = Buffer.from(o.data);
  if (toBE && (o.id === 8 || o.id === 11)) swapInPlace(d, 0, d.length); // CPUCOUNT u32, TRACEID u64
  if (toBE && o.id === 14) { swapInPlace(d, 0, 4); swapInPlace(d, 4, 4); swapInPlace(d, 8, 8); }
  u16(o.id); u32(d.length); push(d);
}
if (td.version === 7 && !toTop) for (const b of td.instances) {
  const data = Buffer.concat([Buffer.alloc(8), Buffer.from(b.name + '\0', 'latin1')]);
  u16(3); u32(data.length); patches.push({ at: u64(0), name: b.name }); push(data.subarray(8));
}
for (const o of extra) { u16(o.id); u32(o.data.length); push(o.data); }
u16(0);
const clock = `[${td.traceClock ?? 'local'}]`;
function block(b) {
  str('flyrecord\0');
  const slots = [];
  for (let i = 0; i < td.cpuCount; i++) slots.push([u64(0), u64(0)]);
  u64(clock.length); str(clock);
  const pad = (ps - (len % ps)) % ps; push(Buffer.alloc(pad));
  return slots;
}
const blocks = [];
const top = toTop ? td.instances[0] : td.topBuffer;
blocks.push({ b: top, slots: block(top) });
const fixups = [];
for (const { b, slots } of blocks) writeData(b, slots);
function writeData(b, slots) {
  for (let i = 0; i < td.cpuCount; i++) {
    const c = b?.cpus[i];
    const off = len;
    let size = 0;
    if (c && c.size > 0) {
      if (b.compressed || td.version === 7 && td.compression !== 'none') throw new Error('compressed input: convert with --compression none first');
      const data = Buffer.from(bytes.subarray(c.offset, c.offset + c.size));
      if (toBE) for (let p = 0; p + ps <= data.length; p += ps) pageToBE(data.subarray(p, p + ps));
      push(data); size = c.size;
      const pad = (ps - (len % ps)) % ps; push(Buffer.alloc(pad));
    }
    fixups.push([slots[i][0], off], [slots[i][1], size]);
  }
}
for (const p of patches) {
  const b = td.buffers.find((x) => x.name === p.name);
  fixups.push([p.at, len]);
  const slots = block(b);
  writeData(b, slots);
}
const out = Buffer.concat(parts);
for (const [at, v] of fixups) le ? out.writeBigUInt64LE(BigInt(v), at) : out.writeBigUInt64BE(BigInt(v), at);
writeFileSync(outp, out);
console.log(`${outp}: ${out.length} bytes, ${systems.size} systems, ${used.size} event ids`);
