/// <reference types="node" />
/**
 * Writer round trips on the real traces of testdata/: a small independent v6 parser takes each
 * file apart (metadata texts, options, raw per-CPU pages); the writer puts it back together as
 * v6, v7/none and v7/zlib. Checks: (1) the reader returns the same records (cpu, time, bytes)
 * from every rewrite; (2) where trace-cmd is installed, `trace-cmd report` of the v6 and
 * v7/none rewrites equals the saved `trace-cmd report` output of the original (this trace-cmd
 * build has no zlib); (3) layout rules trace-cmd depends on (page-aligned CPU data, exact
 * section sizes, the options chain).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { MemorySource } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import type { KRecord } from '@utp/traceevent';
import { TraceDat } from '../trace-dat.js';
import {
  writeTraceDat,
  MemorySink,
  zlibCompressor,
  type TraceDatMetadata,
  type TraceDatBufferInput,
  type TraceDatWriteOptions,
} from './index.js';

const dir = fileURLToPath(new URL('../../testdata/', import.meta.url));
const FILES = ['sched-irq-v6.dat', 'sched-irq-top-v6.dat', 'drops-v6.dat', 'counter-clock-v6.dat', 'date-offset-top-v6.dat'];

/** Minimal independent v6 parser (test only). */
function parseV6(b: Uint8Array): { meta: TraceDatMetadata; buffers: TraceDatBufferInput[]; opts: TraceDatWriteOptions } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 10;
  const cstr = (): string => {
    let s = '';
    while (b[p] !== 0) s += String.fromCharCode(b[p++]!);
    p++;
    return s;
  };
  const u16 = (): number => {
    const v = dv.getUint16(p, true);
    p += 2;
    return v;
  };
  const u32 = (): number => {
    const v = dv.getUint32(p, true);
    p += 4;
    return v;
  };
  const u64 = (): number => {
    const v = Number(dv.getBigUint64(p, true));
    p += 8;
    return v;
  };
  const bytes = (n: number): Uint8Array => {
    const v = b.subarray(p, p + n);
    p += n;
    return v;
  };
  assert.equal(cstr(), '6');
  assert.equal(b[p], 0, 'little-endian corpus');
  const longSize = b[p + 1]!;
  p += 2;
  const pageSize = u32();
  cstr();
  const headerPage = bytes(u64());
  cstr();
  const headerEvent = bytes(u64());
  const ftraceFormats: Uint8Array[] = [];
  for (let n = u32(); n > 0; n--) ftraceFormats.push(bytes(u64()));
  const systems: TraceDatMetadata['systems'] = [];
  for (let n = u32(); n > 0; n--) {
    const name = cstr();
    const formats: Uint8Array[] = [];
    for (let k = u32(); k > 0; k--) formats.push(bytes(u64()));
    systems.push({ name, formats });
  }
  const kallsyms = bytes(u32()),
    printk = bytes(u32()),
    cmdlines = bytes(u64());
  const cpuCount = u32();
  const opts: TraceDatWriteOptions = { version: 6, compression: null, littleEndian: true, longSize, pageSize, cpuCount };
  const text = (d: Uint8Array): string => {
    let s = '';
    for (const c of d) {
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  };
  const instances: Array<{ name: string; at: number }> = [];
  const stats: string[] = [];
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
  const flyrecord = (name: string): TraceDatBufferInput => {
    const cpus: TraceDatBufferInput['cpus'] = [];
    for (let c = 0; c < cpuCount; c++) {
      const off = u64(),
        size = u64();
      cpus.push({ cpu: c, data: [b.subarray(off, off + size)] });
    }
    const clock = text(bytes(u64())).replace(/^\[|\]$/g, '');
    return { name, clock, cpus };
  };
  assert.equal(tag, 'flyrecord');
  const top = flyrecord('');
  top.cpuStats = stats;
  const buffers = [top];
  for (const inst of instances) {
    p = inst.at;
    assert.equal(text(bytes(10)), 'flyrecord');
    buffers.push(flyrecord(inst.name));
  }
  return { meta: { headerPage, headerEvent, ftraceFormats, systems, kallsyms, printk, cmdlines }, buffers, opts };
}

/** The options of a v6 file as sorted "id:data" (a BUFFER option by its name: its offset depends on the layout). */
function optionList(b: Uint8Array): string[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = Buffer.from(b).indexOf('options  \0') + 10;
  const out: string[] = [];
  for (let id = dv.getUint16(p, true); id !== 0; id = dv.getUint16(p, true)) {
    const size = dv.getUint32(p + 2, true);
    const d = b.subarray(p + 6, p + 6 + size);
    out.push(`${id}:${Buffer.from(id === 3 ? d.subarray(8) : d).toString('hex')}`);
    p += 6 + size;
  }
  return out.sort();
}

async function records(bytes: Uint8Array): Promise<string[]> {
  const td = await TraceDat.open(new MemorySource(bytes), { tep: new Tep() });
  const out: string[] = [];
  await td.forEachRecord((rec: KRecord, buf) => {
    let sum = 0;
    for (let i = 0; i < rec.size; i++) sum = (sum * 31 + rec.page[rec.offset + i]!) >>> 0;
    out.push(`${buf.name}|${rec.cpu}|${rec.ts}|${rec.size}|${sum}|${rec.missedEvents}`);
  });
  return out;
}

const write = (meta: TraceDatMetadata, buffers: TraceDatBufferInput[], opts: TraceDatWriteOptions): Uint8Array => {
  const sink = new MemorySink();
  const n = writeTraceDat(sink, meta, buffers, opts);
  assert.equal(n, sink.length);
  return sink.finish().slice();
};

const haveTraceCmd = spawnSync('trace-cmd', ['--help']).error === undefined;

for (const file of FILES) {
  test(`rewrite ${file} as v6, v7/none, v7/zlib`, async (t) => {
    const orig = new Uint8Array(readFileSync(dir + file));
    const { meta, buffers, opts } = parseV6(orig);
    const want = await records(orig);
    assert.ok(want.length > 10);
    const variants: Array<[string, Uint8Array]> = [
      ['v6', write(meta, buffers, opts)],
      ['v7-none', write(meta, buffers, { ...opts, version: 7 })],
      ['v7-zlib', write(meta, buffers, { ...opts, version: 7, compression: zlibCompressor() })],
    ];
    // The v6 rewrite is trace-cmd's file byte for byte up to the options (header, formats, kallsyms, printk,
    // cmdlines, CPU count); then the same options (trace-cmd wrote these files with another option order,
    // so BUFFER options and their flyrecord offsets move); every CPU's data is the same bytes.
    const v6 = variants[0]![1];
    const optAt = Buffer.from(orig).indexOf('options  \0');
    assert.ok(optAt > 0, 'the original has an options section');
    assert.ok(
      Buffer.from(v6.subarray(0, optAt + 10)).equals(Buffer.from(orig.subarray(0, optAt + 10))),
      'v6 rewrite == original up to the options',
    );
    assert.deepEqual(optionList(v6), optionList(orig), "v6 rewrite has the original's options");
    const re = parseV6(v6);
    assert.deepEqual(
      re.buffers.map((b) => [b.name, b.clock, b.cpus.map((c) => Buffer.from([...c.data][0]!).toString('hex'))]),
      buffers.map((b) => [b.name, b.clock, b.cpus.map((c) => Buffer.from([...c.data][0]!).toString('hex'))]),
      'v6 rewrite: the same CPU data bytes',
    );
    for (const [name, bytes] of variants) assert.deepEqual(await records(bytes), want, `${name}: same records`);
    if (!haveTraceCmd) {
      t.skip('trace-cmd not installed: the trace-cmd report comparison did not run');
      return;
    }
    const expected = gunzipSync(readFileSync(dir + file.replace(/\.dat$/, '.report.txt.gz'))).toString('latin1');
    const tmp = mkdtempSync(`${tmpdir()}/utp-writer-`);
    try {
      for (const [name, bytes] of variants.slice(0, 2)) {
        writeFileSync(`${tmp}/${name}.dat`, bytes);
        const r = spawnSync('trace-cmd', ['report', '-i', `${tmp}/${name}.dat`], { maxBuffer: 1 << 26 });
        assert.equal(r.status, 0, `${name}: trace-cmd report failed (${r.signal ?? r.status}): ${String(r.stderr)}`);
        assert.equal(r.stdout.toString('latin1'), expected, `${name}: trace-cmd report`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('v7 layout: options chain, page-aligned CPU data, contiguous sections, strings', () => {
  const orig = new Uint8Array(readFileSync(dir + 'sched-irq-v6.dat'));
  const { meta, buffers, opts } = parseV6(orig);
  const b = write(meta, buffers, { ...opts, version: 7, compression: zlibCompressor() });
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.deepEqual([...b.subarray(0, 12)], [0x17, 0x08, 0x44, ...Buffer.from('tracing7\0')]);
  let p = 12 + 2 + 4;
  const cstr = (): string => {
    let s = '';
    while (b[p] !== 0) s += String.fromCharCode(b[p++]!);
    p++;
    return s;
  };
  assert.equal(cstr(), 'zlib');
  cstr();
  const firstOptions = Number(dv.getBigUint64(p, true));
  p += 8;
  // Sections are contiguous to EOF with exact sizes.
  const ids: number[] = [];
  while (p < b.length) {
    ids.push(dv.getUint16(p, true));
    p += 16 + Number(dv.getBigUint64(p + 8, true));
  }
  assert.equal(p, b.length);
  assert.deepEqual(ids, [16, 17, 18, 19, 20, 21, 0, 3, 0, 3, 0, 15]);
  // Follow the chain: 3 options sections; the BUFFER option data offsets are page aligned.
  let at = firstOptions,
    sections = 0;
  while (at) {
    sections++;
    assert.equal(dv.getUint16(at, true), 0);
    let q = at + 16;
    for (;;) {
      const id = dv.getUint16(q, true),
        size = dv.getUint32(q + 2, true);
      if (id === 0) {
        at = Number(dv.getBigUint64(q + 6, true));
        break;
      }
      if (id === 3) {
        let r = q + 6 + 8;
        while (b[r] !== 0) r++;
        r++;
        while (b[r] !== 0) r++;
        r++;
        const page = dv.getUint32(r, true),
          n = dv.getUint32(r + 4, true);
        for (let i = 0; i < n; i++) assert.equal(Number(dv.getBigUint64(r + 8 + i * 20 + 4, true)) % page, 0, 'CPU data is page aligned');
      }
      q += 6 + size;
    }
  }
  assert.equal(sections, 3);
});

test('refuses a compressed v6 and a missing top buffer', () => {
  const sink = new MemorySink();
  const meta: TraceDatMetadata = {
    headerPage: '',
    headerEvent: '',
    ftraceFormats: [],
    systems: [],
    kallsyms: '',
    printk: '',
    cmdlines: '',
  };
  const o: TraceDatWriteOptions = {
    version: 6,
    compression: zlibCompressor(),
    littleEndian: true,
    longSize: 8,
    pageSize: 4096,
    cpuCount: 1,
  };
  assert.throws(
    () => writeTraceDat(sink, meta, [{ name: '', clock: 'local', cpus: [] }], o),
    (e: unknown) => (e as { code?: string }).code === 'TRACEDAT_WRITE_BAD_INPUT',
  );
  assert.throws(
    () => writeTraceDat(sink, meta, [{ name: 'x', clock: 'local', cpus: [] }], { ...o, compression: null }),
    (e: unknown) => (e as { code?: string }).code === 'TRACEDAT_WRITE_BAD_INPUT',
  );
});

// ---- sparse and empty CPUs (laid out by trace-cmd: testdata/writer/README.md) ----

test('v6 with sparse and empty CPUs is what trace-cmd writes, byte for byte', async (t) => {
  const ref = new Uint8Array(readFileSync(dir + 'writer/sparse-cpus-v6.dat'));
  const { meta, buffers, opts } = parseV6(ref);
  assert.equal(opts.cpuCount, 4);
  // Only the CPUs with data are handed to the writer (as record/extract do for CPUs that had none).
  const sparse = buffers.map((b) => ({ ...b, cpus: b.cpus.filter((c) => [...c.data].some((d) => d.length > 0)) }));
  assert.deepEqual(
    sparse[0]!.cpus.map((c) => c.cpu),
    [1, 2],
  );
  const ours = write(meta, sparse, opts);
  assert.equal(ours.length, ref.length, 'no padding after the trailing empty CPU');
  assert.ok(Buffer.from(ours).equals(Buffer.from(ref)), "identical to trace-cmd's layout");
  // v7 of the same: empty CPUs are left out of the BUFFER option; trace-cmd reports the same text.
  const v7 = write(meta, sparse, { ...opts, version: 7 });
  if (!haveTraceCmd) {
    t.skip('trace-cmd not installed: the trace-cmd report comparison did not run');
    return;
  }
  const expected = gunzipSync(readFileSync(dir + 'writer/sparse-cpus-v6.report.txt.gz')).toString('latin1');
  const tmp = mkdtempSync(`${tmpdir()}/utp-writer-`);
  try {
    writeFileSync(`${tmp}/v7.dat`, v7);
    const r = spawnSync('trace-cmd', ['report', '-i', `${tmp}/v7.dat`], { maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, `trace-cmd report failed (${r.signal ?? r.status}): ${String(r.stderr)}`);
    assert.equal(r.stdout.toString('latin1'), expected);
    const dump = spawnSync('trace-cmd', ['dump', '--options', '-i', `${tmp}/v7.dat`]).stdout.toString('latin1');
    assert.deepEqual(
      [...dump.matchAll(/^ +(\d+) \d+\t\d+\t\[id, data offset and size\]$/gm)].map((m) => Number(m[1])),
      [1, 2],
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('v6: a buffer without data gets size-0 slots and no padding; the next block follows at once', () => {
  const meta: TraceDatMetadata = {
    headerPage: '',
    headerEvent: '',
    ftraceFormats: [],
    systems: [],
    kallsyms: '',
    printk: '',
    cmdlines: '',
  };
  const page = new Uint8Array(4096).fill(7);
  const b = write(
    meta,
    [
      { name: '', clock: 'local', cpus: [] },
      { name: 'inst', clock: 'local', cpus: [{ cpu: 1, data: [page] }] },
    ],
    { version: 6, compression: null, littleEndian: true, longSize: 8, pageSize: 4096, cpuCount: 2 },
  );
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = Buffer.from(b).toString('latin1');
  const top = text.indexOf('flyrecord\0'),
    inst = text.indexOf('flyrecord\0', top + 1);
  const afterTopClock = top + 10 + 32 + 8 + '[local]'.length;
  // trace-cmd lseeks to each empty CPU's aligned start without writing: the file does not grow,
  // so the instance's block starts right after the top block's clock.
  assert.equal(inst, afterTopClock);
  const aligned = Math.ceil(afterTopClock / 4096) * 4096;
  for (let c = 0; c < 2; c++) {
    assert.equal(Number(dv.getBigUint64(top + 10 + c * 16, true)), aligned, `top cpu${c} offset`);
    assert.equal(Number(dv.getBigUint64(top + 10 + c * 16 + 8, true)), 0, `top cpu${c} size`);
  }
  // The instance block: its BUFFER option points at it; cpu0 empty (shares cpu1's aligned offset).
  const o0 = Number(dv.getBigUint64(inst + 10, true)),
    o1 = Number(dv.getBigUint64(inst + 26, true));
  assert.equal(o0, o1);
  assert.equal(o1 % 4096, 0);
  assert.equal(Number(dv.getBigUint64(inst + 34, true)), 4096);
  assert.equal(b.length, o1 + 4096);
});

test('refuses CPU ids at or above the CPU count (they would be dropped silently)', () => {
  const meta: TraceDatMetadata = {
    headerPage: '',
    headerEvent: '',
    ftraceFormats: [],
    systems: [],
    kallsyms: '',
    printk: '',
    cmdlines: '',
  };
  for (const version of [6, 7] as const) {
    assert.throws(
      () =>
        writeTraceDat(new MemorySink(), meta, [{ name: '', clock: 'local', cpus: [{ cpu: 2, data: [new Uint8Array(4096)] }] }], {
          version,
          compression: null,
          littleEndian: true,
          longSize: 8,
          pageSize: 4096,
          cpuCount: 2,
        }),
      (e: unknown) => (e as { code?: string }).code === 'TRACEDAT_WRITE_BAD_INPUT',
    );
  }
});
