// utp-test: live
// `utp record --perf` against Debian's perf 6.1, on fresh recordings of small deterministic workloads
// (the runner holds /tmp/utp-live.lock for this whole file):
// - `perf script -i ours` succeeds with nothing on stderr and prints byte for byte what `utp report -i ours`
//   prints (tracepoints per task, -g callchains, -a with perf's dummy event, -p PID, SIGINT);
// - `perf report --stdio` reads our file;
// - `perf evlist -v -i ours` prints the same attrs, `perf report --header-only` the same machine features, `perf buildid-list` the same build ids, as for perf record's own file with the same flags;
// - tracepoint counts of `cat` of N files equal perf record's (perf script lines per event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, T } from './lib/live.mjs';

const UTP = join(ROOT, 'packages/cli/dist/main.js');

function skipReason() {
  if (process.getuid?.() !== 0) return 'not root: perf_event_open on tracepoints needs root';
  if (!existsSync(join(T, 'events'))) return 'tracefs is not mounted';
  if (spawnSync('perf', ['--version']).error) return 'perf is not installed (apt-get install -y linux-perf)';
  const d = mkdtempSync(join(tmpdir(), 'utp-perfrec-probe-'));
  const r = spawnSync('perf', ['record', '-q', '-o', join(d, 'p.data'), '-e', 'cpu-clock', '--', 'true'], { encoding: 'utf8' });
  rmSync(d, { recursive: true, force: true });
  if (r.status !== 0) return `kernel refuses: perf_event_open (perf record: ${r.stderr.trim().split('\n')[0]})`;
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# perf-record skipped: ${skip}`);

const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'utp-perfrec-'));
test.after(() => dir && rmSync(dir, { recursive: true, force: true }));

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
function utpRecord(name, args) {
  const out = join(dir, `${name}.utp.data`);
  const r = run(process.execPath, [UTP, 'record', '--perf', '-q', '-o', out, ...args]);
  assert.equal(r.status, 0, `utp record --perf ${args.join(' ')}: ${r.stderr}`);
  return out;
}
function perfRecord(name, args) {
  const out = join(dir, `${name}.perf.data`);
  const r = run('perf', ['record', '-q', '-o', out, ...args]);
  assert.equal(r.status, 0, `perf record ${args.join(' ')}: ${r.stderr}`);
  return out;
}
/** perf script and utp report on one file: both succeed quietly and agree byte for byte. */
function readersAgree(file) {
  const p = run('perf', ['script', '-i', file]);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stderr, '', `perf script warns on ${file}`);
  const u = run(process.execPath, [UTP, 'report', '-i', file]);
  assert.equal(u.status, 0, u.stderr);
  assert.ok(p.stdout.length > 0, 'perf script printed nothing');
  assert.equal(u.stdout, p.stdout, `utp report differs from perf script on ${file}`);
  return p.stdout;
}
const evlist = (file) => {
  const r = run('perf', ['evlist', '-v', '-i', file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .join('\n');
};

const FILES = ['/etc/hostname', '/etc/passwd', '/etc/group', '/etc/hosts', '/etc/shells'];
const TP = ['-e', 'syscalls:sys_enter_openat', '-e', 'syscalls:sys_enter_close'];

test('tracepoints of cat: perf script = utp report, counts = perf record, attrs = perf record', { skip }, () => {
  const args = [...TP, '--', 'cat', ...FILES];
  const ours = utpRecord('tp', args);
  const theirs = perfRecord('tp', args);
  const text = readersAgree(ours);
  const count = (t, ev) => t.split('\n').filter((l) => l.includes(` ${ev}: `)).length;
  const ref = run('perf', ['script', '-i', theirs]).stdout;
  for (const ev of ['syscalls:sys_enter_openat', 'syscalls:sys_enter_close']) {
    assert.equal(count(text, ev), count(ref, ev), `${ev} lines`);
    assert.ok(count(text, ev) >= FILES.length, `${ev}: ${count(text, ev)} lines`);
  }
  assert.equal(evlist(ours), evlist(theirs));
  // the machine's features read by perf as from its own file
  const header = (f) => {
    const r = run('perf', ['report', '--header-only', '-i', f]);
    assert.equal(r.status, 0, r.stderr);
    const keep = /^# (hostname|os release|arch|nrcpus online|nrcpus avail|cpudesc|cpuid|total memory|event) +:/;
    return r.stdout
      .split('\n')
      .filter((l) => keep.test(l))
      .map((l) => l.replace(/id = \{[^}]*\}/, 'id = {…}'))
      .join('\n');
  };
  assert.equal(header(ours), header(theirs));
  assert.match(header(ours), /# total memory : \d+ kB/);
  // BUILD_ID: the DSOs the samples hit (and [vdso]), in perf's order, with their ids
  const bids = (f) => run('perf', ['buildid-list', '-i', f]).stdout;
  assert.equal(bids(ours), bids(theirs));
  assert.match(bids(ours), /^[0-9a-f]{40} \/\S+libc\.so/m);
  // the tasks are named (COMM exec) and the samples carry the right pid
  assert.match(text, /^ +cat +\d+ \[\d{3}\] /m);
});

test('-g callchains of a software event: perf script prints them, perf report reads the file', { skip }, () => {
  const w = ['--', 'sh', '-c', 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done'];
  const ours = utpRecord('cc', ['-e', 'cpu-clock', '-c', '100000', '-g', ...w]);
  const text = readersAgree(ours);
  const frames = text.split('\n').filter((l) => /^\t +[0-9a-f]+ \S/.test(l));
  assert.ok(frames.length > 10, `callchain frames: ${frames.length}`);
  assert.ok(
    frames.some((l) => /\(\/usr\/bin\/dash|\/bin\/dash|libc\.so/.test(l)),
    'no user-space frame resolved to a DSO',
  );
  assert.equal(evlist(ours), evlist(perfRecord('cc', ['-e', 'cpu-clock', '-c', '100000', '-g', '--', 'true'])));
  const r = run('perf', ['report', '--stdio', '-i', ours]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /# Samples: \d+ +of event 'cpu-clock'/);
  assert.doesNotMatch(r.stderr, /warning|error/i);
});

test('-a: perf dummy event, existing tasks named, attrs as perf record -a', { skip }, () => {
  const args = ['-a', '-e', 'sched:sched_switch', '--', 'sleep', '0.2'];
  const ours = utpRecord('all', args);
  const text = readersAgree(ours);
  assert.match(text, /sched:sched_switch: prev_comm=/);
  assert.equal(evlist(ours), evlist(perfRecord('all', args)));
  // system-wide: the sleeping workload's switches are there under its name
  assert.match(text, /^ +sleep +\d+ \[\d{3}\] /m);
});

test('--overwrite (flight recorder): the newest ring of each CPU, as perf record --overwrite keeps it', { skip }, () => {
  // a storm much larger than a 2-page ring: only the end of it can be in the file
  const w = ['--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=30000'];
  const args = ['--overwrite', '-m', '2', '-e', 'raw_syscalls:sys_enter', ...w];
  const ours = utpRecord('ow', args);
  const theirs = perfRecord('ow', args);
  assert.equal(evlist(ours), evlist(theirs), 'attrs (write_backward) as perf record --overwrite');
  const text = readersAgree(ours);
  const ref = run('perf', ['script', '-i', theirs]).stdout;
  const lines = (t) => t.split('\n').filter(Boolean);
  const ringMax = (2 * 4096) / 80; // no sample is smaller than 80 bytes here
  for (const [who, t] of [
    ['utp', text],
    ['perf', ref],
  ]) {
    const n = lines(t).length;
    // dd makes 60000 syscalls; a ring of each CPU holds at most ~100 of them
    assert.ok(n > 20 && n <= 2 * ringMax, `${who}: ${n} samples, want the newest ring's worth per CPU (<= ${2 * ringMax})`);
    // the newest data: dd's last syscall (exit_group, NR 231) ends the file, under dd's name (tail synthesis)
    assert.match(lines(t).at(-1), /^ +dd +\d+ \[\d{3}\] +[\d.]+: raw_syscalls:sys_enter: NR 231 /, `${who}: the last sample`);
  }
});

test('a hardware breakpoint (mem:ADDR:w) sampled every 1000 writes: attrs as perf record, perf script = utp report', { skip }, () => {
  const src = join(dir, 'bp.c');
  writeFileSync(src, 'volatile long counter;\nint main(void) { for (int i = 0; i < 12345; i++) counter = i; return 0; }\n');
  const exe = join(dir, 'bp');
  const cc = run('gcc', ['-O1', '-no-pie', '-o', exe, src]);
  assert.equal(cc.status, 0, `gcc (apt-get install -y gcc): ${cc.stderr}`);
  const addr = /^0*([0-9a-f]+) \S counter$/m.exec(run('nm', [exe]).stdout)?.[1];
  assert.ok(addr, 'nm: no counter');
  const args = ['-e', `mem:0x${addr}:w`, '-c', '1000', '--', exe];
  const ours = utpRecord('bp', args);
  assert.equal(evlist(ours), evlist(perfRecord('bp', args)));
  const text = readersAgree(ours);
  // 12345 writes (and a few of the startup's): 12 samples at most, each in main (under load one may
  // be missed: the run's own sample count varies as perf record's does)
  const lines = text.split('\n').filter(Boolean);
  assert.ok(lines.length >= 9 && lines.length <= 12, `${lines.length} samples:\n${text}`);
  for (const l of lines)
    assert.match(l, new RegExp(` mem:0x${addr}:w: +[0-9a-f]+ main\\+0x[0-9a-f]+ \\(${exe.replace(/[.]/g, '\\.')}\\)$`));
});

test('-p PID until SIGINT: the file is complete, fds closed, no temp file left', { skip }, async () => {
  const target = spawn('sh', ['-c', 'while :; do cat /etc/hostname > /dev/null; sleep 0.02; done'], { stdio: 'ignore' });
  const out = join(dir, 'pid.utp.data');
  const rec = spawn(
    process.execPath,
    [UTP, 'record', '--perf', '-q', '-o', out, '-e', 'syscalls:sys_enter_openat', '-p', String(target.pid)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  rec.stderr.on('data', (d) => (err += d));
  await new Promise((r) => setTimeout(r, 700));
  rec.kill('SIGINT');
  const code = await new Promise((r) => rec.once('exit', (c) => r(c)));
  target.kill('SIGKILL');
  assert.equal(code, 0, err);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp')),
    [],
  );
  const text = readersAgree(out);
  // the shell's children (cat) inherit the events: their openat calls are recorded under their name
  assert.match(text, /^ +cat +\d+ .*syscalls:sys_enter_openat/m);
});

test('a 1-page ring overflows: LOST records are written, perf counts the same chunks', { skip }, () => {
  const out = join(dir, 'lost.utp.data');
  const r = run(process.execPath, [
    UTP,
    'record',
    '--perf',
    '-m',
    '1',
    '-o',
    out,
    '-e',
    'raw_syscalls:sys_enter',
    '-e',
    'raw_syscalls:sys_exit',
    '--',
    'ls',
    '-R',
    '/usr/share/doc',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const ours = Number(/in (\d+) LOST records/.exec(r.stderr)?.[1] ?? 0);
  const p = run('perf', ['script', '-i', out]);
  assert.equal(p.status, 0, p.stderr);
  const theirs = Number(/lost (\d+) chunks/.exec(p.stderr)?.[1] ?? 0);
  assert.equal(theirs, ours, `perf: ${p.stderr}\nutp: ${r.stderr}`);
  const u = run(process.execPath, [UTP, 'report', '-i', out]);
  assert.equal(u.stdout, p.stdout);
});

test('-k mono: use_clockid attrs and the CLOCKID/CLOCK_DATA features as perf record -k mono writes them', { skip }, () => {
  const args = ['-k', 'mono', '-e', 'syscalls:sys_enter_openat', '--', 'cat', ...FILES];
  const ours = utpRecord('clock', args);
  const theirs = perfRecord('clock', args);
  readersAgree(ours);
  assert.equal(evlist(ours), evlist(theirs));
  const clockLines = (f) =>
    run('perf', ['report', '--header-only', '-i', f])
      .stdout.split('\n')
      .filter((l) => /^# clockid/.test(l))
      .join('\n');
  assert.match(clockLines(ours), /# clockid: monotonic \(1\)/);
  assert.equal(clockLines(ours), clockLines(theirs));
});

test('usage errors: exit 2 with one line', { skip }, () => {
  for (const args of [
    ['--perf'],
    ['--perf', '-e', 'cpu-clock'],
    ['--perf', '-e', 'cpu-clock', '-a', '-p', '1'],
    ['--perf', '-e', 'cpu-clock', '-m', '3', '-a'],
  ]) {
    const r = run(process.execPath, [UTP, 'record', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const r = run(process.execPath, [UTP, 'record', '--perf', '-e', 'nosuch:event', '--', 'true']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^utp record: .*nosuch:event/);
});
