/// <reference types="node" />
// ChromeJsonWriter on a hand-made source (no trace.dat): array elements of every size and sign,
// 64-bit values at and beyond 2^53 (strings there), byte strings that are not UTF-8.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventClass, EventSource, FieldValue, StreamEvent, StreamField } from '@utp/model';
import { writeChromeJson } from './chrome-json.js';

const field = (name: string, kind: StreamField['kind'], size: number, signed: boolean, elementSize = size): StreamField => ({
  name,
  type: '',
  kind,
  size,
  signed,
  length: 0,
  elementSize,
  dynamic: false,
  offset: -1,
});

function source(fields: StreamField[], values: FieldValue[], littleEndian = true): { src: EventSource; le: boolean } {
  const cls: EventClass = { id: 0, fileId: 1, system: 'test', name: 'ev', commonFields: [], fields, format: undefined };
  const src: EventSource = {
    meta: {
      format: 'test',
      name: 'x/y.dat',
      clock: 'mono',
      nanoseconds: true,
      tsOffset: 0n,
      date: undefined,
      hostname: undefined,
      uname: undefined,
      cpuCount: 1,
      buffers: [''],
      traceId: undefined,
    },
    classes: [cls],
    async read(sink) {
      const e: StreamEvent = {
        ts: 1234567,
        tsBig: undefined,
        cpu: 0,
        pid: 42,
        classId: 0,
        flags: 0,
        preempt: 0,
        buffer: 0,
        loc: 0,
        fields: { int: () => 0, str: () => '' },
      };
      sink.event(e);
    },
    record: () => undefined,
    values: () => fields.map((f, i) => ({ name: f.name, value: values[i]! })),
    info: () => '',
    commOf: () => 'task',
  };
  return { src, le: littleEndian };
}

function bytes64(vals: bigint[], le: boolean): Uint8Array {
  const b = new Uint8Array(vals.length * 8);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => {
    dv.setBigUint64(i * 8, BigInt.asUintN(64, v), le);
  });
  return b;
}

interface Json {
  traceEvents: Array<{ name: string; ts: number; args: Record<string, unknown> }>;
  otherData: { name: string };
}

async function convert(fields: StreamField[], values: FieldValue[], le = true): Promise<Json> {
  const { src } = source(fields, values, le);
  const parts: Uint8Array[] = [];
  await writeChromeJson(src, (c) => parts.push(c.slice()), { littleEndian: le, chunkSize: 4096 });
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

test('64-bit array elements and integers: exact numbers below 2^53, strings beyond', async () => {
  const vals = [0n, 1n, -1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  for (const le of [true, false]) {
    const j = await convert(
      [
        field('s', 'array', 0, true, 8),
        field('u', 'array', 0, false, 8),
        field('big', 'integer', 8, false),
        field('neg', 'integer', 8, true),
        field('small', 'array', 0, true, 2),
      ],
      [
        bytes64(vals, le),
        bytes64([2n ** 64n - 1n, 2n ** 52n], le),
        2n ** 64n - 1n,
        -5n,
        Uint8Array.of(...(le ? [0xff, 0xff, 2, 0] : [0xff, 0xff, 0, 2])),
      ],
      le,
    );
    const ev = j.traceEvents.find((e) => e.name === 'ev')!;
    const want = vals.map((v) => (v < 2n ** 53n && v > -(2n ** 53n) ? Number(v) : v.toString()));
    assert.deepEqual(ev.args.s, want, `signed, ${le ? 'LE' : 'BE'}`);
    assert.deepEqual(ev.args.u, ['18446744073709551615', 2 ** 52]);
    assert.equal(ev.args.big, '18446744073709551615');
    assert.equal(ev.args.neg, -5);
    assert.deepEqual(ev.args.small, [-1, 2]);
    assert.equal(ev.ts, 1234.567);
    assert.equal(j.otherData.name, 'y.dat');
  }
});

test('strings: JSON escapes, UTF-8 kept, bytes that are not UTF-8 as U+FFFD', async () => {
  const j = await convert(
    [field('a', 'string', 0, false), field('b', 'string', 0, false), field('c', 'string', 0, false)],
    ['tab\t"q" \\', 'caf\xc3\xa9', 'x\x80y'],
  );
  const ev = j.traceEvents.find((e) => e.name === 'ev')!;
  assert.deepEqual(ev.args, { a: 'tab\t"q" \\', b: 'café', c: 'x\ufffdy' });
});
