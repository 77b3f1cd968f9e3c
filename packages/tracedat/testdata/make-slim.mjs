// Rewrites a trace.dat as a small v6 file for the test corpus: same options, ring-buffer
// pages and printk/cmdlines, but only the event formats the data uses and an empty kallsyms.
// Usage (after `npm run build`): node make-slim.mjs IN.dat OUT.dat [--top]
// --top: the first instance's data becomes the top buffer (no instances in the output).
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
const [inp, outp, flag] = process.argv.slice(2);
const toTop = flag === '--top';
const tep = new CaptureTep();
const td = await TraceDat.open(new FileSource(inp), { tep });
const bytes = readFileSync(inp);
const used = new Set();
await td.forEachRecord((rec) => { used.add(rec.view.getUint16(rec.offset, td.littleEndian)); });
const le = td.littleEndian, ps = td.pageSize;
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
for (const f of tep.formats) if (f.system !== 'ftrace' && used.has(f.id)) { if (!systems.has(f.system)) systems.set(f.system, []); systems.get(f.system).push(f); }
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
  u16(o.id); u32(o.data.length); push(Buffer.from(o.data));
}
if (td.version === 7 && !toTop) for (const b of td.instances) {
  const data = Buffer.concat([Buffer.alloc(8), Buffer.from(b.name + '\0', 'latin1')]);
  u16(3); u32(data.length); patches.push({ at: u64(0), name: b.name }); push(data.subarray(8));
}
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
      push(bytes.subarray(c.offset, c.offset + c.size)); size = c.size;
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
