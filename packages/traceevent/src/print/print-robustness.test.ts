/// <reference types="node" />
/**
 * Garbage must not crash the engine: mutated format texts either parse (possibly FAILED)
 * or throw TRACEEVENT_BAD_FORMAT, and printing random bytes with any of them never throws.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Tep } from '../tep/tep.js';
import { OutBuffer } from '../core/out-buffer.js';
import type { TraceRecord } from '../core/types.js';

test('mutated formats and random records never throw', () => {
  const data = JSON.parse(gunzipSync(readFileSync(new URL('../../testdata/real-cases.json.gz', import.meta.url))).toString('latin1')) as {
    events: Array<{ system: string; format: string }>;
  };
  const texts = data.events.map((e) => [e.system, e.format] as const);
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const chars = '()[],;:*&|!?<>-+{}"\'\\%\t\n xyz019REC->';
  let parsed = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const [sys, orig] = texts[rnd(texts.length)]!;
    let t = orig;
    for (let i = 1 + rnd(4); i > 0; i--) {
      const pos = rnd(t.length);
      const op = rnd(3);
      const c = chars[rnd(chars.length)]!;
      t =
        op === 0
          ? t.slice(0, pos) + t.slice(pos + 1 + rnd(5))
          : op === 1
            ? t.slice(0, pos) + c + t.slice(pos)
            : t.slice(0, pos) + c + t.slice(pos + 1);
    }
    // every other format without code generation: both paths must print what the string path does
    const tep = new Tep({ codegen: iter % 2 === 0 });
    tep.loadKallsyms('ffffffff81000000 T a\nffffffff81001000 T b\n');
    let ev;
    try {
      ev = tep.addEventFormat(t, sys);
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'TRACEEVENT_BAD_FORMAT');
      continue;
    }
    parsed++;
    for (let j = 0; j < 3; j++) {
      const page = new Uint8Array(256);
      for (let i = 0; i < page.length; i++) page[i] = rnd(256);
      const rec: TraceRecord = { ts: 0n, cpu: 0, page, view: new DataView(page.buffer), offset: 16, size: rnd(200), missedEvents: 0 };
      const out = new OutBuffer(null, 8);
      for (const mode of ['noplugins', 'raw'] as const) {
        const s = tep.formatInfo(rec, ev, mode);
        assert.equal(typeof s, 'string');
        // the byte-emitting path prints the same bytes, garbage included
        tep.emitInfo(rec, ev, mode, out);
        assert.equal(out.take(), s, `${mode} ${t}`);
      }
    }
  }
  assert.ok(parsed > 1000);
});
