/// <reference types="node" />
// `utp record` end to end (live kernel): SIGINT/SIGTERM/SIGKILL paths, a failing command, two
// records at once, the refusal of the function tracer. tracefs must be left as found.
import { test, before, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { tracingUnavailableReason, traceFsState, diffTraceFsState, sweepStale, Instance, type TraceFsState } from '@utp/tracefs';
import { parseRecordArgs } from './record.js';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const why = tracingUnavailableReason();
const haveTraceCmd = spawnSync('trace-cmd', ['--help']).error === undefined;
const skip = why ? `needs root and tracefs (${why})` : !haveTraceCmd ? 'needs trace-cmd (the oracle)' : false;
if (skip) console.log(`# skipping utp record tests: ${skip}`);

let state: TraceFsState;
let dir: string;
before(() => { if (!skip) { sweepStale(); state = traceFsState(); dir = mkdtempSync(`${tmpdir()}/utp-record-`); } });
afterEach(() => { if (!skip) assert.deepEqual(diffTraceFsState(state, traceFsState(), { ignoreForeign: true }), [], 'tracefs left as found'); });

const utp = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
const report = (file: string): string => execFileSync('trace-cmd', ['report', '-i', file], { maxBuffer: 1 << 27 }).toString();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('argument parsing follows trace-cmd (-f binds to the previous -e; CMD after options)', () => {
  const p = parseRecordArgs(['-e', 'sched', '-f', 'prev_pid != 0', '-e', 'irq', '-b', '64', '-o', 'x.dat', '-c', '-F', 'ls', '-l']);
  assert.deepEqual(p.opts.events, [{ spec: 'sched', filter: 'prev_pid != 0' }, { spec: 'irq' }]);
  assert.equal(p.opts.bufferSizeKb, 64);
  assert.equal(p.opts.output, 'x.dat');
  assert.equal(p.filterCmd, true);
  assert.deepEqual(p.command, ['ls', '-l']);
  assert.deepEqual(parseRecordArgs(['-esched', '--', '-weird']).command, ['-weird']);
  assert.throws(() => parseRecordArgs(['-f', 'x']), /must follow an -e/);
  assert.throws(() => parseRecordArgs(['--compression', 'lz4']), /compression/);
  assert.equal(parseRecordArgs(['--file-version', '6']).opts.compression, 'none');
});

test('record -- CMD: traces the command, prints per-CPU counts, report reads the file', { skip }, () => {
  const out = `${dir}/cmd.dat`;
  const r = utp(['record', '-e', 'sched', '-e', 'syscalls:sys_enter_openat', '-o', out, '-F', '-c', '--', '/bin/sh', '-c', 'cat /etc/hostname >/dev/null; ls / >/dev/null']);
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

test('-p function is refused with a clear message', { skip }, () => {
  const r = utp(['record', '-p', 'function', '-e', 'sched', '-o', `${dir}/fn.dat`, '--', 'true']);
  if (r.status === 0) return; // a kernel that allows it
  assert.equal(r.status, 1);
  assert.match(String(r.stderr), /function/);
  assert.equal(existsSync(`${dir}/fn.dat`), false);
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} stops a record without command, writes the file, cleans up`, { skip }, async () => {
    const out = `${dir}/${sig}.dat`;
    const child = spawn(process.execPath, [main, 'record', '-e', 'sched', '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    await sleep(700);
    child.kill(sig);
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.equal(code, 0);
    assert.match(stdout, /^total: \d+ events/m);
    assert.match(report(out), /sched_switch/);
  });
}

test('SIGKILL leaves an instance that the next utp reset removes', { skip }, async () => {
  const child = spawn(process.execPath, [main, 'record', '-e', 'sched', '-o', `${dir}/kill.dat`], { stdio: 'ignore' });
  const name = `utp-${child.pid}-0`;
  for (let i = 0; i < 50 && !Instance.exists(name); i++) await sleep(50);
  await sleep(200);
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
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.kill.dat')), [], 'the next record to the same output removes them');
});

test('two records at once do not disturb each other', { skip }, async () => {
  const run = (name: string, ev: string): Promise<number | null> => new Promise((res) => {
    const c = spawn(process.execPath, [main, 'record', '-q', '-e', ev, '-o', `${dir}/${name}.dat`, '--', '/bin/sh', '-c', 'sleep 0.5; ls -R /usr/share/doc >/dev/null']);
    c.on('exit', res);
  });
  const [a, b] = await Promise.all([run('a', 'sched'), run('b', 'irq')]);
  assert.equal(a, 0); assert.equal(b, 0);
  const ta = report(`${dir}/a.dat`), tb = report(`${dir}/b.dat`);
  assert.match(ta, /sched_switch/); assert.doesNotMatch(ta, /irq_handler_entry|softirq_raise/);
  assert.match(tb, /softirq|irq_handler/); assert.doesNotMatch(tb, /sched_switch/);
});

test('stream prints live events as report prints them, and cleans up', { skip }, () => {
  const r = utp(['stream', '-e', 'sched:sched_process_exec', '-e', 'sched:sched_process_exit', '--', '/bin/sh', '-c', 'sleep 0.2; /bin/true']);
  assert.equal(r.status, 0, String(r.stderr));
  const lines = String(r.stdout).split('\n').filter(Boolean);
  assert.ok(lines.some((l) => /^ +true-\d+ +\[\d{3}\] +\d+\.\d{6}: sched_process_exec: +filename=\/bin\/true pid=\d+ old_pid=\d+$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /sched_process_exit: +comm=true pid=\d+ prio=120/.test(l)));
});

test('cleanup of the temp dir', { skip }, () => { rmSync(dir, { recursive: true, force: true }); });
