#!/usr/bin/env node
// Builds testdata/succeed/bprint-v6/: ftrace:bprint records (trace_printk's binary form: the format's
// address, then its arguments packed as the kernel's vbin_printf packs them) and ftrace:print records,
// for the readers and for the CTF round trip. This machine's kernel has no trace_printk caller we
// can trigger, so the records are written by our own writer (@utp/tracedat writeTraceDat +
// PagePacker) from this machine's real metadata: header_page, header_event and the ftrace formats
// from tracefs, printk formats at made-up addresses (the printk section maps them to their text) and
// a few real functions of /proc/kallsyms for the ip. Arguments are 32-bit values and strings only
// (a 64-bit argument's alignment depends on where the record sits in memory), and no %c: libtraceevent
// 1.7 prints it as ">c<" (and a 0 flag, %03d, as "d") and then fails every later bprint record (utp does
// the same; not this fixture's job).
// The expected outputs come from the reference tool: trace-cmd report in each mode, as
// tools/make-fixtures.mjs saves them for every fixture (test/fixtures.test.mjs compares utp's).
// Run as root on a machine with trace-cmd 3.1.6:  node tools/make-bprint-fixture.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Tep, KRecord } from '@utp/traceevent';
import { PagePacker, writeTraceDat, MemorySink } from '@utp/tracedat';

const T = '/sys/kernel/tracing';
const OUT = new URL('../testdata/succeed/bprint-v6/', import.meta.url).pathname;
const rd = (p) => readFileSync(join(T, p), 'latin1');

const FTRACE = ['print', 'bprint', 'bputs'];
const FMTS = [
  [0xffffffffc0de0000n, 'utp: hello %d world\\n'],
  [0xffffffffc0de0040n, 'utp: %s=%u (%x)\\n'],
  [0xffffffffc0de0080n, 'utp: three %d %d %d and a %s\\n'],
  [0xffffffffc0de00c0n, 'utp: no arguments\\n'],
  [0xffffffffc0de0100n, 'utp: simple %d %d %d\\n'],
];
const meta = {
  headerPage: rd('events/header_page'),
  headerEvent: rd('events/header_event'),
  ftraceFormats: FTRACE.map((e) => rd(`events/ftrace/${e}/format`)),
  systems: [],
  kallsyms: '',
  printk: FMTS.map(([a, f]) => `0x${a.toString(16)} : "${f}"\n`).join(''),
  cmdlines: '1200 bash\n1300 kworker/0:1\n',
};

const want = new Set(['do_syscall_64', 'vfs_read', 'ksys_write', 'schedule']);
const syms = new Map();
for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
  const [addr, type, name, mod] = line.split(/\s+/);
  if (mod || !/^[tT]$/.test(type ?? '') || !want.has(name) || syms.has(name)) continue;
  if (/^0+$/.test(addr)) throw new Error('/proc/kallsyms shows no addresses (run as root)');
  syms.set(name, BigInt('0x' + addr));
}
if (syms.size < 2) throw new Error('too few functions in /proc/kallsyms');
meta.kallsyms = [...syms]
  .sort((a, b) => (a[1] < b[1] ? -1 : 1))
  .map(([n, a]) => `${a.toString(16).padStart(16, '0')} T ${n}\n`)
  .join('');
const ips = [...syms.values()];

const tep = new Tep({ littleEndian: true, longSize: 8 });
for (const f of meta.ftraceFormats) tep.addEventFormat(f, 'ftrace');
const bprint = tep.findEvent('ftrace', 'bprint');
const print = tep.findEvent('ftrace', 'print');

/** The common header and fixed fields of event E, then `tail` bytes. */
function record(e, pid, fixed, tail) {
  const head = e.fields.filter((f) => f.size > 0).reduce((m, f) => Math.max(m, f.offset + f.size), 8);
  const b = new Uint8Array(head + tail.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, e.id, true);
  v.setInt32(4, pid, true);
  for (const [name, x] of Object.entries(fixed)) {
    const f = e.fields.find((g) => g.name === name);
    if (f.size === 8) v.setBigUint64(f.offset, BigInt(x), true);
  }
  b.set(tail, head);
  return b;
}

/** vbin_printf's packing: each int in a 32-bit word, each string with its NUL, padded to 4 bytes. */
function vbin(args) {
  const out = [];
  for (const a of args) {
    if (typeof a === 'number') {
      const w = new Uint8Array(4);
      new DataView(w.buffer).setUint32(0, a >>> 0, true);
      out.push(...w);
    } else {
      const s = new TextEncoder().encode(a);
      out.push(...s, 0);
      while (out.length % 4) out.push(0);
    }
  }
  return Uint8Array.from(out);
}

const recs = [[], []];
let ts = 30_000_000_000n;
const calls = [
  [0, [42]],
  [1, ['answer', 42, 0xbeef]],
  [2, [1, -2, 3, 'end']],
  [3, []],
  [4, [7, 9, 5]],
  [0, [-1]],
  [1, ['é-utf8', 4000000000, 0xffffffff]],
  [2, [0, 0, 0, '']],
];
for (let i = 0; i < 40; i++) {
  const cpu = i % 2;
  ts += BigInt(1000 + ((i * 7919) % 5000));
  const [k, args] = calls[i % calls.length];
  const pid = i % 3 === 0 ? 1300 : 1200;
  if (i % 5 === 4) {
    const text = new TextEncoder().encode(`utp print ${i}: "quoted" tab\there\n`);
    recs[cpu].push({ ts, data: record(print, pid, { ip: ips[i % ips.length] }, Uint8Array.from([...text, 0])) });
  } else {
    recs[cpu].push({ ts, data: record(bprint, pid, { ip: ips[i % ips.length], fmt: FMTS[k][0] }, vbin(args)) });
  }
}

const pageSize = 4096;
const cpus = recs.map((list, cpu) => {
  const pages = [];
  const packer = new PagePacker({ pageSize, longSize: 8, littleEndian: true, emit: (p) => pages.push(p) });
  for (const r of list) {
    const k = new KRecord();
    k.page = r.data;
    k.view = new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    k.offset = 0;
    k.size = r.data.length;
    k.ts = r.ts;
    k.cpu = cpu;
    if (packer.needsPage(k)) packer.newPage(k);
    packer.add(k);
  }
  packer.finish();
  return { cpu, data: pages };
});

const sink = new MemorySink();
writeTraceDat(sink, meta, [{ name: '', clock: 'local', cpus }], {
  version: 6,
  compression: null,
  littleEndian: true,
  longSize: 8,
  pageSize,
  cpuCount: 2,
  traceClock: '[local] global counter uptime perf mono mono_raw boot tai x86-tsc\n',
});
mkdirSync(OUT, { recursive: true });
const file = join(OUT, 'trace.dat');
writeFileSync(file, sink.finish());

const MODES = { report: [], 'report-N': ['-N'], 'report-R': ['-R'], 'report-t': ['-t'], 'report-l': ['-l'] };
for (const [name, flags] of Object.entries(MODES)) {
  const out = execFileSync('trace-cmd', ['report', ...flags, '-i', file], { encoding: 'latin1', maxBuffer: 1 << 26 });
  if (/FAILED TO PARSE|\[UNKNOWN/.test(out)) throw new Error(`trace-cmd report ${flags.join(' ')} does not read the records`);
  if (name === 'report' && !/utp: three 1 -2 3 and a end/.test(out))
    throw new Error('trace-cmd report does not print the bprint arguments');
  writeFileSync(join(OUT, `${name}.txt`), out, 'latin1');
}
console.log(`wrote ${file} (${sink.length} bytes) and trace-cmd report's outputs`);
