/// <reference types="node" />
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { KBuffer, KRecord } from './kbuffer.js';
import { parseHeaderPage } from './header-page.js';

/** Builds a sub-buffer: page ts (u64), commit (long), then event words. */
class PageBuilder {
  private words: number[] = [];
  constructor(
    readonly le = true,
    readonly longSize = 8,
    readonly pageSize = 4096,
  ) {}
  /** A raw 32-bit word of event data. */
  word(w: number): this {
    this.words.push(w >>> 0);
    return this;
  }
  header(typeLen: number, delta: number): this {
    return this.word(this.le ? ((delta << 5) | typeLen) >>> 0 : ((typeLen << 27) | (delta & 0x7ffffff)) >>> 0);
  }
  /** Data record with type_len = payload words; payload words given. */
  data(delta: number, payload: number[]): this {
    this.header(payload.length, delta);
    for (const w of payload) this.word(w);
    return this;
  }
  /** type_len 0 record: array[0] = bytes+4. */
  big(delta: number, payload: number[]): this {
    this.header(0, delta);
    this.word(payload.length * 4 + 4);
    for (const w of payload) this.word(w);
    return this;
  }
  extend(delta: number, hi: number): this {
    return this.header(30, delta).word(hi);
  }
  abs(low27: number, hi: number): this {
    return this.header(31, low27).word(hi);
  }
  pad(delta: number, len: number): this {
    this.header(29, delta).word(len);
    for (let i = 4; i < len; i += 4) this.word(0);
    return this;
  }
  build(ts: bigint, flags = 0, lost?: number, commitOverride?: number): Uint8Array {
    const start = 8 + this.longSize;
    const page = new Uint8Array(this.pageSize);
    const v = new DataView(page.buffer);
    v.setBigUint64(0, ts, this.le);
    const commit = commitOverride ?? this.words.length * 4;
    if (this.longSize === 8) {
      // the kernel adds flags as an int: sign-extended on 64-bit
      const lo = (commit | flags) >>> 0;
      const hi = flags & 0x80000000 ? 0xffffffff : 0;
      v.setUint32(this.le ? 8 : 12, lo, this.le);
      v.setUint32(this.le ? 12 : 8, hi, this.le);
    } else v.setUint32(8, (commit | flags) >>> 0, this.le);
    this.words.forEach((w, i) => {
      v.setUint32(start + i * 4, w, this.le);
    });
    if (lost !== undefined) {
      const at = start + this.words.length * 4;
      if (this.longSize === 8) v.setBigUint64(at, BigInt(lost), this.le);
      else v.setUint32(at, lost, this.le);
    }
    return page;
  }
}

function all(kb: KBuffer, page: Uint8Array): Array<{ ts: bigint; offset: number; size: number; missed: number; first: number }> {
  kb.load(page);
  const r = new KRecord();
  const out = [];
  while (kb.nextRecord(r))
    out.push({ ts: r.ts, offset: r.offset, size: r.size, missed: r.missedEvents, first: r.view.getUint32(r.offset, kb.littleEndian) });
  return out;
}

for (const le of [true, false]) {
  const E = le ? 'LE' : 'BE';
  test(`kbuffer ${E}: small records accumulate deltas`, () => {
    const page = new PageBuilder(le).data(0, [0x11]).data(100, [0x22, 0]).data(7, [0x33, 0, 0]).build(1000n);
    assert.deepEqual(all(new KBuffer({ littleEndian: le, longSize: 8 }), page), [
      { ts: 1000n, offset: 20, size: 4, missed: 0, first: 0x11 },
      { ts: 1100n, offset: 28, size: 8, missed: 0, first: 0x22 },
      { ts: 1107n, offset: 40, size: 12, missed: 0, first: 0x33 },
    ]);
  });

  test(`kbuffer ${E}: type_len 0 length from array[0], rounded`, () => {
    const b = new PageBuilder(le).big(
      5,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const page = b.build(10n);
    const r = all(new KBuffer({ littleEndian: le, longSize: 8 }), page);
    assert.deepEqual(r, [{ ts: 15n, offset: 24, size: 120, missed: 0, first: 1 }]);
    // array[0] = 7 bytes + 4 → length 7 rounded up to 8
    const p2 = new PageBuilder(le).header(0, 1).word(11).word(0xaa).word(0xbb).data(2, [0xcc]).build(0n);
    assert.deepEqual(
      all(new KBuffer({ littleEndian: le, longSize: 8 }), p2).map((x) => [x.ts, x.size, x.first]),
      [
        [1n, 8, 0xaa],
        [3n, 4, 0xcc],
      ],
    );
  });

  test(`kbuffer ${E}: time extend adds (array<<27)+delta, padding adds its delta`, () => {
    const page = new PageBuilder(le).data(1, [1]).extend(0x5df59c9, 3).data(2, [2]).pad(1, 12).data(4, [3]).build(393382978510n);
    const r = all(new KBuffer({ littleEndian: le, longSize: 8 }), page);
    assert.deepEqual(
      r.map((x) => x.ts),
      [393382978511n, 393382978511n + 3n * 134217728n + 0x5df59c9n + 2n, 393382978511n + 3n * 134217728n + 0x5df59c9n + 2n + 1n + 4n],
    );
  });

  test(`kbuffer ${E}: absolute time stamp replaces the time, keeps the top 5 bits`, () => {
    const top = 0xf8n << 56n;
    const page = new PageBuilder(le)
      .data(0, [1])
      .abs(0x123, 0x10)
      .data(5, [2])
      .build(top | 1000n);
    const r = all(new KBuffer({ littleEndian: le, longSize: 8 }), page);
    assert.deepEqual(
      r.map((x) => x.ts),
      [top | 1000n, (top | ((0x10n << 27n) + 0x123n)) + 5n],
    );
    const p2 = new PageBuilder(le)
      .data(0, [1])
      .abs(7, 1)
      .data(5, [2])
      .build(1n << 40n);
    assert.deepEqual(
      all(new KBuffer({ littleEndian: le, longSize: 8 }), p2).map((x) => x.ts),
      [1n << 40n, (1n << 27n) + 7n + 5n],
    );
  });

  test(`kbuffer ${E}: missed events flags and stored count (sign-extended commit)`, () => {
    const kb = new KBuffer({ littleEndian: le, longSize: 8 });
    const unknown = new PageBuilder(le).data(0, [1]).data(1, [2]).build(5n, 0x80000000);
    assert.deepEqual(
      all(kb, unknown).map((x) => x.missed),
      [-1, 0],
    );
    const stored = new PageBuilder(le).data(0, [1]).data(1, [2]).build(5n, 0xc0000000, 31279);
    assert.deepEqual(
      all(kb, stored).map((x) => x.missed),
      [31279, 0],
    );
    assert.equal(kb.size, 16);
    // libtraceevent reports the drop only when the first data record sits at offset 0
    const ext = new PageBuilder(le).extend(0, 1).data(1, [2]).build(5n, 0xc0000000, 9);
    assert.deepEqual(
      all(kb, ext).map((x) => x.missed),
      [0],
    );
    const none = new PageBuilder(le).data(0, [1]).build(5n);
    assert.deepEqual(
      all(kb, none).map((x) => x.missed),
      [0],
    );
  });

  test(`kbuffer ${E}: 32-bit kernel (4-byte commit, data at 12)`, () => {
    const page = new PageBuilder(le, 4).data(3, [0x44]).build(50n, 0xc0000000, 2);
    assert.deepEqual(all(new KBuffer({ littleEndian: le, longSize: 4 }), page), [{ ts: 53n, offset: 16, size: 4, missed: 2, first: 0x44 }]);
  });

  test(`kbuffer ${E}: records past the sub-buffer stop the page (corrupt)`, () => {
    const kb = new KBuffer({ littleEndian: le, longSize: 8 });
    const page = new PageBuilder(le, 8, 64).data(0, [1]).header(0, 0).word(4000).build(0n, 0, undefined, 40);
    assert.equal(all(kb, page).length, 1);
    assert.equal(kb.corrupt, true);
  });
}

test('kbuffer: bytes after commit are not events; page inside a larger buffer', () => {
  const page = new PageBuilder(true, 8, 128).data(0, [1]).data(0, [2]).build(7n, 0, undefined, 8);
  const big = new Uint8Array(1024);
  big.set(page, 256);
  const kb = new KBuffer({ littleEndian: true, longSize: 8 });
  kb.load(big, 256, 128);
  const r = new KRecord();
  assert.equal(kb.nextRecord(r), true);
  assert.equal(r.offset, 256 + 20);
  assert.equal(r.page, big);
  assert.equal(kb.nextRecord(r), false);
});

test('kbuffer: timestamps past 2^53 switch to bigint exactly', () => {
  const t0 = (1n << 58n) + 12345n;
  const page = new PageBuilder(true).data(3, [1]).extend(1, 0x7fffffff).data(1, [2]).build(t0);
  const r = all(new KBuffer({ littleEndian: true, longSize: 8 }), page);
  assert.deepEqual(
    r.map((x) => x.ts),
    [t0 + 3n, t0 + 3n + (0x7fffffffn << 27n) + 1n + 1n],
  );
});

test('header_page: 64-bit, 32-bit, 8 KiB sub-buffers, old format', () => {
  const text64 =
    '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n';
  assert.deepEqual(parseHeaderPage(text64), {
    timestampOffset: 0,
    timestampSize: 8,
    commitOffset: 8,
    commitSize: 8,
    overwriteOffset: 8,
    dataOffset: 16,
    dataSize: 4080,
    subBufferSize: 4096,
    oldFormat: false,
  });
  const text8k = text64.replace('size:4080', 'size:8176');
  assert.equal(parseHeaderPage(text8k).subBufferSize, 8192);
  const text32 =
    '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n';
  const h32 = parseHeaderPage(text32);
  assert.equal(h32.commitSize, 4);
  assert.equal(h32.dataOffset, 12);
  assert.equal(parseHeaderPage('', 4).dataOffset, 12);
  assert.equal(parseHeaderPage('', 8).oldFormat, true);
});
