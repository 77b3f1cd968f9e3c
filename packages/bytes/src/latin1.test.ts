import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeLatin1 } from './latin1.js';

test('decodeLatin1: every byte becomes the char with its code (0x80-0x9f included), any length and range', () => {
  const all = new Uint8Array(1000);
  for (let i = 0; i < all.length; i++) all[i] = i & 255;
  for (const [s, e] of [
    [0, 1000],
    [0, 16],
    [3, 19],
    [128, 160],
    [100, 900],
    [999, 1000],
    [5, 5],
  ] as const) {
    const got = decodeLatin1(all, s, e);
    assert.equal(got.length, e - s);
    for (let i = 0; i < got.length; i++) assert.equal(got.charCodeAt(i), all[s + i], `byte at ${s + i}`);
  }
  assert.equal(decodeLatin1(Uint8Array.of(0xe2, 0x82, 0xac)), '\u00e2\u0082\u00ac');
});
