// Committed fixtures (testdata/succeed): traces recorded by trace-cmd with trace-cmd report's own output
// in each mode. Runs anywhere (no tracefs, no trace-cmd needed). Regenerate with tools/make-fixtures.mjs.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runUtp, firstDifference, tmpDir, ROOT } from './lib/live.mjs';
import { compareJsonToRaw } from './lib/json-vs-raw.mjs';

const SUCCEED = join(ROOT, 'testdata/succeed');
const MODES = { report: [], 'report-N': ['-N'], 'report-R': ['-R'], 'report-t': ['-t'], 'report-l': ['-l'] };
const work = tmpDir('utp-fixtures-');
after(() => rmSync(work, { recursive: true, force: true }));

for (const name of readdirSync(SUCCEED).sort()) {
  const dir = join(SUCCEED, name);
  let file = join(dir, 'trace.dat');
  describe(`fixture ${name}`, () => {
    if (!existsSync(file)) {
      file = join(work, `${name}.dat`);
      writeFileSync(file, gunzipSync(readFileSync(join(dir, 'trace.dat.gz'))));
    }
    for (const [out, args] of Object.entries(MODES)) {
      const expected = join(dir, `${out}.txt`);
      if (!existsSync(expected)) continue;
      test(`utp report ${args.join(' ')} is byte-identical to trace-cmd's`, () => {
        const r = runUtp(['report', ...args, '-i', file]);
        assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
        const d = firstDifference(readFileSync(expected), r.stdout, `${name} ${out}`);
        assert.equal(d, undefined, d);
      });
    }
    if (existsSync(join(dir, 'report-R.txt'))) {
      test('utp report --json: every field of every record equals trace-cmd report -R', () => {
        const r = runUtp(['report', '--json', '-i', file]);
        assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
        const stats = { records: 0, fields: 0 };
        const d = compareJsonToRaw(r.stdout, readFileSync(join(dir, 'report-R.txt')), stats);
        assert.equal(d, undefined, d);
        assert.ok(stats.records > 0, 'records were compared');
      });
    }
  });
}
