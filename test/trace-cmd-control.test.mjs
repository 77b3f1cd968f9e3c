// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp clear / stop / restart / snapshot / stack / check-events against trace-cmd: each runs the same
// command on its own instance with the same state, and every file of the instances is compared
// before and after: utp must change exactly the files trace-cmd changes, to the same contents.
// Refusals of this kernel (no snapshot, no stack tracer) must be refusals in both.
// A live file (writes tracefs).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { oracleSkipReason, traceCmd, utp, makeInstance, snapshotFiles, T } from './lib/tracecmd-oracle.mjs';
import { readFileSync } from 'node:fs';

const skip = oracleSkipReason();
if (skip) console.log(`# skipping trace-cmd control comparisons: ${skip}`);
const opt = { skip: skip ?? false };

const FILES = [
  'tracing_on',
  'trace',
  'buffer_size_kb',
  'buffer_total_size_kb',
  'set_event',
  'set_event_pid',
  'trace_clock',
  'tracing_cpumask',
  'current_tracer',
  'trace_options',
  'events/enable',
  'per_cpu/cpu0/buffer_size_kb',
  'per_cpu/cpu1/buffer_size_kb',
  'per_cpu/cpu0/trace',
  'per_cpu/cpu1/trace',
  'buffer_percent',
  'buffer_subbuf_size_kb',
  'error_log',
];
// The trace header counts entries-written, which differ by the markers' timing; entries-in-buffer is what clear changes.
const norm = (s) => s.replace(/^( *\S+-\d+ +\[\d+\] [^:]+ +)\d+\.\d+:/gm, '$1TS:');

let made = [];
afterEach(() => {
  for (const i of made) i.remove();
  made = [];
});

const topBefore = () => snapshotFiles(T, ['tracing_on', 'set_event', 'buffer_size_kb', 'trace_clock']);

/** Runs `args` (with -B NAME) in trace-cmd's instance and utp's; compares what changed. */
let seq = 0;
function sameEffect(kind, args, what) {
  const top0 = topBefore();
  const a = makeInstance(`utp-${process.pid}.0-tc${++seq}`, kind);
  made.push(a);
  const b = makeInstance(`utp-${process.pid}.0-utp${seq}`, kind);
  made.push(b);
  try {
    compareEffect(a, b, kind, args, what, top0);
  } finally {
    a.remove();
    b.remove();
  }
}
function compareEffect(a, b, _kind, args, what, top0) {
  const a0 = snapshotFiles(a.dir, FILES),
    b0 = snapshotFiles(b.dir, FILES);
  const ra = traceCmd(args(a.name)),
    rb = utp(args(b.name));
  assert.equal(rb.status === 0, ra.status === 0, `${what}: exit ${rb.status} vs trace-cmd ${ra.status} ${rb.stderr}`);
  assert.equal(rb.stdout.toString('latin1'), ra.stdout.toString('latin1'), `${what}: stdout`);
  const a1 = snapshotFiles(a.dir, FILES),
    b1 = snapshotFiles(b.dir, FILES);
  for (const f of FILES) {
    const changedA = norm(a0[f]) !== norm(a1[f]),
      changedB = norm(b0[f]) !== norm(b1[f]);
    assert.equal(
      changedB,
      changedA,
      `${what}: ${f} ${changedA ? 'changed' : 'unchanged'} by trace-cmd, ${changedB ? 'changed' : 'unchanged'} by utp`,
    );
    if (changedA) assert.equal(norm(b1[f]), norm(a1[f]), `${what}: ${f} after`);
  }
  assert.deepEqual(topBefore(), top0, `${what}: the top instance is untouched`);
}

test('clear -B empties the buffer exactly as trace-cmd clear -B', opt, () => {
  sameEffect('systems', (n) => ['clear', '-B', n], 'clear -B');
  sameEffect('all', (n) => ['clear', '-B', n], 'clear -B (tracing on, events off)');
  sameEffect('quiet', (n) => ['clear', '-B', n, '-B', n], 'clear -B twice');
});

test('stop -B / restart -B set tracing_on exactly as trace-cmd', opt, () => {
  sameEffect('quiet', (n) => ['restart', '-B', n], 'restart -B');
  sameEffect('quiet', (n) => ['restart', '-B', n, '-B', n], 'restart -B twice');
  sameEffect('all', (n) => ['stop', '-B', n], 'stop -B');
  sameEffect('systems', (n) => ['stop', '-B', n, '-B', n], 'stop -B twice');
});

test('clear of a missing instance fails in both, changing nothing', opt, () => {
  sameEffect('systems', () => ['clear', '-B', 'utp-no-such-instance'], 'clear -B missing');
});

test('snapshot and stack: refused by this kernel in both (or the same output), nothing changed', opt, () => {
  const haveSnap = (() => {
    try {
      readFileSync(`${T}/snapshot`);
      return true;
    } catch {
      return false;
    }
  })();
  const cases = [['snapshot'], ['snapshot', '-c', '0'], ['snapshot', '-s', '-f'], ['stack']];
  if (!haveSnap) cases.push(['snapshot', '-s'], ['snapshot', '-r'], ['snapshot', '-f']);
  for (const c of cases) {
    const top0 = topBefore();
    const ra = traceCmd(c),
      rb = utp(c);
    assert.equal(rb.status === 0, ra.status === 0, `${c.join(' ')}: exit ${rb.status} vs ${ra.status}`);
    assert.equal(rb.stdout.toString('latin1'), ra.stdout.toString('latin1'), `${c.join(' ')}: stdout`);
    assert.deepEqual(topBefore(), top0);
  }
});

test('check-events: silent and successful where trace-cmd check-events is', opt, () => {
  const ra = traceCmd(['check-events']),
    rb = utp(['check-events']);
  assert.equal(rb.stdout.toString(), ra.stdout.toString());
  assert.equal(rb.status === 0, ra.status === 0 && ra.stderr === '', rb.stderr);
});
