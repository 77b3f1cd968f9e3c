// utp split against trace-cmd split on a fresh trace of this machine (trace-cmd extract in a private
// instance, its pages moved to the top buffer because trace-cmd 3.1.6 splits the top buffer only),
// as v6, v7 and v7+zstd: for every flag set both tools must write the same file names, and
// `trace-cmd report` must print the same bytes (stdout and stderr) for each pair of files.
// trace-cmd 3.1.6's own bugs are cases of their own, each checked against what trace-cmd does:
// a start time before a CPU's first page can write that CPU's first record twice; -r with an end
// time stops after the first file; an instance-only file gives empty files (utp splits it as
// trace-cmd splits the same pages in the top buffer). The recording takes the live lock (test/lib/live-lock.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveSkipReason, recordReference, tmpDir, convert, runUtp, UTP } from './lib/live.mjs';
import { topBufferCopy, withoutBufferPrefix } from './lib/top-buffer.mjs';

const skip = liveSkipReason() ?? (existsSync(UTP) ? undefined : 'needs a build (npm run build)');
if (skip) console.log(`# skipping trace-cmd split comparisons: ${skip}`);

let dir;
let orig; // instance-buffer file, as trace-cmd extract -B wrote it
let instName;
const inputs = {}; // v6, v7, v7zstd: top-buffer copies
let times; // { first, last, firstPerCpu }

const tc = (args) => spawnSync('trace-cmd', args, { encoding: 'latin1', maxBuffer: 1 << 30 });
const report = (f) => {
  const r = tc(['report', '-i', f]);
  return { status: r.status, out: r.stdout, err: r.stderr };
};

before(async () => {
  if (skip) return;
  dir = tmpDir('utp-split-');
  const rec = recordReference(dir, {
    events: ['sched', 'irq', 'timer'],
    bufKb: 768,
    // until the buffers hold enough to split (a condition, not a guess: a warm page cache makes `ls -R` quiet)
    run: (I) => {
      const entries = () =>
        I.reduce((n, d) => {
          for (const c of readdirSync(join(d, 'per_cpu')))
            n += Number(/^entries: (\d+)/m.exec(readFileSync(join(d, 'per_cpu', c, 'stats'), 'utf8'))?.[1] ?? 0);
          return n;
        }, 0);
      const deadline = Date.now() + 30_000;
      do spawnSync('sh', ['-c', 'ls -R /usr >/dev/null 2>&1; cat /proc/self/stat >/dev/null']);
      while (entries() < 21000 && Date.now() < deadline);
      spawnSync('sleep', ['0.3']);
    },
  });
  orig = rec.file;
  const top = await topBufferCopy(orig, join(dir, 'top-v6.dat'), dir);
  instName = top.name;
  inputs.v6 = top.file;
  inputs.v7 = convert(top.file, join(dir, 'top-v7.dat'), { version: 7, compression: 'none' });
  inputs.v7zstd = convert(top.file, join(dir, 'top-v7z.dat'), { version: 7, compression: 'zstd' });
  const rep = report(inputs.v6);
  assert.equal(rep.status, 0, rep.err);
  const firstPerCpu = new Map();
  let first = Infinity,
    last = 0;
  for (const m of rep.out.matchAll(/\[(\d{3})\]\s+(\d+\.\d+):/g)) {
    const cpu = Number(m[1]),
      ts = Number(m[2]);
    if (!firstPerCpu.has(cpu)) firstPerCpu.set(cpu, ts);
    first = Math.min(first, ts);
    last = Math.max(last, ts);
  }
  assert.ok(firstPerCpu.size >= 2, `events on ${firstPerCpu.size} CPUs (the per-CPU cases need two)`);
  assert.ok(rep.out.split('\n').length > 20000, `a trace long enough to split (${rep.out.split('\n').length} lines)`);
  times = { first, last, firstPerCpu };
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs both tools into fresh directories; returns { tcDir, utpDir, tcFiles, utpFiles }. */
function splitBoth(input, args, tag) {
  const tcDir = join(dir, `${tag}-tc`),
    utpDir = join(dir, `${tag}-utp`);
  rmSync(tcDir, { recursive: true, force: true });
  rmSync(utpDir, { recursive: true, force: true });
  mkdirSync(tcDir);
  mkdirSync(utpDir);
  const t = tc(['split', '-i', input, '-o', join(tcDir, 'out'), ...args]);
  assert.equal(t.status, 0, `trace-cmd split ${args.join(' ')}: ${t.stderr}`);
  const u = runUtp(['split', '-i', input, '-o', join(utpDir, 'out'), ...args]);
  assert.equal(u.status, 0, `utp split ${args.join(' ')}: ${u.stderr}`);
  const ls = (d) => readdirSync(d).sort();
  return { tcDir, utpDir, tcFiles: ls(tcDir), utpFiles: ls(utpDir) };
}

function assertSameReports(a, b, what) {
  const ra = report(a),
    rb = report(b);
  assert.equal(ra.status, 0, `trace-cmd report ${a}: ${ra.err}`);
  assert.equal(rb.status, 0, `trace-cmd report on utp's ${b}: ${rb.err}`);
  if (ra.out !== rb.out) {
    const la = ra.out.split('\n'),
      lb = rb.out.split('\n');
    const k = la.findIndex((l, i) => l !== lb[i]);
    assert.fail(
      `${what}: trace-cmd report differs (${la.length} vs ${lb.length} lines), first at line ${k + 1}:\n  trace-cmd's: ${la[k]}\n  utp's:       ${lb[k]}`,
    );
  }
  assert.equal(rb.err, ra.err, `${what}: stderr`);
}

const secs = (v) => v.toFixed(6);

/** Flag sets compared byte for byte; times between records and after every CPU's first page. */
function cases() {
  const after = Math.max(...times.firstPerCpu.values());
  const span = times.last - after;
  const s1 = secs(after + span * 0.21 + 0.0000003),
    s2 = secs(after + span * 0.67 + 0.0000007);
  const ms = Math.max(1, Math.round(((times.last - times.first) * 1000) / 7));
  return [
    [],
    ['-e', '5000'],
    ['-e', '4000', '-r'],
    ['-e', '3000', '-c'],
    ['-e', '6000', '-c', '-r'],
    ['-p', '3'],
    ['-p', '20', '-r'],
    ['-p', '4', '-c'],
    ['-m', String(ms), '-r'],
    ['-u', String(ms * 1000)],
    ['-s', '1', '-r'],
    ['-m', String(ms), '-c', '-r'],
    ['-C', '1'],
    ['-C', '0', '-e', '2000', '-r'],
    [s1],
    [s1, s2],
    ['-e', '1000', s1, s2],
    ['-e', '1500', '-r', s1],
    ['-c', s1, s2],
  ];
}

// on v7+zstd every flag (10 sets: each flag, and -c / -r / a time range combined with the others); three on v6
// and v7 without compression (events -r, pages -c, a time range) — the suite's time budget
const FEW = new Set([2, 7, 15]);
const NOT_ZSTD = new Set([1, 4, 5, 7, 11, 13, 15, 16, 17]);
for (const kind of ['v7zstd', 'v6', 'v7']) {
  test(`split ${kind}: trace-cmd report on utp's files = on trace-cmd's, for every flag`, { skip: skip ?? false }, () => {
    for (const [i, args] of cases().entries()) {
      if (kind === 'v7zstd' ? NOT_ZSTD.has(i) : !FEW.has(i)) continue;
      const r = splitBoth(inputs[kind], args, `${kind}-${i}`);
      assert.deepEqual(r.utpFiles, r.tcFiles, `split ${args.join(' ')}: the same file names`);
      for (const f of r.tcFiles) assertSameReports(join(r.tcDir, f), join(r.utpDir, f), `split ${args.join(' ')} ${f} (${kind})`);
      // and utp reads its own files as trace-cmd does
      for (const f of kind === 'v7zstd' ? r.utpFiles.slice(0, 2) : []) {
        const u = runUtp(['report', '-i', join(r.utpDir, f)]);
        assert.equal(u.stdout.toString('latin1'), report(join(r.utpDir, f)).out, `utp report = trace-cmd report on ${f}`);
      }
    }
  });
}

test("split from a start before the data: trace-cmd 3.1.6 writes a CPU's first record twice, utp once", { skip: skip ?? false }, () => {
  const start = secs(Math.max(0.000001, times.first - 1));
  const end = secs(times.first + (times.last - times.first) / 3);
  const r = splitBoth(inputs.v7zstd, [start, end], 'early');
  assert.deepEqual(r.utpFiles, ['out.1']);
  assert.deepEqual(r.tcFiles, ['out.1']);
  const theirs = report(join(r.tcDir, 'out.1')).out.split('\n');
  const ours = report(join(r.utpDir, 'out.1')).out.split('\n');
  // trace-cmd's lines are ours plus one more copy of one line per CPU with data
  const count = (lines) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map());
  const a = count(theirs),
    b = count(ours);
  const extra = [];
  for (const [l, n] of a) {
    const d = n - (b.get(l) ?? 0);
    assert.ok(d >= 0, `utp has a line trace-cmd has not: ${l}`);
    for (let i = 0; i < d; i++) extra.push(l);
  }
  for (const l of b.keys()) assert.ok(a.has(l), `utp has a line trace-cmd has not: ${l}`);
  assert.ok(extra.length >= 1 && extra.length <= 2 * times.firstPerCpu.size, `trace-cmd's extra lines: ${extra.join(' | ')}`);
  const firstOf = new Map();
  for (const l of ours) {
    const m = /\[(\d{3})\]\s+\d+\.\d+: /.exec(l);
    if (m && !firstOf.has(m[1])) firstOf.set(m[1], l);
  }
  let eventExtras = 0;
  for (const l of extra) {
    // the duplicated record carries its missed-events line along
    if (/^CPU:\d+ \[.*EVENTS DROPPED\]$/.test(l)) continue;
    eventExtras++;
    const m = /\[(\d{3})\]\s+\d+\.\d+: /.exec(l);
    assert.ok(m && firstOf.get(m[1]) === l, `each extra line is the first record of its CPU: ${l}`);
  }
  assert.ok(eventExtras >= 1, 'trace-cmd duplicated a record');
});

test('split -r with an end time: trace-cmd 3.1.6 stops after one file, utp goes on to the end', { skip: skip ?? false }, () => {
  const after = Math.max(...times.firstPerCpu.values());
  const s1 = secs(after + (times.last - after) * 0.1 + 0.0000003),
    s2 = secs(after + (times.last - after) * 0.5 + 0.0000007);
  const r = splitBoth(inputs.v6, ['-e', '2000', '-r', s1, s2], 'rend');
  assert.deepEqual(r.tcFiles, ['out.0001'], "trace-cmd's -r with an end writes only the first file");
  assert.ok(r.utpFiles.length > 1, `utp wrote ${r.utpFiles.length} files`);
  assert.equal(r.utpFiles[0], 'out.0001');
  assertSameReports(join(r.tcDir, 'out.0001'), join(r.utpDir, 'out.0001'), 'the first file');
  // all of utp's files together hold the window start..end that trace-cmd writes in one file
  const whole = splitBoth(inputs.v6, [s1, s2], 'rend-whole');
  const events = (t) => t.split('\n').filter((l) => l && !l.startsWith('cpus='));
  const want = events(report(join(whole.tcDir, 'out.1')).out);
  const got = r.utpFiles.flatMap((f) => events(report(join(r.utpDir, f)).out));
  assert.ok(want.length > 4000, `window of ${want.length} events`);
  const firstDiff = got.findIndex((l, i) => l !== want[i]);
  assert.ok(
    got.join('\n') === want.join('\n'),
    `utp's ${r.utpFiles.length} files = trace-cmd's one window (${got.length} vs ${want.length} events); first difference at line ${firstDiff + 1}:\n  utp files: ${got.slice(Math.max(0, firstDiff - 2), firstDiff + 3).join('\n             ')}\n  window:    ${want.slice(Math.max(0, firstDiff - 2), firstDiff + 3).join('\n             ')}`,
  );
  const sizes = r.utpFiles.map((f) => events(report(join(r.utpDir, f)).out).length);
  assert.ok(
    sizes.slice(0, -1).every((n) => n === 2000),
    `2000 events a file: ${sizes.join(',')}`,
  );
});

test('split of an instance-buffer file: utp splits the instance as trace-cmd splits the same pages in the top buffer', {
  skip: skip ?? false,
}, () => {
  for (const args of [
    ['-e', '7000', '-r'],
    ['-p', '10', '-c'],
  ]) {
    const tcDir = join(dir, 'inst-tc'),
      utpDir = join(dir, 'inst-utp'),
      emptyDir = join(dir, 'inst-tc-orig');
    for (const d of [tcDir, utpDir, emptyDir]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d);
    }
    // trace-cmd 3.1.6 on the instance file itself: the instance is dropped
    const t0 = tc(['split', '-i', orig, '-o', join(emptyDir, 'out'), ...args]);
    assert.equal(t0.status, 0, t0.stderr);
    const first = readdirSync(emptyDir).sort()[0];
    const empty = report(join(emptyDir, first)).out;
    assert.ok(empty.split('\n').filter(Boolean).length <= 1, `trace-cmd's split of the instance file is empty: ${empty.slice(0, 200)}`);
    assert.equal(tc(['split', '-i', inputs.v7zstd, '-o', join(tcDir, 'out'), ...args]).status, 0);
    const u = runUtp(['split', '-i', orig, '-o', join(utpDir, 'out'), ...args]);
    assert.equal(u.status, 0, u.stderr.toString());
    const files = readdirSync(tcDir).sort();
    assert.deepEqual(readdirSync(utpDir).sort(), files);
    assert.ok(files.length >= 1);
    for (const f of files) {
      const want = report(join(tcDir, f)),
        got = report(join(utpDir, f));
      assert.equal(got.status, 0, got.err);
      assert.ok(withoutBufferPrefix(got.out, instName) === want.out, `${args.join(' ')} ${f}: instance split = top-buffer split`);
    }
  }
});

test('split usage errors are one line and exit 2', { skip: skip ?? false }, () => {
  for (const [args, re] of [
    [['-e', '0'], /Units must be greater than 0/],
    [['-e', '5', '-p', '3'], /Only one type of split is allowed/],
    [['10', '5'], /end is less than start/],
    [['x1'], /not floating point/],
  ]) {
    const r = runUtp(['split', '-i', inputs.v6, '-o', join(dir, 'bad'), ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.toString(), re);
    assert.equal(r.stderr.toString().trim().split('\n').length, 1);
  }
});
