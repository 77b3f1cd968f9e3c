/// <reference types="node" />
/**
 * The number path of computed expressions (print-safe.ts) against the bigint evaluator
 * (eval_num_arg's C unsigned 64-bit arithmetic, the reference the print-case tests check
 * against trace-cmd): for edge values around 2^32, 2^53 and 2^64 every expression must
 * give the same value through ArgCompiler.num as through ArgCompiler.big, and the
 * number closure must either say "unknown" (-1) or give exactly that value.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Tep } from '../../tep/tep.js';
import { ArgCompiler } from './print-eval.js';
import type { EvalHost } from './eval-types.js';
import { compileSafe } from './print-safe.js';
import { TepEvent } from '../../event/tep-event.js';
import type { TraceRecord } from '../../core/types.js';

const EXPRS = [
  'REC->a + REC->b',
  'REC->a - REC->b',
  'REC->a * REC->c',
  'REC->a << 12',
  '((REC->a + 1) << 12) - 1',
  'REC->a >> 3',
  'REC->a >> REC->c',
  'REC->a << REC->c',
  'REC->a & REC->b',
  'REC->a | REC->b',
  'REC->a / REC->c',
  'REC->a % REC->c',
  'REC->a != -1UL ? (((struct page *)vmemmap_base) + (REC->a)) : ((void *)0)',
  '(((struct page *)vmemmap_base) + (REC->b))',
  '((unsigned int) ((REC->a) >> 20))',
  '((unsigned char) (REC->a + REC->b))',
  '(u16)REC->a',
  '!REC->a',
  'REC->a && REC->b',
  'REC->a || REC->c',
  'REC->a == REC->b',
  'REC->a < REC->b',
  'REC->a >= REC->b',
  'REC->a > 0xfffffffffffffff0',
  'REC->a <= 0x20000000000000',
  '~REC->a & REC->b',
  'REC->a ? REC->b + 5 : REC->c * 3',
];

const FORMAT = `name: calc
ID: 7
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:unsigned long a;\toffset:8;\tsize:8;\tsigned:0;
\tfield:unsigned long b;\toffset:16;\tsize:8;\tsigned:0;
\tfield:unsigned int c;\toffset:24;\tsize:4;\tsigned:0;

print fmt: "${EXPRS.map(() => '%llu').join(' ')}", ${EXPRS.join(', ')}
`;

const EDGES = [
  0n,
  1n,
  2n,
  3n,
  12n,
  63n,
  64n,
  0xfffn,
  0xffffffffn,
  0x100000000n,
  0x123456789n,
  (1n << 52n) + 12345n,
  (1n << 53n) - 1n,
  1n << 53n,
  (1n << 53n) + 1n,
  1n << 63n,
  0xfffffffffffffff0n,
  0xffffffffffffffffn,
  0x7fffffffffffffffn,
];

test('computed expressions: number path equals the bigint evaluator', () => {
  for (const symbol of [0x1000n, 0xffffea0000000000n]) {
    const tep = new Tep({ littleEndian: true, longSize: 8 });
    tep.loadKallsyms(`${symbol.toString(16).padStart(16, '0')} D vmemmap_base\n`);
    const ev = tep.addEventFormat(FORMAT, 'test');
    assert.ok(ev instanceof TepEvent);
    const page = new Uint8Array(32);
    const view = new DataView(page.buffer);
    const rec: TraceRecord = { ts: 0n, cpu: 0, page, view, offset: 0, size: 28, missedEvents: 0 };
    tep.formatInfo(rec, ev, 'noplugins'); // parses the print fmt
    assert.equal(ev.args.length, EXPRS.length);
    const host: EvalHost = {
      littleEndian: tep.littleEndian,
      longSize: tep.longSize,
      kallsyms: tep.kallsyms,
      printk: tep.printk,
      callFunction: () => 0n,
      functionReturns: () => 'number',
    };
    const c = new ArgCompiler(host, ev);
    const fns = ev.args.map((arg) => ({ num: c.num(arg), big: c.big(arg), safe: compileSafe(c, arg) }));
    let known = 0;
    for (const a of EDGES) {
      for (const b of EDGES) {
        for (const cv of [0, 1, 3, 12, 63, 64, 0xffffffff]) {
          view.setBigUint64(8, a, true);
          view.setBigUint64(16, b, true);
          view.setUint32(24, cv, true);
          fns.forEach((f, i) => {
            const want = f.big(rec);
            const got = f.num(rec);
            const ctx = `${EXPRS[i]} a=${a} b=${b} c=${cv}`;
            assert.equal(BigInt(got), want, ctx);
            if (typeof got === 'number') assert.ok(got >= 0 && got <= Number.MAX_SAFE_INTEGER && Number.isInteger(got), ctx);
            const s = f.safe(rec);
            if (s !== -1) {
              known++;
              assert.equal(BigInt(s), want, ctx);
            }
          });
        }
      }
    }
    assert.ok(known > 10000, `the number path was taken ${known} times`);
  }
});
