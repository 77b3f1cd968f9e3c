#!/usr/bin/env node
// Regenerates testdata/succeed/dropped-subbuf8k-*: the first sub-buffers of each CPU of
// ../shared/samples/dropped-events-subbuf8k.dat (an instance with 8 KiB sub-buffers, CPU 1's first
// one holding 4080 bytes of data and its dropped-events count at byte 4096), written by our writer
// into a small v7 file (no kallsyms: the sample's formats, printk, cmdlines and clock), then converted
// by trace-cmd to v6, v7 uncompressed and v7 zstd. Converted files declare 4096-byte pages, so
// trace-cmd steps through 8 KiB sub-buffers by 4096 and reads the count past its "page".
// Each output directory holds the converted file and trace-cmd report's output (default, -N, -R).
// Needs trace-cmd (no root, no tracefs). Usage: node tools/make-dropped-fixtures.mjs [SAMPLE]
import { mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { Tep } from '@utp/traceevent';
import { TraceDat, OptionId, optionString, writeTraceDat, MemorySink } from '@utp/tracedat';
import { tmpDir, convert, ROOT } from '../test/lib/live.mjs';

const SAMPLE = process.argv[2] ?? join(ROOT, '../shared/samples/dropped-events-subbuf8k.dat');
const OUT = join(ROOT, 'testdata/succeed');
const SUBBUFS = 3; // 8 KiB sub-buffers kept per CPU
const MODES = { report: [], 'report-N': ['-N'], 'report-R': ['-R'] };

/** A Tep that keeps the printk and cmdlines texts it is given. */
class Capture extends Tep {
  printkText = '';
  cmdlinesText = '';
  loadPrintk(t) {
    this.printkText = t;
    super.loadPrintk(t);
  }
  loadCmdlines(t) {
    this.cmdlinesText = t;
    super.loadCmdlines(t);
  }
}

function traceCmd(args) {
  const r = spawnSync('trace-cmd', args, { encoding: 'buffer', maxBuffer: 1 << 30 });
  if (r.error || r.signal || r.status !== 0) {
    throw new Error(`trace-cmd ${args.join(' ')} failed (${r.error?.message ?? r.signal ?? 'status ' + r.status}): ${r.stderr}`);
  }
  return r;
}

const dir = tmpDir('utp-dropped-');
try {
  // the sample's data uncompressed, so that its CPU data are plain file bytes
  const raw = convert(SAMPLE, join(dir, 'raw.dat'), { version: 6, compression: 'none' });
  const tep = new Capture();
  const src = new FileSource(raw);
  const td = await TraceDat.open(src, { tep, keepFormatTexts: true });
  const inst = td.buffers.find((b) => b.name !== '');
  if (!inst) throw new Error('the sample has no instance buffer');
  const orig = await TraceDat.open(new FileSource(SAMPLE), { skipMetadata: true });
  const subbuf = orig.buffers.find((b) => b.name === inst.name)?.pageSize;
  if (subbuf !== 8192) throw new Error(`expected 8 KiB sub-buffers in ${SAMPLE}, BUFFER says ${subbuf}`);
  const clockOpt = orig.options.find((o) => o.id === OptionId.TraceClock);
  const systems = new Map();
  const ftrace = [];
  for (const f of td.formatTexts) {
    if (f.system === 'ftrace') ftrace.push(f.text);
    else (systems.get(f.system) ?? systems.set(f.system, []).get(f.system)).push(f.text);
  }
  const cpus = inst.cpus
    .filter((c) => c.size > 0)
    .map((c) => ({ cpu: c.cpu, data: [src.readSync(c.offset, Math.min(c.size, SUBBUFS * subbuf))] }));
  src.close();
  // the counts the kernel stored (after the data of each sub-buffer flagged "missed events, stored")
  const stored = new Set();
  for (const c of cpus) {
    const d = c.data[0],
      v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let p = 0; p + 16 <= d.length; p += subbuf) {
      const flags = v.getUint32(p + 8, td.littleEndian);
      if ((flags & 0xc0000000) >>> 0 === 0xc0000000) stored.add(v.getUint32(p + 16 + (flags & 0x7ffffff), td.littleEndian));
    }
  }
  if (!stored.size) throw new Error('no stored dropped-events count in the kept sub-buffers');
  const write = (keep) => {
    const sink = new MemorySink();
    const sys = [...systems].map(([name, formats]) => ({ name, formats: formats.filter(keep) })).filter((x) => x.formats.length);
    writeTraceDat(
      sink,
      {
        headerPage: td.headerPageText,
        headerEvent: td.headerEventText,
        ftraceFormats: ftrace,
        systems: sys,
        kallsyms: '',
        printk: tep.printkText,
        cmdlines: tep.cmdlinesText,
      },
      [
        { name: '', clock: inst.clock, cpus: [] },
        { name: inst.name, clock: inst.clock, pageSize: subbuf, cpus },
      ],
      {
        version: 7,
        compression: null,
        littleEndian: td.littleEndian,
        longSize: td.userLongSize,
        pageSize: td.pageSize,
        cpuCount: td.cpuCount,
        ...(clockOpt ? { traceClock: optionString(clockOpt.data) } : {}),
        ...(td.uname ? { uname: td.uname } : {}),
      },
    );
    return sink.finish();
  };
  // keep only the event formats the kept pages use (as packages/tracedat/testdata/make-slim.mjs)
  const used = new Set();
  const all = await TraceDat.open(new MemorySource(write(() => true)), { skipMetadata: true, exactPages: false });
  await all.forEachRecord((rec) => {
    used.add(rec.view.getUint16(rec.offset, all.littleEndian));
  });
  const bytes = write((text) => used.has(Number(/\nID: (\d+)/.exec(text)?.[1] ?? -1)));
  const small = join(dir, 'small.dat');
  writeFileSync(small, bytes);
  for (const [name, conv] of [
    ['v6', { version: 6, compression: 'none' }],
    ['v7-none', { version: 7, compression: 'none' }],
    ['v7-zstd', { version: 7, compression: 'zstd' }],
  ]) {
    const file = convert(small, join(dir, `${name}.dat`), conv);
    const dest = join(OUT, `dropped-subbuf8k-${name}`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const out = readFileSync(file);
    // as tools/make-fixtures.mjs: large (uncompressed) files are stored gzipped; the test gunzips them
    if (out.length > 1_000_000) writeFileSync(join(dest, 'trace.dat.gz'), gzipSync(out, { level: 9 }));
    else writeFileSync(join(dest, 'trace.dat'), out);
    for (const [out, args] of Object.entries(MODES))
      writeFileSync(join(dest, `${out}.txt`), traceCmd(['report', ...args, '-i', file]).stdout);
    const text = readFileSync(join(dest, 'report.txt'), 'utf8');
    const markers = text.split('\n').filter((l) => l.includes('EVENTS DROPPED'));
    if (!markers.length) throw new Error(`${name}: trace-cmd prints no dropped-events marker`);
    // trace-cmd reads the count past its 4096-byte "page"; when that page ends one of its mmap
    // windows it reads whatever memory follows (e.g. 1179403647 = "\x7fELF"): not a usable oracle
    for (const m of markers) {
      const n = Number(/\[(\d+) EVENTS/.exec(m)?.[1] ?? -1);
      if (n >= 0 && !stored.has(n))
        throw new Error(`${name}: trace-cmd printed ${m}, not a stored count (${[...stored]}): it read past its mapping; change SUBBUFS`);
    }
    console.log(`dropped-subbuf8k-${name}: ${out.length} bytes, ${text.split('\n').length - 1} lines, ${markers.join(' | ')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
