/// <reference types="node" />
/** printf emulation vs glibc 2.36 (expected strings printed by glibc's snprintf through ctypes). */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { compileIntFormat, compileStrFormat, pointerText } from './printf.js';

// [spec, length bits (C type the value is cast to), value, glibc output]
const INTS: Array<[string, number, number | bigint, string]> = [
  ['%d', 32, 0xfffffffb, '-5'],
  ['%5d', 32, 42, '   42'],
  ['%-5d|', 32, 42, '42   |'],
  ['%05d', 32, -42 >>> 0, '-0042'],
  ['%.3d', 32, 7, '007'],
  ['%8.3d', 32, -7 >>> 0, '    -007'],
  ['%x', 32, 255, 'ff'],
  ['%#x', 32, 255, '0xff'],
  ['%#X', 32, 255, '0XFF'],
  ['%#o', 32, 8, '010'],
  ['%#o', 32, 0, '0'],
  ['%.0d', 32, 0, ''],
  ['%u', 32, 0xffffffff, '4294967295'],
  ['%hd', 16, 65531, '-5'],
  ['%hhu', 8, 0xfffffffd, '253'],
  ['%08x', 32, 0xbeef, '0000beef'],
  ['%-8x|', 32, 0xbeef, 'beef    |'],
  ['%lld', 64, 0xfffffffffffffff7n, '-9'],
  ['%llu', 64, 0xffffffffffffffffn, '18446744073709551615'],
  ['%llx', 64, 0xffffffffffffffffn, 'ffffffffffffffff'],
  ['%20llu', 64, 123, '                 123'],
  // a 32-bit cast of a 64-bit value (libtraceevent's (int)val for plain %d)
  ['%d', 32, 0x1fffffffbn, '-5'],
];

test('integer conversions match glibc', () => {
  for (const [spec, bits, v, want] of INTS) {
    const f = compileIntFormat(spec.replace('|', ''), bits);
    const got = f(v, -1) + (spec.endsWith('|') ? '|' : '');
    assert.equal(got, want, `${spec} ${v}`);
  }
});

test('string conversions and %p match glibc', () => {
  const S: Array<[string, string, string]> = [
    ['%s', 'abc', 'abc'],
    ['%5s', 'abc', '  abc'],
    ['%-5s', 'abc', 'abc  '],
    ['%.2s', 'abc', 'ab'],
    ['%5.1s', 'abc', '    a'],
  ];
  for (const [spec, s, want] of S) assert.equal(compileStrFormat(spec)(s, -1), want, spec);
  assert.equal(compileStrFormat('%*s')('ab', 4), '  ab');
  assert.equal(compileStrFormat('%.*s')('abcdef', 3), 'abc');
  assert.equal(pointerText(0), '(nil)');
  assert.equal(pointerText(0xffffffff81000042n), '0xffffffff81000042');
});
