#!/usr/bin/env node
// Builds small function-graph trace.dat files (the kernel here refuses the function tracers, so the
// records are made by hand with our writer) and saves what Debian's trace-cmd 3.1.6 prints for them.
// Usage (after `npm run build`, on a machine with tracefs and trace-cmd): node make-fgraph.mjs
//   fgraph.dat          v6, top buffer (2 CPUs) + instance `inst`: leaf folding cases (see CASES below)
//   fgraph-counter.dat  the same with TRACECLOCK `local global [counter]` (func_repeats' last_ts as %12llu)
//   fgraph-migrate.dat  a leaf whose exit is on the other CPU, clock at 30 s: trace-cmd's merge keeps a
//                       freed record for that CPU and prints its next record right after the leaf
//   fgraph-migrate-early.dat  the same at 5 s: that CPU comes after the other one's records
// and NAME.args / NAME.txt.gz for each flag set in RUNS (the report test runs them all).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { MemorySink, writeTraceDat } from '@utp/tracedat';

const here = new URL('.', import.meta.url).pathname;
const ev = (n) => readFileSync(`/sys/kernel/tracing/events/ftrace/${n}/format`, 'latin1');
const idOf = (t) => Number(/\nID: (\d+)/.exec(t)[1]);
const F = { function: ev('function'), funcgraph_entry: ev('funcgraph_entry'), funcgraph_exit: ev('funcgraph_exit'), func_repeats: ev('func_repeats') };
const ID = Object.fromEntries(Object.entries(F).map(([k, t]) => [k, idOf(t)]));

const SYM = { a: 0xffffffff81001000n, b: 0xffffffff81002000n, c: 0xffffffff81003000n, d: 0xffffffff81004000n, e: 0xffffffff81005000n, f: 0xffffffff81006000n, g: 0xffffffff81007000n, h: 0xffffffff81008000n, i: 0xffffffff81009000n, j: 0xffffffff8100a000n };
const kallsyms = Object.entries(SYM).map(([n, a]) => `${a.toString(16)} T func_${n}\n`).join('') + 'ffffffff8100b000 T func_end\n';

const common = (b, type, pid) => { b.writeUInt16LE(type, 0); b.writeUInt8(1, 2); b.writeUInt8(0, 3); b.writeInt32LE(pid, 4); };
const entry = (pid, func, depth) => { const b = Buffer.alloc(24); common(b, ID.funcgraph_entry, pid); b.writeBigUInt64LE(func, 8); b.writeUInt32LE(depth, 16); return b; };
const exit = (pid, func, depth, dur) => { const b = Buffer.alloc(40); common(b, ID.funcgraph_exit, pid); b.writeBigUInt64LE(func, 8); b.writeUInt32LE(depth, 16); b.writeBigUInt64LE(1000n, 24); b.writeBigUInt64LE(1000n + dur, 32); return b; };
const fn = (pid, ip, parent) => { const b = Buffer.alloc(24); common(b, ID.function, pid); b.writeBigUInt64LE(ip, 8); b.writeBigUInt64LE(parent, 16); return b; };
const rep = (pid, ip, parent, count, delta) => { const b = Buffer.alloc(32); common(b, ID.func_repeats, pid); b.writeBigUInt64LE(ip, 8); b.writeBigUInt64LE(parent, 16); b.writeUInt16LE(count, 24); b.writeUInt16LE(Number(delta >> 32n), 26); b.writeUInt32LE(Number(delta & 0xffffffffn), 28); return b; };

// [ts, cpu, payload]; top buffer and instance `inst`
const US = 1000n; // record times below are in µs
const top = [
  [1000n, 0, entry(100, SYM.a, 0)], //            A nested (next is B's entry)
  [1100n, 0, entry(100, SYM.b, 1)], //            B leaf: its exit follows in this buffer (an instance record lies between)
  [1200n, 0, exit(100, SYM.b, 1, 15000n)],
  [1300n, 0, entry(100, SYM.c, 1)], //            C nested: the next record is an exit of C by another pid
  [1350n, 1, exit(200, SYM.c, 1, 150000n)],
  [1400n, 0, exit(100, SYM.c, 1, 2000000n)],
  [1500n, 0, entry(100, SYM.d, 1)], //            D nested: the next exit is of another function
  [1600n, 0, exit(100, SYM.e, 1, 500n)],
  [1700n, 0, entry(100, SYM.f, 1)], //            F leaf (filtered out in some runs)
  [1800n, 0, exit(100, SYM.f, 1, 1500000000n)],
  [1900n, 0, exit(100, SYM.a, 0, 123456789012n)],
  [2000n, 0, entry(100, SYM.g, 0)], //            G leaf: tie at 2100 between CPU 0 (its exit) and CPU 1
  [2100n, 0, exit(100, SYM.g, 0, 999n)],
  [2100n, 1, fn(200, SYM.h, SYM.a)],
  [2200n, 1, entry(200, SYM.h, 0)], //            H nested: tie at 2300, CPU 0 wins over its exit on CPU 1
  [2300n, 0, fn(100, SYM.i, SYM.a)],
  [2300n, 1, exit(200, SYM.h, 0, 12345678n)],
  [2400n, 1, rep(200, SYM.b, SYM.a, 3, 0x1_0000_0300n)],
  [2500n, 1, rep(200, SYM.c, SYM.a, 7, 1234n)],
  [3050n, 0, fn(100, SYM.j, SYM.a)],
  [3200n, 1, entry(200, SYM.a, 2)], //            last record of the buffer: no next record
];
const inst = [
  [1150n, 0, fn(300, SYM.e, SYM.b)],
  [3000n, 0, entry(300, SYM.j, 0)], //            J leaf in the instance; a top record (3050) lies between
  [3100n, 0, exit(300, SYM.j, 0, 100001n)],
];

// a leaf whose exit was written on CPU 1 (the task migrated)
const migrate = [
  [1000n, 0, entry(100, SYM.a, 0)],
  [1100n, 0, fn(100, SYM.b, SYM.a)],
  [1200n, 0, entry(100, SYM.c, 1)],
  [1300n, 1, exit(100, SYM.c, 1, 5000n)],
  [1400n, 0, fn(200, SYM.d, SYM.a)],
  [1500n, 1, fn(100, SYM.e, SYM.a)],
  [1600n, 0, fn(200, SYM.f, SYM.a)],
  [1700n, 1, fn(100, SYM.g, SYM.a)],
  [1800n, 0, fn(200, SYM.h, SYM.a)],
];

let T0 = 0n;
function pages(recs, cpu) {
  const evs = recs.filter((r) => r[1] === cpu).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  if (!evs.length) return [];
  const page = Buffer.alloc(4096);
  page.writeBigUInt64LE(T0 + evs[0][0] * US, 0);
  let o = 16, last = T0 + evs[0][0] * US;
  for (const [ts, , p] of evs) {
    const delta = T0 + ts * US - last;
    last = T0 + ts * US;
    page.writeUInt32LE((p.length / 4) | (Number(delta) << 5), o);
    p.copy(page, o + 4);
    o += 4 + p.length;
  }
  page.writeBigUInt64LE(BigInt(o - 16), 8);
  return [new Uint8Array(page)];
}
const buf = (name, recs, cpus) => ({ name, clock: 'local', cpus: cpus.map((c) => ({ cpu: c, data: pages(recs, c) })) });
const meta = {
  headerPage: readFileSync('/sys/kernel/tracing/events/header_page', 'latin1'),
  headerEvent: readFileSync('/sys/kernel/tracing/events/header_event', 'latin1'),
  ftraceFormats: [F.function, F.funcgraph_entry, F.funcgraph_exit, F.func_repeats],
  systems: [],
  kallsyms, printk: '', cmdlines: '100 task-a\n200 task-b\n300 task-c\n',
};
const FILES = [
  ['fgraph.dat', '[local] global counter', 5000000000n, [buf0(top), () => buf('inst', inst, [0, 1])]],
  ['fgraph-counter.dat', 'local global [counter]', 5000000000n, [buf0(top), () => buf('inst', inst, [0, 1])]],
  ['fgraph-migrate.dat', '[local] global counter', 30000000000n, [buf0(migrate)]],
  ['fgraph-migrate-early.dat', '[local] global counter', 5000000000n, [buf0(migrate)]],
];
function buf0(recs) { return () => buf('', recs, [0, 1]); }
for (const [file, clock, t0, bufs] of FILES) {
  T0 = t0;
  const sink = new MemorySink();
  writeTraceDat(sink, meta, bufs.map((b) => (typeof b === 'function' ? b() : b)), {
    version: 6, compression: null, littleEndian: true, longSize: 8, pageSize: 4096, cpuCount: 2, traceClock: clock + '\n',
  });
  writeFileSync(here + file, sink.finish());
}

// flag sets: NAME → [FILE, FLAGS]
const RUNS = {
  'fgraph': ['fgraph.dat', ''],
  'fgraph-t': ['fgraph.dat', '-t'],
  'fgraph-depth-tail': ['fgraph.dat', '-O fgraph:depth -O tailprint'],
  'fgraph-F-entry': ['fgraph.dat', '-F funcgraph_entry'],
  'fgraph-F-exit': ['fgraph.dat', '-F funcgraph_exit'],
  'fgraph-vF-entry': ['fgraph.dat', '-v -F funcgraph_entry'],
  'fgraph-cpu1': ['fgraph.dat', '--cpu 1'],
  'fgraph-R': ['fgraph.dat', '-R'],
  'fgraph-N': ['fgraph.dat', '-N'],
  'fgraph-n-entry': ['fgraph.dat', '-n funcgraph_entry'],
  'fgraph-raw-ts': ['fgraph.dat', '--raw-ts'],
  'fgraph-counter': ['fgraph-counter.dat', ''],
  'fgraph-counter-t': ['fgraph-counter.dat', '-t'],
  'fgraph-migrate': ['fgraph-migrate.dat', ''],
  'fgraph-migrate-early': ['fgraph-migrate-early.dat', ''],
  'fgraph-migrate-cpu0': ['fgraph-migrate.dat', '--cpu 0'],
  'fgraph-boundary': ['fgraph.dat', '--boundary'],
};
const split = (s) => [...s.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
for (const [name, [file, flags]] of Object.entries(RUNS)) {
  // -F on a file with instances: trace-cmd 3.1.6 frees the filter its handles share twice and
  // crashes after printing everything; line-buffered stdout keeps what it printed
  let out;
  try { out = execFileSync('stdbuf', ['-oL', 'trace-cmd', 'report', ...split(flags), '-i', here + file], { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] }); }
  catch (e) { if (!flags.includes('-F')) throw e; out = e.stdout; }
  writeFileSync(`${here}${name}.args`, `${file}|${flags}\n`);
  writeFileSync(`${here}${name}.txt.gz`, gzipSync(out));
}
console.log('wrote', Object.keys(RUNS).length, 'runs');
