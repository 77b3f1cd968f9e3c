#!/usr/bin/env node
/**
 * Regenerates real-cases.json.gz from a real trace.dat recorded on this machine: for the
 * first records of every event, the format text, the payload bytes and the info column
 * `trace-cmd report -N` / `-R` printed for it, plus the kallsyms/printk lines those
 * records need. Expected text always comes from trace-cmd.
 *
 *   node packages/traceevent/testdata/make-real-cases.mjs TRACE.dat [PER_EVENT]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSource } from '../../bytes/dist/node/index.js';
import { TraceDat } from '../../tracedat/dist/index.js';
import { Tep } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2];
const perEvent = Number(process.argv[3] ?? 2);
if (!file) { console.error('usage: make-real-cases.mjs TRACE.dat [PER_EVENT]'); process.exit(2); }

const tep = new Tep();
const td = await TraceDat.open(new FileSource(file), { tep });
const run = (flag) => execFileSync('trace-cmd', ['report', flag, '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
const linesN = run('-N');
const linesR = run('-R');

function info(line, name) {
  const key = ` ${name}: `;
  const i = line.indexOf(key);
  if (i < 0) return null;
  return line.slice(i + key.length + Math.max(0, 20 - name.length));
}

// walk records in the order trace-cmd prints them; skip lines that are not records
const picked = new Map();
let iN = 1, iR = 1;
const skip = (lines, i) => { while (i < lines.length && /^(CPU:\d+ \[|cpus=)/.test(lines[i])) i++; return i; };
await td.forEachRecord((rec) => {
  const ev = tep.eventOf(rec);
  iN = skip(linesN, iN); iR = skip(linesR, iR);
  if (!ev) { iN++; iR++; return; }
  const n = tep.formatInfo(rec, ev, 'noplugins');
  const r = tep.formatInfo(rec, ev, 'raw');
  const lineN = linesN[iN], lineR = linesR[iR];
  iN += 1 + (n.match(/\n/g) ?? []).length;
  iR += 1 + (r.match(/\n/g) ?? []).length;
  if (n.includes('\n') || r.includes('\n')) return;
  const key = `${ev.system}:${ev.name}`;
  let list = picked.get(key);
  if (!list) picked.set(key, list = { ev, recs: [] });
  if (list.recs.length >= perEvent) return;
  list.recs.push({ hex: Buffer.from(rec.page.subarray(rec.offset, rec.offset + rec.size)).toString('hex'), tail: Buffer.from(rec.page.subarray(rec.offset + rec.size, rec.offset + rec.size + 32)).toString('hex'), N: info(lineN, ev.name), R: info(lineR, ev.name), bytes: rec.page.slice(rec.offset, rec.offset + rec.size) });
});

// the kernel symbols and printk strings these records can reach
const syms = new Set();
const printk = new Map();
const sorted = [];
for (const { recs } of picked.values()) for (const r of recs) {
  const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  for (let o = 8; o + 8 <= r.bytes.length; o += 4) {
    const v = dv.getBigUint64(o, true);
    if (v < 0xffff000000000000n) continue;
    const s = tep.findFunction(v);
    if (s) syms.add(s.addr);
    const p = tep.findPrintk(v);
    if (p !== undefined) printk.set(v, p);
  }
}
// each symbol plus its successor so that the "between" rule still holds
const all = tep.kallsyms;
const lines = [];
for (const addr of syms) {
  const s = tep.findFunction(addr);
  lines.push(`${addr.toString(16)} T ${s.name}${s.module ? `\t[${s.module}]` : ''}`);
  // successor: probe upwards until another symbol starts
  let next = null;
  for (let step = 1n; step < 1n << 24n; step <<= 1n) {
    const t = tep.findFunction(addr + step);
    if (!t || t.addr !== addr) { next = t; break; }
  }
  if (next && next.addr > addr) {
    let lo = addr, hi = next.addr;
    while (hi - lo > 1n) { const mid = (lo + hi) / 2n; const t = tep.findFunction(mid); if (t && t.addr === addr) lo = mid; else hi = mid; }
    const t = tep.findFunction(hi);
    if (t) lines.push(`${t.addr.toString(16)} T ${t.name}${t.module ? `\t[${t.module}]` : ''}`);
  }
}
void all; void sorted;
const out = {
  source: 'recorded with /work/shared/tools/make-reference-trace on Linux 6.18, printed by trace-cmd 3.1.6 / libtraceevent 1.7.1',
  kallsyms: [...new Set(lines)].join('\n') + '\n',
  printk: [...printk].map(([a, p]) => `0x${a.toString(16)} : "${p}"`).join('\n') + '\n',
  events: [...picked.values()].map(({ ev, recs }) => ({ system: ev.system, format: ev.formatText, records: recs.map(({ hex, tail, N, R }) => ({ hex, tail, N, R })) })),
};
writeFileSync(join(here, 'real-cases.json.gz'), gzipSync(Buffer.from(JSON.stringify(out) + '\n', 'latin1'), { level: 9 }));
console.log(`wrote ${out.events.length} events, ${out.events.reduce((s, e) => s + e.records.length, 0)} records`);
await td.close();
