// utp convert to trace.dat (--file-version, --compression) against trace-cmd convert, on a fresh
// trace of this machine (trace-cmd extract in a private instance: v7 + zstd) and its v6 and v7
// uncompressed conversions, and on a top-buffer copy: for every version/compression pair
// trace-cmd report must print the same bytes on utp's file as on trace-cmd's, with nothing on
// stderr. This trace-cmd may lack zlib (`trace-cmd list -c`): then utp's zlib file is read by utp
// report and compared with trace-cmd report on trace-cmd's zstd file. Run under
// the live lock (the recording).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveSkipReason, recordReference, tmpDir, convert, runUtp, UTP } from './lib/live.mjs';
import { topBufferCopy } from './lib/top-buffer.mjs';

const skip = liveSkipReason() ?? (existsSync(UTP) ? undefined : 'needs a build (npm run build)');
if (skip) console.log(`# skipping trace-cmd convert comparisons: ${skip}`);

let dir;
const inputs = {};
const tc = (args) => spawnSync('trace-cmd', args, { encoding: 'latin1', maxBuffer: 1 << 30 });
const report = (f, args = []) => {
  const r = tc(['report', ...args, '-i', f]);
  return { status: r.status, out: r.stdout, err: r.stderr };
};
const tcHasZlib = () => /zlib/.test(tc(['list', '-c']).stdout);

before(async () => {
  if (skip) return;
  dir = tmpDir('utp-convert-dat-');
  const rec = recordReference(dir, {
    events: ['sched', 'irq', 'timer', 'syscalls/sys_enter_openat'],
    run: () => spawnSync('sh', ['-c', 'ls -R /usr/share >/dev/null 2>&1; sleep 0.2']),
  });
  inputs['v7zstd-instance'] = rec.file;
  inputs['v6-instance'] = convert(rec.file, join(dir, 'in-v6.dat'), { version: 6, compression: 'none' });
  inputs['v7none-instance'] = convert(rec.file, join(dir, 'in-v7n.dat'), { version: 7, compression: 'none' });
  inputs['v6-top'] = (await topBufferCopy(rec.file, join(dir, 'in-top-v6.dat'), dir)).file;
  const r = report(rec.file);
  assert.equal(r.status, 0, r.err);
  assert.ok(r.out.split('\n').length > 1000, 'a trace with events');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PAIRS = [
  ['6', 'none'],
  ['7', 'none'],
  ['7', 'zstd'],
  ['7', 'any'],
];

for (const name of ['v7zstd-instance', 'v6-instance', 'v7none-instance', 'v6-top']) {
  test(`convert ${name}: trace-cmd report on utp's file = on trace-cmd convert's, for every version and compression`, {
    skip: skip ?? false,
  }, () => {
    const input = inputs[name];
    for (const [v, c] of PAIRS) {
      const theirs = join(dir, `${name}-tc-${v}-${c}.dat`),
        ours = join(dir, `${name}-utp-${v}-${c}.dat`);
      const t = tc(['convert', '-i', input, '-o', theirs, '--file-version', v, '--compression', c]);
      assert.equal(t.status, 0, `trace-cmd convert: ${t.stderr}`);
      const u = runUtp(['convert', '-i', input, '-o', ours, '--file-version', v, '--compression', c]);
      assert.equal(u.status, 0, `utp convert: ${u.stderr}`);
      assert.equal(readFileSync(ours).subarray(10, 11).toString(), v, 'file version in the header');
      // -R (every field raw) on the first input; the plain report and --stat on all
      for (const args of name === 'v7zstd-instance' ? [[], ['--stat'], ['-R']] : [[], ['--stat']]) {
        const a = report(theirs, args),
          b = report(ours, args);
        assert.equal(a.status, 0, a.err);
        assert.equal(b.status, 0, `trace-cmd report ${args.join(' ')} on utp's ${v}/${c}: ${b.err}`);
        assert.equal(b.err, '', `trace-cmd reads utp's ${v}/${c} file without warnings`);
        assert.equal(a.err, '', 'trace-cmd reads its own file without warnings');
        if (args[0] === '--stat') {
          // --stat prints file offsets and sizes of the layout: compare the per-buffer event counts only
          const counts = (s) =>
            s.split('\n').filter((l) => /entries|overrun|dropped|CPU|Buffer/.test(l) && !/offset|bytes in size/.test(l));
          assert.deepEqual(counts(b.out), counts(a.out), `report --stat on ${v}/${c}`);
        } else assert.ok(a.out === b.out, `trace-cmd report ${args.join(' ')} on ${name} → v${v}/${c}: same output`);
      }
      const dump = tc(['dump', '--summary', '-i', ours]);
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, new RegExp(`\\b${v}\\s+\\[Version\\]`));
      if (v === '7') assert.match(dump.stdout, c === 'none' ? /none\s+\[Compression algorithm\]/ : /zstd\s+\[Compression algorithm\]/);
    }
  });
}

test('convert --compression zlib: trace-cmd reads it when it has zlib, utp report always', { skip: skip ?? false }, () => {
  const input = inputs['v7zstd-instance'];
  const ours = join(dir, 'utp-zlib.dat');
  const u = runUtp(['convert', '-i', input, '-o', ours, '--compression', 'zlib']);
  assert.equal(u.status, 0, u.stderr.toString());
  const ref = report(input);
  if (tcHasZlib()) {
    const theirs = join(dir, 'tc-zlib.dat');
    assert.equal(tc(['convert', '-i', input, '-o', theirs, '--compression', 'zlib']).status, 0);
    assert.ok(report(ours).out === report(theirs).out, 'trace-cmd report on both zlib files');
  } else {
    const t = tc(['convert', '-i', input, '-o', join(dir, 'tc-zlib.dat'), '--compression', 'zlib']);
    assert.notEqual(t.status, 0, 'this trace-cmd refuses zlib');
    assert.match(t.stderr, /not supported/);
  }
  const got = runUtp(['report', '-i', ours]);
  assert.equal(got.status, 0, got.stderr.toString());
  assert.ok(got.stdout.toString('latin1') === ref.out, "utp report on utp's zlib file = trace-cmd report on the input");
});

test('convert picks trace.dat output from the name, --to dat, and trace-cmd\'s "-i IN OUT" form', { skip: skip ?? false }, () => {
  const input = inputs['v6-instance'];
  const ref = report(input).out;
  for (const [args, out] of [
    [[input, '-o', join(dir, 'byname.dat')], 'byname.dat'],
    [[input, '-o', join(dir, 'to-dat.trace'), '--to', 'dat'], 'to-dat.trace'],
    [['-i', input, join(dir, 'positional.dat'), '--file-version', '7'], 'positional.dat'],
  ]) {
    const u = runUtp(['convert', ...args]);
    assert.equal(u.status, 0, `${args.join(' ')}: ${u.stderr}`);
    const r = report(join(dir, out));
    assert.equal(r.err, '');
    assert.ok(r.out === ref, `${args.join(' ')}: same report`);
    assert.match(
      tc(['dump', '--summary', '-i', join(dir, out)]).stdout,
      /7\s+\[Version\][\s\S]*zstd\s+\[Compression/,
      'default: v7 + zstd',
    );
  }
  const bad = runUtp(['convert', '-i', input, '-o', join(dir, 'x.dat'), '--file-version', '5']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.toString(), /Unsupported file version 5/);
  const bad2 = runUtp(['convert', '-i', input, '-o', join(dir, 'x.dat'), '--file-version', '6', '--compression', 'zstd']);
  assert.equal(bad2.status, 2);
  const same = runUtp(['convert', '-i', input, '-o', input, '--file-version', '7']);
  assert.equal(same.status, 1);
  assert.match(same.stderr.toString(), /same/);
});
