// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp record's tracefs-setup flags (-O -T -v -i -k -d -D -l -n -g --module --func-stack
// --max-graph-depth --cmdlines-size --no-filter --profile) against trace-cmd 3.1.6. trace-cmd record
// fails on this kernel (at the end it clears set_ftrace_filter, which the kernel refuses), and
// trace-cmd start segfaults in its task filter unless --no-filter; so the reference is
// `trace-cmd start -d --no-filter -B A FLAGS` (set up and left running), and `utp record -d
// --no-filter -B B FLAGS -- SNAP` where SNAP copies every tracefs file of B while the recording runs:
// the two instances must hold the same bytes, and after the recording tracefs is exactly as before.
// `utp start` with the same flags must leave B as trace-cmd start leaves A. The function tracer's
// files are refused by this kernel (EPERM): utp says so in one line and leaves nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveSkipReason, tracefsState, runUtp, UTP, T } from './lib/live.mjs';
import { changed, removeInstance } from './lib/instances.mjs';

const skip = liveSkipReason() ?? (existsSync(UTP) ? undefined : 'needs a build (npm run build)');
if (skip) console.log(`# skipping trace-cmd record setup comparisons: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'utp-recsetup-'));
const tag = `${process.pid}`;
const made = new Set();
let n = 0;
const names = () => {
  n++;
  const a = `utp-recsetup-${tag}-a${n}`,
    b = `utp-recsetup-${tag}-b${n}`;
  made.add(a);
  made.add(b);
  return [a, b];
};

// files that change by themselves or cannot be compared as state; buffer_percent is the drain's
// wake-up threshold (utp record sets 1 while it runs, trace-cmd leaves 50)
const SKIP =
  /(^|\/)(trace_pipe|trace_pipe_raw|snapshot_raw|trace|snapshot|stats|trace_marker|trace_marker_raw|free_buffer|hist|hist_debug|inject|id|format|buffer_meta|buffer_percent)$/;
const SNAP = join(dir, 'snap.mjs');
writeFileSync(
  SNAP,
  `import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const SKIP = ${SKIP};
export function snapshot(root) {
  const out = {};
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? rel + '/' + e.name : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (!SKIP.test(r)) {
        try {
          out[r] = readFileSync(join(d, e.name), 'latin1');
        } catch (x) {
          out[r] = '<' + x.code + '>';
        }
      }
    }
  };
  walk(root, '');
  return out;
}
if (process.argv[2]) writeFileSync(process.argv[3], JSON.stringify(snapshot(process.argv[2])));
`,
);
const { snapshot: snapDir } = await import(SNAP);
const snapshot = (name) => snapDir(join(T, 'instances', name));
const snapArgs = (name, out) => [process.execPath, SNAP, join(T, 'instances', name), out];

const tc = (args) => spawnSync('trace-cmd', args, { encoding: 'latin1', maxBuffer: 1 << 28 });
const diffText = (sa, sb) => changed(sa, sb).map((k) => `${k}: trace-cmd ${JSON.stringify(sa[k])} utp ${JSON.stringify(sb[k])}`);

after(() => {
  for (const m of made) removeInstance(m);
  rmSync(dir, { recursive: true, force: true });
});

// flags trace-cmd start takes as record does (each set after -B, in a fresh instance)
const CASES = [
  ['-e', 'sched:sched_switch', '-T', '-O', 'nosym-offset', '-O', 'sym-addr', '-C', 'mono', '-b', '300'],
  ['-e', 'irq', '-v', '-e', 'irq:irq_handler_entry', '-e', 'sched:sched_wakeup', '-R', 'stacktrace', '-P', '1', '-c'],
  ['-i', '-e', 'no_such_event_xyz', '-e', 'sched:sched_waking', '-f', 'pid > 1', '-O', 'noprint-parent', '-M', '1'],
  ['--profile'],
];

test('utp record -d --no-filter -B B FLAGS: B while recording = A after trace-cmd start; tracefs as before', {
  skip: skip ?? false,
}, () => {
  const before = tracefsState();
  for (const [i, args] of CASES.entries()) {
    const [a, b] = names();
    const t = tc(['start', '-d', '--no-filter', '-B', a, ...args]);
    assert.equal(t.status, 0, `trace-cmd start ${args.join(' ')}: ${t.stderr}`);
    const sa = snapshot(a);
    removeInstance(a);
    const out = join(dir, `in-${i}.json`);
    const dat = join(dir, `rec-${i}.dat`);
    const u = runUtp(['record', '-q', '-d', '--no-filter', '-B', b, ...args, '-o', dat, '--', ...snapArgs(b, out)]);
    assert.equal(u.status, 0, `utp record ${args.join(' ')}: ${u.stderr}`);
    const sb = JSON.parse(readFileSync(out, 'latin1'));
    assert.deepEqual(diffText(sa, sb), [], `utp record ${args.join(' ')}: the same tracefs state while recording`);
    assert.deepEqual(tracefsState(), before, `utp record ${args.join(' ')}: tracefs as before`);
    // trace-cmd reads utp's file; -T gives a kernel stack after the events
    const r = tc(['report', '-i', dat]);
    assert.equal(r.status, 0, `trace-cmd report: ${r.stderr}`);
    if (args.includes('-T')) assert.match(r.stdout, /kernel_stack: +<stack trace >\n=> /, '-T: kernel_stack records');
    if (args.includes('--profile')) {
      // trace-cmd report --profile cannot read an instance buffer ("Handle not found?"): record the
      // same in utp's private instance (the file's top buffer) for it
      const pdat = join(dir, 'profile.dat');
      const pr = runUtp(['record', '-q', '--profile', '-o', pdat, '--', 'sleep', '0.2']);
      assert.equal(pr.status, 0, `utp record --profile: ${pr.stderr}`);
      const p = tc(['report', '--profile', '-i', pdat]);
      assert.equal(p.status, 0, `trace-cmd report --profile: ${p.stderr}`);
      assert.match(p.stdout, /^task: /m, 'report --profile lists tasks');
    }
  }
});

test('utp start -d --no-filter -B B FLAGS leaves B as trace-cmd start leaves A', { skip: skip ?? false }, () => {
  const before = tracefsState();
  for (const args of CASES.filter((c) => !c.includes('--profile'))) {
    const [a, b] = names();
    const t = tc(['start', '-d', '--no-filter', '-B', a, ...args]);
    assert.equal(t.status, 0, `trace-cmd start ${args.join(' ')}: ${t.stderr}`);
    const u = runUtp(['start', '-d', '--no-filter', '-B', b, ...args]);
    assert.equal(u.status, 0, `utp start ${args.join(' ')}: ${u.stderr}`);
    const sa = snapshot(a),
      sb = snapshot(b);
    assert.deepEqual(
      diffText(sa, sb).filter((l) => !l.startsWith('buffer_percent')),
      [],
      `utp start ${args.join(' ')}`,
    );
    removeInstance(a);
    removeInstance(b);
  }
  assert.deepEqual(tracefsState(), before, 'only A and B were touched');
});

test('utp stream and utp profile take -O and -d as record does', { skip: skip ?? false }, () => {
  const before = tracefsState();
  const args = ['-e', 'sched:sched_switch', '-O', 'sym-addr', '-O', 'nosym-offset'];
  const [a, b] = names();
  assert.equal(tc(['start', '-d', '--no-filter', '-B', a, ...args]).status, 0);
  const sa = snapshot(a);
  removeInstance(a);
  const out = join(dir, 'stream.json');
  const s = runUtp(['stream', '-d', '-B', b, ...args, '--', ...snapArgs(b, out)]);
  assert.equal(s.status, 0, `utp stream: ${s.stderr}`);
  assert.deepEqual(diffText(sa, JSON.parse(readFileSync(out, 'latin1'))), [], 'utp stream -d -O');
  assert.deepEqual(tracefsState(), before, 'utp stream: tracefs as before');
  // profile: the same as trace-cmd start --profile with -O -d
  const [c, d] = names();
  assert.equal(tc(['start', '-d', '--no-filter', '-B', c, '--profile', '-O', 'sym-addr']).status, 0);
  const sc = snapshot(c);
  removeInstance(c);
  const pout = join(dir, 'profile.json');
  const p = runUtp(['profile', '-d', '-B', d, '-O', 'sym-addr', '-o', join(dir, 'profile.txt'), '--', ...snapArgs(d, pout)]);
  assert.equal(p.status, 0, `utp profile: ${p.stderr}`);
  assert.deepEqual(diffText(sc, JSON.parse(readFileSync(pout, 'latin1'))), [], 'utp profile -d -O');
  assert.deepEqual(tracefsState(), before, 'utp profile: tracefs as before');
});

test('-k keeps the setup as trace-cmd start leaves it (tracing off); --cmdlines-size is restored', { skip: skip ?? false }, () => {
  const before = tracefsState();
  const args = ['-e', 'sched:sched_switch', '-f', 'prev_pid > 0', '-T', '-O', 'nosym-offset', '-b', '200'];
  const [a, b] = names();
  assert.equal(tc(['start', '-d', '--no-filter', '-B', a, ...args]).status, 0);
  const u = runUtp(['record', '-q', '-k', '-d', '-B', b, ...args, '-o', join(dir, 'k.dat'), '--', 'true']);
  assert.equal(u.status, 0, `utp record -k: ${u.stderr}`);
  const sa = snapshot(a),
    sb = snapshot(b);
  assert.deepEqual(
    diffText(sa, sb).filter((l) => !l.startsWith('tracing_on')),
    [],
    '-k: the setup stays',
  );
  assert.equal(sb.tracing_on, '0\n', '-k: tracing is off after the recording');
  removeInstance(a);
  removeInstance(b);
  assert.deepEqual(tracefsState(), before, 'only A and B were touched');
  // -k needs an instance that outlives the recording
  const k = runUtp(['record', '-q', '-k', '-e', 'sched:sched_switch', '-o', join(dir, 'k2.dat'), '--', 'true']);
  assert.equal(k.status, 1);
  assert.match(k.stderr.toString(), /-k .*-B NAME or --top/);

  // --cmdlines-size: the kernel's value while recording is what trace-cmd start leaves; afterwards the old one
  const size = readFileSync(join(T, 'saved_cmdlines_size'), 'latin1');
  const want = String(Number(size) + 4000);
  const [c, d] = names();
  assert.equal(tc(['start', '-d', '--no-filter', '-B', c, '-e', 'sched:sched_switch', '--cmdlines-size', want]).status, 0);
  const tcSize = readFileSync(join(T, 'saved_cmdlines_size'), 'latin1');
  writeFileSync(join(T, 'saved_cmdlines_size'), size.trim());
  removeInstance(c);
  assert.equal(readFileSync(join(T, 'saved_cmdlines_size'), 'latin1'), size, 'restored by hand');
  assert.notEqual(tcSize, size, 'trace-cmd start changed it');
  const inside = join(dir, 'cmdlines.txt');
  const r = runUtp([
    'record',
    '-q',
    '-B',
    d,
    '-e',
    'sched:sched_switch',
    '--cmdlines-size',
    want,
    '-o',
    join(dir, 'c.dat'),
    '--',
    'sh',
    '-c',
    `cat ${T}/saved_cmdlines_size > ${inside}`,
  ]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(readFileSync(inside, 'latin1'), tcSize, 'the same size while recording');
  assert.equal(readFileSync(join(T, 'saved_cmdlines_size'), 'latin1'), size, 'the old size afterwards');
  assert.deepEqual(tracefsState(), before);
});

test('function-tracer flags: what the kernel refuses is one line, and nothing is left', { skip: skip ?? false }, () => {
  const before = tracefsState();
  const proc = readFileSync('/proc/sys/kernel/ftrace_enabled', 'latin1');
  const [, b] = names();
  const rec = (flags) => runUtp(['record', '-q', '-B', b, '-e', 'sched:sched_switch', ...flags, '-o', join(dir, 'f.dat'), '--', 'true']);
  // can the kernel take the function tracer's files here?
  let filterOk = true;
  try {
    readFileSync(join(T, 'set_ftrace_filter'));
  } catch {
    filterOk = false;
  }
  for (const flags of [['-l', 'schedule'], ['-n', 'schedule'], ['--module', 'ext4'], ['-D'], ['--max-graph-depth', '2']]) {
    const u = rec(flags);
    const err = u.stderr.toString().trim();
    const needsFile = flags[0] === '--max-graph-depth' ? existsSync(join(T, 'max_graph_depth')) : flags[0] === '-D' ? null : filterOk;
    if (needsFile === true) {
      assert.equal(u.status, 0, `${flags.join(' ')}: accepted by this kernel: ${err}`);
    } else {
      if (flags[0] === '-D') {
        // the kernel may refuse /proc/sys/kernel/ftrace_enabled (it does here; trace-cmd: "Can't disable ftrace")
        const [x] = names();
        const t = tc(['start', '-D', '--no-filter', '-B', x, '-e', 'sched:sched_switch']);
        removeInstance(x);
        if (t.status === 0) continue;
        assert.match(t.stderr, /Can't disable ftrace/, t.stderr);
      }
      assert.equal(u.status, 1, `${flags.join(' ')}: refused: ${err}`);
      assert.equal(err.split('\n').length, 1, `${flags.join(' ')}: one line: ${err}`);
      assert.match(err, /^utp record: /);
      assert.match(
        err,
        flags[0] === '-D' ? /ftrace_enabled/ : flags[0] === '--max-graph-depth' ? /max_graph_depth/ : /set_ftrace_(filter|notrace)/,
      );
    }
    assert.ok(!existsSync(join(T, 'instances', b)), `${flags.join(' ')}: no instance left`);
    assert.deepEqual(tracefsState(), before, `${flags.join(' ')}: tracefs as before`);
    assert.equal(readFileSync('/proc/sys/kernel/ftrace_enabled', 'latin1'), proc);
  }
  for (const m of made) removeInstance(m);
  // in an instance trace-cmd ignores -g and --func-stack (the top's); utp records and says so
  const out = join(dir, 'g.json');
  const u = runUtp([
    'record',
    '-q',
    '-B',
    b,
    '-e',
    'sched:sched_switch',
    '-g',
    'schedule',
    '--func-stack',
    '-o',
    join(dir, 'g.dat'),
    '--',
    ...snapArgs(b, out),
  ]);
  assert.equal(u.status, 0, u.stderr.toString());
  assert.match(u.stderr.toString(), /-g applies to the top instance only/);
  assert.match(u.stderr.toString(), /--func-stack applies to the top instance only/);
  const [a] = names();
  assert.equal(tc(['start', '-d', '--no-filter', '-B', a, '-e', 'sched:sched_switch', '-g', 'schedule', '--func-stack']).status, 0);
  const sa = snapshot(a);
  removeInstance(a);
  // trace-cmd start -d: function-trace 0; utp record without -d leaves it 1 (as trace-cmd without -d)
  assert.deepEqual(
    diffText(sa, JSON.parse(readFileSync(out, 'latin1'))).filter((l) => !/^(options\/function-trace|trace_options):/.test(l)),
    [],
  );
  assert.deepEqual(tracefsState(), before);
});

test('utp start CMD waits for CMD, --fork returns while it runs; -F puts CMD in set_event_pid', { skip: skip ?? false }, () => {
  const before = tracefsState();
  const [, b] = names();
  const mark = join(dir, 'fork-mark');
  const t0 = Date.now();
  const f = runUtp([
    'start',
    '--fork',
    '-B',
    b,
    '-e',
    'sched:sched_switch',
    '--',
    'sh',
    '-c',
    `exec >/dev/null 2>&1; sleep 1; echo done > ${mark}`,
  ]);
  const forkMs = Date.now() - t0;
  assert.equal(f.status, 0, f.stderr.toString());
  assert.ok(!existsSync(mark), `--fork returned before CMD ended (${forkMs} ms)`);
  const snap = snapshot(b);
  assert.equal(snap.tracing_on, '1\n');
  assert.equal(snap.set_event, 'sched:sched_switch\n');
  const w = runUtp(['start', '-F', '-B', b, '-e', 'sched:sched_switch', '--', 'sh', '-c', `echo $$ > ${mark}.pid`]);
  assert.equal(w.status, 0, w.stderr.toString());
  assert.ok(existsSync(`${mark}.pid`), 'without --fork: CMD ran to its end first');
  assert.equal(snapshot(b).set_event_pid.trim(), readFileSync(`${mark}.pid`, 'latin1').trim(), '-F: the pid of CMD');
  for (let i = 0; i < 40 && !existsSync(mark); i++) spawnSync('sleep', ['0.1']);
  removeInstance(b);
  assert.deepEqual(tracefsState(), before);
});
