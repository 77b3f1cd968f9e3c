#!/usr/bin/env node
/**
 * Regenerates print-cases.json: synthetic event formats + records, written into a
 * trace.dat v6 with @utp/tracedat's writer and printed by the real `trace-cmd report`
 * (-N and -R). The expected info columns come from trace-cmd, never from us.
 *
 *   node packages/traceevent/testdata/make-print-cases.mjs   (needs trace-cmd; build first)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTraceDat, MemorySink } from '../../tracedat/dist/index.js';
import { CASES, KALLSYMS, PRINTK } from './print-cases-src.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * BE=1: write a big-endian trace (numbers, headers, __data_loc words) into print-cases-be.json.
 * USER_LONG=4: a file whose header says sizeof(long) is 4 (trace-cmd gives that to libtraceevent
 * as its long size, whatever header_page says) into print-cases-long4.json.
 */
const LE = process.env.BE !== '1';
export const HEADER_PAGE = '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n';
export const HEADER_EVENT = '# compressed entry header\n\ttype_len    :    5 bits\n\ttime_delta  :   27 bits\n\tarray       :   32 bits\n\n\tpadding     : type == 29\n\ttime_extend : type == 30\n\ttime_stamp : type == 31\n\tdata max type_len  == 28\n';
const COMMON = '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n';

/** Lays out a case's fields: [decl, size, signed] with decl like 'u32 a', 'char s[8]', '__data_loc char[] n'. */
export function layout(c) {
  let off = 8;
  const fields = [];
  for (const [decl, size, signed] of c.fields) {
    const align = decl.includes('[') ? 1 : Math.min(size, 8) || 1;
    if (off % align) off += align - (off % align);
    const m = /([A-Za-z_][A-Za-z0-9_]*)(\[\d*\])?$/.exec(decl.trim());
    fields.push({ decl, name: m[1], size, signed, offset: off, dynamic: decl.startsWith('__data_loc') || decl.startsWith('__rel_loc'), rel: decl.startsWith('__rel_loc') });
    off += size;
  }
  return { fields, fixed: off };
}

export function formatText(c, id) {
  const { fields } = layout(c);
  let t = `name: ${c.name}\nID: ${id}\nformat:\n${COMMON}\n`;
  for (const f of fields) t += `\tfield:${f.decl};\toffset:${f.offset};\tsize:${f.size};\tsigned:${f.signed ? 1 : 0};\n`;
  return t + `\nprint fmt: ${c.fmt}\n`;
}

function toBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Uint8Array.from([...v].map((ch) => ch.charCodeAt(0)));
  return Uint8Array.from(v);
}

/** Payload bytes of one record. */
export function payload(c, id, vals, pid = 100) {
  const { fields, fixed } = layout(c);
  const tail = [];
  let tailLen = 0;
  const head = new Uint8Array(fixed);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, id, LE); dv.setUint8(2, 0); dv.setUint8(3, 0); dv.setInt32(4, pid, LE);
  for (const f of fields) {
    const v = vals[f.name];
    if (v === undefined) continue;
    if (f.dynamic) {
      const b = toBytes(v);
      const dataOff = fixed + tailLen;
      const o = f.rel ? dataOff - (f.offset + 4) : dataOff;
      dv.setUint32(f.offset, ((b.length & 0xffff) << 16 | (o & 0xffff)) >>> 0, LE);
      tail.push(b); tailLen += b.length;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const big = BigInt.asUintN(64, BigInt(v));
      if (f.size === 1) dv.setUint8(f.offset, Number(big & 0xffn));
      else if (f.size === 2) dv.setUint16(f.offset, Number(big & 0xffffn), LE);
      else if (f.size === 4) dv.setUint32(f.offset, Number(big & 0xffffffffn), LE);
      else if (f.size === 8) dv.setBigUint64(f.offset, big, LE);
    } else {
      head.set(toBytes(v).subarray(0, f.size), f.offset);
    }
  }
  const out = new Uint8Array(fixed + tailLen);
  out.set(head, 0);
  let o = fixed;
  for (const b of tail) { out.set(b, o); o += b.length; }
  return out;
}

/** One sub-buffer holding the payloads (4 KiB pages; throws when they do not fit). */
export function pages(payloads, where = []) {
  const result = [];
  let page = new Uint8Array(4096);
  let pos = 16;
  const flush = () => {
    new DataView(page.buffer).setBigUint64(0, 1000000000n, LE);
    new DataView(page.buffer).setBigUint64(8, BigInt(pos - 16), LE);
    result.push(page);
    page = new Uint8Array(4096);
    pos = 16;
  };
  for (const p of payloads) {
    const len = (p.length + 3) & ~3 || 4;
    const need = len <= 112 ? 4 + len : 8 + len;
    if (pos + need > 4096) flush();
    const dv = new DataView(page.buffer);
    const hdr = (tl) => (LE ? ((1000 << 5) | tl) : ((tl << 27) | 1000)) >>> 0;
    if (len <= 112) { dv.setUint32(pos, hdr(len / 4), LE); page.set(p, pos + 4); where.push([result.length, pos + 4]); pos += 4 + len; }
    else { dv.setUint32(pos, hdr(0), LE); dv.setUint32(pos + 4, len + 4, LE); page.set(p, pos + 8); where.push([result.length, pos + 8]); pos += 8 + len; }
  }
  flush();
  return result;
}

/** trace-cmd report output split into records (continuation lines of multi-line infos joined with \n). */
export function reportRecords(file, flag) {
  const text = execFileSync('trace-cmd', ['report', flag, '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const recs = [];
  for (const l of lines) {
    if (l.startsWith('cpus=')) continue;
    if (/^ *tester-100 +\[000\] /.test(l)) recs.push(l);
    else if (recs.length) recs[recs.length - 1] += '\n' + l;
  }
  return recs;
}

export function infoColumn(line, name) {
  const key = ` ${name}: `;
  const i = line.indexOf(key);
  if (i < 0) return null;
  let j = i + key.length;
  const padTo = Math.max(0, 20 - name.length);
  return line.slice(j + padTo);
}

function main() {
  const dir = mkdtempSync(join(tmpdir(), 'utp-print-'));
  const out = [];
  let id = 1000;
  const systems = [];
  const all = [];
  const customFtrace = [];
  for (const c of CASES) {
    if (c.ftrace) { c.id = 6; continue; }
    c.id = id++;
    c.format = formatText(c, c.id);
    (c.ftraceCustom ? customFtrace : systems).push(c.format);
  }
  const bprintFmt = readFileSync('/sys/kernel/tracing/events/ftrace/bprint/format', 'latin1');
  const printFmt = readFileSync('/sys/kernel/tracing/events/ftrace/print/format', 'latin1');
  for (const c of CASES) for (const r of c.records) all.push({ c, r, bytes: r.$raw ? toBytes(r.$raw) : r.$truncate ? payload(c, c.id, r).subarray(0, r.$truncate) : payload(c, c.id, r) });
  const where = [];
  const pagesOut = pages(all.map((a) => a.bytes), where);
  const sink = new MemorySink();
  writeTraceDat(sink, {
    headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, ftraceFormats: [printFmt, bprintFmt, ...customFtrace],
    systems: [{ name: 'utptest', formats: systems }], kallsyms: KALLSYMS, printk: PRINTK, cmdlines: '100 tester\n',
  }, [{ name: '', clock: 'local', cpus: [{ cpu: 0, data: pagesOut }] }],
  { version: 6, compression: null, littleEndian: LE, longSize: Number(process.env.USER_LONG ?? 8), pageSize: 4096, cpuCount: 1, traceClock: '[local] global\n' });
  const file = join(dir, 'cases.dat');
  writeFileSync(file, sink.finish());
  const run = (flag) => reportRecords(file, flag);
  const linesN = run('-N');
  const linesR = run('-R');
  if (linesN.length !== all.length || linesR.length !== all.length) throw new Error(`record count mismatch: ${linesN.length}/${linesR.length} vs ${all.length}`);
  for (let i = 0; i < all.length; i++) {
    const { c, bytes } = all[i];
    // the bytes after the payload in its page (libtraceevent may read past a record)
    const [pi, at] = where[i];
    const tail = pagesOut[pi].subarray(at + bytes.length, Math.min(4096, at + bytes.length + 128));
    out.push({ case: c.name, hex: Buffer.from(bytes).toString('hex'), tail: Buffer.from(tail).toString('hex'), N: infoColumn(linesN[i], c.name), R: infoColumn(linesR[i], c.name) });
  }
  const cases = CASES.map((c) => ({ name: c.name, system: c.ftrace || c.ftraceCustom ? 'ftrace' : 'utptest', format: c.ftrace ? bprintFmt : c.format }));
  const outName = !LE ? 'print-cases-be.json' : process.env.USER_LONG === '4' ? 'print-cases-long4.json' : 'print-cases.json';
  writeFileSync(join(here, outName), JSON.stringify({ kallsyms: KALLSYMS, printk: PRINTK, cases, records: out }, null, 1) + '\n', 'latin1');
  console.log(`wrote ${out.length} records of ${CASES.length} cases; trace file ${file}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
