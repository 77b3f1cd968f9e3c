// utp count and @utp/perf/live against Debian's perf 6.1 (perf stat), on the live kernel.
// Every live step runs under flock /tmp/utp-live.lock (one live user at a time across helpers).
// - tracepoint counts of a deterministic workload: exactly perf stat's;
// - software counters: within perf stat's own run-to-run spread;
// - the table and the -x CSV lines: perf stat's layout (everything but the values that vary);
// - sampling through the mmap ring: N tracepoint samples with the right raw payload (decoded by
//   @utp/traceevent's Tep from the tracefs format), on one CPU and per task;
// - no fd leaks; the error cases (unknown event, EACCES for an unprivileged user, EMFILE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, T } from './lib/live.mjs';

const UTP = join(ROOT, 'packages/cli/dist/main.js');
const LOCK = '/tmp/utp-live.lock';

function skipReason() {
  if (process.getuid?.() !== 0) return 'not root: perf_event_open on tracepoints needs root';
  if (!existsSync(join(T, 'events'))) return 'tracefs is not mounted';
  if (spawnSync('perf', ['--version']).error) return 'perf is not installed (apt-get install -y linux-perf)';
  const r = spawnSync('flock', [LOCK, 'perf', 'stat', '-x,', '-e', 'task-clock', '--', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) return `kernel refuses: perf_event_open (perf stat: ${r.stderr.trim().split('\n')[0]})`;
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# perf-live skipped: ${skip}`);

/** Runs a command under the live lock. */
function locked(cmd, args, opts = {}) {
  return spawnSync('flock', [LOCK, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
}
const perfStat = (args, opts) => locked('perf', ['stat', ...args], opts);
const utpCount = (args, opts) => locked(process.execPath, [UTP, 'count', ...args], opts);

/** -x, lines → arrays of fields. */
const csv = (text) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(','));
const countOf = (rows, name) => {
  const r = rows.find((f) => f[2] === name);
  assert.ok(r, `no ${name} line in ${JSON.stringify(rows)}`);
  return r[0];
};

// 40 redirections: dash opens each with openat and closes it; nothing else in the loop opens files
const WORKLOAD = ['sh', '-c', 'i=0; while [ $i -lt 40 ]; do : < /etc/hostname; i=$((i+1)); done'];

test('tracepoint counts equal perf stat on deterministic workloads', { skip }, () => {
  const ev = ['-e', 'syscalls:sys_enter_openat', '-e', 'syscalls:sys_enter_close', '-e', 'syscalls:sys_enter_execve'];
  for (const w of [WORKLOAD, ['ls', '/'], ['cat', '/etc/hostname', '/etc/hostname']]) {
    const p = perfStat(['-x,', ...ev, '--', ...w]);
    const u = utpCount(['-x,', ...ev, '--', ...w]);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(u.status, 0, u.stderr);
    const pr = csv(p.stderr),
      ur = csv(u.stderr);
    for (const name of ['syscalls:sys_enter_openat', 'syscalls:sys_enter_close', 'syscalls:sys_enter_execve'])
      assert.equal(countOf(ur, name), countOf(pr, name), `${name} for ${w.join(' ')}`);
  }
});

test('software counters fall within perf stat run-to-run spread', { skip }, () => {
  const names = ['page-faults', 'minor-faults', 'major-faults', 'context-switches', 'cpu-migrations', 'task-clock'];
  const args = ['-x,', ...names.flatMap((n) => ['-e', n]), '--', ...WORKLOAD];
  const runs = [0, 1, 2].map(() => csv(perfStat(args).stderr));
  const u = utpCount(args);
  assert.equal(u.status, 0, u.stderr);
  const ur = csv(u.stderr);
  for (const n of names) {
    const vals = runs.map((r) => Number(countOf(r, n)));
    const lo = Math.min(...vals),
      hi = Math.max(...vals);
    const slack = Math.max(hi - lo, 0.25 * hi, n === 'task-clock' ? 5 : 3);
    const got = Number(countOf(ur, n));
    assert.ok(got >= lo - slack && got <= hi + slack, `${n}: utp ${got}, perf ${vals.join('/')}`);
    if (n === 'page-faults' || n === 'task-clock') assert.ok(got > 0, `${n} counted nothing`);
  }
});

const LAYOUT = [
  'task-clock',
  'cycles',
  'instructions',
  'sched:sched_switch',
  'syscalls:sys_enter_openat',
  'context-switches',
  'cpu-migrations',
  'page-faults',
  'cpu-clock',
];

test('-x CSV lines have perf stat layout (values that vary aside)', { skip }, () => {
  for (const sep of [',', ';']) {
    const args = [`-x${sep}`, ...LAYOUT.flatMap((n) => ['-e', n]), '--', ...WORKLOAD];
    const p = perfStat(args),
      u = utpCount(args);
    const pl = p.stderr.trim().split('\n'),
      ul = u.stderr.trim().split('\n');
    assert.equal(ul.length, pl.length, `lines:\n${p.stderr}\n---\n${u.stderr}`);
    for (let i = 0; i < pl.length; i++) {
      const a = pl[i].split(sep),
        b = ul[i].split(sep);
      assert.equal(b.length, a.length, `fields of line ${i + 1}: ${pl[i]} | ${ul[i]}`);
      // count: a number in the same form (decimals), or the same <not ...> word
      assert.equal(
        b[0].replace(/\d/g, '9').replace(/9+/g, '9'),
        a[0].replace(/\d/g, '9').replace(/9+/g, '9'),
        `count of ${pl[i]} | ${ul[i]}`,
      );
      for (const k of [1, 2]) assert.equal(b[k], a[k], `field ${k + 1} of ${pl[i]} | ${ul[i]}`);
      // the metric's unit: its K/M/G prefix follows the rate, which varies with the count (a busy loop is
      // switched out 0 times on an idle machine, a few times when another test runs beside it)
      const unit = (s) => s.replace(/^[KMG](?=\/)/, '');
      assert.equal(unit(b[6]), unit(a[6]), `field 7 (unit) of ${pl[i]} | ${ul[i]}`);
      assert.equal(b[4], a[4], `percentage of ${pl[i]} | ${ul[i]}`);
      assert.match(b[3], /^\d+$/);
      assert.equal(b[5] === '', a[5] === '', `metric value of ${pl[i]} | ${ul[i]}`);
      if (a[5]) assert.match(b[5], /^\d+\.\d{3}$/);
      if (a[2] === 'sched:sched_switch' || a[2] === 'task-clock') assert.ok(Number(b[3]) > 0, 'run time');
    }
  }
});

/** A table with its numbers masked: same length, same columns, same words. */
function masked(text) {
  return text.split('\n').map((l) => {
    const m = l.replace(/\d[\d,.]*/g, (s) => '#'.repeat(s.length));
    // a rate's unit prefix (K/sec, M/sec) follows its value
    return {
      len: l.length,
      shape: m
        .replace(/#+/g, '#')
        .replace(/ +/g, ' ')
        .replace(/[KMG]\/sec/, '/sec'),
      name: l.search(/[a-z<]/),
      hash: l.indexOf('#'),
    };
  });
}

test('the table has perf stat layout (header, columns, metrics, footer)', { skip }, () => {
  for (const w of [WORKLOAD, ['true']]) {
    for (const ev of [LAYOUT, ['sched:sched_switch', 'syscalls:sys_enter_openat']]) {
      const args = [...ev.flatMap((n) => ['-e', n]), '--', ...w];
      const p = perfStat(args),
        u = utpCount(args);
      assert.equal(u.status, 0, u.stderr);
      const a = masked(p.stderr),
        b = masked(u.stderr);
      assert.equal(b.length, a.length, `lines:\n${p.stderr}\n---\n${u.stderr}`);
      for (let i = 0; i < a.length; i++) {
        // a line's numbers vary in width only inside the count and metric columns, which are right-aligned
        assert.equal(b[i].shape, a[i].shape, `line ${i + 1}:\n${p.stderr.split('\n')[i]}\n${u.stderr.split('\n')[i]}`);
        assert.equal(b[i].len, a[i].len, `length of line ${i + 1}:\n${p.stderr.split('\n')[i]}\n${u.stderr.split('\n')[i]}`);
        assert.equal(b[i].name, a[i].name, `name column of line ${i + 1}`);
        assert.equal(b[i].hash, a[i].hash, `metric column of line ${i + 1}`);
      }
    }
  }
});

test('system-wide (-a, -C) counts run and print perf stat header', { skip }, () => {
  for (const t of [['-a'], ['-C', '0']]) {
    // the workload sleeps on CPU 0, so CPU 0 switches at least twice (an idle CPU may not switch at all)
    const args = [...t, '-e', 'sched:sched_switch', '-e', 'cpu-clock', '--', 'taskset', '-c', '0', 'sleep', '0.05'];
    const p = perfStat(args),
      u = utpCount(args);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(u.stderr.split('\n')[1], p.stderr.split('\n')[1]);
    assert.ok(Number(/(\d+)\s+sched:sched_switch/.exec(u.stderr)?.[1]) > 0, u.stderr);
  }
});

test('the exit status is the workload status', { skip }, () => {
  assert.equal(utpCount(['-e', 'task-clock', '--', 'sh', '-c', 'exit 3']).status, 3);
});

test('errors: one line each (unknown event, missing command, EACCES as nobody, EMFILE)', { skip }, () => {
  const one = (r, re, what) => {
    assert.notEqual(r.status, 0, what);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0], re, what);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  one(utpCount(['-e', 'nosuch', '--', 'true']), /^utp count: Unknown event nosuch/, 'unknown event');
  one(utpCount(['-e', 'foo:bar', '--', 'true']), /^utp count: Unknown tracepoint foo:bar/, 'unknown tracepoint');
  one(utpCount(['-e', 'task-clock', '--', 'no-such-command-utp']), /cannot run no-such-command-utp/, 'missing command');
  // an unprivileged user: tracefs ids unreadable, or perf_event_open refused by perf_event_paranoid
  const paranoid = Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8'));
  if (paranoid >= 0 && !spawnSync('setpriv', ['--version']).error) {
    const asNobody = (ev) =>
      locked('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, UTP, 'count', '-a', '-e', ev, '--', 'true']);
    one(asNobody('sched:sched_switch'), /No permission/, 'tracepoint as nobody');
    // per task, perf falls back to user space only (`:u`) under perf_event_paranoid > 1: so do we
    if (paranoid > 1) {
      const ev = ['-x,', '-e', 'context-switches', '-e', 'task-clock', '-e', 'page-faults', '--', 'true'];
      const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
      const p = locked('setpriv', [...nobody, 'perf', 'stat', ...ev]);
      const u = locked('setpriv', [...nobody, process.execPath, UTP, 'count', ...ev]);
      assert.equal(u.status, 0, u.stderr);
      assert.deepEqual(
        csv(u.stderr).map((f) => f.slice(1, 3)),
        csv(p.stderr).map((f) => f.slice(1, 3)),
      );
    }
    one(
      asNobody('context-switches'),
      /No permission to open context-switches(:u)? \(perf_event_paranoid=\d+.*errno=(EACCES|EPERM)/,
      'system-wide as nobody',
    );
  }
  // EMFILE: system-wide on every CPU with more events than a small fd limit allows (room left for node's
  // own descriptors and its module loader, which reads the module files side by side)
  const many = Array.from({ length: 80 }, () => ['-e', 'context-switches']).flat();
  const r = locked('prlimit', ['--nofile=64', process.execPath, UTP, 'count', '-a', ...many, '--', 'true']);
  one(r, /Too many open files.*errno=EMFILE/, 'EMFILE');
});

test('unsupported hardware events print <not supported>, as perf stat does', { skip }, () => {
  const p = perfStat(['-x,', '-e', 'cycles', '--', 'true']);
  const u = utpCount(['-x,', '-e', 'cycles', '--', 'true']);
  assert.equal(u.stderr.split(',')[0], p.stderr.split(',')[0]);
});

test('cache, raw, breakpoint and sysfs PMU events: spelled, named and counted as perf stat does', { skip }, () => {
  // a program that writes one global 12345 times: a write breakpoint on it counts exactly that (and
  // what its startup does); an exec breakpoint on main counts 1
  const dir = mkdtempSync(join(tmpdir(), 'utp-bp-'));
  try {
    const src = join(dir, 'bp.c');
    writeFileSync(src, 'volatile long counter;\nint main(void) { for (int i = 0; i < 12345; i++) counter = i; return 0; }\n');
    const exe = join(dir, 'bp');
    const cc = spawnSync('gcc', ['-O1', '-no-pie', '-o', exe, src], { encoding: 'utf8' });
    assert.equal(cc.status, 0, `gcc (apt-get install -y gcc): ${cc.stderr}`);
    const sym = (name) => {
      const m = new RegExp(`^([0-9a-f]+) \\S ${name}$`, 'm').exec(spawnSync('nm', [exe], { encoding: 'utf8' }).stdout);
      assert.ok(m, `nm: no ${name}`);
      return `0x${m[1].replace(/^0+/, '')}`;
    };
    const data = sym('counter'),
      text = sym('main');
    const pmu = existsSync('/sys/bus/event_source/devices/msr/events/tsc');
    const ev = [
      `mem:${data}:w`,
      `mem:${data}`,
      `mem:${text}:x`,
      `mem:${data}/8:w`,
      'r003c',
      'r3c:k',
      'L1-dcache-loads:u',
      'LLC-load-misses,dTLB-prefetches',
      'l1d-loads',
      'branch-loads',
      'node-stores',
      ...(pmu ? ['msr/tsc/', 'msr/tsc,name=ticks/', 'msr/tsc/u', 'msr/event=0,period=5/'] : []),
    ].flatMap((e) => ['-e', e]);
    if (!pmu) console.log('# no msr PMU here (/sys/bus/event_source/devices/msr): its cases skipped');
    const p = perfStat(['-x,', ...ev, '--', exe]);
    const u = utpCount(['-x,', ...ev, '--', exe]);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(u.status, 0, u.stderr);
    const pr = csv(p.stderr),
      ur = csv(u.stderr);
    // the same events, named alike, supported or not alike
    assert.deepEqual(
      ur.map((f) => [f[2], f[0] === '<not supported>']),
      pr.map((f) => [f[2], f[0] === '<not supported>']),
    );
    // breakpoints count exactly; the TSC ticks of one run are of the same order as perf's
    for (const [i, f] of pr.entries()) {
      const mine = ur[i][0];
      if (f[2].startsWith('mem:')) assert.equal(mine, f[0], f[2]);
      else if (f[0] !== '<not supported>')
        assert.ok(Number(mine) > Number(f[0]) / 10 && Number(mine) < Number(f[0]) * 10, `${f[2]}: ${mine} vs ${f[0]}`);
    }
    assert.ok(Number(countOf(ur, `mem:${data}:w`)) >= 12345);
    assert.equal(countOf(ur, `mem:${text}:x`), '1');
    // spellings perf refuses are refused in one line
    for (const [bad, re] of [
      ['iTLB-stores', /Invalid cache event iTLB-stores/],
      ['nopmu/x/', /Cannot find PMU `nopmu'/],
      ['mem:zz', /Bad breakpoint event mem:zz/],
      ...(pmu ? [['msr/nosuch/', /Unknown term 'nosuch' for PMU 'msr'/]] : []),
    ]) {
      assert.notEqual(perfStat(['-e', bad, '--', 'true']).status, 0, `perf stat refuses ${bad}`);
      const r = utpCount(['-e', bad, '--', 'true']);
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr.trim(), re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sampling: N tracepoint samples through the mmap ring, decoded by Tep; no fd leaks', { skip }, () => {
  // in a child under the live lock: it opens samplers with @utp/perf/live and prints what it read
  const r = locked(process.execPath, [join(ROOT, 'test/lib/perf-sample-check.mjs'), '300']);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.oneCpu.reads, 300, "dd's 1-byte reads sampled on CPU 0");
  assert.equal(got.oneCpu.otherCpu, 0, 'samples from another CPU');
  assert.ok(got.oneCpu.typeOk, 'raw payloads carry the sys_enter_read id');
  assert.equal(got.perTask.reads, 300, 'our own 7-byte reads sampled per task');
  assert.deepEqual(got.group.values, [String(5 * 300), '5'], 'group read: reads and closes of our thread');
  assert.ok(got.group.idsMatch, 'group read ids are the members ids (PERF_EVENT_IOC_ID)');
  assert.ok(got.group.timesOk, 'group read times');
  assert.deepEqual(got.watermark, { below: 0, above: 1 }, 'poll() wakes at the wakeup watermark');
  assert.equal(got.lost, '0');
  assert.deepEqual(got.fdsAfter, got.fdsBefore, 'fds left open');
  assert.equal(got.mapsAfter, got.mapsBefore, 'perf mappings left');
  // a ring too small for a burst: the kernel drops records and LOST says how many
  assert.ok(BigInt(got.tiny.lost) > 0n, `LOST records surfaced: ${JSON.stringify(got.tiny)}`);
  assert.equal(BigInt(got.tiny.lost) + BigInt(got.tiny.samples), BigInt(got.tiny.expected), 'samples + lost = events');
});

test('SIGINT ends a system-wide count and SIGTERM a workload: the counts are printed', { skip }, async () => {
  const { spawn } = await import('node:child_process');
  const run = (args, sig) =>
    new Promise((res) => {
      const c = spawn('flock', [LOCK, 'sh', '-c', 'echo LOCKED >&2; exec "$@"', 'sh', process.execPath, UTP, 'count', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '',
        armed = false;
      c.stderr.on('data', (d) => {
        err += d;
        // the signal goes to utp itself (flock's child), a second after it holds the lock
        if (!armed && err.includes('LOCKED')) {
          armed = true;
          setTimeout(() => spawnSync('pkill', [`-${sig}`, '-P', String(c.pid)]), 1000);
        }
      });
      c.on('exit', (code) => res({ code, err }));
    });
  const a = await run(['-a', '-e', 'sched:sched_switch'], 'INT');
  assert.match(a.err, /Performance counter stats for 'system wide'/);
  assert.match(a.err, /\d+\s+sched:sched_switch/);
  const b = await run(['-e', 'task-clock', '--', 'sleep', '20'], 'TERM');
  assert.match(b.err, /Performance counter stats for 'sleep 20'/);
  assert.match(b.err, /seconds time elapsed/);
  assert.equal(b.code, 143, 'the workload ended by SIGTERM');
});

test('thousands separators follow the locale, as perf stat prints them (--no-big-num: none)', { skip }, async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'utp-locale-'));
  try {
    // a locale with grouping, built here (the machine has only C): glibc reads it through LOCPATH
    const l = spawnSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(dir, 'en_US.UTF-8')], { encoding: 'utf8' });
    assert.ok(existsSync(join(dir, 'en_US.UTF-8')), `localedef failed: ${l.stderr}`);
    const env = { ...process.env, LOCPATH: dir, LC_ALL: 'en_US.UTF-8' };
    const work = ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=20000'];
    for (const extra of [[], ['--no-big-num']]) {
      const args = [...extra, '-e', 'syscalls:sys_enter_read', ...work];
      const p = perfStat(args, { env }),
        u = utpCount(args, { env });
      const line = (t) => t.split('\n').find((x) => x.includes('syscalls:sys_enter_read'));
      assert.equal(line(u.stderr), line(p.stderr), `${extra.join(' ')}\n${p.stderr}\n${u.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
