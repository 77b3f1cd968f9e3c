// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp set against trace-cmd set: for each flag set, `trace-cmd set -B A …` and `utp set -B B …` in
// two fresh instances, then every readable tracefs file of A and B must hold the same bytes (and
// differ from the fresh state where the flags say so). trace-cmd 3.1.6 without -d fails on this
// kernel (it writes /proc/sys/kernel/ftrace_enabled, which the kernel refuses: "Can't enable
// ftrace", nothing set), so the comparisons give both -d; utp set without -d is checked to do the
// same except options/function-trace. The function tracer is refused by this kernel: utp prints one
// line naming it. The top level is never touched (only -B instances).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveSkipReason, tracefsState, runUtp, UTP, T } from './lib/live.mjs';
import { changed, removeInstance } from './lib/instances.mjs';

const skip = liveSkipReason() ?? (existsSync(UTP) ? undefined : 'needs a build (npm run build)');
if (skip) console.log(`# skipping trace-cmd set comparisons: ${skip}`);

const tag = `${process.pid}`;
const made = new Set();
let n = 0;
const names = () => {
  n++;
  const a = `utp-settest-${tag}-a${n}`,
    b = `utp-settest-${tag}-b${n}`;
  made.add(a);
  made.add(b);
  return [a, b];
};

// files that change by themselves or cannot be compared as state
const SKIP =
  /(^|\/)(trace_pipe|trace_pipe_raw|snapshot_raw|trace|snapshot|stats|trace_marker|trace_marker_raw|free_buffer|hist|hist_debug|inject|id|format|buffer_meta)$/;
function snapshot(name) {
  const root = join(T, 'instances', name);
  const out = {};
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (!SKIP.test(r)) {
        try {
          out[r] = readFileSync(join(d, e.name), 'latin1');
        } catch (x) {
          out[r] = `<${x.code}>`;
        }
      }
    }
  };
  walk(root, '');
  return out;
}
const tc = (args) => spawnSync('trace-cmd', args, { encoding: 'latin1' });

after(() => {
  for (const m of made) removeInstance(m);
});

const CASES = [
  [
    '-e',
    'sched:sched_switch',
    '-f',
    'prev_pid > 0',
    '-f',
    'next_pid != 1',
    '-e',
    'irq',
    '-R',
    'traceoff',
    '-C',
    'mono',
    '-b',
    '300',
    '-O',
    'noprint-parent',
    '-P',
    String(process.pid),
    '-c',
    '-M',
    '1',
  ],
  ['-p', 'nop', '-T', '-e', 'sched:sched_wakeup*', '-O', 'sym-offset', '-C', 'global'],
  ['-e', 'timer', '-R', 'stacktrace', '-e', 'sched:sched_process_exit', '-R', 'traceon:3', '-b', '64'],
  ['-e', 'irq', '-v', '-e', 'irq:irq_handler_entry', '-e', 'sched:sched_switch'],
  ['-e', 'sched:sched_switch', '-l', 'schedule', '-n', 'kfree', '-g', 'do_exit'],
  ['-i', '-e', 'no_such_system_xyz', '-e', 'sched:sched_waking', '-P', `${process.pid},1`],
];

test('utp set -d -B B = trace-cmd set -d -B A, every tracefs file, for each flag set', { skip: skip ?? false }, () => {
  const before = tracefsState();
  for (const args of CASES) {
    const [a, b] = names();
    const t = tc(['set', '-d', '-B', a, ...args]);
    assert.equal(t.status, 0, `trace-cmd set ${args.join(' ')}: ${t.stderr}`);
    const u = runUtp(['set', '-d', '-B', b, ...args]);
    assert.equal(u.status, 0, `utp set ${args.join(' ')}: ${u.stderr}`);
    const sa = snapshot(a),
      sb = snapshot(b);
    const diff = changed(sa, sb);
    assert.deepEqual(
      diff.map((k) => `${k}: trace-cmd ${JSON.stringify(sa[k])} utp ${JSON.stringify(sb[k])}`),
      [],
      `utp set ${args.join(' ')}: the same tracefs state`,
    );
    // and the flags did something (a fresh instance differs)
    const [f] = names();
    spawnSync('mkdir', [join(T, 'instances', f)]);
    const fresh = snapshot(f);
    removeInstance(f);
    assert.ok(changed(fresh, sb).length >= 2, `utp set ${args.join(' ')} changed ${changed(fresh, sb).join(', ')}`);
    removeInstance(a);
    removeInstance(b);
  }
  assert.deepEqual(tracefsState(), before, 'the top level and other instances are as they were');
});

test('without -d: trace-cmd 3.1.6 fails on this kernel and sets nothing; utp sets the same as with -d, function-trace left on', {
  skip: skip ?? false,
}, () => {
  const args = ['-e', 'sched:sched_switch', '-C', 'mono', '-b', '128'];
  const [a, b] = names();
  const [c] = names();
  const t = tc(['set', '-B', a, ...args]);
  const fnOk = readFileSync('/proc/sys/kernel/ftrace_enabled', 'latin1');
  if (t.status === 0) {
    // a kernel that allows ftrace_enabled: then both must agree without -d too
    const u = runUtp(['set', '-B', b, ...args]);
    assert.equal(u.status, 0, u.stderr.toString());
    assert.deepEqual(changed(snapshot(a), snapshot(b)), []);
    return;
  }
  assert.match(t.stderr, /Can't enable ftrace/, `trace-cmd's failure: ${t.stderr}`);
  assert.equal(readFileSync('/proc/sys/kernel/ftrace_enabled', 'latin1'), fnOk);
  const u = runUtp(['set', '-B', b, ...args]);
  assert.equal(u.status, 0, u.stderr.toString());
  assert.equal(tc(['set', '-d', '-B', c, ...args]).status, 0);
  const d = changed(snapshot(b), snapshot(c));
  assert.deepEqual(d.sort(), ['options/function-trace', 'trace_options'].sort(), `only function-trace differs: ${d.join(', ')}`);
  assert.equal(readFileSync(join(T, 'instances', b, 'options/function-trace'), 'latin1'), '1\n');
  for (const m of [a, b, c]) removeInstance(m);
});

test('utp set -p function: one line naming the tracer the kernel refuses', { skip: skip ?? false }, () => {
  const [a, b] = names();
  const t = tc(['set', '-d', '-B', a, '-p', 'function']);
  const u = runUtp(['set', '-d', '-B', b, '-p', 'function']);
  if (t.status === 0) {
    assert.equal(u.status, 0, 'the kernel allows the function tracer: so must utp');
  } else {
    assert.match(t.stderr, /Operation not permitted/, 'trace-cmd is refused too');
    assert.equal(u.status, 1);
    const err = u.stderr.toString().trim();
    assert.equal(err.split('\n').length, 1, err);
    assert.match(err, /function/);
    assert.match(err, /refuse|EPERM|not permitted/i);
  }
  removeInstance(a);
  removeInstance(b);
});

test('utp set -v -B NAME removes the instance; a missing event is an error before anything is set', { skip: skip ?? false }, () => {
  const [a, b] = names();
  assert.equal(runUtp(['set', '-B', b, '-e', 'sched:sched_switch']).status, 0);
  assert.ok(existsSync(join(T, 'instances', b)));
  const u = runUtp(['set', '-v', '-B', b]);
  assert.equal(u.status, 0, u.stderr.toString());
  assert.ok(!existsSync(join(T, 'instances', b)), 'removed');
  // trace-cmd also removes it (and then fails on ftrace_enabled)
  spawnSync('mkdir', [join(T, 'instances', a)]);
  tc(['set', '-d', '-v', '-B', a]);
  assert.ok(!existsSync(join(T, 'instances', a)), 'trace-cmd removes it too');
  const bad = runUtp(['set', '-B', b, '-C', 'mono', '-e', 'no_such_event_xyz']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.toString(), /no_such_event_xyz/);
  assert.ok(!existsSync(join(T, 'instances', b)), 'nothing created');
});

// trace-cmd set runs a command after the setup (run_cmd): with -F its pid is in set_event_pid before it
// runs; set waits for it unless --fork; --user runs it as that user. Both tools run the same command,
// which prints the filter it sees and its own pid (and its uid).
test('utp set with a command: -F, --fork, --user as trace-cmd set', { skip: skip ?? false }, async () => {
  const before = tracefsState();
  const [a, b] = names();
  const cmdFor = (inst) => ['sh', '-c', `cat ${join(T, 'instances', inst, 'set_event_pid')}; echo self=$$`];
  const filterIsSelf = (out) => {
    const [filter, self] = out.trim().split('\n');
    return filter === self?.replace('self=', '');
  };
  const tc = spawnSync('trace-cmd', ['set', '-d', '-B', a, '-e', 'sched:sched_process_exec', '-F', ...cmdFor(a)], { encoding: 'utf8' });
  assert.equal(tc.status, 0, tc.stderr);
  const ut = runUtp(['set', '-d', '-B', b, '-e', 'sched:sched_process_exec', '-F', ...cmdFor(b)]);
  assert.equal(ut.status, 0, ut.stderr.toString());
  assert.ok(filterIsSelf(tc.stdout), `trace-cmd's command saw: ${tc.stdout}`);
  assert.ok(filterIsSelf(ut.stdout.toString()), `utp's command saw: ${ut.stdout}`);
  // the filter stays, as trace-cmd leaves it
  const pidOf = (inst) => readFileSync(join(T, 'instances', inst, 'set_event_pid'), 'utf8').trim();
  assert.equal(pidOf(b), ut.stdout.toString().split('\n')[0]);
  assert.equal(pidOf(a), tc.stdout.split('\n')[0]);
  // --user: the command runs as that user
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const tu = spawnSync('trace-cmd', ['set', '-d', '-B', a, '--user', 'nobody', 'id', '-u'], { encoding: 'utf8' });
  const uu = runUtp(['set', '-d', '-B', b, '--user', 'nobody', 'id', '-u']);
  assert.equal(tu.stdout.trim(), nobody, `trace-cmd set --user: ${tu.stdout} ${tu.stderr}`);
  assert.equal(uu.stdout.toString().trim(), nobody, `utp set --user: ${uu.stdout} ${uu.stderr}`);
  // without --fork set returns after the command; with it, while the command still runs (the command
  // closes its inherited output first, so that runUtp returns with utp, and marks its end in a file)
  const mark = (f, secs) => ['sh', '-c', `exec >/dev/null 2>&1 </dev/null; sleep ${secs}; touch ${f}`];
  const dir = mkdtempSync(join(tmpdir(), 'utp-set-cmd-'));
  try {
    const done1 = join(dir, 'waited');
    assert.equal(runUtp(['set', '-B', b, '-d', '--', ...mark(done1, 0.2)]).status, 0);
    assert.ok(existsSync(done1), 'set waited for the command');
    const done2 = join(dir, 'forked');
    assert.equal(runUtp(['set', '-B', b, '-d', '--fork', '--', ...mark(done2, 5)]).status, 0);
    assert.ok(!existsSync(done2), 'set --fork returned while the command ran');
    const until = Date.now() + 30_000;
    while (!existsSync(done2) && Date.now() < until) spawnSync('sleep', ['0.2']);
    assert.ok(existsSync(done2), 'the forked command ran to its end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // usage: -F / --fork / --user need a command
  for (const f of [['-F'], ['--fork'], ['--user', 'nobody']]) {
    const r = runUtp(['set', '-B', b, ...f]);
    assert.equal(r.status, 2, `set ${f.join(' ')}`);
    assert.match(r.stderr.toString(), /needs a command/);
  }
  removeInstance(a);
  removeInstance(b);
  assert.deepEqual(tracefsState(), before, 'tracefs as before');
});
