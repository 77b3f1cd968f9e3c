/// <reference types="node" />
/**
 * The report line around the info column. The record below is a real sched_waking from
 * packages/tracedat/testdata/sched-irq-top-v6.dat; the expected lines are what
 * `trace-cmd report` (with -t, -l, -R, -l -R, --ts-diff) printed for it
 * (packages/cli/testdata/report/*.txt.gz and packages/tracedat/testdata/*.report*.txt.gz).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Tep } from '../tep/tep.js';
import { KRecord } from '../ring/kbuffer.js';
import { LinePrinter, eventNameColumn, formatTime, latencyFlags } from './print-line.js';
import { OutBuffer } from '../core/out-buffer.js';

/** LinePrinter.emit into a tiny buffer (so that it grows), as a string. */
function emitted(p: LinePrinter, rec: KRecord): string {
  const o = new OutBuffer(null, 16);
  p.emit(rec, o);
  return o.take();
}

const SCHED_WAKING = `name: sched_waking
ID: 375
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:int target_cpu;\toffset:32;\tsize:4;\tsigned:1;

print fmt: "comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu
`;

const BYTES = new Uint8Array([
  0x77,
  0x01, // common_type 375
  0x35, // common_flags: irqs off | need resched | softirq (| 0x20, ignored)
  0x04, // common_preempt_count 4
  0x77,
  0x0b,
  0x00,
  0x00, // common_pid 2935
  ...'rcu_preempt'.split('').map((c) => c.charCodeAt(0)),
  0,
  0,
  0,
  0,
  0, // comm[16]
  0x0f,
  0,
  0,
  0, // pid 15
  0x78,
  0,
  0,
  0, // prio 120
  0,
  0,
  0,
  0, // target_cpu 0
]);

function setup(): { tep: Tep; rec: KRecord } {
  const tep = new Tep({ littleEndian: true, longSize: 8 });
  tep.addEventFormat(SCHED_WAKING, 'sched');
  tep.loadCmdlines('2935 make-reference-\n');
  const rec = new KRecord();
  rec.page = BYTES;
  rec.view = new DataView(BYTES.buffer);
  rec.offset = 0;
  rec.size = BYTES.length;
  rec.cpu = 0;
  rec.ts = 501082941386n;
  return { tep, rec };
}

test('print-line: trace-cmd report layouts of one record', () => {
  const { tep, rec } = setup();
  const cases: Array<[string, ConstructorParameters<typeof LinePrinter>[1], string]> = [
    ['default', {}, ' make-reference--2935  [000]   501.082941: sched_waking:         comm=rcu_preempt pid=15 prio=120 target_cpu=000'],
    [
      '-t',
      { nsec: true },
      ' make-reference--2935  [000]   501.082941386: sched_waking:         comm=rcu_preempt pid=15 prio=120 target_cpu=000',
    ],
    [
      '-R',
      { raw: true },
      ' make-reference--2935  [000]   501.082941: sched_waking:          comm=rcu_preempt pid=15 prio=120 target_cpu=000',
    ],
    [
      '-l',
      { latency: true },
      'make-ref-2935    0dNs4.   501.082941: sched_waking:         comm=rcu_preempt pid=15 prio=120 target_cpu=000',
    ],
    [
      '-l -R',
      { latency: true, raw: true },
      'make-ref-2935    0-0x35   501.082941: sched_waking:          comm=rcu_preempt pid=15 prio=120 target_cpu=000',
    ],
    [
      'raw clock',
      { inUsecs: false },
      ' make-reference--2935  [000]501082941386: sched_waking:         comm=rcu_preempt pid=15 prio=120 target_cpu=000',
    ],
  ];
  for (const [name, opts, want] of cases) {
    assert.equal(new LinePrinter(tep, opts).format(rec), want, name);
    // the byte-emitting path, twice on one printer (the second time from its caches)
    const p = new LinePrinter(tep, opts);
    assert.equal(emitted(p, rec), want, `${name} (emit)`);
    assert.equal(emitted(p, rec), want, `${name} (emit, cached)`);
  }
});

test('print-line: emit follows comm changes, new seconds, other CPUs and events', () => {
  const { tep, rec } = setup();
  const p = new LinePrinter(tep, {});
  const same = (what: string): void => assert.equal(emitted(p, rec), new LinePrinter(tep, {}).format(rec), what);
  same('first');
  tep.overrideComm(2935, 'renamed');
  same('comm override');
  rec.ts = 502000000999n;
  same('next second');
  rec.cpu = 17;
  same('cpu 17');
  rec.ts = 999999999999999n; // past the cached-seconds fast path
  same('large time stamp');
  rec.ts = 1n << 60n;
  same('bigint time stamp');
  rec.missedEvents = 12;
  rec.ts = 502000000999n;
  same('missed events');
});

test('print-line: --ts-diff shows (+N) from the second record on', () => {
  const { tep, rec } = setup();
  const p = new LinePrinter(tep, { tsDiff: true });
  rec.ts = 501082939000n;
  assert.match(p.format(rec), /\[000\] {3}501\.082939: {10}sched_waking: /);
  rec.ts = 501082941386n;
  assert.equal(
    p.format(rec),
    ' make-reference--2935  [000]   501.082941: (+2)     sched_waking:         comm=rcu_preempt pid=15 prio=120 target_cpu=000',
  );
});

test('print-line: missed events and unknown events', () => {
  const { tep, rec } = setup();
  rec.missedEvents = 3457;
  assert.ok(new LinePrinter(tep).format(rec).startsWith('CPU:0 [3457 EVENTS DROPPED]\n make-reference--2935 '));
  rec.missedEvents = -1;
  assert.ok(new LinePrinter(tep).format(rec).startsWith('CPU:0 [EVENTS DROPPED]\n'));
  rec.missedEvents = 0;
  const unknown = BYTES.slice();
  unknown[0] = 0x10; // common_type 0x110: no such event
  rec.page = unknown;
  rec.view = new DataView(unknown.buffer);
  assert.equal(new LinePrinter(tep).format(rec), '[UNKNOWN EVENT][UNKNOWN EVENT] (NULL):               [UNKNOWN EVENT]');
  assert.equal(emitted(new LinePrinter(tep), rec), '[UNKNOWN EVENT][UNKNOWN EVENT] (NULL):               [UNKNOWN EVENT]');
  assert.equal(
    new LinePrinter(tep, { latency: true, raw: true }).format(rec),
    '[UNKNOWN EVENT]-0x35[UNKNOWN EVENT] (NULL):               [UNKNOWN EVENT]',
  );
});

test('print-line: time stamps (rounded µs, ns, raw ticks) and name padding', () => {
  const rows: Array<[bigint | number, 'usec' | 'nsec' | 'raw', string]> = [
    [501082941386n, 'usec', '  501.082941'],
    [501082941500, 'usec', '  501.082942'], // (ts + 500) / 1000: rounded
    [999999500, 'usec', '    1.000000'],
    [0, 'usec', '    0.000000'],
    [501082941386, 'nsec', '  501.082941386'],
    [123456789012345n, 'nsec', '123456.789012345'],
    [501079728081, 'raw', '501079728081'],
    [3, 'raw', '           3'],
    [(1n << 64n) - 1n, 'nsec', '18446744073.709551615'],
  ];
  for (const [ts, mode, want] of rows) assert.equal(formatTime(ts, mode), want, `${ts} ${mode}`);
  assert.equal(eventNameColumn('sched_waking'), ' sched_waking:         ');
  assert.equal(eventNameColumn('sched_wake_idle_without_ipi'), ' sched_wake_idle_without_ipi: ');
  assert.equal(latencyFlags(0x35, 0x04), 'dNs4.');
  assert.equal(latencyFlags(0x18, 0x21), '..H12');
  assert.equal(latencyFlags(0x02, 0), 'X....');
});
