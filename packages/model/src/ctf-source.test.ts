/// <reference types="node" />
/**
 * CtfSource on the committed CTF fixtures (testdata/ctf: two LTTng UST traces, two utp-written ones;
 * each with the output babeltrace2 printed for it): every event's values decoded later from its
 * `loc` equal those decoded during the event call, its info text equals babeltrace2's line after the
 * event name (before and after), the event names and times are babeltrace2's, and `fields` reads
 * the same values during the call.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemorySource } from '@utp/bytes';
import { CtfSource } from './ctf-source.js';
import type { FieldValue } from './event-stream.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIX = ROOT + 'testdata/ctf/';

async function open(name: string, chunked = false): Promise<CtfSource> {
  const dir = FIX + name + '/';
  const streams = readdirSync(dir)
    .filter((n) => n !== 'metadata' && !n.startsWith('.') && statSync(dir + n).isFile())
    .map((n) => {
      const bytes = new Uint8Array(readFileSync(dir + n));
      return { name: n, source: chunked ? bytes : new MemorySource(bytes, n) };
    });
  return CtfSource.open(new Uint8Array(readFileSync(dir + 'metadata')), streams, { name });
}

const show = (v: FieldValue): unknown => (v instanceof Uint8Array ? Array.from(v) : typeof v === 'bigint' ? `${v}n` : v);
const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const fixtures = readdirSync(FIX).filter((n) => statSync(FIX + n).isDirectory());

test('CtfSource fixtures are there', () => {
  assert.ok(fixtures.length >= 4, fixtures.join(','));
});

for (const name of fixtures) {
  test(`CtfSource ${name}: values(loc) later == during the call; info == babeltrace2's text; names and times`, async () => {
    const src = await open(name, name.startsWith('lttng-ust-types'));
    const lines = readFileSync(FIX + name + '.babeltrace2.txt', 'latin1')
      .split('\n')
      .filter(Boolean);
    const during: Array<{ loc: number; classId: number; values: unknown[]; info: string; ts: bigint; name: string }> = [];
    let fieldChecks = 0;
    await src.read({
      event(e) {
        const c = src.classes[e.classId]!;
        const vals = src.values(e.loc, e.classId);
        assert.equal(vals.length, c.fields.length + c.commonFields.length);
        const all = [...c.fields, ...c.commonFields];
        all.forEach((f, i) => {
          const v = vals[i]!.value;
          if (f.kind === 'integer' && (typeof v === 'number' || typeof v === 'bigint')) {
            assert.equal(e.fields.int(f), Number(v));
            fieldChecks++;
          } else if (f.kind === 'string') {
            assert.equal(e.fields.str(f), v);
            fieldChecks++;
          }
        });
        during.push({
          loc: e.loc,
          classId: e.classId,
          values: vals.map((x) => [x.name, show(x.value)]),
          info: src.info(e.loc, e.classId, e.ts, e.cpu),
          ts: e.tsBig ?? BigInt(e.ts),
          name: c.system ? `${c.system}:${c.name}` : c.name,
        });
      },
    });
    assert.equal(during.length, lines.length);
    assert.ok(fieldChecks > 0);
    const host = src.meta.hostname ? latin1(src.meta.hostname) + ' ' : '';
    for (let i = 0; i < during.length; i++) {
      const d = during[i]!;
      const m = /^\[(\d\d):(\d\d):(\d\d)\.(\d{9})\] \(\S+\) (.*)$/.exec(lines[i]!);
      assert.ok(m, lines[i]);
      const rest = m[5]!;
      assert.ok(rest.startsWith(host), rest);
      const head = `${latin1(d.name)}: `;
      assert.equal(rest.slice(host.length, host.length + head.length), head, `event ${i}`);
      // babeltrace2 ran with TZ=UTC: the time of day of the ns since the clock's origin
      const day = 86400n * 1000000000n;
      const tod = BigInt(m[1]!) * 3600n + BigInt(m[2]!) * 60n + BigInt(m[3]!);
      assert.equal(((d.ts % day) + day) % day, tod * 1000000000n + BigInt(m[4]!), `time of event ${i}`);
      assert.equal(d.info, rest.slice(host.length + head.length), `info of event ${i}`);
    }
    // later, in another order (the packet cache is cold for most)
    for (let i = during.length - 1; i >= 0; i -= 1) {
      const d = during[i]!;
      const later = src.values(d.loc, d.classId).map((x) => [x.name, show(x.value)]);
      assert.deepEqual(later, d.values, `event ${i} at loc ${d.loc}`);
      assert.equal(src.info(d.loc, d.classId, 0, 0), d.info, `info of event ${i}`);
    }
  });
}
