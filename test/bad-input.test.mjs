// Bad input: one clear line on stderr, a non-zero exit, never a stack trace or a hang.
// A file cut short prints what it holds, then a warning.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runUtp, tmpDir, ROOT } from './lib/live.mjs';

const work = tmpDir('utp-bad-');
after(() => rmSync(work, { recursive: true, force: true }));

function noStack(stderr) {
  assert.doesNotMatch(stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, 'stack trace printed');
  assert.doesNotMatch(stderr, /node:internal|TypeError|RangeError|ReferenceError/, 'JavaScript internals leaked');
}
/** An input error: exit status 1 (docs/architecture.md: 1 input/runtime error, 2 usage), nothing on stdout,
 *  and one line on stderr that starts with the command and names the file. */
function oneLineError(r, what, file) {
  const stderr = r.stderr.toString();
  assert.notEqual(r.status, null, `${what}: killed (hang?)`);
  assert.equal(r.status, 1, `${what}: exit status ${r.status}, want 1 (input error)`);
  noStack(stderr);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^utp report: /, `${what}: the line says which command`);
  if (file) assert.ok(lines[0].includes(file.split('/').pop()), `${what}: the line names the file: ${lines[0]}`);
  assert.equal(r.stdout.length, 0, `${what}: printed on stdout`);
  return lines[0];
}
const run = (args) => runUtp(args, { timeout: 60_000 });

const v7 = readFileSync(join(ROOT, 'testdata/succeed/many-v7-zstd/trace.dat'));
const v7Report = readFileSync(join(ROOT, 'testdata/succeed/many-v7-zstd/report.txt'), 'latin1');
const v6 = gunzipSync(readFileSync(join(ROOT, 'testdata/succeed/sched-v6/trace.dat.gz')));
const v6Report = readFileSync(join(ROOT, 'testdata/succeed/sched-v6/report.txt'), 'latin1');

describe('utp report rejects bad input cleanly', () => {
  test('missing file', () => {
    const line = oneLineError(run(['report', '-i', join(work, 'nope.dat')]), 'missing', 'nope.dat');
    assert.match(line, /No such file/);
  });
  test('a directory', () => {
    const d = join(work, 'adir');
    mkdirSync(d);
    assert.match(oneLineError(run(['report', '-i', d]), 'directory', d), /directory/i);
  });
  test('an empty file', () => {
    const f = join(work, 'empty.dat');
    writeFileSync(f, '');
    assert.match(oneLineError(run(['report', '-i', f]), 'empty', f), /empty/i);
  });
  test('garbage', () => {
    const f = join(work, 'garbage.dat');
    writeFileSync(f, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff)));
    assert.match(oneLineError(run(['report', '-i', f]), 'garbage', f), /not a trace\.dat.*offset=0/i);
  });
  test('another format (an ELF file)', () => {
    const f = join(work, 'prog.elf');
    writeFileSync(f, Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(200)]));
    assert.match(oneLineError(run(['report', '-i', f]), 'elf', f), /not a readable trace\.dat.*bad magic.*offset=0/i);
  });
  test('a perf.data with a damaged header names the field and offset', () => {
    const f = join(work, 'perf.data');
    writeFileSync(f, Buffer.concat([Buffer.from('PERFILE2'), Buffer.alloc(200)]));
    assert.match(oneLineError(run(['report', '-i', f]), 'perf.data', f), /perf\.data header size: offset=8/i);
  });
  test('a bad option is a usage error (exit 2)', () => {
    const r = run(['report', '--no-such-flag']);
    assert.equal(r.status, 2);
    noStack(r.stderr.toString());
    const lines = r.stderr.toString().trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0], /--no-such-flag/, 'names the option');
  });
  test('header cut inside the metadata', () => {
    for (const cut of [5, 12, 40, 300]) {
      const f = join(work, `meta-${cut}.dat`);
      writeFileSync(f, v7.subarray(0, cut));
      const line = oneLineError(run(['report', '-i', f]), `cut at ${cut}`, f);
      assert.match(line, /offset|truncat|end of/i, `cut at ${cut}: no position in: ${line}`);
    }
  });

  for (const [name, bytes, full] of [
    ['v7+zstd', v7, v7Report],
    ['v6', v6, v6Report],
  ]) {
    test(`${name} cut inside the event data prints what it holds, then a warning`, () => {
      // trace-cmd's report of the whole file is the reference; each line is compared from the CPU column
      // on. The columns before it are ignored, for two reasons: (1) the buffer name: a v7 file cut at its
      // end has lost the options section with the BUFFER option that names the instance, so utp names the
      // buffer by its offset (`buffer@N: `); (2) the comm: the sched plugins register comms as a side effect
      // of the records printed before (sched_switch's next_comm), and a cut file lacks some of those
      // records, so a pid may print with the name it had before an exec (`sh-5871` for `ls-5871`).
      const key = (l) => {
        const i = l.indexOf(' [');
        return i < 0 ? l : l.slice(i);
      };
      const fullLines = new Set(full.split('\n').map(key));
      // Both fixtures keep their (small) event data at the end of the file; v7 also has its last options
      // section (with the buffer's CPU table) and the strings after the data, so every cut loses those.
      for (const back of [1500, 5000, 9000]) {
        const cut = bytes.length - back;
        const f = join(work, `cut-${name}-${back}.dat`);
        writeFileSync(f, bytes.subarray(0, cut));
        const r = run(['report', '-i', f]);
        const stderr = r.stderr.toString();
        noStack(stderr);
        assert.notEqual(r.status, null, 'hang');
        // What it holds on stdout, one warning line naming the file and the offset, exit 1 (input error).
        assert.equal(r.status, 1, `${name} cut at ${cut}: exit ${r.status}`);
        const warn = stderr.trim().split('\n');
        assert.equal(warn.length, 1, `${name} cut at ${cut}: one warning line, got: ${stderr}`);
        assert.match(
          warn[0],
          /^utp report: warning: .*cut-.*truncated.*offset=\d+/,
          `${name} cut at ${cut}: the warning says truncated, where`,
        );
        const out = r.stdout.toString('latin1').split('\n').filter(Boolean);
        assert.ok(out.length > 1, `${name} cut at ${cut}: printed nothing`);
        const foreign = out.filter((l) => !fullLines.has(key(l)));
        assert.deepEqual(foreign.slice(0, 3), [], `${name} cut at ${cut}: lines not in trace-cmd's report of the whole file`);
      }
    });
  }

  test('corrupted event data does not hang or crash', () => {
    const bad = Buffer.from(v6);
    for (let i = bad.length - 200_000; i < bad.length; i += 97) bad[i] ^= 0x5a;
    const f = join(work, 'corrupt.dat');
    writeFileSync(f, bad);
    const r = run(['report', '-i', f]);
    assert.notEqual(r.status, null, 'hang');
    noStack(r.stderr.toString());
  });
});
