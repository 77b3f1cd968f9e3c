/// <reference types="node" />
// Pure functions of @utp/tracefs (no kernel needed).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
const code = (e: unknown): string | undefined => (e as { code?: string }).code;
import { globMatch, parseUprobeSpec, lastErrorLogEntry, parseCpuStats, ownerPid } from './index.js';

test('glob matching as fnmatch', () => {
  const table: Array<[string, string, boolean]> = [
    ['sched_*', 'sched_switch', true], ['sched_*', 'xsched_switch', false], ['*', '', true],
    ['irq?', 'irq1', true], ['irq?', 'irq', false], ['[ab]*', 'block', true], ['[!ab]*', 'block', false],
    ['a.b', 'axb', false], ['a.b', 'a.b', true],
  ];
  for (const [g, s, want] of table) assert.equal(globMatch(g, s), want, `${g} ~ ${s}`);
});

test('uprobe specs', () => {
  assert.deepEqual(parseUprobeSpec('/bin/true:main'), { path: '/bin/true', symbol: 'main', args: [], ret: false });
  assert.deepEqual(parseUprobeSpec('myp=/x/y:0x1130%return arg=%ax'), { name: 'myp', path: '/x/y', offset: 0x1130n, args: ['arg=%ax'], ret: true });
  assert.throws(() => parseUprobeSpec('nocolon'), (e: unknown) => code(e) === 'TRACEFS_BAD_ARGUMENT');
});

test('error_log: the last entry', () => {
  const log = '[  10.000001] event filter parse error: error: Field not found\n  Command: foo == 1\n          ^\n' +
    '[  12.500000] trace_uprobe: error: Invalid argument\n  Command: p:g/x /bin/true:0x1 %zz\n                              ^\n';
  assert.equal(lastErrorLogEntry(log), '[  12.500000] trace_uprobe: error: Invalid argument\n  Command: p:g/x /bin/true:0x1 %zz\n                              ^');
  assert.equal(lastErrorLogEntry(''), undefined);
});

test('per-CPU stats parsing', () => {
  const s = parseCpuStats('entries: 5\noverrun: 2\ncommit overrun: 0\nbytes: 680\noldest event ts:   407.346634\nnow ts:   408.334172\ndropped events: 1\nread events: 169\n');
  assert.equal(s.entries, 5); assert.equal(s.overrun, 2); assert.equal(s.droppedEvents, 1); assert.equal(s.readEvents, 169);
  assert.equal(s.oldestEventTs, '407.346634');
});

test('owner pids of utp names', () => {
  assert.equal(ownerPid('utp-123-4'), 123);
  assert.equal(ownerPid('utp_77'), 77);
  assert.equal(ownerPid('mkref_2881'), undefined);
  assert.equal(ownerPid('utp-x-1'), undefined);
});
