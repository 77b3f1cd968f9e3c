/// <reference types="node" />
/** Symbol, printk and comm tables with libtraceevent's lookup rules. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { KallsymsTable } from './kallsyms.js';
import { PrintkTable } from './printk.js';
import { CmdlineTable } from './cmdlines.js';

test('kallsyms: between-rule, last symbol exact only, A/a and $ dropped, modules', () => {
  const k = new KallsymsTable();
  k.parse(
    'ffffffff81000000 T _stext\nffffffff81000100 t do_one\t[mymod]\nffffffff81000200 A abs\nffffffff81000300 T $x\nffffffff81000400 T last\n',
  );
  assert.equal(k.find(0xffffffff81000000n)?.name, '_stext');
  assert.equal(k.find(0xffffffff810000ffn)?.name, '_stext');
  assert.deepEqual(k.find(0xffffffff81000105n), { name: 'do_one', addr: 0xffffffff81000100n, module: 'mymod' });
  assert.equal(k.find(0xffffffff81000250n)?.name, 'do_one'); // abs and $x were dropped
  assert.equal(k.find(0xffffffff81000400n)?.name, 'last');
  assert.equal(k.find(0xffffffff81000401n), undefined); // past the last symbol
  assert.equal(k.find(0xffffffff80000000n), undefined);
  assert.equal(k.addressOf('do_one'), 0xffffffff81000100n);
  assert.equal(k.addressOf('nope'), 0n);
});

test('kallsyms: lazily given texts are read on the first lookup, in load order', () => {
  const k = new KallsymsTable();
  let calls = 0;
  k.load('ffffffff81000000 T first\n');
  k.loadLazy(() => {
    calls++;
    return 'ffffffff81000000 T second\nffffffff81000100 t later\t[mod]\nffffffff81000200 T end\n';
  });
  assert.equal(calls, 0);
  assert.deepEqual(k.find(0xffffffff81000105n), { name: 'later', addr: 0xffffffff81000100n, module: 'mod' });
  assert.equal(calls, 1);
  k.find(0xffffffff81000000n);
  assert.equal(calls, 1);
  assert.equal(k.count, 4);
});

test('kallsyms: parsing stops at a malformed line', () => {
  const k = new KallsymsTable();
  assert.equal(k.parse('ffffffff81000000 T a\nzzz\nffffffff81000100 T b\n'), false);
  assert.equal(k.find(0xffffffff81000100n)?.name, undefined);
});

test('printk: quotes and a trailing \\n stripped', () => {
  const p = new PrintkTable();
  p.parse('0xffffffff82000000 : "hello %d\\n"\n0xffffffff82000010 : "plain"\n');
  assert.equal(p.find(0xffffffff82000000n), 'hello %d');
  assert.equal(p.find(0xffffffff82000010n), 'plain');
  assert.equal(p.find(1n), undefined);
});

test('cmdlines: <idle>, <...>, first registration wins once in use', () => {
  const c = new CmdlineTable();
  c.parse('1 systemd\n759 gen2.sh\n');
  assert.equal(c.comm(0), '<idle>');
  assert.equal(c.comm(759), 'gen2.sh');
  assert.equal(c.comm(5), '<...>');
  c.register(759, 'other');
  c.register(5, 'late');
  assert.equal(c.comm(759), 'gen2.sh');
  assert.equal(c.comm(5), 'late');
  c.override(5, 'again');
  assert.equal(c.comm(5), 'again');
});
