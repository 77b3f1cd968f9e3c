// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// `utp profile` (trace-cmd 3.1.6 profile: record what `record --profile` enables, then print
// `report --profile`) on the live kernel. trace-cmd profile itself fails here ("Can't enable
// ftrace": it insists on the function tracer, and leaves a stacktrace trigger and enabled events
// behind), so the reference is the file utp profile recorded (kept with --trace), printed by
// `trace-cmd report --profile` with the same -G/-H flags: it must equal what utp profile printed,
// after canonicalProfile() (test/lib/profile-canon.mjs: the heap-address orders trace-cmd prints).
// The trace is also the live input of `utp hist` against `trace-cmd hist`. tracefs must be left as found.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveSkipReason, tmpDir, tracefsState, runTraceCmd, runUtp, firstDifference } from './lib/live.mjs';
import { canonicalProfile } from './lib/profile-canon.mjs';

const skip = liveSkipReason();
if (skip) console.log(`# skipping live utp profile tests: ${skip}`);

const WORK = ['bash', '-c', 'for i in 1 2 3; do ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; sleep 0.03; done'];

/** trace-cmd report --profile FLAGS -i FILE, put in utp's order, vs what utp profile printed. */
function compare(file, flags, got, what) {
  const ref = runTraceCmd(['report', '--profile', ...flags, '-i', file]);
  assert.equal(ref.status, 0, `trace-cmd report --profile: ${ref.stderr}`);
  const canon = Buffer.from(canonicalProfile(ref.stdout.toString('latin1')), 'latin1');
  assert.equal(firstDifference(canon, got, what), undefined);
}

describe('utp profile == trace-cmd report --profile of the trace it recorded', { skip }, () => {
  let dir, state;
  before(() => {
    dir = tmpDir('utp-profile-cmd-');
    state = tracefsState();
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('default events (sched_switch/sched_wakeup with stacktrace triggers, irq, softirq, raw_syscalls, page faults, exec), -o', () => {
    const trace = join(dir, 'default.dat');
    const out = join(dir, 'default.txt');
    const r = runUtp(['profile', '--trace', trace, '-o', out, '--', ...WORK]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(tracefsState(), state, 'tracefs left as found');
    assert.equal(r.stdout.length, 0, '-o: nothing on stdout');
    const got = readFileSync(out);
    assert.match(got.toString('latin1'), /Event: sched_switch:/);
    const events = runTraceCmd(['report', '-i', trace]).stdout.toString('latin1');
    for (const e of ['sched_switch:', 'sched_wakeup:', 'kernel_stack:', 'sys_enter:', 'sys_exit:', 'softirq_raise:'])
      assert.ok(events.includes(e), `the trace has ${e}`);
    compare(trace, [], got, 'utp profile -o');
    // the same real trace (kernel_stack records of the stacktrace triggers) through utp hist and trace-cmd hist
    for (const flags of [[], ['-P']]) {
      const ref = runTraceCmd(['hist', ...flags, '-i', trace]);
      assert.equal(ref.status, 0, `trace-cmd hist: ${ref.stderr}`);
      const h = runUtp(['hist', ...flags, '-i', trace]);
      assert.equal(h.status, 0, h.stderr.toString());
      assert.equal(firstDifference(ref.stdout, h.stdout, `hist ${flags.join(' ')} on the profile trace`), undefined);
    }
  });

  test('-S -e sched_switch -e sched_wakeup -G -H, -p function (events only, said in one line), stdout', () => {
    const trace = join(dir, 'manual.dat');
    const hook = 'sched:sched_wakeup,pid/sched:sched_switch,next_pid';
    const r = runUtp([
      'profile',
      '-S',
      '-e',
      'sched_switch',
      '-e',
      'sched_wakeup',
      '-G',
      '-H',
      hook,
      '-p',
      'function',
      '--trace',
      trace,
      '--',
      ...WORK,
    ]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(tracefsState(), state, 'tracefs left as found');
    assert.match(
      r.stderr.toString(),
      /^utp profile: -p function: not used, this kernel refuses the function tracer; profiling events only$/m,
    );
    const events = runTraceCmd(['report', '-i', trace]).stdout.toString('latin1');
    assert.ok(!events.includes('sys_enter:') && !events.includes('kernel_stack:'), '-S: none of the default events');
    compare(trace, ['-G', '-H', hook], r.stdout, 'utp profile -S -G -H');
  });
});

test('utp profile --help exits 0; -S alone is a usage error', () => {
  const h = runUtp(['profile', '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout.toString(), /^usage: utp profile/);
  if (!skip) {
    const s = runUtp(['profile', '-S', '--', 'true']);
    assert.equal(s.status, 2);
    assert.equal(s.stderr.toString(), 'utp: profile: no events to record (-S without -e or -H)\n');
  }
});
