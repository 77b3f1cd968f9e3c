/// <reference types="node" />
// Pure functions of @utp/tracefs (no kernel needed).
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { strict as assert } from 'node:assert';
const code = (e: unknown): string | undefined => (e as { code?: string }).code;
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  pidAlive,
  procStartTime,
  ownerOf,
  ownerAlive,
  globMatch,
  parseUprobeSpec,
  lastErrorLogEntry,
  parseCpuStats,
  ownerPid,
  parseCpuList,
  configuredCpuCount,
  recordingCpuCount,
  syntheticCommandFile,
  WakePipe,
  pollSync,
} from './index.js';

test('glob matching as fnmatch', () => {
  const table: Array<[string, string, boolean]> = [
    ['sched_*', 'sched_switch', true],
    ['sched_*', 'xsched_switch', false],
    ['*', '', true],
    ['irq?', 'irq1', true],
    ['irq?', 'irq', false],
    ['[ab]*', 'block', true],
    ['[!ab]*', 'block', false],
    ['a.b', 'axb', false],
    ['a.b', 'a.b', true],
  ];
  for (const [g, s, want] of table) assert.equal(globMatch(g, s), want, `${g} ~ ${s}`);
});

test('uprobe specs', () => {
  assert.deepEqual(parseUprobeSpec('/bin/true:main'), { path: '/bin/true', symbol: 'main', args: [], ret: false });
  assert.deepEqual(parseUprobeSpec('myp=/x/y:0x1130%return arg=%ax'), {
    name: 'myp',
    path: '/x/y',
    offset: 0x1130n,
    args: ['arg=%ax'],
    ret: true,
  });
  assert.throws(
    () => parseUprobeSpec('nocolon'),
    (e: unknown) => code(e) === 'TRACEFS_BAD_ARGUMENT',
  );
});

test('error_log: the last entry', () => {
  const log =
    '[  10.000001] event filter parse error: error: Field not found\n  Command: foo == 1\n          ^\n' +
    '[  12.500000] trace_uprobe: error: Invalid argument\n  Command: p:g/x /bin/true:0x1 %zz\n                              ^\n';
  assert.equal(
    lastErrorLogEntry(log),
    '[  12.500000] trace_uprobe: error: Invalid argument\n  Command: p:g/x /bin/true:0x1 %zz\n                              ^',
  );
  assert.equal(lastErrorLogEntry(''), undefined);
});

test('per-CPU stats parsing', () => {
  const s = parseCpuStats(
    'entries: 5\noverrun: 2\ncommit overrun: 0\nbytes: 680\noldest event ts:   407.346634\nnow ts:   408.334172\ndropped events: 1\nread events: 169\n',
  );
  assert.equal(s.entries, 5);
  assert.equal(s.overrun, 2);
  assert.equal(s.droppedEvents, 1);
  assert.equal(s.readEvents, 169);
  assert.equal(s.oldestEventTs, '407.346634');
});

test('owner pids of utp names', () => {
  assert.equal(ownerPid('utp-123-4'), 123);
  assert.equal(ownerPid('utp_77'), 77);
  assert.equal(ownerPid('mkref_2881'), undefined);
  assert.equal(ownerPid('utp-x-1'), undefined);
  assert.deepEqual(ownerOf('utp-123.456-7'), { pid: 123, start: 456 });
  assert.deepEqual(ownerOf('utp_123_456'), { pid: 123, start: 456 });
  assert.deepEqual(ownerOf('utp-123-7'), { pid: 123 });
});

test('CPU lists and the CPU count trace-cmd uses (sysconf(_SC_NPROCESSORS_CONF) as glibc computes it)', (t) => {
  assert.deepEqual(parseCpuList('0-3\n'), [0, 1, 2, 3]);
  assert.deepEqual(parseCpuList('0,2-3,7'), [0, 2, 3, 7]);
  assert.deepEqual(parseCpuList(''), []);
  assert.throws(
    () => parseCpuList('0-x'),
    (e: unknown) => code(e) === 'TRACEFS_BAD_ARGUMENT',
  );
  const sys = mkdtempSync(`${tmpdir()}/utp-cpus-`);
  try {
    // No possible file: count the cpuN directories (cpufreq etc. do not count).
    for (const d of ['cpu0', 'cpu1', 'cpu5', 'cpufreq', 'cpuidle']) mkdirSync(`${sys}/${d}`);
    assert.equal(configuredCpuCount(sys), 3);
    writeFileSync(`${sys}/possible`, '0-3\n');
    assert.equal(configuredCpuCount(sys), 4);
    // Never fewer slots than the highest per_cpu id + 1 (a CPU's data must not be dropped).
    assert.equal(recordingCpuCount([0, 1], sys), 4);
    assert.equal(recordingCpuCount([0, 6], sys), 7);
    // The callers used to pass cpus.length: one CPU id 3 alone needs 4 slots, not 1.
    assert.equal(recordingCpuCount([3], `${sys}/none`), 4);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
  // glibc's own answer, from getconf (the reference), not from the function under test
  const g = spawnSync('getconf', ['_NPROCESSORS_CONF']);
  if (g.error || g.status !== 0) {
    t.skip('getconf is not available: the live CPU count is not compared');
    return;
  }
  assert.equal(configuredCpuCount(), Number(g.stdout.toString().trim()));
});

test('synthetic events go to dynamic_events (s:) when the kernel takes them there, else synthetic_events', () => {
  const readmeSynth =
    '\t  e[:[<group>/][<event>]] <attached-group>.<attached-event> [<args>]\n\t           s:[synthetic/]<event> <field> [<field>]\n';
  const readmeNo = '\t  e[:[<group>/][<event>]] <attached-group>.<attached-event> [<args>]\n';
  const has =
    (...files: string[]) =>
    (rel: string): boolean =>
      files.includes(rel);
  assert.deepEqual(
    syntheticCommandFile(has('dynamic_events', 'synthetic_events'), () => readmeSynth),
    { file: 'dynamic_events', prefix: 's:' },
  );
  assert.deepEqual(
    syntheticCommandFile(has('dynamic_events'), () => readmeSynth),
    { file: 'dynamic_events', prefix: 's:' },
  );
  assert.deepEqual(
    syntheticCommandFile(has('synthetic_events'), () => readmeNo),
    { file: 'synthetic_events', prefix: '' },
  );
  assert.deepEqual(
    syntheticCommandFile(has('dynamic_events', 'synthetic_events'), () => readmeNo),
    { file: 'synthetic_events', prefix: '' },
  );
  assert.equal(
    syntheticCommandFile(has('dynamic_events'), () => readmeNo),
    undefined,
  );
  assert.equal(
    syntheticCommandFile(has(), () => readmeSynth),
    undefined,
  );
});

test('pollSync waits for the timeout, returns at once on a wake, and WakePipe.clear() rearms it', () => {
  const w = new WakePipe();
  try {
    const ready = new Uint8Array(1);
    let t0 = performance.now();
    assert.equal(pollSync([w.readFd], 120, ready), 0);
    assert.ok(performance.now() - t0 >= 100, 'waited for the timeout');
    assert.equal(ready[0], 0);
    w.wake();
    w.wake(); // a second wake before the clear is harmless
    t0 = performance.now();
    // A 60 s timeout: returning ready well before it proves the wake, however loaded the machine is.
    assert.equal(pollSync([w.readFd], 60_000, ready), 1);
    assert.ok(performance.now() - t0 < 30_000, 'woken, not timed out');
    assert.equal(ready[0], 1);
    w.clear();
    assert.equal(pollSync([w.readFd], 0, ready), 0, 'cleared');
  } finally {
    w.close();
  }
});

test('pidAlive: this process is alive; a zombie (killed recorder not yet reaped) and a gone pid are not', async () => {
  assert.equal(pidAlive(process.pid), true);
  // `sleep 0 &` then exec: the background child exits and stays a zombie of `sleep 1`, which never reaps it.
  const { spawn } = await import('node:child_process');
  const sh = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const zombie = await new Promise<number>((res) => sh.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim()))));
  // Wait (with a deadline) until the kernel shows it as a zombie, instead of guessing how long that takes.
  const state = (): string => {
    try {
      return /\) (\S)/.exec(readFileSync(`/proc/${zombie}/stat`, 'latin1'))?.[1] ?? '?';
    } catch {
      return 'gone';
    }
  };
  for (const deadline = Date.now() + 30_000; state() !== 'Z' && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  assert.equal(state(), 'Z', `pid ${zombie} became a zombie`);
  assert.equal(pidAlive(zombie), false, `pid ${zombie} is a zombie`);
  sh.kill();
  assert.equal(pidAlive(2 ** 22 + 12345), false);
});

test('pidAlive with a start time: a recycled pid (same pid, other start) is dead', () => {
  const start = procStartTime(process.pid)!;
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'latin1');
  assert.equal(String(start), stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19], 'field 22 of /proc/PID/stat');
  assert.equal(pidAlive(process.pid, start), true);
  assert.equal(pidAlive(1, procStartTime(1)!), true);
  assert.equal(pidAlive(1, procStartTime(1)! + 1), false);
  assert.equal(ownerAlive(`utp-1.${procStartTime(1)! + 1}-0`), false);
  assert.equal(ownerAlive('utp-1-0'), true, 'legacy names: by pid alone');
});
