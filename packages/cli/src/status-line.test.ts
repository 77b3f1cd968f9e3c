/// <reference types="node" />
// The status line's text and drawing (no terminal needed: a fake TTY stream).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { StatusLine, elapsedText, shortBytes, shortCount, statusText } from './status-line.js';

test('numbers, bytes and times in short form', () => {
  assert.deepEqual([0, 999, 1000, 12345, 999_999, 1_234_567, 4_000_000_000].map(shortCount), [
    '0',
    '999',
    '1.00k',
    '12.3k',
    '1000k',
    '1.23M',
    '4.00G',
  ]);
  assert.deepEqual([0, 1023, 1024, 1536, 12.3 * 1048576, 1.02 * 1073741824].map(shortBytes), [
    '0B',
    '1023B',
    '1.00K',
    '1.50K',
    '12.3M',
    '1.02G',
  ]);
  assert.deepEqual([0, 1250, 61_000, 3_723_000].map(elapsedText), ['0:00.0', '0:01.3', '1:01.0', '1:02:03']);
});

test('per CPU when it fits, the total with the losing CPUs named when not', () => {
  const cpus = [
    { cpu: 0, events: 818, lost: 0, bytes: 40960 },
    { cpu: 1, events: 410, lost: 7, bytes: 20480 },
  ];
  assert.equal(
    statusText('utp record', 1000, cpus, 120),
    'utp record: 0:01.0  CPU0 818 ev 40.0K  CPU1 410 ev 20.0K 7 lost  total 1.23k ev 60.0K 7 lost',
  );
  assert.equal(statusText('utp record', 1000, cpus, 60), 'utp record: 0:01.0  total 1.23k ev 60.0K 7 lost (CPU 1)');
  assert.ok(statusText('utp record', 1000, cpus, 20).length < 20, 'never wider than the terminal');
});

test('draws only on a TTY, in place, and erases itself at the stop', () => {
  const writes: string[] = [];
  const tty = { isTTY: true, columns: 100, write: (s: string) => writes.push(s) > 0 };
  const line = new StatusLine('utp record', () => [{ cpu: 0, events: 5, lost: 0, bytes: 4096 }], tty, true, 10_000).start();
  line.stop();
  assert.deepEqual(writes, ['\rutp record: 0:00.0  CPU0 5 ev 4.00K  total 5 ev 4.00K 0 lost\x1b[K', '\r\x1b[K']);
  const piped: string[] = [];
  new StatusLine('utp record', () => [], { isTTY: false, write: (s: string) => piped.push(s) > 0 }).start().stop();
  new StatusLine('utp record', () => [], { ...tty, write: (s: string) => piped.push(s) > 0 }, false).start().stop();
  assert.deepEqual(piped, [], 'nothing when piped or disabled (-q)');
});
