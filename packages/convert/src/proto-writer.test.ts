/// <reference types="node" />
// ProtoWriter against the examples of the protobuf encoding guide (https://protobuf.dev/programming-guides/encoding/)
// and against protoc: a message written here decodes with `protoc --decode_raw` to the values written.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { ProtoWriter } from './proto-writer.js';
import { usText } from './chrome-json.js';
import { utf8Text, isUtf8 } from './values.js';

const hex = (w: ProtoWriter): string => Buffer.from(w.view()).toString('hex');

test('varints as the encoding guide shows them', () => {
  const cases: Array<[number | bigint, string]> = [
    [0, '00'],
    [1, '01'],
    [150, '9601'],
    [300, 'ac02'],
    [2 ** 32, '8080808010'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
    [-1, 'ffffffffffffffffff01'], // int32/int64 -1: ten bytes
    [-2n, 'feffffffffffffffff01'],
    [18446744073709551615n, 'ffffffffffffffffff01'],
    [9223372036854775808n, '80808080808080808001'],
  ];
  for (const [v, want] of cases) {
    const w = new ProtoWriter(4);
    w.varint(v);
    assert.equal(hex(w), want, String(v));
  }
});

test("fields, strings and nested messages (the guide's Test1/Test2/Test3)", () => {
  const w = new ProtoWriter(2);
  w.int(1, 150);
  assert.equal(hex(w), '089601');
  w.reset();
  w.byteString(2, 'testing');
  assert.equal(hex(w), '120774657374696e67');
  w.reset();
  w.fork();
  w.int(1, 150);
  w.join(3);
  assert.equal(hex(w), '1a03089601');
  // a body of 200 bytes: the length takes two bytes, the body moves
  w.reset();
  w.fork();
  for (let i = 0; i < 100; i++) w.int(1, 1);
  w.join(2);
  assert.equal(hex(w).slice(0, 6), '12c801');
  assert.equal(w.pos, 3 + 200);
  assert.equal(hex(w).slice(6), '0801'.repeat(100));
});

test('protoc --decode_raw reads what ProtoWriter writes', (t) => {
  if (spawnSync('protoc', ['--version']).error) return t.skip('protoc is not installed (apt-get install -y protobuf-compiler)');
  const w = new ProtoWriter(8);
  w.int(1, 7);
  w.fork();
  w.int(1, -5);
  w.byteString(2, 'caf\xc3\xa9');
  w.fork();
  w.int(3, 2n ** 63n);
  w.join(4);
  w.join(2);
  const r = spawnSync('protoc', ['--decode_raw'], { input: Buffer.from(w.view()), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '1: 7\n2 {\n  1: 18446744073709551611\n  2: "caf\\303\\251"\n  4 {\n    3: 9223372036854775808\n  }\n}\n');
});

test('µs with the ns digits, UTF-8 of byte strings', () => {
  assert.equal(usText(1234567), '1234.567');
  assert.equal(usText(5), '0.005');
  assert.equal(usText(1000), '1.000');
  assert.equal(usText(0, 2n ** 60n), '1152921504606846.976');
  assert.equal(utf8Text('caf\xc3\xa9'), 'café');
  assert.equal(utf8Text('a\x80b'), 'a\ufffdb');
  assert.ok(isUtf8('caf\xc3\xa9 \xe2\x9c\x93'));
  assert.ok(!isUtf8('a\x80b'));
  assert.ok(!isUtf8('\xc3'));
  assert.ok(!isUtf8('\xed\xa0\x80')); // a surrogate
});
