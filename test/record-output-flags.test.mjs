// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// trace-cmd record's output and drain flags in `utp record`: -m, -s, -r, --temp, --poll,
// --proc-map, --user, --tsc2nsec. trace-cmd 3.1.6 cannot record on this kernel (it insists on the
// function tracer), so the references are trace-cmd's readers on utp's files (`trace-cmd report`
// equal to `utp report`, `trace-cmd dump --options` showing each option) and the system itself
// (ps for the scheduling class, /proc for wchan and address maps, id for the user).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { liveSkipReason, tmpDir, diffReports, tracefsState, runTraceCmd, runUtp, firstDifference } from './lib/live.mjs';
import { RecordSession } from '@utp/tracecmd';

const skip = liveSkipReason();
if (skip) console.log(`# skipping live record output-flag tests: ${skip}`);

let dir;
let before0;

/** `utp record ARGS` (output in dir), asserting exit 0; returns { stdout, stderr, file }. */
function record(name, args, opts = {}) {
  const file = join(dir, name);
  const r = runUtp(['record', '-o', file, ...args], opts);
  const stderr = r.stderr.toString();
  if (opts.expectFail) return { status: r.status, stdout: r.stdout.toString(), stderr, file };
  assert.equal(r.status, 0, `utp record ${args.join(' ')} failed: ${stderr}`);
  return { stdout: r.stdout.toString(), stderr, file };
}

/** The PROCMAPS options trace-cmd dump --options prints, as texts. */
function dumpedProcMaps(file) {
  const r = runTraceCmd(['dump', '--options', '-i', file]);
  assert.equal(r.status, 0, `trace-cmd dump --options failed: ${r.stderr}`);
  const out = r.stdout.toString('latin1');
  const re = /\[Option PROCMAPS, (\d+) bytes\]\n([\s\S]*?)\n(?=\t\t\[Option)/g;
  const res = [];
  for (let m = re.exec(out); m; m = re.exec(out)) res.push(m[2]);
  return { all: out, maps: res };
}

/** What /proc/PID/maps says, in the PROCMAPS layout: "pid count exe" then "start end name" for the named mappings. */
function mapsText(pid, mapsFileText, exe) {
  const rows = mapsFileText
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 6)
    .map((f) => {
      const [s, e] = f[0].split('-');
      return `${BigInt('0x' + s).toString(16)} ${BigInt('0x' + e).toString(16)} ${f[5]}`;
    });
  return [`${pid.toString(16)} ${rows.length.toString(16)} ${exe}`, ...rows].join('\n') + '\n';
}

describe('utp record: trace-cmd record output and drain flags', { skip }, () => {
  before(() => {
    before0 = tracefsState();
    dir = tmpDir('utp-recflags-');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), before0, 'tracefs left as found');
  });

  test('-m KB keeps the newest data per CPU: two alternating files, trace-cmd report reads it as utp does', () => {
    const loop = 'for i in $(seq 300); do cat /proc/version >/dev/null; done; echo done';
    const r = record('m.dat', [
      '--json',
      '-e',
      'syscalls',
      '-e',
      'sched:sched_process_exec',
      '-F',
      '-c',
      '-m',
      '64',
      '--',
      'sh',
      '-c',
      loop,
    ]);
    const j = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{')));
    assert.ok(
      j.cpus.some((c) => c.keptBytes < c.bytes),
      `a CPU drained more than -m 64 keeps: ${JSON.stringify(j.cpus)}`,
    );
    // trace-cmd's recorder: two files of (64 / 4) / 2 = 8 pages; the older one is emptied when the
    // newer fills, so a CPU keeps at most 16 pages plus what one drain round moved past the limit
    for (const c of j.cpus) assert.ok(c.keptBytes <= 64 * 1024 + 1024 * 1024, `CPU${c.cpu} kept ${c.keptBytes} bytes`);
    assert.equal(diffReports(r.file), undefined);
    const text = runTraceCmd(['report', '-i', r.file]).stdout.toString();
    const execs = text.split('\n').filter((l) => l.includes('sched_process_exec:')).length;
    assert.ok(execs < 300, `the oldest pages are dropped: ${execs} of 300 cat execs kept`);
    // the newest events are there: the shell's last write ("done") and its exit
    assert.match(text, /sys_enter_write:\s+fd: 0x0+1, buf: 0x[0-9a-f]+, count: 0x0+5/);
    assert.match(text, /sys_enter_exit_group:/);
  });

  test('-r PRIO runs the drain threads under SCHED_FIFO (ps), --temp DIR holds the per-CPU files, -s USECS', () => {
    const tmp = join(dir, 'temp');
    mkdirSync(tmp);
    // the command's parent is the recorder: its threads' scheduling class and the temp folder while recording
    const probe = `ps -L -o cls=,rtprio= -p $PPID; ls -A ${tmp}`;
    const r = record('r.dat', ['-q', '-e', 'sched:sched_process_exec', '-r', '10', '--temp', tmp, '-s', '2000', '--', 'sh', '-c', probe]);
    const fifo = r.stdout.split('\n').filter((l) => /^\s*FF\s+10\s*$/.test(l)).length;
    const cpus = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    assert.ok(fifo >= 1, `drain threads at FF 10:\n${r.stdout}`);
    assert.equal(r.stderr, '');
    const temps = r.stdout.split('\n').filter((l) => /^\.r\.dat\.utp-\d+\.cpu\d+$/.test(l));
    assert.ok(temps.length >= 1, `per-CPU temp files in --temp (online CPUs ${cpus}):\n${r.stdout}`);
    assert.deepEqual(readdirSync(tmp), [], 'no temp file left in --temp');
    assert.ok(!readdirSync(dir).some((n) => /\.cpu\d+$/.test(n)), 'no temp file next to the output');
    assert.equal(diffReports(r.file), undefined);
  });

  test('-r with a priority the kernel refuses: a warning line, the recording goes on (trace-cmd warns too)', () => {
    const r = record('r2.dat', ['-q', '-e', 'sched:sched_process_exec', '-r', '100', '--', 'true']);
    assert.match(r.stderr, /^utp record: warning: cannot give the drain threads SCHED_FIFO priority 100 \(sched_setscheduler: EINVAL\)\n$/);
    assert.equal(diffReports(r.file), undefined);
  });

  test('--poll: no drain thread waits in poll(2) (wchan), the file reads as without it', () => {
    const probe = 'sleep 0.3; for t in /proc/$PPID/task/*; do cat $t/wchan; echo; done';
    const plain = record('np.dat', ['-q', '-e', 'sched:sched_switch', '--', 'sh', '-c', probe]);
    const polled = record('p.dat', ['-q', '--poll', '-e', 'sched:sched_switch', '--', 'sh', '-c', probe]);
    const inPoll = (s) => s.split('\n').filter((l) => l.startsWith('poll_schedule_timeout')).length;
    assert.ok(inPoll(plain.stdout) >= 1, `without --poll the drain threads sleep in poll(2):\n${plain.stdout}`);
    assert.equal(inPoll(polled.stdout), 0, `with --poll none does:\n${polled.stdout}`);
    assert.equal(diffReports(polled.file), undefined);
  });

  test('--proc-map: the command maps at its exit and a -P pid maps at the start, as PROCMAPS options trace-cmd dump shows', async () => {
    const bg = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((res) => setTimeout(res, 100));
      const bgMaps = mapsText(bg.pid, readFileSync(`/proc/${bg.pid}/maps`, 'latin1'), '/usr/bin/sleep');
      // the shell saves its own maps and pid (its address space stays as it is until it exits)
      const cmd = `cat /proc/$$/maps > ${dir}/sh.maps; readlink /proc/$$/exe > ${dir}/sh.exe; echo $$ > ${dir}/sh.pid`;
      const r = record('pm.dat', ['-q', '-e', 'sched:sched_process_exit', '--proc-map', '-P', String(bg.pid), '--', 'sh', '-c', cmd]);
      const pid = Number(readFileSync(join(dir, 'sh.pid'), 'utf8'));
      const shMaps = mapsText(pid, readFileSync(join(dir, 'sh.maps'), 'latin1'), readFileSync(join(dir, 'sh.exe'), 'utf8').trim());
      const d = dumpedProcMaps(r.file);
      assert.ok(d.maps.includes(shMaps), `the shell's maps at its exit:\n${shMaps}\nin\n${d.maps.join('\n--\n')}`);
      assert.ok(d.maps.includes(bgMaps), `the -P pid's maps:\n${bgMaps}\nin\n${d.maps.join('\n--\n')}`);
      // cat, the shell's child, was followed too (trace-cmd's ptrace follows forks)
      assert.ok(
        d.maps.some((m) => / \/usr\/bin\/cat\n/.test(m.split('\n')[0] + '\n')),
        'the forked cat is traced',
      );
      assert.equal(
        firstDifference(
          runTraceCmd(['dump', '--options', '-i', r.file]).stdout,
          runUtp(['dump', '--options', r.file]).stdout,
          'dump --options',
        ),
        undefined,
      );
      assert.equal(diffReports(r.file), undefined);
    } finally {
      bg.kill();
    }
  });

  test('--user USER runs the command as that user (id), the recorder stays root', () => {
    const r = record('u.dat', [
      '-q',
      '-e',
      'sched:sched_process_exec',
      '--user',
      'nobody',
      '--',
      'sh',
      '-c',
      'id; echo $HOME $USER $LOGNAME',
    ]);
    const want = spawnSync('id', ['nobody'], { encoding: 'utf8' }).stdout;
    const home = spawnSync('getent', ['passwd', 'nobody'], { encoding: 'utf8' }).stdout.split(':')[5];
    assert.equal(r.stdout, `${want}${home} nobody nobody\n`);
    assert.equal(diffReports(r.file), undefined);
    const bad = record('u2.dat', ['-q', '-e', 'sched:sched_process_exec', '--user', 'no-such-user-utp', '--', 'true'], {
      expectFail: true,
    });
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, "utp record: --user: no user 'no-such-user-utp' in the passwd database\n");
  });

  test('--tsc2nsec: perf mmap time_mult/shift or a clear refusal', (t) => {
    const r = record('t.dat', ['-q', '--tsc2nsec', '-e', 'sched:sched_process_exec', '--', 'true'], { expectFail: true });
    if (r.status !== 0) {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^utp record: --tsc2nsec: TSC to nanosecond is not supported here: .+\n$/);
      // trace-cmd's -C tsc2nsec is the same request
      const c = record('t2.dat', ['-q', '-C', 'tsc2nsec', '-e', 'sched:sched_process_exec', '--', 'true'], { expectFail: true });
      assert.equal(c.status, 1);
      assert.equal(c.stderr, r.stderr);
      const why = /cap_user_time/.test(r.stderr) ? 'perf mmap page without cap_user_time (no TSC to ns conversion)' : r.stderr.trim();
      // the refusal line is checked above; the file layout is checked by the next test
      t.skip(`kernel refuses: ${why}`);
      return;
    }
    const d = runTraceCmd(['dump', '--options', '-i', r.file]).stdout.toString();
    assert.match(d, /\[Option TSC2NSEC, 16 bytes\]/);
    assert.equal(diffReports(r.file), undefined);
  });

  test('TSC2NSEC option as trace-cmd writes it: x86-tsc data, trace-cmd report converts it as utp report does', async (t) => {
    if (!readFileSync('/sys/kernel/tracing/trace_clock', 'utf8').includes('x86-tsc')) {
      t.skip('kernel refuses: no x86-tsc trace clock');
      return;
    }
    // a multiplier and shift of the kind perf's page gives (ns = tsc * mult >> shift, here ~2.4 GHz)
    const file = join(dir, 'tsc.dat');
    const s = new RecordSession({ events: [{ spec: 'sched:sched_process_exec' }], output: file, tsc2nsec: { mult: 894784853, shift: 31 } });
    try {
      s.setup();
      s.start();
      spawnSync('true');
      spawnSync('ls', ['/']);
      await s.stop();
    } finally {
      s.cleanup();
    }
    const d = runTraceCmd(['dump', '--options', '-i', file]).stdout.toString();
    assert.match(d, /\[Option TSC2NSEC, 16 bytes\]/);
    assert.match(d, /\[Option BUFFER, \d+ bytes\]\n[\s\S]*?\n"tsc2nsec" \[clock\]\n/, 'the buffer clock is tsc2nsec');
    assert.equal(diffReports(file), undefined);
    const report = runTraceCmd(['report', '-i', file]).stdout.toString();
    assert.match(report, /sched_process_exec:\s+filename=\/usr\/bin\/ls/);
  });

  test('usage errors: -m twice, two --temp folders, --tsc2nsec with -C', () => {
    for (const [args, msg] of [
      [['-m', '10', '-m', '20'], /-m can only be given once/],
      [['--temp', '/tmp', '--temp', '/tmp'], /only one --temp folder/],
      [['--tsc2nsec', '-C', 'local'], /--tsc2nsec sets the clock/],
    ]) {
      const r = runUtp(['record', '-e', 'sched', ...args, '--', 'true']);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr.toString(), msg);
    }
    assert.ok(!existsSync(join(dir, 'trace.dat')));
  });
});
