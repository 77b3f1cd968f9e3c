/// <reference types="node" />
// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// `utp record` end to end (live kernel): SIGINT/SIGTERM/SIGKILL paths, a failing command, two
// records at once, the refusal of the function tracer. tracefs must be left as found.
import { test, before, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  tracingUnavailableReason,
  traceFsState,
  diffTraceFsState,
  sweepStale,
  Instance,
  procStartTime,
  subbufSizeRefusal,
  type TraceFsState,
} from '@utp/tracefs';
import { parseRecordArgs } from './record.js';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const why = tracingUnavailableReason();
const haveTraceCmd = spawnSync('trace-cmd', ['--help']).error === undefined;
const skip = why ? `needs root and tracefs (${why})` : !haveTraceCmd ? 'needs trace-cmd (the oracle)' : false;
if (skip) console.log(`# skipping utp record tests: ${skip}`);

let state: TraceFsState;
let dir: string;
before(() => {
  if (!skip) {
    sweepStale();
    state = traceFsState();
    dir = mkdtempSync(`${tmpdir()}/utp-record-`);
  }
});
afterEach(() => {
  if (!skip) assert.deepEqual(diffTraceFsState(state, traceFsState(), { ignoreForeign: true }), [], 'tracefs left as found');
});

const utp = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
const report = (file: string): string => execFileSync('trace-cmd', ['report', '-i', file], { maxBuffer: 1 << 27 }).toString();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits until cond() holds, polling; fails the test with `what` after the deadline (no fixed sleeps). */
async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting until ${what}`);
    await sleep(20);
  }
}
/** Events a recording instance has taken in so far (its per-CPU stats), 0 while it does not exist. */
function eventsIn(name: string): number {
  try {
    const inst = Instance.open(name);
    return inst.cpus().reduce((a, c) => {
      const s = inst.cpuStats(c);
      return a + s.entries + s.readEvents + s.overrun;
    }, 0);
  } catch {
    return 0;
  }
}

test('argument parsing follows trace-cmd (-f binds to the previous -e; CMD after options)', () => {
  const p = parseRecordArgs(['-e', 'sched', '-f', 'prev_pid != 0', '-e', 'irq', '-b', '64', '-o', 'x.dat', '-c', '-F', 'ls', '-l']);
  assert.deepEqual(p.opts.events, [{ spec: 'sched', filter: '(prev_pid != 0)' }, { spec: 'irq' }]);
  assert.equal(p.opts.bufferSizeKb, 64);
  assert.equal(p.opts.output, 'x.dat');
  assert.equal(p.filterCmd, true);
  assert.deepEqual(p.command, ['ls', '-l']);
  assert.deepEqual(parseRecordArgs(['-esched', '--', '-weird']).command, ['-weird']);
  assert.throws(() => parseRecordArgs(['-f', 'x']), /must follow an -e/);
  assert.throws(() => parseRecordArgs(['--compression', 'lz4']), /compression/);
  assert.equal(parseRecordArgs(['--file-version', '6']).opts.compression, 'none');
  const d = parseRecordArgs(['--no-splice', '--buffer-percent', '5', '--sleep', '200', '-e', 'sched']).opts;
  assert.deepEqual([d.drainMode, d.bufferPercent, d.maxSleepMs], ['read', 5, 200]);
});

test('record -- CMD: traces the command, prints per-CPU counts, report reads the file', { skip }, () => {
  const out = `${dir}/cmd.dat`;
  const r = utp([
    'record',
    '-e',
    'sched',
    '-e',
    'syscalls:sys_enter_openat',
    '-o',
    out,
    '-F',
    '-c',
    '--',
    '/bin/sh',
    '-c',
    'cat /etc/hostname >/dev/null; ls / >/dev/null',
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  assert.match(String(r.stdout), /^CPU0: \d+ events, \d+ lost, \d+ bytes$/m);
  assert.match(String(r.stdout), /^total: \d+ events, 0 lost; wrote /m);
  const text = report(out);
  assert.match(text, /sys_enter_openat/);
  assert.match(text, /sched_process_exec/);
  const ours = utp(['report', '-i', out]);
  assert.equal(ours.status, 0, String(ours.stderr));
  assert.equal(ours.stdout, text, 'utp report prints what trace-cmd report prints');
  assert.equal(readdirSync(dir).filter((f) => f.includes('.utp-')).length, 0, 'temp files removed');
});

test('a failing command still gives a file and a clean tracefs', { skip }, () => {
  const r = utp(['record', '-e', 'sched', '-o', `${dir}/fail.dat`, '--', '/bin/sh', '-c', 'exit 3']);
  assert.equal(r.status, 0);
  assert.match(String(r.stderr), /exited with status 3/);
  assert.ok(existsSync(`${dir}/fail.dat`));
  const r2 = utp(['record', '-e', 'sched', '-o', `${dir}/nf.dat`, '--', '/no/such/program']);
  assert.equal(r2.status, 0);
});

test('-p function is refused with a clear message', { skip }, (t) => {
  const r = utp(['record', '-p', 'function', '-e', 'sched', '-o', `${dir}/fn.dat`, '--', 'true']);
  if (r.status === 0) {
    t.skip('this kernel allows the function tracer: no refusal to check');
    return;
  }
  assert.equal(r.status, 1);
  assert.match(String(r.stderr), /function/);
  assert.equal(existsSync(`${dir}/fn.dat`), false);
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} stops a record without command, writes the file, cleans up`, { skip }, async () => {
    const out = `${dir}/${sig}.dat`;
    const child = spawn(process.execPath, [main, 'record', '-e', 'sched', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Signal once the recording instance has taken events in (not after a guessed delay); named by pid and
    // start time, so that a stale instance of an earlier process with the same pid does not count
    const mine = `utp-${child.pid}.${procStartTime(child.pid!)}-*`;
    await waitFor(() => eventsIn(Instance.list(mine)[0] ?? '') > 0, `${mine} records events`);
    child.kill(sig);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (c, s) => res([c, s])));
    assert.equal(code, 0, `exit ${code} (signal ${signal}); stderr: ${stderr}`);
    assert.match(stdout, /^total: \d+ events/m);
    assert.match(report(out), /sched_switch/);
  });
}

test('SIGKILL leaves an instance that the next utp reset removes', { skip }, async () => {
  const child = spawn(process.execPath, [main, 'record', '-e', 'sched', '-o', `${dir}/kill.dat`], { stdio: 'ignore' });
  const name = `utp-${child.pid}.${procStartTime(child.pid!)}-0`;
  // Kill once it records and its per-CPU temp files exist (conditions, each with a deadline).
  await waitFor(() => Instance.list(`utp-${child.pid}.*`)[0] === name, 'the instance names its owner by pid and start time');
  await waitFor(() => eventsIn(name) > 0, `${name} records events`);
  await waitFor(() => readdirSync(dir).some((f) => f.startsWith(`.kill.dat.utp-${child.pid}.`)), 'the per-CPU temp files exist');
  assert.ok(Instance.exists(name), 'recording instance exists');
  child.kill('SIGKILL');
  await new Promise((res) => child.on('exit', res));
  assert.ok(Instance.exists(name), 'left behind by SIGKILL');
  const r = utp(['reset', '--stale']);
  assert.equal(r.status, 0);
  assert.match(String(r.stdout), new RegExp(`removed stale ${name}`));
  assert.equal(Instance.exists(name), false);
  const temps = readdirSync(dir).filter((f) => f.startsWith(`.kill.dat.utp-${child.pid}.`));
  assert.ok(temps.length > 0, 'per-CPU temp files left by SIGKILL');
  const r2 = utp(['record', '-q', '-e', 'sched:sched_process_exec', '-o', `${dir}/kill.dat`, '--', 'true']);
  assert.equal(r2.status, 0);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.kill.dat')),
    [],
    'the next record to the same output removes them',
  );
});

test('two records at once do not disturb each other', { skip }, async () => {
  // Each traced command says it runs, then waits (up to 60 s) for the other's: both recorders are
  // certainly recording at the same time, whatever the scheduling.
  const run = (name: string, other: string, ev: string): Promise<number | null> =>
    new Promise((res) => {
      const c = spawn(process.execPath, [
        main,
        'record',
        '-q',
        '-e',
        ev,
        '-o',
        `${dir}/${name}.dat`,
        '--',
        '/bin/sh',
        '-c',
        `touch ${dir}/${name}.go; i=0; while [ ! -e ${dir}/${other}.go ] && [ $i -lt 6000 ]; do sleep 0.01; i=$((i+1)); done; ls -R /usr/share/doc >/dev/null`,
      ]);
      c.on('exit', res);
    });
  const [a, b] = await Promise.all([run('a', 'b', 'sched'), run('b', 'a', 'irq')]);
  assert.ok(existsSync(`${dir}/a.go`) && existsSync(`${dir}/b.go`), 'both commands ran');
  assert.equal(a, 0);
  assert.equal(b, 0);
  const ta = report(`${dir}/a.dat`),
    tb = report(`${dir}/b.dat`);
  assert.match(ta, /sched_switch/);
  assert.doesNotMatch(ta, /irq_handler_entry|softirq_raise/);
  assert.match(tb, /softirq|irq_handler/);
  assert.doesNotMatch(tb, /sched_switch/);
});

test('two records naming the same new -B NAME: the first to finish does not remove it under the other', { skip }, async () => {
  const name = `utp_b_${process.pid}`;
  const run = (out: string, secs: number): Promise<number | null> =>
    new Promise((res) => {
      const c = spawn(process.execPath, [
        main,
        'record',
        '-q',
        '-B',
        name,
        '-e',
        'sched',
        '-o',
        `${dir}/${out}.dat`,
        '--',
        '/bin/sh',
        '-c',
        `sleep ${secs}; ls -R /usr/share/doc >/dev/null`,
      ]);
      c.on('exit', res);
    });
  const long = run('long', 1.5);
  for (let i = 0; i < 60 && !Instance.exists(name); i++) await sleep(25);
  const short = await run('short', 0.2);
  assert.equal(short, 0);
  assert.ok(Instance.exists(name), 'still there for the recorder that has not finished');
  assert.equal(await long, 0);
  assert.equal(Instance.exists(name), false, 'the last recorder removed it');
  assert.match(report(`${dir}/long.dat`), /sched_switch/);
  assert.match(report(`${dir}/short.dat`), /sched_switch/);
});

test('stream prints live events as report prints them, and cleans up', { skip }, () => {
  const r = utp([
    'stream',
    '-e',
    'sched:sched_process_exec',
    '-e',
    'sched:sched_process_exit',
    '--',
    '/bin/sh',
    '-c',
    'sleep 0.2; /bin/true',
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  const lines = String(r.stdout).split('\n').filter(Boolean);
  // The comm column comes from the kernel's saved_cmdlines, which may still hold a recycled pid's old name.
  assert.ok(
    lines.some((l) => /^ +\S+-\d+ +\[\d{3}\] +\d+\.\d{6}: sched_process_exec: +filename=\/bin\/true pid=\d+ old_pid=\d+$/.test(l)),
    lines.join('\n'),
  );
  assert.ok(lines.some((l) => /sched_process_exit: +comm=true pid=\d+ prio=120/.test(l)));
});

// ---- trace-cmd report == utp report of files `utp record` wrote, per option ----

/** trace-cmd report and utp report of `file` must print the same bytes; returns the text. */
function sameReport(file: string, what: string): string {
  const want = execFileSync('trace-cmd', ['report', '-i', file], { maxBuffer: 1 << 27 });
  const ours = spawnSync(process.execPath, [main, 'report', '-i', file], { maxBuffer: 1 << 27 });
  assert.equal(ours.status, 0, `${what}: utp report failed: ${String(ours.stderr)}`);
  assert.equal(ours.stdout.toString('latin1'), want.toString('latin1'), `${what}: utp report == trace-cmd report`);
  return want.toString('latin1');
}
const dumpOptions = (file: string): string =>
  execFileSync('trace-cmd', ['dump', '--options', '-i', file], { maxBuffer: 1 << 26 }).toString('latin1');
/** TRACECLOCK text, BUFFER options (name, clock, page size, CPU ids), CPUCOUNT of a file. */
function optionsOf(file: string): {
  traceClock: string;
  buffers: Array<{ name: string; clock: string; page: number; cpus: number[] }>;
  cpuCount: number;
} {
  const t = dumpOptions(file);
  const traceClock = /\[Option TRACECLOCK, \d+ bytes\]\n([^\n]*)/.exec(t)?.[1] ?? '';
  const buffers = [
    ...t.matchAll(
      /\[Option BUFFER, \d+ bytes\]\n\d+ \[offset\]\n"([^"]*)" \[name\]\n"([^"]*)" \[clock\]\n(\d+) \[Page size, bytes\]\n\d+ \[CPUs\]:\n((?:\s+\d+ \d+\s+\d+\s+\[id, data offset and size\]\n)*)/g,
    ),
  ].map((m) => ({ name: m[1]!, clock: m[2]!, page: Number(m[3]), cpus: [...m[4]!.matchAll(/^\s+(\d+) /gm)].map((x) => Number(x[1])) }));
  const cpuCount = Number(/\[Option CPUCOUNT, 4 bytes\]\n(\d+)/.exec(t)?.[1] ?? NaN);
  return { traceClock, buffers, cpuCount };
}
const rec = (args: string[]): void => {
  const r = utp(['record', '-q', ...args]);
  assert.equal(r.status, 0, `utp record ${args.join(' ')}: ${String(r.stderr)}`);
};

test('-C CLOCK, every clock of trace_clock: the file stores [CLOCK]; trace-cmd report == utp report', { skip }, () => {
  const clocks = Instance.top().clocks().available;
  assert.ok(clocks.includes('counter') && clocks.length >= 3, clocks.join(' '));
  for (const clock of clocks) {
    const out = `${dir}/clock-${clock}.dat`;
    rec(['-C', clock, '-e', 'sched', '-e', 'irq', '-o', out, '--', '/bin/sh', '-c', 'sleep 0.02; ls / >/dev/null']);
    const o = optionsOf(out);
    assert.match(o.traceClock, new RegExp(`(^| )\\[${clock}\\]( |$)`), `${clock}: TRACECLOCK holds the recorded instance's clock`);
    assert.deepEqual(
      o.buffers.map((b) => b.clock),
      [clock],
      `${clock}: BUFFER clock`,
    );
    const text = sameReport(out, `-C ${clock}`);
    assert.ok(text.split('\n').length > 5, `${clock}: events recorded`);
    // counter and x86-tsc are raw counts: trace-cmd prints them without a decimal point.
    if (clock === 'counter') assert.match(text.split('\n')[1]!, /\] +\d+: /);
  }
});

test('-B NAME -C counter -M 1, v6 and v7: clock in TRACECLOCK and both BUFFER options, CPU 1 empty; reports equal', { skip }, () => {
  const name = `utpB${process.pid}`;
  const cpuCount = Number(execFileSync('getconf', ['_NPROCESSORS_CONF']).toString().trim());
  for (const v of ['6', '7']) {
    const out = `${dir}/B${v}.dat`;
    rec([
      '-B',
      name,
      '-C',
      'counter',
      '-M',
      '1',
      '--file-version',
      v,
      '-e',
      'sched',
      '-e',
      'irq',
      '-o',
      out,
      '--',
      'taskset',
      '-c',
      '0',
      '/bin/sh',
      '-c',
      'ls -R /usr/share/doc >/dev/null',
    ]);
    assert.equal(Instance.exists(name), false, 'the instance we created is removed');
    const o = optionsOf(out);
    assert.match(o.traceClock, /\[counter\]/);
    const text = sameReport(out, `-B v${v}`);
    assert.equal(text.split('\n')[0], `cpus=${cpuCount}`);
    assert.match(text, new RegExp(`^${name}: .*\\[000\\] +\\d+: `, 'm'));
    assert.doesNotMatch(text, /\[001\]/, 'tracing_cpumask 1: nothing on CPU 1');
    if (v === '7') {
      assert.equal(o.cpuCount, cpuCount, 'CPUCOUNT is the configured CPU count');
      assert.deepEqual(
        o.buffers.map((b) => [b.name, b.clock, b.cpus]),
        [
          ['', 'counter', []],
          [name, 'counter', [0]],
        ],
        'empty CPUs are left out',
      );
    }
  }
});

test('-b KB --subbuf-size 8|16 with v7/zstd, v7/none, v6: page size stored; reports equal', { skip }, (t) => {
  if (Instance.top().subbufSizeKb() === undefined) {
    t.skip('kernel refuses: sub-buffer sizes (no buffer_subbuf_size_kb, Linux < 6.8)');
    return;
  }
  const refused = subbufSizeRefusal(8);
  if (refused) {
    // this kernel will not take the size: utp says so in one line, naming the file and the errno
    const r = utp(['record', '-q', '--subbuf-size', '8', '-e', 'sched', '-o', `${dir}/refused.dat`, '--', 'true']);
    const err = String(r.stderr);
    assert.equal(r.status, 1, err);
    assert.match(
      err,
      /^utp record: The kernel refuses 8 KiB sub-buffers \(E[A-Z]+[^)]*\): file=\S+\/buffer_subbuf_size_kb, errno=E[A-Z]+\n$/,
    );
    assert.equal(existsSync(`${dir}/refused.dat`), false, 'no output after the refusal');
    t.skip(refused);
    return;
  }
  for (const kb of [8, 16]) {
    for (const [v, c] of [
      ['7', 'zstd'],
      ['7', 'none'],
      ['6', 'none'],
    ] as const) {
      const out = `${dir}/sb${kb}-v${v}-${c}.dat`;
      rec([
        '-b',
        '512',
        '--subbuf-size',
        String(kb),
        '--file-version',
        v,
        '--compression',
        c,
        '-e',
        'sched',
        '-e',
        'irq',
        '-e',
        'syscalls:sys_enter_openat',
        '-o',
        out,
        '--',
        '/bin/sh',
        '-c',
        'ls -R /usr/share/doc /usr/lib/python3* >/dev/null 2>&1',
      ]);
      const head = readFileSync(out);
      assert.equal(head.readUInt32LE(14), kb * 1024, `${kb} KiB v${v}/${c}: file header page size`);
      if (v === '7')
        assert.deepEqual(
          optionsOf(out).buffers.map((b) => b.page),
          [kb * 1024],
        );
      const text = sameReport(out, `--subbuf-size ${kb} v${v}/${c}`);
      assert.ok(text.split('\n').length > 200, `${kb} KiB v${v}/${c}: several sub-buffers of events`);
    }
  }
});

test('-f filters bind to the preceding -e; reports equal', { skip }, () => {
  const out = `${dir}/filter.dat`;
  rec([
    '-e',
    'sched:sched_switch',
    '-f',
    'prev_pid != 0 && next_pid != 0',
    '-e',
    'sched:sched_waking',
    '-f',
    'target_cpu == 0',
    '-e',
    'irq',
    '-o',
    out,
    '--',
    '/bin/sh',
    '-c',
    'ls -R /usr/share/doc >/dev/null',
  ]);
  const text = sameReport(out, '-f');
  assert.match(text, /sched_switch:/);
  assert.doesNotMatch(text, /sched_switch: .*(swapper|<idle>)/, 'no switches from or to pid 0');
  assert.doesNotMatch(text, /sched_waking: .*target_cpu=(?!000)/, 'wakings only onto CPU 0');
});

test('-P PID (without and with -c): only that pid (and with -c its children); reports equal', { skip }, async () => {
  for (const follow of [false, true]) {
    // Runs until the record is over (a stop file; 60 s at most), so it is busy during the whole recording.
    const stop = `${dir}/P-stop-${follow}`;
    const bg = spawn(
      '/bin/sh',
      ['-c', `i=0; while [ ! -e ${stop} ] && [ $i -lt 3000 ]; do cat /etc/hostname >/dev/null; sleep 0.02; i=$((i+1)); done`],
      { stdio: 'ignore' },
    );
    const done = new Promise((res) => bg.on('exit', res));
    const out = `${dir}/P${follow ? 'c' : ''}.dat`;
    try {
      rec([
        '-P',
        String(bg.pid),
        ...(follow ? ['-c'] : []),
        '-e',
        'syscalls:sys_enter_openat',
        '-e',
        'sched:sched_process_exec',
        '-o',
        out,
        '--',
        'sleep',
        '0.3',
      ]);
    } finally {
      writeFileSync(stop, '');
    }
    await done;
    const text = sameReport(out, `-P${follow ? ' -c' : ''}`);
    const opens = text.split('\n').filter((l) => l.includes('sys_enter_openat'));
    assert.ok(opens.length > 0, 'the shell opens /dev/null for its redirections');
    const foreign = opens.filter((l) => !new RegExp(`-${bg.pid} +\\[`).test(l));
    if (follow)
      assert.ok(
        foreign.some((l) => /^ +cat-\d+ /.test(l)),
        '-c follows the forked cat processes',
      );
    else assert.deepEqual(foreign, [], 'without -c only the pid itself');
  }
});

test('-F -c -- CMD: the command and its children; reports equal', { skip }, () => {
  const out = `${dir}/Fc.dat`;
  rec([
    '-F',
    '-c',
    '-e',
    'sched:sched_process_exec',
    '-e',
    'sched:sched_process_fork',
    '-e',
    'syscalls:sys_enter_openat',
    '-o',
    out,
    '--',
    '/bin/sh',
    '-c',
    'ls / >/dev/null; cat /etc/hostname >/dev/null',
  ]);
  const text = sameReport(out, '-F -c');
  assert.match(text, /sched_process_exec: +filename=\/usr\/bin\/ls /);
  assert.match(text, /^ +cat-\d+ .*sys_enter_openat/m);
  assert.doesNotMatch(text, /^ +node-\d+ .*sys_enter_openat/m, 'not the recorder');
});

const cc = spawnSync('cc', ['--version']).status === 0;
test('--uprobe with fetch args and a return probe on a compiled program; reports equal', {
  skip: skip || (!cc && 'needs a C compiler (cc)'),
}, () => {
  const src = `${dir}/up.c`,
    bin = `${dir}/up`;
  writeFileSync(
    src,
    '#include <stdio.h>\n__attribute__((noinline)) int utp_add(int a, int b) { return a + b; }\n' +
      'int main(void) { volatile int s = 0; for (int i = 0; i < 3; i++) s += utp_add(i, 40 + i); printf("%d\\n", s); return 0; }\n',
  );
  execFileSync('cc', ['-O1', '-o', bin, src]);
  const out = `${dir}/uprobe.dat`;
  rec(['-F', '--uprobe', `${bin}:utp_add a=%di:s32 b=%si:s32`, '--uprobe', `${bin}:utp_add%return r=$retval:s32`, '-o', out, '--', bin]);
  const text = sameReport(out, '--uprobe');
  for (const [a, b] of [
    [0, 40],
    [1, 41],
    [2, 42],
  ])
    assert.match(text, new RegExp(`utp_add: +\\([0-9a-f]+\\) a=${a} b=${b}$`, 'm'));
  assert.match(text, /utp_add__return: +\([0-9a-f]+ <- [0-9a-f]+\) r=44$/m);
});

test('cleanup of the temp dir', { skip }, () => {
  rmSync(dir, { recursive: true, force: true });
});

test('reset -B NAME takes back triggers (with filters and enable_event), tracing_cpumask and buffer_percent', { skip }, () => {
  const name = `utp-reset-test-${process.pid}`;
  const inst = Instance.create(name);
  try {
    inst.addEventTrigger('sched', 'sched_switch', 'stacktrace if prev_pid < -5');
    inst.addEventTrigger('sched', 'sched_wakeup', 'enable_event:irq:irq_handler_entry');
    inst.setCpumask('1');
    inst.setBufferPercent(7);
    const r = utp(['reset', '-B', name]);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(inst.eventTriggers('sched', 'sched_switch'), []);
    assert.deepEqual(inst.eventTriggers('sched', 'sched_wakeup'), []);
    assert.equal(inst.read('events/irq/irq_handler_entry/enable').trim(), '0');
    assert.equal(BigInt('0x' + inst.cpumask().replace(/,/g, '')), (1n << BigInt(Math.max(...inst.cpus()) + 1)) - 1n);
    assert.equal(inst.bufferPercent(), 50);
  } finally {
    if (Instance.exists(name)) {
      Instance.open(name).disableEvent();
      Instance.open(name).remove();
    }
  }
});

test('record refuses an output that is a directory or a device before recording, and writes through a symlink', { skip }, () => {
  const dir = mkdtempSync(`${tmpdir()}/utp-out-`);
  try {
    const d = utp(['record', '-e', 'sched:sched_switch', '-o', dir, '--', 'true']);
    assert.equal(d.status, 2);
    assert.match(String(d.stderr), /is a directory/);
    const n = utp(['record', '-e', 'sched:sched_switch', '-o', '/dev/null', '--', 'true']);
    assert.equal(n.status, 2);
    assert.match(String(n.stderr), /not a regular file/);
    execFileSync('ln', ['-s', `${dir}/target.dat`, `${dir}/link.dat`]);
    const l = utp(['record', '-q', '-e', 'sched:sched_switch', '-o', `${dir}/link.dat`, '--', 'true']);
    assert.equal(l.status, 0, String(l.stderr));
    assert.ok(existsSync(`${dir}/target.dat`), 'the link target was written');
    assert.equal(
      execFileSync('readlink', [`${dir}/link.dat`])
        .toString()
        .trim(),
      `${dir}/target.dat`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a terminal record shows a live status line per CPU (tracefs and --perf), erased before the summary; none when piped', {
  skip,
}, () => {
  const dir = mkdtempSync(`${tmpdir()}/utp-status-`);
  // script(1) gives the recorder a pseudo-terminal as stdout/stderr, 120 columns wide
  const onTty = (args: string[]): string => {
    const cmd = `stty cols 120; exec ${[process.execPath, main, ...args].map((a) => `'${a}'`).join(' ')}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `script ${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  try {
    for (const [args, summary] of [
      [
        ['record', '-e', 'sched', '-e', 'raw_syscalls', '-o', `${dir}/a.dat`, '--', 'sleep', '0.8'],
        /\r\x1b\[KCPU\d+: \d+ events, \d+ lost/,
      ],
      [
        ['record', '--perf', '-a', '-e', 'sched:sched_switch', '-e', 'cpu-clock', '-o', `${dir}/a.data`, '--', 'sleep', '0.8'],
        /\r\x1b\[K\[ utp record: Captured/,
      ],
    ] as const) {
      const out = onTty([...args]);
      const lines = [
        ...out.matchAll(
          /\rutp record: (\d+:\d\d\.\d)((?: {2}CPU\d+ \S+ ev \S+(?: \S+ lost)?)+) {2}total (\S+) ev (\S+) (\S+) lost\x1b\[K/g,
        ),
      ];
      assert.ok(
        lines.length >= 2,
        `${args[1]}: at least two redraws of the status line with every CPU: ${JSON.stringify(out.slice(0, 600))}`,
      );
      assert.match(lines.at(-1)![2]!, /CPU0 /);
      assert.ok(
        lines.some((m) => m[3] !== '0'),
        `${args[1]}: events counted while recording`,
      );
      assert.match(out, summary, `${args[1]}: the line is erased before the summary`);
      const piped = utp([...args]);
      assert.equal(piped.status, 0, String(piped.stderr));
      assert.ok(!/[\r\x1b]/.test(String(piped.stderr) + String(piped.stdout)), `${args[1]}: no status line when piped`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
