/// <reference types="node" />
/**
 * readTraceDatContent + writeTraceDat (the copy under convert and split) and PagePacker (split's
 * new pages) on committed traces recorded by trace-cmd: little- and big-endian, dropped events,
 * v6 and v7. Every record (timestamp, payload bytes, missed-events count) read back must be the
 * original's, in the same merged order. (`test/trace-cmd-split.test.mjs` and
 * `test/trace-cmd-convert-dat.test.mjs` compare with trace-cmd itself on fresh traces.)
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemorySource } from '@utp/bytes';
import { KBuffer, KRecord } from '@utp/traceevent';
import { TraceDat } from './trace-dat.js';
import { readTraceDatContent } from './content.js';
import { PagePacker } from './page-packer.js';
import { writeTraceDat, MemorySink } from './writer/index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const FILES = readdirSync(dir).filter((f) => f.endsWith('.dat') && !f.startsWith('latency'));

type Rec = string;
const key = (r: KRecord, buf: string): Rec =>
  `${buf}|${r.cpu}|${r.ts}|${r.missedEvents}|${Buffer.from(r.page.subarray(r.offset, r.offset + r.size)).toString('hex')}`;

async function records(td: TraceDat): Promise<Rec[]> {
  const out: Rec[] = [];
  await td.forEachRecord((r, b) => {
    out.push(key(r, b.name));
  });
  return out;
}

test('a copy through readTraceDatContent holds every record of the original (v6 and v7 out)', async () => {
  assert.ok(FILES.length >= 5, `fixtures: ${FILES.join(' ')}`);
  for (const f of FILES) {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const td = await TraceDat.open(new MemorySource(bytes, f), { exactPages: false });
    const want = await records(td);
    assert.ok(want.length > 0, `${f}: records`);
    // v6 has one page size for every buffer: a file with other sub-buffer sizes goes to v7 only
    const versions = td.buffers.some((b) => b.pageSize !== td.pageSize) ? ([7] as const) : ([6, 7] as const);
    for (const version of versions) {
      const c = readTraceDatContent(td);
      const sink = new MemorySink();
      writeTraceDat(sink, c.meta, c.buffers, {
        version,
        compression: null,
        littleEndian: td.littleEndian,
        longSize: td.userLongSize,
        pageSize: td.pageSize,
        cpuCount: c.cpuCount,
        extraOptions: c.options,
      });
      const copy = await TraceDat.open(new MemorySource(sink.finish().slice(), 'copy'), { exactPages: false });
      assert.equal(copy.headerPageText, td.headerPageText, `${f} v${version}: header page`);
      assert.equal(copy.options.filter((o) => o.id === 1 || o.id === 7).length, td.options.filter((o) => o.id === 1 || o.id === 7).length);
      const got = await records(copy);
      assert.equal(got.length, want.length, `${f} → v${version}: record count`);
      assert.ok(
        got.every((g, i) => g === want[i]),
        `${f} → v${version}: first difference at ${got.findIndex((g, i) => g !== want[i])}`,
      );
    }
  }
});

test('PagePacker: repacked pages decode to the same records (time extends, missed events, both byte orders)', async () => {
  for (const f of FILES) {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const td = await TraceDat.open(new MemorySource(bytes, f), { exactPages: false });
    // TSC2NSEC files: trace-cmd's conversion wraps and runs backwards (a fixture of that quirk), which no page can hold
    if (td.tsc2nsec) continue;
    const longSize = td.headerPage?.commitSize ?? td.userLongSize;
    for (const h of td.handles()) {
      for (const s of h.streams) {
        if (!s) continue;
        const pages: Uint8Array[] = [];
        const packer = new PagePacker({ pageSize: td.pageSize, longSize, littleEndian: td.littleEndian, emit: (p) => pages.push(p) });
        const want: Rec[] = [];
        let n = 0;
        while (await s.advance()) {
          const r = s.rec;
          want.push(key(r, ''));
          if (packer.needsPage(r)) packer.newPage(r);
          packer.add(r);
          n++;
        }
        packer.finish();
        if (!n) continue;
        const kb = new KBuffer({ littleEndian: td.littleEndian, longSize });
        const rec = new KRecord();
        rec.cpu = s.cpu;
        const got: Rec[] = [];
        for (const p of pages) {
          kb.load(p);
          while (kb.nextRecord(rec)) got.push(key(rec, ''));
        }
        assert.equal(got.length, want.length, `${f} cpu ${s.cpu}: record count`);
        assert.ok(
          got.every((g, i) => g === want[i]),
          `${f} cpu ${s.cpu}: first difference at ${got.findIndex((g, i) => g !== want[i])}`,
        );
      }
    }
  }
});

test('PagePacker: a gap past 2^27 ns becomes a time extend; a record with missed events starts a page', () => {
  for (const le of [true, false]) {
    const pages: Uint8Array[] = [];
    const p = new PagePacker({ pageSize: 4096, longSize: 8, littleEndian: le, emit: (x) => pages.push(x) });
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const mk = (ts: bigint, missed: number, size = 8): KRecord => {
      const r = new KRecord();
      r.ts = ts;
      r.page = new Uint8Array(size).map((_, i) => data[i % 8]!);
      r.offset = 0;
      r.size = size;
      r.missedEvents = missed;
      return r;
    };
    const input = [mk(1000n, 0), mk(1000n + (1n << 27n), 0), mk(1000n + (5n << 40n), 0), mk(1n << 50n, 42, 200), mk((1n << 50n) + 1n, 0)];
    for (const r of input) {
      if (p.needsPage(r)) p.newPage(r);
      p.add(r);
    }
    p.finish();
    assert.equal(pages.length, 2, 'the record with missed events started the second page');
    const kb = new KBuffer({ littleEndian: le, longSize: 8 });
    const out = new KRecord();
    const got: Array<[bigint, number, number]> = [];
    for (const pg of pages) {
      kb.load(pg);
      while (kb.nextRecord(out)) got.push([out.ts, out.missedEvents, out.size]);
    }
    assert.deepEqual(
      got,
      input.map((r) => [r.ts, r.missedEvents, r.size]),
    );
  }
});

test('PagePacker: a record whose size is not a multiple of 4 is padded with zeros, as the kernel pads records', () => {
  for (const le of [true, false]) {
    const pages: Uint8Array[] = [];
    const p = new PagePacker({ pageSize: 4096, longSize: 8, littleEndian: le, emit: (x) => pages.push(x) });
    // 50 bytes (a small record: the length in the header word) and 130 (a big one: the length word),
    // each in a buffer whose bytes after the record are not zero; then a plain 8-byte record
    const mk = (ts: bigint, size: number): KRecord => {
      const r = new KRecord();
      r.ts = ts;
      r.page = new Uint8Array(size + 16).map((_, i) => (i < size ? 1 + (i % 200) : 0xee));
      r.offset = 0;
      r.size = size;
      return r;
    };
    const input = [mk(10n, 50), mk(20n, 130), mk(30n, 8)];
    for (const r of input) {
      if (p.needsPage(r)) p.newPage(r);
      p.add(r);
    }
    p.finish();
    const kb = new KBuffer({ littleEndian: le, longSize: 8 });
    const rec = new KRecord();
    kb.load(pages[0]!);
    const got: Array<{ ts: bigint; size: number; data: number[] }> = [];
    while (kb.nextRecord(rec)) got.push({ ts: rec.ts, size: rec.size, data: [...rec.page.subarray(rec.offset, rec.offset + rec.size)] });
    assert.equal(kb.corrupt, false);
    assert.deepEqual(
      got.map((g) => [g.ts, g.size]),
      [
        [10n, 52],
        [20n, 132],
        [30n, 8],
      ],
    );
    for (const [i, r] of input.entries()) {
      const want = [...r.page.subarray(0, r.size)];
      while (want.length % 4) want.push(0);
      assert.deepEqual(got[i]!.data, want, `record ${i}: its bytes, then zeros`);
    }
  }
});
