// The shipped `utp` executable (packages/cli/bin/utp.cjs running the bundle of tools/bundle-cli.mjs
// through V8's code cache) prints what trace-cmd printed for the committed fixtures
// (testdata/succeed: trace-cmd report's own output in each mode), in every V8 flag set the bin
// picks, and keeps its code cache once made (a cache V8 rejects is rewritten on every run).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'packages/cli/bin/utp.cjs');
const BUNDLE = join(ROOT, 'packages/cli/dist/bundle/utp.js');
const SUCCEED = join(ROOT, 'testdata/succeed');
const work = mkdtempSync(join(tmpdir(), 'utp-bin-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (args) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'buffer', maxBuffer: 1 << 30 });

/** The fixtures with a default-mode reference output, as files on disk. */
function fixtures() {
  const out = [];
  for (const name of readdirSync(SUCCEED).sort()) {
    const dir = join(SUCCEED, name);
    if (!existsSync(join(dir, 'report.txt'))) continue;
    let file = join(dir, 'trace.dat');
    if (!existsSync(file)) {
      file = join(work, `${name}.dat`);
      writeFileSync(file, gunzipSync(readFileSync(join(dir, 'trace.dat.gz'))));
    }
    out.push({ name, dir, file });
  }
  return out;
}

test('the bin runs the bundle (npm run build made it)', (t) => {
  if (!existsSync(BUNDLE)) {
    t.skip('no bundle: run `npm run build` (tsc -b alone does not bundle)');
    return;
  }
  const r = run(['--version']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /^utp version /);
});

test('utp report through the bin is byte-identical to trace-cmd on every fixture (default, -N, -R)', (t) => {
  const list = fixtures();
  if (list.length === 0) {
    t.skip('no fixtures in testdata/succeed');
    return;
  }
  let n = 0;
  for (const { name, dir, file } of list) {
    for (const [out, args] of [
      ['report', []],
      ['report-N', ['-N']],
      ['report-R', ['-R']],
    ]) {
      const expected = join(dir, `${out}.txt`);
      if (!existsSync(expected)) continue;
      const r = run(['report', ...args, '-i', file]);
      assert.equal(r.status, 0, `${name} ${out}: exit ${r.status}: ${r.stderr}`);
      assert.ok(readFileSync(expected).equals(r.stdout), `${name} ${out}: output differs from trace-cmd's`);
      n++;
    }
  }
  assert.ok(n > 0);
});

test('inputs above 16 MB (the flag set with every V8 tier) print what dist/main.js prints', (t) => {
  const list = fixtures()
    .map((f) => ({ ...f, size: statSync(f.file).size }))
    .sort((a, b) => b.size - a.size);
  if (list.length === 0) {
    t.skip('no fixtures in testdata/succeed');
    return;
  }
  // several -i of the largest fixture (the bin sums the inputs' sizes); several inputs print with
  // a prefix per file, so the reference is the unbundled program, which test/fixtures.test.mjs and
  // the compat tests hold against trace-cmd
  const { file, size } = list[0];
  const copies = [];
  for (let i = 0; i * size <= 16 << 20; i++) {
    const c = join(work, `big-${i}.dat`);
    copyFileSync(file, c);
    copies.push('-i', c);
  }
  const viaBin = run(['report', ...copies]);
  const viaMain = spawnSync(process.execPath, [join(ROOT, 'packages/cli/dist/main.js'), 'report', ...copies], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
  });
  assert.equal(viaBin.status, 0, viaBin.stderr.toString());
  assert.equal(viaMain.status, 0, viaMain.stderr.toString());
  assert.ok(viaBin.stdout.length > 0 && viaBin.stdout.equals(viaMain.stdout), 'bin and dist/main.js outputs differ');
});

test('the code cache is kept once made (V8 accepts it)', (t) => {
  if (!existsSync(BUNDLE)) {
    t.skip('no bundle: run `npm run build`');
    return;
  }
  const list = fixtures();
  if (list.length === 0) {
    t.skip('no fixtures in testdata/succeed');
    return;
  }
  const dir = join(ROOT, 'packages/cli/dist/bundle');
  run(['report', '-i', list[0].file]);
  const caches = () =>
    Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.cache'))
        .map((f) => [f, statSync(join(dir, f)).mtimeMs]),
    );
  const before = caches();
  assert.ok(Object.keys(before).length > 0, 'no code cache was written');
  run(['report', '-i', list[0].file]);
  assert.deepEqual(caches(), before, 'a report rewrote its code cache (V8 rejected it)');
});
