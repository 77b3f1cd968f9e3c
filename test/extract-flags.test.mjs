// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp extract with several -B and -t: the same buffers in the same order as trace-cmd extract
// writes them (BUFFER options of `trace-cmd dump --options` on both files, each extracting fresh
// events of the same two instances), and `trace-cmd report` on utp's file equal to `utp report`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { T, liveSkipReason, tmpDir, diffReports, tracefsState, runTraceCmd, runUtp } from './lib/live.mjs';

const skip = liveSkipReason();
if (skip) console.log(`# skipping live extract tests: ${skip}`);

/** BUFFER options as trace-cmd dump prints them: name and whether it holds CPUs' data. */
function bufferNames(file) {
  const r = runTraceCmd(['dump', '--options', '-i', file]);
  assert.equal(r.status, 0, `trace-cmd dump failed: ${r.stderr}`);
  return [...r.stdout.toString().matchAll(/\[Option BUFFER, \d+ bytes\]\n\d+ \[offset\]\n"([^"]*)" \[name\]/g)].map((m) => m[1]);
}

test('utp extract -B A -B B -t: top first, then the instances newest -B first, as trace-cmd extract', { skip }, () => {
  const before = tracefsState();
  const dir = tmpDir('utp-extract-');
  const names = [`utp-${process.pid}-xa`, `utp-${process.pid}-xb`];
  const topOn = readFileSync(join(T, 'tracing_on'), 'utf8').trim();
  const fill = () => {
    for (const n of names) writeFileSync(join(T, 'instances', n, 'tracing_on'), '1');
    spawnSync('ls', ['/']);
    spawnSync('true');
    for (const n of names) writeFileSync(join(T, 'instances', n, 'tracing_on'), '0');
  };
  const make = () => {
    for (const n of names) {
      if (!existsSync(join(T, 'instances', n))) mkdirSync(join(T, 'instances', n));
      writeFileSync(join(T, 'instances', n, 'events/sched/sched_process_exec/enable'), '1');
    }
  };
  try {
    make();
    fill();
    const ours = join(dir, 'ours.dat');
    const u = runUtp(['extract', '-B', names[0], '-B', names[1], '-t', '-o', ours]);
    assert.equal(u.status, 0, u.stderr.toString());
    make();
    fill();
    const ref = join(dir, 'ref.dat');
    const r = runTraceCmd(['extract', '-B', names[0], '-B', names[1], '-t', '-o', ref]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(bufferNames(ours), bufferNames(ref));
    assert.deepEqual(bufferNames(ours), ['', names[1], names[0]]);
    assert.equal(diffReports(ours), undefined);
    assert.match(
      runTraceCmd(['report', '-i', ours]).stdout.toString(),
      new RegExp(`${names[0]}:.*sched_process_exec:\\s+filename=/usr/bin/ls`),
    );
  } finally {
    // trace-cmd extract turns the top-level tracing_on off while it reads; it also removes the -B instances
    writeFileSync(join(T, 'tracing_on'), topOn);
    for (const n of names) {
      const I = join(T, 'instances', n);
      if (!existsSync(I)) continue;
      try {
        writeFileSync(join(I, 'events/enable'), '0');
        rmdirSync(I);
      } catch {
        spawnSync('rmdir', [I]);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(tracefsState(), before, 'tracefs left as found');
});
