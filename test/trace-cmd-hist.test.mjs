// `utp hist` against `trace-cmd hist` (3.1.6), byte for byte: the committed hist-function-v6.dat
// (ftrace:function call chains + sched_switch/kernel_stack pairs, written by tools/make-hist-fixture.mjs
// because this kernel refuses the function tracer) against trace-cmd's saved outputs, which needs no
// trace-cmd; then, where trace-cmd is installed, trace-cmd hist run now on every committed trace.dat
// (event-only traces: each event is the leaf of its chain), with and without -P.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT, runUtp, firstDifference } from './lib/live.mjs';

const DATA = join(ROOT, 'packages/tracedat/testdata');
const FIX = join(DATA, 'hist-function-v6.dat');
const noTraceCmd = spawnSync('trace-cmd', ['--version']).error ? 'trace-cmd is not installed (apt-get install -y trace-cmd)' : undefined;
if (noTraceCmd) console.log(`# skipping the trace-cmd hist runs: ${noTraceCmd}`);

for (const [flags, saved] of [
  [[], 'hist-function-v6.hist.txt.gz'],
  [['-P'], 'hist-function-v6.hist-P.txt.gz'],
]) {
  test(`utp hist ${flags.join(' ')} on the function fixture == trace-cmd's saved output`, () => {
    const want = gunzipSync(readFileSync(join(DATA, saved)));
    assert.ok(want.includes('--- *sched_switch*') && want.includes('--%'), 'the saved output has event chains and branches');
    const r = runUtp(['hist', ...flags, '-i', FIX]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(firstDifference(want, r.stdout, `hist ${flags.join(' ')}`), undefined);
  });
}

test('utp hist == trace-cmd hist (run now) on every committed trace.dat, with and without -P', { skip: noTraceCmd }, () => {
  let compared = 0;
  for (const f of readdirSync(DATA).filter((x) => x.endsWith('.dat'))) {
    for (const flags of [[], ['-P']]) {
      const file = join(DATA, f);
      const ref = spawnSync('trace-cmd', ['hist', ...flags, '-i', file], { encoding: 'buffer', maxBuffer: 1 << 28 });
      // trace-cmd fails on latency files and on the file that cannot be set up, and crashes on an unknown event id
      if (ref.status !== 0) continue;
      const got = runUtp(['hist', ...flags, file]);
      assert.equal(got.status, 0, `${f}: ${got.stderr}`);
      assert.equal(firstDifference(ref.stdout, got.stdout, `hist ${flags.join(' ')} ${f}`), undefined);
      compared++;
    }
  }
  assert.ok(compared >= 30, `compared ${compared} runs`);
});

test('utp hist: --help exits 0; a missing file and a latency trace are one-line errors', () => {
  const h = runUtp(['hist', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout.toString(), /^usage: utp hist/);
  const m = runUtp(['hist', '-i', '/nonexistent.dat']);
  assert.equal(m.status, 1);
  assert.match(m.stderr.toString(), /^utp hist: cannot open \/nonexistent\.dat: [^\n]*\n$/);
  const l = runUtp(['hist', join(DATA, 'latency-v6.dat')]);
  assert.equal(l.status, 1);
  assert.equal(l.stderr.toString(), 'utp hist: trace-cmd hist does not work with latency traces\n');
});
