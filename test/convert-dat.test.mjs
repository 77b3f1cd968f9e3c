// utp convert to and from trace.dat, text, and the selection options, against the reference tools:
// - trace.dat → CTF → trace.dat: `trace-cmd report` (default, -R, -N) of the result == of the original
//   (the committed fixtures recorded by trace-cmd, with lost events and instance buffers, and a fresh
//   trace); babeltrace2 reads the CTF with nothing on stderr when the trace lost nothing;
// - perf.data → trace.dat: a fresh `perf record` (sched_switch, sched_wakeup and cpu-clock, a
//   software event with no tracefs format): `trace-cmd report -N -t` == `perf script` (CPU, time,
//   event, fields, task), and a one-line warning counting the cpu-clock samples left out;
// - text: == trace-cmd report (trace.dat), babeltrace2 (CTF), perf script (perf.data);
// - the selection (time range, --events, --pid/--comm, --cpu, -F): the converted trace.dat's
//   `trace-cmd report` == trace-cmd's report of the original with the same selection (trace-cmd's
//   own -F/--pid/--comm; the time range and --cpu applied to its lines, as trace-cmd 3.1.6 --cpu
//   prints nothing for instance buffers); CTF and JSON outputs of a selection against the same.
// Live parts need root + tracefs + perf (the recordings take the live lock, test/lib/live-lock.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { liveSkipReason, recordReference, runUtp, tmpDir, tracefsState, withLiveLock } from './lib/live.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const SUCCEED = join(ROOT, 'testdata/succeed');
const UTC = { ...process.env, TZ: 'UTC' };

function tc(args) {
  // trace-cmd 3.1.6 crashes in tracecmd_close after a listing with -F/--pid: line-buffered, its lines all come out
  const r = spawnSync('stdbuf', ['-oL', 'trace-cmd', 'report', ...args], { encoding: 'latin1', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  return r.stdout;
}
function utp(args) {
  const r = runUtp(args, { env: UTC });
  assert.equal(r.status, 0, `utp ${args.join(' ')}: ${r.stderr.toString()}`);
  return r;
}
function toolsMissing() {
  if (spawnSync('trace-cmd', ['--version']).error) return 'trace-cmd is not installed (apt-get install -y trace-cmd)';
  if (spawnSync('babeltrace2', ['--version']).error) return 'babeltrace2 is not installed (apt-get install -y babeltrace2)';
  return undefined;
}

/** First differing line of two texts, for messages. */
function firstDiff(a, b) {
  const x = a.split('\n'),
    y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i]) return `line ${i + 1}:\n  want ${JSON.stringify(x[i])}\n  got  ${JSON.stringify(y[i])}`;
  return 'no difference';
}
function sameText(want, got, what) {
  assert.ok(want === got, `${what}: ${firstDiff(want, got)}`);
}

/** The fixtures' trace.dat files (gunzipped into `dir`). */
function fixtures(dir) {
  const out = [];
  for (const n of readdirSync(SUCCEED).sort()) {
    const d = join(SUCCEED, n);
    if (existsSync(join(d, 'trace.dat'))) out.push([n, join(d, 'trace.dat')]);
    else if (existsSync(join(d, 'trace.dat.gz'))) {
      const f = join(dir, `${n}.dat`);
      writeFileSync(f, gunzipSync(readFileSync(join(d, 'trace.dat.gz'))));
      out.push([n, f]);
    }
  }
  return out;
}

/** trace.dat → CTF → trace.dat, checked with trace-cmd report (default, -R, -N). Returns the CTF directory. */
function roundTrip(name, dat, dir, flagSets = [[], ['-R'], ['-N']]) {
  const ctf = join(dir, `${name}.ctf`);
  const back = join(dir, `${name}.back.dat`);
  utp(['convert', dat, '-o', ctf]);
  assert.ok(existsSync(join(ctf, '.utp-tracedat.dat')) && existsSync(join(ctf, '.utp-tracedat.json')), `${name}: skeleton written`);
  utp(['convert', ctf, '-o', back]);
  for (const flags of flagSets) {
    const want = tc([...flags, '-i', dat]);
    assert.ok(want.split('\n').length > 2, `${name}: trace-cmd report printed events`);
    sameText(want, tc([...flags, '-i', back]), `${name}: trace-cmd report ${flags.join(' ')} of CTF → trace.dat`);
  }
  return ctf;
}

/**
 * trace-cmd report lines kept by `keep({cpu, ns, line})`: the `cpus=` line always, a
 * `CPU:N [… DROPPED]` line with the next record of its CPU (its loss goes with that record), a
 * record's continuation lines (a stack trace) with it.
 */
function selectLines(text, keep) {
  const out = [];
  const pending = new Map();
  let lastKept = false;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('cpus=')) {
      if (line) out.push(line);
      continue;
    }
    const drop = /CPU:(\d+) \[/.exec(line);
    const m = /\[(\d{3})\]\s+(\d+)\.(\d+):/.exec(line);
    if (drop && (!m || drop.index < m.index)) {
      const cpu = Number(drop[1]);
      pending.set(cpu, [...(pending.get(cpu) ?? []), line]);
      continue;
    }
    if (!m) {
      // a continuation of the record before (kernel_stack's "=> function" lines)
      assert.ok(/^=> /.test(line), `unexpected trace-cmd line ${line}`);
      if (lastKept) out.push(line);
      continue;
    }
    const cpu = Number(m[1]);
    const ns = BigInt(m[2]) * 1000000000n + BigInt(m[3].padEnd(9, '0'));
    const p = pending.get(cpu);
    pending.delete(cpu);
    lastKept = keep({ cpu, ns, line });
    if (lastKept) {
      if (p) out.push(...p);
      out.push(line);
    }
  }
  return out.join('\n') + '\n';
}

/** Every selection option on `dat`: the converted trace.dat against trace-cmd's report of the original. */
function checkSelections(name, dat, dir) {
  const all = tc(['-t', '-i', dat]);
  const times = [...all.matchAll(/\[\d{3}\]\s+(\d+\.\d{9}):/g)].map((m) => m[1]);
  assert.ok(times.length > 20, `${name}: enough events (${times.length})`);
  const from = times[Math.floor(times.length / 4)],
    to = times[Math.floor((times.length * 3) / 4)];
  const toNs = (s) => BigInt(s.replace('.', ''));
  // the events and tasks present
  const names = new Map();
  for (const m of all.matchAll(/^.*?-(\d+)\s+\[\d{3}\]\s+\d+\.\d+: (\w+):/gm)) names.set(m[2], (names.get(m[2]) ?? 0) + 1);
  const events = [...names.keys()].slice(0, 2);
  const pid = /^\s*(?:\S+: )?\s*\S+?-(\d+)\s+\[/m.exec(
    all.split('\n').filter((l) => /-\d+\s+\[/.test(l) && !/-0\s+\[/.test(l))[0] ?? '',
  )?.[1];
  const comm = /^\s*(?:\S+: )?\s*(\S+?)-\d+\s+\[/.exec(all.split('\n').find((l) => /-\d+\s+\[/.test(l) && !/<idle>/.test(l)) ?? '')?.[1];
  const cases = [
    {
      what: `--from-time ${from} --to-time ${to}`,
      args: ['--from-time', from, '--to-time', to],
      want: () => selectLines(all, (r) => r.ns >= toNs(from) && r.ns <= toNs(to)),
    },
    {
      what: `--events ${events.join(',')}`,
      args: ['--events', events.join(',')],
      want: () => tc(['-t', '-F', events.join(','), '-i', dat]),
    },
    { what: '--cpu 1', args: ['--cpu', '1'], want: () => selectLines(all, (r) => r.cpu === 1) },
  ];
  if (pid) cases.push({ what: `--pid ${pid}`, args: ['--pid', pid], want: () => tc(['-t', '--pid', pid, '-i', dat]) });
  if (comm) cases.push({ what: `--comm ${comm}`, args: ['--comm', comm], want: () => tc(['-t', '--comm', comm, '-i', dat]) });
  if (names.has('sched_switch'))
    cases.push({
      what: "-F 'sched_switch: prev_pid != 0' --cpu 0",
      args: ['-F', 'sched_switch: prev_pid != 0', '--cpu', '0'],
      want: () => selectLines(tc(['-t', '-F', 'sched_switch: prev_pid != 0', '-i', dat]), (r) => r.cpu === 0),
    });
  if (names.has('sys_exit'))
    cases.push({
      what: "-F 'sys_exit: ret > 0'",
      args: ['-F', 'sys_exit: ret > 0'],
      want: () => tc(['-t', '-F', 'sys_exit: ret > 0', '-i', dat]),
    });
  for (const c of cases) {
    const out = join(dir, `${name}.sel.dat`);
    // uncompressed: the selection is what is checked here (compression: the round trips)
    utp(['convert', dat, '-o', out, '--compression', 'none', ...c.args]);
    const got = tc(['-t', '-i', out]);
    sameText(c.want(), got, `${name}: ${c.what}`);
    assert.ok(got.split('\n').length > 2 || c.what.startsWith('-F'), `${name}: ${c.what} kept something`);
  }
  return { from, to, events };
}

test('fixtures: trace.dat → CTF → trace.dat prints as the original in trace-cmd report, -R and -N', (t) => {
  const why = toolsMissing();
  if (why) return t.skip(why);
  const d = tmpDir('utp-convdat-fix-');
  try {
    // -R and -N on the fixture with lost events (and on the fresh trace); the default on all
    const full = new Set(['lost-events']);
    // (dropped-subbuf8k-v7-none and -v7-zstd hold the records of their v6 twin; many-v7-zstd's
    // round trip is in the text test, which makes its CTF anyway)
    const twins = new Set(['dropped-subbuf8k-v7-none', 'dropped-subbuf8k-v7-zstd', 'many-v7-zstd']);
    for (const [name, dat] of fixtures(d)) if (!twins.has(name)) roundTrip(name, dat, d, full.has(name) ? [[], ['-R'], ['-N']] : [[]]);
    // a loss of unknown size ("[EVENTS DROPPED]" with no count: the commit's missed-events flag
    // without the stored count), made by setting that flag on the second page of CPU 0
    const sched = fixtures(d).find(([n]) => n === 'sched-v6')[1];
    const fly = spawnSync('trace-cmd', ['dump', '--flyrecord', '-i', sched], { encoding: 'utf8' }).stdout;
    const [, at, size] = /^\s*(\d+)\s+(\d+)\s+\[offset, size of cpu 0\]/m.exec(fly);
    assert.ok(Number(size) >= 8192, 'CPU 0 has two pages');
    const bytes = readFileSync(sched);
    bytes[Number(at) + 4096 + 11] |= 0x80;
    const unk = join(d, 'unknown-loss.dat');
    writeFileSync(unk, bytes);
    assert.match(tc(['-i', unk]), /CPU:0 \[EVENTS DROPPED\]/);
    const uctf = roundTrip('unknown-loss', unk, d, [[]]);
    assert.equal(JSON.parse(readFileSync(join(uctf, '.utp-tracedat.json'), 'utf8')).unknownLosses.length, 1);
    // the version and compression of the way back can be chosen
    const [, dat] = fixtures(d).find(([n]) => n === 'lost-events');
    const back6 = join(d, 'v6.dat');
    utp(['convert', join(d, 'lost-events.ctf'), '-o', back6, '--file-version', '6']);
    sameText(tc(['-i', dat]), tc(['-i', back6]), 'CTF → trace.dat v6');
    assert.match(spawnSync('trace-cmd', ['dump', '--summary', '-i', back6], { encoding: 'utf8' }).stdout, /\b6\s+\[Version\]/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('fixtures: every selection, trace.dat → trace.dat and CTF → trace.dat, against trace-cmd report of the original', (t) => {
  const why = toolsMissing();
  if (why) return t.skip(why);
  const d = tmpDir('utp-convdat-sel-');
  try {
    const fx = new Map(fixtures(d));
    checkSelections('lost-events', fx.get('lost-events'), d);
    // CTF input, a selection, trace.dat output
    const ctf = join(d, 'le.ctf');
    utp(['convert', fx.get('lost-events'), '-o', ctf]);
    const out = join(d, 'le.sel.dat');
    utp(['convert', ctf, '-o', out, '-F', 'sys_exit: ret > 0', '--cpu', '1']);
    sameText(
      selectLines(tc(['-t', '-F', 'sys_exit: ret > 0', '-i', fx.get('lost-events')]), (r) => r.cpu === 1),
      tc(['-t', '-i', out]),
      'CTF → trace.dat with -F and --cpu',
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('text output: what trace-cmd report, babeltrace2 print; a selection to text, CTF and JSON', (t) => {
  const why = toolsMissing();
  if (why) return t.skip(why);
  const d = tmpDir('utp-convdat-text-');
  try {
    const dat = new Map(fixtures(d)).get('many-v7-zstd');
    utp(['convert', dat, '-o', join(d, 'a.txt')]);
    sameText(tc(['-i', dat]), readFileSync(join(d, 'a.txt'), 'latin1'), 'trace.dat → .txt');
    utp(['convert', dat, '-o', join(d, 'm.ctf')]);
    utp(['convert', join(d, 'm.ctf'), '-o', join(d, 'b.out'), '--to', 'text']);
    const bt = spawnSync('babeltrace2', [join(d, 'm.ctf')], { env: UTC, encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(bt.stderr, '', 'babeltrace2 reads the CTF without a warning');
    sameText(bt.stdout, readFileSync(join(d, 'b.out'), 'latin1'), 'CTF → text');
    utp(['convert', join(d, 'm.ctf'), '-o', join(d, 'm.back.dat')]);
    sameText(tc(['-i', dat]), tc(['-i', join(d, 'm.back.dat')]), 'many-v7-zstd: trace-cmd report of CTF → trace.dat');
    // a selection into text, CTF and JSON: the events trace-cmd keeps with the same -F
    const F = 'sched_switch,sched_waking';
    const sel = join(d, 's.dat');
    utp(['convert', dat, '-o', sel, '-F', F]);
    const want = tc(['-F', F, '-i', dat]);
    sameText(want, tc(['-i', sel]), 'trace.dat → trace.dat -F');
    utp(['convert', dat, '-o', join(d, 's.txt'), '-F', F]);
    sameText(want, readFileSync(join(d, 's.txt'), 'latin1'), 'trace.dat → text -F');
    const wantT = [...tc(['-t', '-F', F, '-i', dat]).matchAll(/\[(\d{3})\]\s+(\d+\.\d{9}): (\w+):/g)].map((m) => `${m[2]} ${m[3]}`);
    utp(['convert', dat, '-o', join(d, 's.ctf'), '-F', F]);
    const bs = spawnSync('babeltrace2', ['--clock-seconds', join(d, 's.ctf')], { encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(bs.stderr, '');
    const gotT = [...bs.stdout.matchAll(/^\[(\d+\.\d{9})\] \(\+[?\d.]+\) \S+ (\w+):/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(gotT.sort(), [...wantT].sort(), 'CTF of a selection: the times and names trace-cmd keeps');
    utp(['convert', join(d, 's.ctf'), '-o', join(d, 'c.txt'), '--cpu', '1']);
    const noDelta = (x) => x.replace(/^(\[[^\]]*\]) \([^)]*\)/gm, '$1');
    const bt1 = spawnSync('babeltrace2', [join(d, 's.ctf')], { env: UTC, encoding: 'latin1', maxBuffer: 1 << 30 }).stdout;
    const cpu1 = bt1.split('\n').filter((l) => /\bcpu_id = 1\b/.test(l));
    assert.ok(cpu1.length > 0);
    sameText(
      noDelta(cpu1.join('\n') + '\n'),
      noDelta(readFileSync(join(d, 'c.txt'), 'latin1')),
      'CTF → text --cpu 1: babeltrace2 lines of cpu_id 1',
    );
    utp(['convert', dat, '-o', join(d, 's.json'), '-F', F]);
    const j = JSON.parse(readFileSync(join(d, 's.json'), 'utf8'));
    const count = (arr) => arr.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map());
    const jn = j.traceEvents.filter((e) => e.ph !== 'M' && e.ph !== 'X' && e.cat !== 'utp.closed').map((e) => e.name);
    assert.deepEqual(count(jn), count(wantT.map((x) => x.split(' ')[1])), 'JSON of a selection: the events trace-cmd keeps');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('refusals: the output never replaces the input; a CTF that utp did not write; no temp files left', (t) => {
  const why = toolsMissing();
  if (why) return t.skip(why);
  const d = tmpDir('utp-convdat-bad-');
  try {
    const dat = new Map(fixtures(d)).get('uprobe-args');
    const copy = join(d, 'in.dat');
    writeFileSync(copy, readFileSync(dat));
    let r = runUtp(['convert', copy, '-o', copy, '--cpu', '0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /would replace the input/);
    assert.deepEqual(readFileSync(copy), readFileSync(dat), 'input untouched');
    utp(['convert', copy, '-o', join(d, 'u.ctf')]);
    r = runUtp(['convert', join(d, 'u.ctf'), '-o', join(d, 'u.ctf', 'x.dat')]);
    assert.equal(r.status, 1, 'an output inside the input directory');
    r = runUtp(['convert', join(ROOT, 'testdata/ctf/lttng-ust-libc'), '-o', join(d, 'l.dat')]);
    assert.equal(r.status, 1);
    const lines = r.stderr.toString().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], /not written by utp convert/);
    assert.ok(!existsSync(join(d, 'l.dat')));
    r = runUtp(['convert', copy, '-o', join(d, 'z.dat'), '--from-time', 'soon']);
    assert.equal(r.status, 2);
    assert.deepEqual(
      readdirSync(d).filter((n) => n.startsWith('.')),
      [],
      'no temporary file left',
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('live: a fresh trace round-trips through CTF and every selection matches trace-cmd', (t) => {
  const why = liveSkipReason() ?? toolsMissing();
  if (why) return t.skip(why);
  const before = tracefsState();
  const d = tmpDir('utp-convdat-live-');
  try {
    const { file } = recordReference(d, {
      events: ['sched', 'raw_syscalls', 'ftrace/print'],
      // kernel_stack records: their caller array runs past the format's caller[8]
      triggers: { 'sched/sched_switch': 'stacktrace' },
      bufKb: 4096,
      run: (insts) => {
        spawnSync('sh', ['-c', 'ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; sleep 0.01 & wait']);
        for (const I of insts) writeFileSync(join(I, 'trace_marker'), 'convert-dat "marker" é\n');
      },
    });
    assert.match(tc(['-i', file]), /kernel_stack:/, 'the recording has stack traces');
    const ctf = roundTrip('live', file, d);
    const bt = spawnSync('babeltrace2', [ctf], { encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(bt.status, 0);
    if (!/EVENTS DROPPED|LOST EVENTS/.test(tc(['-i', file]))) assert.equal(bt.stderr, '', 'babeltrace2: no warning');
    checkSelections('live', file, d);
    // JSON of a selection (the event stream through @utp/model's SelectSource) == JSON of the selected
    // records' trace.dat, on a trace with kernel_stack records (the stack-trace rule of -F, --events, --pid)
    const pid = /^\s*\S+?-(\d+)\s+\[\d+\].*sched_switch:/m.exec(tc(['-i', file]).replace(/^.*-0\s+\[.*$/gm, ''))?.[1];
    for (const args of [['--events', 'sched_switch'], ['-F', 'sched_switch: prev_pid != 0'], ...(pid ? [['--pid', pid]] : [])]) {
      const dir = join(d, `json-${args[0]}`);
      mkdirSync(dir);
      utp(['convert', file, '-o', join(dir, 'a.json'), ...args]);
      utp(['convert', file, '-o', join(dir, basename(file)), '--compression', 'none', ...args]);
      utp(['convert', join(dir, basename(file)), '-o', join(dir, 'b.json')]);
      // a kernel_stack's caller[8] past its `size` entries is the bytes after the record in its page
      // (the next record, another one in the repacked file): compared up to `size`
      const lines = (f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .map((l) =>
            l.replace(
              /^(\{"name":"kernel_stack".*"args":\{"size":(\d+),"caller":\[)([^\]]*)\]/,
              (_m, pre, n, list) => `${pre}${list.split(',').slice(0, Number(n)).join(',')}]`,
            ),
          );
      const ja = lines('a.json'),
        jb = lines('b.json');
      const at = ja.findIndex((l, i) => l !== jb[i]);
      assert.equal(
        at,
        -1,
        `live JSON ${args.join(' ')}: the old path's (${ja.length} / ${jb.length} lines; first difference:\n${ja[at]}\n${jb[at]})`,
      );
      assert.match(readFileSync(join(dir, 'a.json'), 'utf8'), /"name":"kernel_stack"/, `live JSON ${args.join(' ')}: stack traces kept`);
    }
  } finally {
    rmSync(d, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), before, 'tracefs left as found');
  }
});

test('live: perf.data tracepoint samples → trace.dat: trace-cmd report shows what perf script shows', (t) => {
  const why = liveSkipReason() ?? toolsMissing() ?? (spawnSync('perf', ['--version']).error ? 'perf is not installed' : undefined);
  if (why) return t.skip(why);
  const d = tmpDir('utp-convdat-perf-');
  try {
    const data = join(d, 'perf.data');
    const rec = withLiveLock(() =>
      spawnSync(
        'perf',
        ['record', '-q', '-o', data, '-e', 'sched:sched_switch', '-e', 'sched:sched_wakeup', '-e', 'cpu-clock', '-a', '--', 'sleep', '0.3'],
        { encoding: 'utf8' },
      ),
    );
    if (rec.status !== 0 && /perf_event_paranoid|Permission|not supported/i.test(rec.stderr))
      return t.skip(`kernel refuses: perf_event_open for tracepoints (${rec.stderr.trim().split('\n')[0]})`);
    assert.equal(rec.status, 0, rec.stderr);
    const out = join(d, 't.dat');
    const r = runUtp(['convert', data, '-o', out]);
    assert.equal(r.status, 0, r.stderr.toString());
    const script = spawnSync('perf', ['script', '-i', data, '--ns', '-F', 'tid,cpu,time,event,trace'], {
      encoding: 'latin1',
      maxBuffer: 1 << 30,
    }).stdout;
    const clock = script.split('\n').filter((l) => /\bcpu-clock\b/.test(l)).length;
    const warn = r.stderr.toString().trim().split('\n');
    assert.equal(warn.length, 1, r.stderr.toString());
    assert.match(warn[0], new RegExp(`warning: ${clock} samples of events with no tracefs format left out \\(cpu-clock: ${clock}\\)`));
    const want = script
      .split('\n')
      .filter((l) => l && !/\bcpu-clock\b/.test(l))
      .map((l) => {
        const m = /^\s*(-?\d+)\s+\[(\d+)\]\s+(\d+\.\d{9}):\s+sched:(\w+):\s(.*)$/.exec(l);
        assert.ok(m, `perf script line ${l}`);
        return { tid: m[1], cpu: m[2], ts: m[3], name: m[4], rest: m[5] };
      });
    const got = tc(['-N', '-t', '-i', out])
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => {
        const m = /^\s*.*?-(\d+)\s+\[(\d+)\]\s+(\d+\.\d{9}):\s+(\w+):\s+(.*)$/.exec(l);
        assert.ok(m, `trace-cmd line ${l}`);
        return { tid: m[1], cpu: m[2], ts: m[3], name: m[4], rest: m[5] };
      });
    assert.ok(want.length > 10, `perf recorded ${want.length} tracepoint samples`);
    assert.equal(got.length, want.length, 'one trace.dat event per tracepoint sample');
    for (let i = 0; i < want.length; i++) {
      const w = want[i],
        g = got[i];
      const key = (x) => `${x.cpu} ${x.ts} ${x.name}: ${x.rest}`;
      assert.equal(key(g), key(w), `event ${i}`);
      // perf script prints -1 for a thread it no longer knows
      if (w.tid !== '-1') assert.equal(g.tid, w.tid, `event ${i}: task`);
    }
    // text output: what utp report prints for a perf.data (perf script's output)
    utp(['convert', data, '-o', join(d, 'p.txt')]);
    // (C++ symbols demangled as perf script demangles them: a system-wide recording samples node too)
    const ps = spawnSync('perf', ['script', '-i', data], { encoding: 'latin1', maxBuffer: 1 << 30 }).stdout;
    sameText(ps, readFileSync(join(d, 'p.txt'), 'latin1'), 'perf.data → text == perf script');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
