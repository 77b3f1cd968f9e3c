/// <reference types="node" />
/** OutBuffer and the put* digit writers against JS's own number formatting. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { OutBuffer, makeChunk, putDec, putDecFixed, putDec6, putDec9, putHex32, putHex64, decLength, hexLength32 } from './out-buffer.js';

const text = (b: Uint8Array, n: number): string => String.fromCharCode(...b.subarray(0, n));

test('out-buffer: decimal and hex writers', () => {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  const nums = [0, 1, 9, 10, 99, 100, 65535, 4294967295, 4294967296, 123456789012, 2 ** 53 - 1];
  for (const n of nums) {
    assert.equal(text(b, putDec(b, 0, n)), String(n));
    assert.equal(decLength(n), String(n).length);
  }
  assert.equal(text(b, putDecFixed(b, 0, 42, 6)), '000042');
  for (const n of [0, 7, 999, 1000, 82941, 999999]) assert.equal(text(b, putDec6(dv, 0, n)), String(n).padStart(6, '0'));
  for (const n of [0, 5, 82941386, 999999999]) assert.equal(text(b, putDec9(dv, 0, n)), String(n).padStart(9, '0'));
  for (const n of [0, 1, 15, 16, 255, 0xabcdef, 0xffffffff]) {
    assert.equal(text(b, putHex32(b, 0, n)), n.toString(16));
    assert.equal(hexLength32(n), n.toString(16).length);
  }
  for (const [hi, lo] of [
    [0, 0],
    [0, 0x1234],
    [1, 0],
    [0xffffffff, 0x81000000],
    [0x7ffe, 0xd2c9cb30],
  ] as const) {
    assert.equal(text(b, putHex64(b, 0, hi, lo)), ((BigInt(hi) << 32n) | BigInt(lo)).toString(16));
  }
});

test('out-buffer: printf-style padding, chunks, growth and flushing', () => {
  const flushed: string[] = [];
  const o = new OutBuffer((bytes) => flushed.push(String.fromCharCode(...bytes)), 16);
  o.int(true, 42, 10, false, 6, false, true); // %06d of -42
  o.byte(124);
  o.int(false, 0xbeef, 16, true, 8, true, false); // %-8X
  o.byte(124);
  o.hex64Padded(0, 0xff, false, 4, false, true); // %04llx
  o.chunk(makeChunk(' a longer constant text that makes the buffer grow'));
  o.latin1('\xe9\xff');
  assert.equal(o.take(), '-00042|BEEF    |00ff a longer constant text that makes the buffer grow\xe9\xff');
  o.latin1('0123456789');
  o.flushIfOver(100);
  assert.deepEqual(flushed, []);
  o.flushIfOver(5);
  assert.deepEqual(flushed, ['0123456789']);
  assert.equal(o.pos, 0);
});
