/// <reference types="node" />
/** The WebAssembly zstd decoder report uses: the same bytes as tracedat's own (fzstd), across growing and shrinking chunks. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { decompressorFor } from '@utp/tracedat';
import { wasmZstd } from './zstd-wasm.js';

/** zstd frames from the committed v7 fixture: the compressed chunks of its CPU data and sections. */
function frames(): Array<{ data: Uint8Array; usize: number }> {
  const b = new Uint8Array(readFileSync(new URL('../../tracedat/testdata/sched-irq-v7-zstd.dat', import.meta.url)));
  const out: Array<{ data: Uint8Array; usize: number }> = [];
  // a zstd frame starts with 28 b5 2f fd, after the chunk header (compressed size, uncompressed size)
  for (let i = 8; i + 4 < b.length; i++) {
    if (b[i] !== 0x28 || b[i + 1] !== 0xb5 || b[i + 2] !== 0x2f || b[i + 3] !== 0xfd) continue;
    const dv = new DataView(b.buffer, b.byteOffset + i - 8, 8);
    const csize = dv.getUint32(0, true);
    const usize = dv.getUint32(4, true);
    if (csize === 0 || i + csize > b.length || usize === 0 || usize > 64 << 20) continue;
    out.push({ data: b.subarray(i, i + csize), usize });
  }
  return out;
}

test('wasmZstd decompresses every chunk of a v7 file as fzstd does, in any order of sizes', async () => {
  const z = await wasmZstd();
  assert.ok(z, 'the WebAssembly decoder loads');
  const fs = frames();
  const fzstd = decompressorFor('zstd', {})!;
  assert.ok(fs.length >= 3, `${fs.length} frames`);
  const bySize = [...fs].sort((a, b) => b.usize - a.usize);
  for (const f of [...fs, ...bySize, ...bySize.reverse()]) {
    const want = fzstd(f.data, f.usize);
    const got = z!(f.data, f.usize);
    assert.equal(got.length, want.length);
    assert.ok(Buffer.from(got).equals(Buffer.from(want)));
    // its own memory: a later chunk does not change it
    assert.notEqual(got.buffer.byteLength, 0);
  }
  const first = fs[0]!;
  const a = z!(first.data, first.usize);
  const keep = a.slice();
  z!(fs[fs.length - 1]!.data, fs[fs.length - 1]!.usize);
  assert.ok(Buffer.from(a).equals(Buffer.from(keep)), 'an earlier output is not overwritten');
});

test('wasmZstd refuses a damaged frame with an error, and decodes the next one', async () => {
  const z = (await wasmZstd())!;
  const f = frames()[0]!;
  const bad = f.data.slice();
  bad.fill(0x55, 4);
  assert.throws(() => z(bad, f.usize), /zstd/);
  assert.equal(z(f.data, f.usize).length, f.usize);
});
