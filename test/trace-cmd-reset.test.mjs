// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp reset against trace-cmd 3.1.6 reset: two instances set up the same way (events, system and
// event filters, triggers of several kinds, clock, cpumask, event pids, buffer size, buffer data,
// an error_log entry, a uprobe), one reset by `trace-cmd reset FLAGS`, the other by `utp reset
// FLAGS`; every tracefs file trace-cmd touches must then read the same. -t resets the top
// instance: its files are set up the same way for both tools and put back as found afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oracleSkipReason, traceCmd, utp, T } from './lib/tracecmd-oracle.mjs';
import { liveUtpInstance } from './lib/instances.mjs';

const skip = oracleSkipReason();
const X1 = `utp-${process.pid}-r1`,
  X2 = `utp-${process.pid}-r2`;
const GROUP = `utptest_${process.pid}`;

const rd = (f) => {
  try {
    return readFileSync(f, 'latin1');
  } catch (e) {
    return `<${e.code}>`;
  }
};
const tryW = (f, v) => {
  try {
    writeFileSync(f, v);
    return true;
  } catch {
    return false;
  }
};

/** Everything trace-cmd reset writes, as read back from instance directory `d`. */
function state(d) {
  const s = { exists: existsSync(d) };
  if (!s.exists) return s;
  for (const f of [
    'tracing_on',
    'current_tracer',
    'trace_options',
    'events/enable',
    'set_event',
    'set_ftrace_pid',
    'buffer_size_kb',
    'error_log',
    'trace_clock',
    'set_event_pid',
    'tracing_max_latency',
    'tracing_cpumask',
    'set_ftrace_filter',
    'set_ftrace_notrace',
    'set_graph_function',
    'set_graph_notrace',
  ])
    s[f] = rd(join(d, f));
  s.traceLines = rd(join(d, 'trace'))
    .split('\n')
    .filter((l) => l && !l.startsWith('#')).length;
  s.filters = {};
  s.triggers = {};
  for (const sys of readdirSync(join(d, 'events'))) {
    const sd = join(d, 'events', sys);
    if (!existsSync(join(sd, 'filter'))) continue;
    const sf = rd(join(sd, 'filter'));
    if (!sf.startsWith('### global filter ###')) s.filters[sys] = sf;
    for (const ev of readdirSync(sd)) {
      if (ev === 'enable' || ev === 'filter') continue;
      const f = rd(join(sd, ev, 'filter'));
      if (f !== '<ENOTDIR>' && f !== '<ENOENT>' && f !== 'none\n') s.filters[`${sys}/${ev}`] = f;
      const t = rd(join(sd, ev, 'trigger'))
        .split('\n')
        .filter((l) => l && !l.startsWith('#'));
      if (t.length) s.triggers[`${sys}/${ev}`] = t;
    }
  }
  s.dynamic = rd(join(T, 'dynamic_events'));
  return s;
}

/** The same state in instance directory `d` (the top: only what is put back afterwards). */
function prepare(d, { top = false } = {}) {
  const w = (f, v) => writeFileSync(join(d, f), v);
  w('tracing_on', '1'); // trace-cmd's failed reset leaves it off (trace_marker refuses writes then)
  w('trace_marker', 'data in the buffer');
  w('trace_clock', 'global');
  w('set_event_pid', String(process.pid));
  w('events/sched/sched_process_free/filter', 'pid == 999999999');
  w('events/sched/sched_process_free/trigger', 'traceoff if pid == 999999999');
  tryW(join(d, 'events/sched/filter'), 'prev_pid > 999999999'); // an error_log entry where not every event has prev_pid
  if (top) return;
  appendFileSync(join(T, 'uprobe_events'), `p:${GROUP}/probe /bin/true:0x1000\n`);
  w('events/sched/sched_switch/enable', '1');
  w('events/irq/enable', '1');
  w('events/sched/sched_switch/filter', 'prev_pid != 0');
  w('events/sched/sched_wakeup/trigger', 'traceoff');
  w('events/sched/sched_waking/trigger', 'stacktrace:3 if pid > 1');
  // (one that never fires: a firing enable_event between trace-cmd's "events off" and "triggers
  // cleared" leaves its target enabled, a race in trace-cmd)
  w('events/sched/sched_switch/trigger', 'enable_event:irq:irq_handler_entry if prev_pid == 999999999');
  w('events/sched/sched_process_fork/trigger', 'disable_event:irq:irq_handler_exit:2');
  w('tracing_cpumask', '1');
  w('buffer_size_kb', '333');
  w(`events/${GROUP}/probe/enable`, '1');
  w('tracing_on', '1');
}

/** Dynamic events that were there before the test, put back after each reset (both tools remove every one). */
let foreignDynamic = '';
function putBackDynamic() {
  const now = rd(join(T, 'dynamic_events'));
  for (const l of foreignDynamic.split('\n'))
    if (l && !now.includes(l)) appendFileSync(join(T, /^[pr]:\S+ \//.test(l) ? 'uprobe_events' : 'dynamic_events'), `${l}\n`);
}
function removeInstance(n) {
  const d = join(T, 'instances', n);
  if (!existsSync(d)) return;
  tryW(join(d, 'tracing_on'), '0');
  tryW(join(d, 'events/enable'), '0');
  for (const f of [
    'sched/sched_wakeup',
    'sched/sched_waking',
    'sched/sched_switch',
    'sched/sched_process_fork',
    'sched/sched_process_free',
  ]) {
    for (const t of rd(join(d, 'events', f, 'trigger')).split('\n'))
      if (t && !t.startsWith('#') && !t.startsWith('<')) tryW(join(d, 'events', f, 'trigger'), `!${t.split(' ')[0]}`);
  }
  rmdirSync(d);
}
function removeProbe() {
  if (rd(join(T, 'dynamic_events')).includes(`${GROUP}/`)) {
    for (const d of [T, ...readdirSync(join(T, 'instances')).map((n) => join(T, 'instances', n))])
      tryW(join(d, 'events', GROUP, 'enable'), '0');
    appendFileSync(join(T, 'uprobe_events'), `-:${GROUP}/probe\n`);
  }
}

/**
 * Runs FLAGS (with NAME for the instance) through trace-cmd on X1 and utp on X2, each prepared
 * the same way just before; returns both outcomes and states.
 */
function both(flags, { top = false, utpFlags = flags } = {}) {
  const out = {};
  for (const [tool, name, run] of [
    ['tc', X1, traceCmd],
    ['utp', X2, utp],
  ]) {
    const d = join(T, 'instances', name);
    mkdirSync(d);
    prepare(d);
    if (top) prepare(T, { top: true });
    const r = run(['reset', ...(tool === 'tc' ? flags : utpFlags).map((f) => (f === 'NAME' ? name : f))]);
    out[tool] = { r, inst: state(d), top: top ? state(T) : undefined };
    removeInstance(name);
    removeProbe();
    putBackDynamic();
  }
  // trace-cmd 3.1.6 dies when it cannot open set_ftrace_filter (this kernel refuses function
  // tracing: EPERM), after everything but clearing the function filters and turning tracing back
  // on; utp skips what the kernel refuses and finishes.
  const tc = out.tc;
  if (tc.r.status !== 0) {
    assert.match(tc.r.stderr, /opening to '\S+set_ftrace_filter'/, `trace-cmd reset ${flags.join(' ')} failed otherwise: ${tc.r.stderr}`);
    for (const s of [tc.inst, tc.top]) if (s?.exists) s.tracing_on = '1\n';
    console.log('# kernel refuses: set_ftrace_filter (EPERM): trace-cmd reset dies before tracing_on=1; utp goes on');
  }
  assert.equal(out.utp.r.status, 0, String(out.utp.r.stderr));
  // (other running utp records' instances, left alone by -a, are named)
  assert.equal(String(out.utp.r.stderr).replace(/^utp reset: skipped instance utp-\d+\.\S+ \(a running utp record owns it\)\n/gm, ''), '');
  return out;
}

test('reset -B NAME [-b KB] [-d] [-a]: the instance as trace-cmd reset leaves it', { skip: skip ?? false }, () => {
  foreignDynamic = rd(join(T, 'dynamic_events'));
  try {
    let o = both(['-B', 'NAME', '-b', '500']);
    assert.ok(o.utp.inst.exists);
    assert.ok(!o.utp.inst.dynamic.includes(GROUP), 'the uprobe is gone');
    assert.deepEqual(o.utp.inst, o.tc.inst);
    // -d removes the instance; -b before -B belongs to the top, which is not reset then.
    const topSize = rd(join(T, 'buffer_size_kb'));
    o = both(['-b', '4', '-B', 'NAME', '-d']);
    assert.equal(o.utp.inst.exists, false);
    assert.deepEqual(o.utp.inst, o.tc.inst);
    assert.equal(rd(join(T, 'buffer_size_kb')), topSize);
    // -a: every instance, each as by -B (trace-cmd's add_all_instances), -b after it for all of them.
    // trace-cmd's -a would reset whatever other instance shows up meanwhile (another helper's running
    // record), so its side runs as -B; utp's -a runs only when every other instance is a running utp
    // record's (which it leaves alone).
    const others = readdirSync(join(T, 'instances')).filter((n) => !liveUtpInstance(n));
    if (others.length === 0) {
      o = both(['-B', 'NAME', '-b', '1'], { utpFlags: ['-B', 'NAME', '-a', '-b', '1'] });
      assert.equal(o.utp.inst.buffer_size_kb, o.tc.inst.buffer_size_kb);
      assert.deepEqual(o.utp.inst, o.tc.inst);
    } else console.log(`# other instances exist (${others.join(', ')}): reset -a not compared`);
    // -d on the top is refused by both.
    const tcd = traceCmd(['reset', '-d']),
      ud = utp(['reset', '-d']);
    assert.notEqual(tcd.status, 0);
    assert.match(tcd.stderr, /Can not delete top level buffer/);
    assert.equal(ud.status, 2);
    assert.equal(ud.stderr, 'utp: reset: Can not delete top level buffer\n');
  } finally {
    for (const n of [X1, X2]) removeInstance(n);
    removeProbe();
    putBackDynamic();
  }
});

test('reset -B NAME -t: the top instance too, as trace-cmd reset leaves it (then put back)', { skip: skip ?? false }, () => {
  foreignDynamic = rd(join(T, 'dynamic_events'));
  const files = ['tracing_on', 'current_tracer', 'trace_clock', 'set_event_pid', 'tracing_cpumask', 'set_event', 'events/sched/filter'];
  const saved = Object.fromEntries(files.map((f) => [f, rd(join(T, f))]));
  const before = state(T);
  try {
    const o = both(['-B', 'NAME', '-t'], { top: true });
    assert.deepEqual(o.utp.inst, o.tc.inst);
    assert.equal(o.utp.top.trace_clock.includes('[local]'), true);
    assert.equal(o.utp.top.set_event, '');
    assert.deepEqual(o.utp.top, o.tc.top);
  } finally {
    for (const n of [X1, X2]) removeInstance(n);
    removeProbe();
    putBackDynamic();
    // The top as found: the reset cleared its events, filters, pids and clock.
    tryW(join(T, 'tracing_on'), '0');
    const now = state(T);
    for (const [ev, ts] of Object.entries(now.triggers))
      for (const t of ts) if (!before.triggers[ev]?.includes(t)) tryW(join(T, 'events', ev, 'trigger'), `!${t.split(' ')[0]}`);
    for (const [ev, ts] of Object.entries(before.triggers))
      for (const t of ts) if (!now.triggers[ev]?.includes(t)) tryW(join(T, 'events', ev, 'trigger'), t.replace(/ \[\w+\]$/, ''));
    for (const ev of Object.keys(now.filters)) if (!(ev in before.filters)) tryW(join(T, 'events', ev, 'filter'), '0');
    for (const [ev, f] of Object.entries(before.filters)) tryW(join(T, 'events', ev, 'filter'), f.trim());
    tryW(join(T, 'trace_clock'), /\[(\S+)\]/.exec(saved.trace_clock)[1]);
    tryW(join(T, 'set_event_pid'), saved.set_event_pid.trim());
    tryW(join(T, 'tracing_cpumask'), saved.tracing_cpumask.trim());
    if (saved.current_tracer.trim() !== rd(join(T, 'current_tracer')).trim()) tryW(join(T, 'current_tracer'), saved.current_tracer.trim());
    tryW(join(T, 'events/enable'), '0');
    for (const l of saved.set_event.split('\n')) if (l) appendFileSync(join(T, 'set_event'), `${l}\n`);
    tryW(join(T, 'tracing_on'), saved.tracing_on.trim());
    for (const f of files) assert.equal(rd(join(T, f)), saved[f], `top ${f} put back`);
    const after = state(T);
    assert.deepEqual([after.filters, after.triggers], [before.filters, before.triggers], 'top filters and triggers put back');
  }
});
