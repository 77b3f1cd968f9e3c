// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp extract's flags against trace-cmd 3.1.6 extract on this machine. Each tool reads the same
// set-up (instances of the same names, the same trace_marker lines written by one process on CPU 0,
// in the same order); `trace-cmd report` of both files must agree once the timestamps and pids
// (the only things that differ between two runs) are masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oracleSkipReason, traceCmd, utp, T, UTP } from './lib/tracecmd-oracle.mjs';
import { liveUtpInstance } from './lib/instances.mjs';

const skip = oracleSkipReason();
const A = `utp-${process.pid}-xa`,
  B = `utp-${process.pid}-xb`;

/** Creates A and B and writes markers to the top, A and B from one process on CPU 0. */
function setup(tag) {
  for (const n of [A, B]) mkdirSync(join(T, 'instances', n));
  const lines = [];
  for (let i = 0; i < 3; i++)
    for (const [where, f] of [
      ['top', join(T, 'trace_marker')],
      ['a', join(T, 'instances', A, 'trace_marker')],
      ['b', join(T, 'instances', B, 'trace_marker')],
    ])
      lines.push(`echo ${tag}-${where}-${i} > ${f}`);
  const r = spawnSync('taskset', ['-c', '0', 'sh', '-c', lines.join('; ')]);
  assert.equal(r.status, 0, String(r.stderr));
}
function teardown() {
  for (const n of [A, B]) {
    const d = join(T, 'instances', n);
    if (existsSync(d)) rmdirSync(d);
  }
}
/** Reads away what is in the top buffer (whatever an earlier test left there; both tools would consume it). */
function clean() {
  const buf = Buffer.alloc(1 << 16);
  for (const c of readdirSync(join(T, 'per_cpu'))) {
    const fd = openSync(join(T, 'per_cpu', c, 'trace_pipe_raw'), constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      for (;;) {
        try {
          if (readSync(fd, buf, 0, buf.length, null) <= 0) break;
        } catch (e) {
          if (e.code === 'EAGAIN') break;
          throw e;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}
const report = (f) => {
  const r = traceCmd(['report', '-i', f]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.toString('latin1');
};
/** Timestamps, pids, comms and the run tag masked. */
const mask = (s) =>
  s
    .replace(/-\d+( +\[\d+\])/g, '-PID$1')
    .replace(/^(\S+: )?.*-PID( +\[)/gm, '$1COMM-PID$2') // the comm: sh or <...>, as saved_cmdlines has it at the time
    .replace(/\] +\d+\.\d+:/g, '] TS:') // trace-cmd pads the seconds to 5 digits: below 10000 s of uptime, more spaces
    .replace(/tracing_mark_write: \w+-/g, 'tracing_mark_write: TAG-')
    .replace(/ +/g, ' '); // the buffer-name column is as wide as the file's longest buffer name
const linesOf = (s, pred) =>
  s
    .split('\n')
    .filter((l) => !/tracing_mark_write/.test(l) || pred(l))
    .join('\n');

test('extract -a/-t/-B: trace-cmd report reads the same buffers from utp extract as from trace-cmd extract', {
  skip: skip ?? false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'utp-extract-'));
  try {
    // The reference: trace-cmd 3.1.6 reads the top buffer always (its -t is a no-op), and -a
    // would also read and then remove every other instance (another helper's running record):
    // its side runs as -B A -B B, which is what its -a does when A and B are the only instances.
    // utp's -a runs when every other instance is a running utp record's (which it skips).
    clean();
    setup('ref');
    const others = readdirSync(join(T, 'instances')).filter((n) => n !== A && n !== B && !liveUtpInstance(n));
    const tcArgs = ['-B', A, '-B', B];
    if (others.length) console.log(`# other instances exist (${others.join(', ')}): utp extract -B ${A} -B ${B} instead of -a`);
    const tc = traceCmd(['extract', ...tcArgs, '-o', join(dir, 'tc.dat')]);
    assert.equal(tc.status, 0, tc.stderr);
    teardown();
    const ref = mask(report(join(dir, 'tc.dat')));
    assert.equal((ref.match(/tracing_mark_write/g) ?? []).length, 9, ref);

    const cases = [
      // utp args, which marker lines of the reference must be there
      [['-B', B, '-t', '-B', A], () => true],
      [['-a'], (l) => !/-top-/.test(l)],
      [[], (l) => /-top-/.test(l)],
    ];
    for (const [args0, pred] of cases) {
      // utp's -a would read the other instances too (and they are not ours to consume)
      const args = others.length ? args0.flatMap((a) => (a === '-a' ? ['-B', A, '-B', B] : [a])) : args0;
      clean();
      setup('utp');
      const out = join(dir, `u${args.join('')}.dat`);
      const u = utp(['extract', '-q', ...args, '-o', out]);
      teardown();
      assert.equal(u.status, 0, u.stderr);
      const got = mask(report(out));
      assert.equal(got, linesOf(ref, pred), `utp extract ${args.join(' ')}`);
    }
  } finally {
    teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract -p, -O, -s, --verbose: checks and refusals as trace-cmd, options put back', { skip: skip ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'utp-extract-'));
  try {
    mkdirSync(join(T, 'instances', A));
    // -p: trace-cmd checks the name against available_tracers and sets nothing.
    const bad = ['extract', '-p', 'utp-no-such-tracer', '-B', A, '-o', join(dir, 'p.dat')];
    const tcBad = traceCmd(bad),
      uBad = utp(bad);
    assert.notEqual(tcBad.status, 0);
    assert.match(tcBad.stderr, /Plugin 'utp-no-such-tracer' does not exist/);
    assert.equal(uBad.status, 1);
    assert.match(uBad.stderr, /^utp: Plugin 'utp-no-such-tracer' does not exist[^\n]*\n$/);
    mkdirSync(join(T, 'instances', A), { recursive: true }); // trace-cmd's failed extract may not remove it
    const nop = utp(['extract', '-q', '-p', 'nop', '-B', A, '-o', join(dir, 'nop.dat')]);
    assert.equal(nop.status, 0, nop.stderr);
    assert.equal(readFileSync(join(T, 'instances', A, 'current_tracer'), 'utf8'), 'nop\n');

    // -O: set while extracting (--verbose says so) and put back; an unknown one is refused in one line
    // (trace-cmd 3.1.6 ignores the failed write to trace_options).
    const opts0 = readFileSync(join(T, 'instances', A, 'trace_options'), 'utf8');
    const flip = /^nosym-offset$/m.test(opts0) ? 'sym-offset' : 'nosym-offset';
    const o = utp(['extract', '-q', '--verbose', '-B', A, '-O', flip, '-o', join(dir, 'o.dat')]);
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stderr, new RegExp(`^set option ${flip} in ${A} \\(put back afterwards\\)$`, 'm'));
    assert.equal(readFileSync(join(T, 'instances', A, 'trace_options'), 'utf8'), opts0);
    const ob = utp(['extract', '-q', '-B', A, '-O', 'utp-no-such-option', '-o', join(dir, 'o.dat')]);
    assert.equal(ob.status, 1);
    assert.match(ob.stderr, /^utp: no trace option 'utp-no-such-option' in \S+trace_options\n$/);
    assert.equal(readFileSync(join(T, 'instances', A, 'trace_options'), 'utf8'), opts0);

    // --verbose: trace-cmd's level names and numbers; anything else is refused by both.
    const vb = ['extract', '--verbose=loud', '-B', A, '-o', join(dir, 'v.dat')];
    const tcV = traceCmd(vb),
      uV = utp(vb);
    assert.notEqual(tcV.status, 0);
    assert.match(tcV.stderr, /invalid verbose level loud/);
    assert.equal(uV.status, 2);
    assert.match(uV.stderr, /^utp: extract: invalid verbose level loud\n$/);
    mkdirSync(join(T, 'instances', A), { recursive: true });

    // -s: the snapshot buffer (per_cpu/cpuN/snapshot_raw). trace-cmd 3.1.6 accepts -s but reads
    // the main buffer (its recorder lost the snapshot path), so only the kernel is the reference.
    const snapFile = join(T, 'instances', A, 'snapshot');
    if (!existsSync(snapFile)) {
      const s = utp(['extract', '-s', '-B', A, '-o', join(dir, 's.dat')]);
      assert.equal(s.status, 1);
      assert.match(s.stderr, /^utp: kernel refuses: no snapshot buffer \(\S+snapshot missing[^\n]*\)\n$/);
      assert.ok(!existsSync(join(dir, 's.dat')));
      console.log('# kernel refuses: no snapshot buffer (CONFIG_TRACER_SNAPSHOT off): tested the refusal only');
    } else {
      spawnSync('taskset', ['-c', '0', 'sh', '-c', `echo in-snapshot > ${join(T, 'instances', A, 'trace_marker')}; echo 1 > ${snapFile}`]);
      const s = utp(['extract', '-q', '-s', '-B', A, '-o', join(dir, 's.dat')]);
      assert.equal(s.status, 0, s.stderr);
      assert.match(report(join(dir, 's.dat')), /tracing_mark_write: in-snapshot/);
    }
  } finally {
    teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("extract -a and reset -a leave a running utp record's instance alone", { skip: skip ?? false }, async () => {
  // Other running utp records' instances are fine (utp skips them too); anything else is not ours to touch.
  const others = readdirSync(join(T, 'instances')).filter((n) => !liveUtpInstance(n));
  if (others.length) {
    console.log(`# other instances exist (${others.join(', ')}): -a would touch them, not run`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'utp-extract-'));
  const child = spawn(
    process.execPath,
    [UTP, 'record', '-q', '-e', 'sched:sched_switch', '-o', join(dir, 'rec.dat'), '--', 'sleep', '30'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  try {
    let rec;
    for (let i = 0; i < 100 && !rec; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rec = readdirSync(join(T, 'instances')).find((n) => n.startsWith(`utp-${child.pid}`));
    }
    assert.ok(rec, "utp record's instance");
    mkdirSync(join(T, 'instances', A));
    const x = utp(['extract', '-q', '-a', '-o', join(dir, 'a.dat')]);
    assert.equal(x.status, 0, x.stderr);
    const skipped = (err, tool) => {
      const lines = err.split('\n').filter(Boolean);
      assert.ok(lines.includes(`utp ${tool}: skipped instance ${rec} (a running utp record owns it)`), err);
      for (const l of lines)
        assert.match(l, new RegExp(`^utp ${tool}: skipped instance utp-\\d+\\.\\S+ \\(a running utp record owns it\\)$`));
    };
    skipped(x.stderr, 'extract');
    const dump = traceCmd(['dump', '--options', '-i', join(dir, 'a.dat')]).stdout.toString();
    assert.ok(dump.includes(A) && !dump.includes(rec), dump);
    const r = utp(['reset', '-B', A, '-a']);
    assert.equal(r.status, 0, r.stderr);
    skipped(r.stderr, 'reset');
    assert.equal(readFileSync(join(T, 'instances', rec, 'events/sched/sched_switch/enable'), 'utf8'), '1\n');
    child.kill('SIGINT'); // stops the command; the recording is written
    assert.equal(await exited, 0);
    assert.match(report(join(dir, 'rec.dat')), /sched_switch:/);
  } finally {
    child.kill('SIGINT');
    await exited;
    teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
