// Builds the page-quirk fixtures: v7+zstd files whose CPU data trace-cmd 3.1.6 reads
// only partly ("bad page offset"), plus what `trace-cmd report` prints for them.
//
//   node make-page-quirk.mjs I8.dat I4.dat [FULL8.dat]
//
// I8.dat: a trace of an instance with buffer_subbuf_size_kb=8 (trace-cmd extract -B, v7+zstd or
// none); I4.dat: a trace of a 4 KiB instance of the same kernel. Pages are taken from both
// (converted with `trace-cmd convert --compression none` first) and written with our writer:
//
//   page-quirk-inst8.dat     empty top buffer + instance `s8` (8 KiB pages): the first CPU of `s8`
//                            starts at virtual offset 4096 → only its first page is read
//   page-quirk-top-inst.dat  top buffer with 4 KiB pages (3 per CPU → cursor 0x7000, not
//                            8 KiB aligned), instance `s8` (8 KiB) and instance `s4` (4 KiB):
//                            both instance handles start from the top handle's cursor
//
//   page-quirk-raw-v7.dat    v7 uncompressed, top (4 KiB) + `s8` whose CPU 0 offset is patched to an
//                            odd multiple of 4096: trace-cmd's check on real file offsets
//   with FULL8.dat (`utp record --subbuf-size 8 --compression none`: 8 KiB pages filled past 4 KiB):
//   page-quirk-init-top.dat  the full pages in the top buffer of a file whose header says 4096:
//                            trace-cmd dies with "failed to init data" and prints nothing
//
// The expected output always comes from running trace-cmd on the written file.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { MemorySource } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import { TraceDat, writeTraceDat, MemorySink } from '@utp/tracedat';
import { zstdCompressor } from '@utp/tracecmd';

const dir = fileURLToPath(new URL('./', import.meta.url));
const [i8, i4, full8] = process.argv.slice(2);
if (!i8 || !i4) { console.error('usage: node make-page-quirk.mjs I8.dat I4.dat'); process.exit(2); }

async function open(path) {
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(path))), { tep: new Tep(), keepFormatTexts: true, exactPages: false });
  return td;
}

/** Pages with events of each CPU of the file's (only) instance (the input must be uncompressed). */
function pagesOf(td, maxPages, pageSize) {
  const b = td.instances[0] ?? td.topBuffer;
  if (b.compressed) throw new Error('convert the inputs with --compression none first');
  const out = [];
  for (const c of b.cpus) {
    const data = c.size > 0 ? Buffer.from(td.src.readSync(c.offset, c.size)) : Buffer.alloc(0);
    const pages = [];
    for (let o = 0; o + pageSize <= data.length && pages.length < maxPages; o += pageSize) {
      const page = data.subarray(o, o + pageSize);
      if ((page.readUInt32LE(8) & 0x7ffffff) !== 0) pages.push(new Uint8Array(page));
    }
    out.push(pages);
  }
  return out;
}

function meta(td) {
  const used = new Set(['sched', 'raw_syscalls', 'ftrace']);
  const systems = new Map();
  const ftrace = [];
  for (const f of td.formatTexts) {
    if (f.system === 'ftrace') { ftrace.push(f.text); continue; }
    if (!used.has(f.system)) continue;
    if (!systems.has(f.system)) systems.set(f.system, []);
    systems.get(f.system).push(f.text);
  }
  return {
    headerPage: td.headerPageText, headerEvent: td.headerEventText, ftraceFormats: ftrace,
    systems: [...systems].map(([name, formats]) => ({ name, formats })), kallsyms: '', printk: '', cmdlines: '',
  };
}

const a = await open(i8);
const b4 = await open(i4);
// (trace-cmd convert writes BUFFER page size 4096 for the 8 KiB instance: the data keeps 8 KiB pages)
const p8 = { pages: pagesOf(a, 6, 8192) };
const p4 = { pages: pagesOf(b4, 3, 4096) };
const m = meta(a);
const zstd = await zstdCompressor();
const base = { version: 7, compression: zstd, littleEndian: true, longSize: 8, pageSize: 4096, cpuCount: 2, traceClock: '[local] global', uname: 'utp fixture', versionString: '3.1.6 utp-fixture' };
const cpus = (pages, counts) => pages.map((ps, cpu) => ({ cpu, data: ps.slice(0, counts[cpu]) }));

function write(name, buffers) {
  const sink = new MemorySink();
  writeTraceDat(sink, m, buffers, base);
  save(name, sink.finish());
}

function save(name, bytes) {
  const file = dir + name + '.dat';
  writeFileSync(file, bytes);
  for (const [suffix, args] of [['report', []], ['report-t', ['-t']]]) {
    // trace-cmd exits non-zero when it cannot init the top handle: keep what it printed
    const r = spawnSync('trace-cmd', ['report', ...args, '-i', file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    writeFileSync(`${dir}${name}.${suffix}.txt.gz`, gzipSync(r.stdout));
    if (r.status !== 0 || r.stderr.length) console.log(`${name} ${suffix}: status ${r.status}, stderr: ${r.stderr.toString().trim().replace(/\n/g, ' / ')}`);
  }
  console.log(`${name}.dat: ${bytes.length} bytes`);
}

write('page-quirk-inst8', [
  { name: '', clock: 'local', cpus: [] },
  { name: 's8', clock: 'local', pageSize: 8192, cpus: cpus(p8.pages, [4, 4]) },
]);
write('page-quirk-top-inst', [
  { name: '', clock: 'local', pageSize: 4096, cpus: cpus(p4.pages, [3, 3]) },
  { name: 's8', clock: 'local', pageSize: 8192, cpus: cpus(p8.pages, [3, 3]) },
  { name: 's4', clock: 'local', pageSize: 4096, cpus: cpus(p4.pages, [2, 3]) },
]);

// v7 without compression: real file offsets, which trace-cmd checks the same way. Our writer
// aligns s8's CPU data to 8 KiB; the BUFFER option is then patched so that CPU 0 starts 4 KiB
// earlier (over zero padding): page 0 has no events, page 1 is refused ("bad page offset").
{
  const sink = new MemorySink();
  writeTraceDat(sink, m, [
    { name: '', clock: 'local', pageSize: 4096, cpus: cpus(p4.pages, [3, 3]) },
    { name: 's8', clock: 'local', pageSize: 8192, cpus: cpus(p8.pages, [3, 3]) },
  ], { ...base, compression: null });
  const b = Buffer.from(sink.finish());
  const at = b.indexOf(Buffer.from('s8\0local\0', 'latin1'));
  const e0 = at + 9 + 8; // after page size and CPU count: cpu 0's {u32 cpu, u64 offset, u64 size}
  if (at < 0 || b.readUInt32LE(at + 9) !== 8192 || b.readUInt32LE(e0) !== 0) throw new Error('BUFFER option of s8 not found');
  const off = Number(b.readBigUInt64LE(e0 + 4));
  if (b.subarray(off - 4096, off).some((x) => x !== 0)) throw new Error('no zero padding before s8 CPU 0');
  b.writeBigUInt64LE(BigInt(off - 4096), e0 + 4);
  b.writeBigUInt64LE(b.readBigUInt64LE(e0 + 12) + 4096n, e0 + 12);
  save('page-quirk-raw-v7', b);
}

if (full8) {
  // pages holding more than 4 KiB of events
  const full = pagesOf(await open(full8), 1000, 8192).map((ps) => ps.filter((p) => (Buffer.from(p).readUInt32LE(8) & 0x7ffffff) > 4096).slice(0, 3));
  if (full.some((ps) => ps.length < 2)) throw new Error(`${full8}: needs at least 2 pages with more than 4 KiB of events per CPU`);
  // (the same pages in an instance whose BUFFER option says 4096 make trace-cmd 3.1.6 crash:
  // no reference output, so no fixture)
  write('page-quirk-init-top', [
    { name: '', clock: 'local', pageSize: 8192, cpus: full.map((ps, cpu) => ({ cpu, data: ps.slice(0, 2) })) },
  ]);
}
