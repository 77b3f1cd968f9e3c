#!/usr/bin/env node
/**
 * Regenerates fuzz-cases.json: for every event format of this machine
 * (/sys/kernel/tracing/events/SYS/EVENT/format), records with pseudo-random but
 * plausible field values (small numbers, kernel addresses, printable strings, valid
 * __data_loc entries) are written into a trace.dat v6 and printed by the real
 * `trace-cmd report -N` / `-R`. The expected texts come from trace-cmd.
 *
 *   node packages/traceevent/testdata/make-fuzz-cases.mjs [SYSTEM_REGEX]
 */
import { writeFileSync, mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTraceDat, MemorySink } from '../../tracedat/dist/index.js';
import { Tep } from '../dist/index.js';
import { pages, infoColumn, reportRecords, HEADER_PAGE, HEADER_EVENT } from './make-print-cases.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2] ? new RegExp(process.argv[2]) : null;
const base = '/sys/kernel/tracing/events';
let seed = Number(process.env.SEED ?? 12345);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

const KALLSYMS = [];
for (let i = 0; i < 64; i++) KALLSYMS.push(`ffffffff81${(i * 0x1000).toString(16).padStart(6, '0')} T fuzz_fn_${i}`);
const kallsyms = KALLSYMS.join('\n') + '\n';
const PRINTK = '0xffffffff82000000 : "fuzz printk string"\n';
const ADDRS = [0xffffffff81000000n, 0xffffffff81000123n, 0xffffffff81005000n, 0xffffffff82000000n, 0n, 0xffff888800001000n];

const tep = new Tep();
const formats = [];
const ftrace = [];
for (const sys of readdirSync(base)) {
  const d = join(base, sys);
  let evs;
  try { evs = readdirSync(d); } catch { continue; }
  for (const ev of evs) {
    const f = join(d, ev, 'format');
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'latin1');
    const e = tep.addEventFormat(text, sys);
    if (sys === 'ftrace') ftrace.push(text);
    if (only && !only.test(sys)) continue;
    formats.push({ sys, text, e });
  }
}

function payloadFor(e, variant) {
  const fields = [...e.commonFields, ...e.fields];
  let fixed = 0;
  for (const f of fields) fixed = Math.max(fixed, f.offset + f.size);
  const tail = [];
  let tailLen = 0;
  const head = new Uint8Array(Math.max(fixed, 8));
  const dv = new DataView(head.buffer);
  for (const f of e.fields) {
    if (f.flags & 16) { // dynamic
      const n = rnd(12);
      const b = new Uint8Array(n + 1);
      for (let i = 0; i < n; i++) b[i] = variant === 0 ? 97 + rnd(26) : rnd(256) & 0x7f;
      if (!(f.flags & 8)) for (let i = 0; i <= n; i++) b[i] = rnd(256);
      const off = fixed + tailLen;
      const o = f.flags & 256 ? off - (f.offset + f.size) : off;
      if (f.size === 4) dv.setUint32(f.offset, ((b.length << 16) | (o & 0xffff)) >>> 0, true);
      else if (f.size === 2) dv.setUint16(f.offset, o, true);
      tail.push(b); tailLen += b.length;
      continue;
    }
    if (f.flags & 1) { // fixed array
      for (let i = 0; i < f.size; i++) head[f.offset + i] = f.flags & 8 && variant === 0 ? (i < f.size - 1 ? 97 + rnd(26) : 0) : rnd(variant === 0 ? 8 : 256);
      continue;
    }
    const big = variant === 0 ? BigInt(rnd(16)) : rnd(3) === 0 ? ADDRS[rnd(ADDRS.length)] : BigInt(rnd(64));
    if (f.size === 1) head[f.offset] = Number(big & 0xffn);
    else if (f.size === 2) dv.setUint16(f.offset, Number(big & 0xffffn), true);
    else if (f.size === 4) dv.setUint32(f.offset, Number(big & 0xffffffffn), true);
    else if (f.size === 8) dv.setBigUint64(f.offset, big, true);
  }
  dv.setUint16(0, e.id, true);
  dv.setInt32(4, 100, true);
  const out = new Uint8Array(head.length + tailLen);
  out.set(head, 0);
  let o = head.length;
  for (const b of tail) { out.set(b, o); o += b.length; }
  return out;
}

// trace-cmd may crash on some garbage (e.g. a bad pointer it dereferences): drop the
// format whose record was being printed and try again
let recs, where, pagesOut, file, N, R;
for (let attempt = 0; attempt < 40; attempt++) {
  seed = Number(process.env.SEED ?? 12345);
  recs = [];
  for (const f of formats) for (let v = 0; v < 2; v++) recs.push({ f, bytes: payloadFor(f.e, v) });
  const systems = new Map();
  for (const f of formats) if (f.sys !== 'ftrace') { if (!systems.has(f.sys)) systems.set(f.sys, []); systems.get(f.sys).push(f.text); }
  where = [];
  pagesOut = pages(recs.map((r) => r.bytes), where);
  const sink = new MemorySink();
  writeTraceDat(sink, {
    headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, ftraceFormats: ftrace,
    systems: [...systems].map(([name, formats]) => ({ name, formats })), kallsyms, printk: PRINTK, cmdlines: '100 tester\n',
  }, [{ name: '', clock: 'local', cpus: [{ cpu: 0, data: pagesOut }] }],
  { version: 6, compression: null, littleEndian: true, longSize: 8, pageSize: 4096, cpuCount: 1, traceClock: '[local] global\n' });
  file = join(mkdtempSync(join(tmpdir(), 'utp-fuzz-')), 'fuzz.dat');
  writeFileSync(file, sink.finish());
  try {
    N = reportRecords(file, '-N');
    R = reportRecords(file, '-R');
    break;
  } catch (e) {
    const partial = String(e.stdout ?? '').split('\n').filter((l) => /^ *tester-100 +\[000\] /.test(l)).length;
    const bad = recs[Math.min(partial, recs.length - 1)].f;
    console.error(`trace-cmd crashed at record ${partial} (${bad.sys}:${bad.e.name}); dropping that format`);
    formats.splice(formats.indexOf(bad), 1);
  }
}
const out = { kallsyms, printk: PRINTK, formats: formats.map((f) => ({ system: f.sys, format: f.text })), records: [] };
const idx = new Map(formats.map((f, i) => [f, i]));
for (let i = 0; i < recs.length; i++) {
  const { f, bytes } = recs[i];
  const [pi, at] = where[i];
  const tail = pagesOut[pi].subarray(at + bytes.length, Math.min(4096, at + bytes.length + 32));
  out.records.push({ format: idx.get(f), hex: Buffer.from(bytes).toString('hex'), tail: Buffer.from(tail).toString('hex'), N: infoColumn(N[i], f.e.name), R: infoColumn(R[i], f.e.name) });
}
writeFileSync(join(here, only ? 'fuzz-cases.partial.json.gz' : 'fuzz-cases.json.gz'), gzipSync(Buffer.from(JSON.stringify(out) + '\n', 'latin1'), { level: 9 }));
console.log(`wrote ${out.records.length} records of ${formats.length} formats; trace file ${file}`);
