// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp list / stat / show against trace-cmd 3.1.6 on this machine, byte for byte, on instances
// with varied state created here (a live file: they write tracefs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { oracleSkipReason, traceCmd, utp, run, makeInstance } from './lib/tracecmd-oracle.mjs';

const skip = oracleSkipReason();
if (skip) console.log(`# skipping trace-cmd list/stat/show comparisons: ${skip}`);
const opt = { skip: skip ?? false };

const insts = [];
before(() => {
  if (skip) return;
  for (const k of ['mixed', 'all', 'systems']) insts.push(makeInstance(`utp-${process.pid}.0-${k}`, k));
});
after(() => {
  for (const i of insts) i.remove();
});

/** Same stdout bytes; both succeed or both fail. */
function same(args, what = args.join(' '), norm = (s) => s) {
  const want = traceCmd(args),
    got = utp(args);
  assert.equal(norm(got.stdout.toString('latin1')), norm(want.stdout.toString('latin1')), `${what}: stdout`);
  assert.equal(got.status === 0, want.status === 0, `${what}: exit ${got.status} vs trace-cmd ${want.status} (${got.stderr.trim()})`);
}

test('list: every flag and event regex prints what trace-cmd list prints', opt, () => {
  const cases = [
    ['-e'],
    ['-t'],
    ['-p'],
    ['-o'],
    ['-B'],
    ['-C'],
    ['-s'],
    ['-P'],
    ['-e', 'sched'],
    ['-e', 'sched:'],
    ['-e', 'sched:.*wak'],
    ['-e', ':wakeup$'],
    ['-e', 'SCHED'],
    ['-e', 'ftrace'],
    ['-e', '.'],
    ['-e', '.*:.*'],
    ['-e', '^s.*:^sched_[a-k]'],
    ['-e', '\\(irq\\|sched\\):.*exit'],
    ['-e', 'nosuchthing'],
    ['-e', 'irq', '-F'],
    ['-F', '-e', 'sched:sched_switch'],
    ['-e', 'sched_switch', '-F', '--full'],
    ['-e', 'sched', '-l'],
    ['-e', 'timer', '-l'],
    ['-e', 'timer', '-R'],
    ['-e', 'sched_process', '-R'],
    ['-e', '-F'],
    ['-o', '-t', '-e', '-B', '-C', '-s'],
    ['-e', 'x[[:digit:]]'],
    ['-f'],
    ['-f', 'sched'],
    ['-O'],
    ['-O', '-t'],
  ];
  for (const c of cases) same(['list', ...c]);
  // The plain list ends with the compression list (see the -c test).
  same(['list'], 'list', (s) => s.replace(/Supported compression algorithms:\n(\t.*\n)*$/, ''));
});

test('list -c: the same layout (utp lists the compressors it writes, with the versions it stores)', opt, () => {
  const want = traceCmd(['list', '-c']).stdout.toString(),
    got = utp(['list', '-c']).stdout.toString();
  assert.equal(got.split('\n')[0], want.split('\n')[0]);
  for (const l of got.split('\n').slice(1).filter(Boolean)) assert.match(l, /^\t[a-z]+, \d+\.\d+\.\d+$/);
  const name = (t) =>
    t
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.split(',')[0]);
  for (const n of name(want)) assert.ok(name(got).includes(n), `trace-cmd's ${n} is listed`);
});

test('stat: top, -o, -t, instances with varied state (one, several, missing) as trace-cmd stat', opt, () => {
  const [m, a, s] = insts.map((i) => i.name);
  const cases = [
    [],
    ['-o'],
    ['-B', m],
    ['-B', m, '-o'],
    ['-t', '-B', m],
    ['-B', m, '-t'],
    ['-B', a],
    ['-B', s],
    ['-B', m, '-B', a, '-B', s],
    ['-B', s, '-t', '-B', a],
    ['-B', 'utp-no-such-instance'],
    ['-oB', m],
  ];
  for (const c of cases) same(['stat', ...c]);
});

test('show: the trace file, -c, -f, -s, -p errors, and every file flag, in -B and top', opt, () => {
  const [m, a] = insts.map((i) => i.name);
  const flags = [
    '--tracing_on',
    '--current_tracer',
    '--buffer_size',
    '--buffer_total_size',
    '--ftrace_filter',
    '--ftrace_notrace',
    '--ftrace_pid',
    '--graph_function',
    '--graph_notrace',
    '--cpumask',
  ];
  for (const b of [[], ['-B', m], ['-B', a]]) {
    for (const f of flags) same(['show', ...b, f]);
    same(['show', ...b, '--tracing', '--cpumask'], 'abbreviated long options, two file flags');
    same(['show', ...b, '-c', '0']);
    same(['show', ...b, '-f', '-c', '1']);
    same(['show', ...b, '-s']);
    same(['show', ...b, '-c', '99']);
  }
  same(['show', '-B', m]);
  same(['show', '-B', m, '-f']);
  same(['show', '--cpumask', '-B', m], 'a file flag before -B reads the top instance');
  same(['show', '-B', 'utp-no-such-instance', '--buffer_size'], 'a missing -B instance: file flags read the top');
  same(['show', '-B', 'utp-no-such-instance']);
  same(['show', '-p', '-s']);
});

test('show file flags of trace-cmd 3.2+ (not in 3.1.6) print the kernel file as cat does', opt, () => {
  const [m] = insts;
  const cat = (f) => run('cat', [f]).stdout.toString('latin1');
  const files = {
    '--buffer_subbuf_size': 'buffer_subbuf_size_kb',
    '--buffer_percent': 'buffer_percent',
    '--event_pid': 'set_event_pid',
    '--options': 'trace_options',
  };
  for (const [flag, file] of Object.entries(files)) {
    const r = utp(['show', '-B', m.name, flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString('latin1'), cat(`${m.dir}/${file}`), flag);
  }
  for (const [spec, file] of [
    ['timer:hrtimer_start', 'timer/hrtimer_start/trigger'],
    ['softirq_entry', 'irq/softirq_entry/trigger'],
  ]) {
    const r = utp(['show', '-B', m.name, '--trigger', spec]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString('latin1'), cat(`${m.dir}/events/${file}`) + '\n', `--trigger ${spec}`);
  }
  assert.notEqual(utp(['show', '--trigger', 'no_such_event']).status, 0);
});

test('options: the plugin options table as trace-cmd options prints it', opt, () => same(['options']));
