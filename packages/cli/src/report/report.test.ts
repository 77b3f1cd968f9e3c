/// <reference types="node" />
/**
 * `utp report` against saved `trace-cmd report` 3.1.6 output (byte for byte).
 * Fixtures: packages/tracedat/testdata (X.report*.txt.gz) and packages/cli/testdata/report
 * (NAME.args = "FILE[,FILE...]|FLAGS", NAME.txt.gz = trace-cmd's stdout for them; FILE is looked
 * up there first (fgraph*.dat: make-fgraph.mjs), then in the tracedat corpus).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const datDir = fileURLToPath(new URL('../../../tracedat/testdata/', import.meta.url));
const fixDir = fileURLToPath(new URL('../../testdata/report/', import.meta.url));

function utp(args: string[]): { out: Buffer; err: string; status: number | null } {
  const r = spawnSync(process.execPath, [main, 'report', ...args], { maxBuffer: 1 << 28 });
  return { out: r.stdout, err: r.stderr.toString(), status: r.status };
}

function gz(path: string): Buffer {
  return gunzipSync(readFileSync(path));
}

/** Splits "a b 'c d'" like a shell would (single quotes only). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (let m; (m = re.exec(s)); ) out.push(m[1] ?? m[2]!);
  return out;
}

for (const f of readdirSync(datDir)
  .filter((x) => x.endsWith('.dat'))
  .sort()) {
  const base = f.replace(/\.dat$/, '');
  // trace-cmd printed nothing: it could not set up the top buffer ("failed to init data", status 2)
  const initFails = gz(`${datDir}${base}.report.txt.gz`).length === 0;
  test(`utp report ${f} == trace-cmd report`, () => {
    const r = utp(['-i', datDir + f]);
    assert.equal(r.status, initFails ? 2 : 0, r.err);
    if (initFails) assert.match(r.err, /^utp report: failed to init data: [^\n]*\n$/);
    assert.ok(r.out.equals(gz(`${datDir}${base}.report.txt.gz`)), 'output differs from trace-cmd');
  });
  test(`utp report -t ${f} == trace-cmd report -t`, () => {
    const r = utp(['-t', '-i', datDir + f]);
    assert.equal(r.status, initFails ? 2 : 0, r.err);
    assert.ok(r.out.equals(gz(`${datDir}${base}.report-t.txt.gz`)), 'output differs from trace-cmd');
  });
}

for (const a of readdirSync(fixDir)
  .filter((x) => x.endsWith('.args'))
  .sort()) {
  const line = readFileSync(fixDir + a, 'utf8').trim();
  const file = line.slice(0, line.indexOf('|'));
  const flags = line.slice(line.indexOf('|') + 1);
  const name = a.replace(/\.args$/, '');
  test(`utp report ${flags} ${file} == trace-cmd (${name})`, () => {
    const r = utp([...splitArgs(flags), ...file.split(',').flatMap((f) => ['-i', existsSync(fixDir + f) ? fixDir + f : datDir + f])]);
    assert.equal(r.status, 0, r.err);
    // trace-cmd prints the input path in some outputs (--cpus): the fixtures were made from the
    // repository at /work/main; compare with the path of this checkout.
    const want = Buffer.from(
      gz(`${fixDir}${name}.txt.gz`).toString('latin1').split('/work/main/packages/tracedat/testdata/').join(datDir),
      'latin1',
    );
    if (!r.out.equals(want)) {
      const g = r.out.toString('latin1').split('\n');
      const w = want.toString('latin1').split('\n');
      const i = g.findIndex((l, k) => l !== w[k]);
      assert.equal(g[i], w[i], `first difference at line ${i + 1}`);
      assert.fail('output differs');
    }
  });
}

test('utp report: bad input is one stderr line and exit 1', () => {
  const dir = mkdtempSync(tmpdir() + '/utp-report-');
  writeFileSync(dir + '/empty.dat', '');
  writeFileSync(dir + '/text.dat', 'hello, this is not a trace\n'.repeat(100));
  const bytes = readFileSync(datDir + 'sched-irq-v6.dat');
  writeFileSync(dir + '/meta-cut.dat', bytes.subarray(0, 5000));
  for (const p of [dir + '/missing.dat', dir, dir + '/empty.dat', dir + '/text.dat', dir + '/meta-cut.dat']) {
    const r = utp(['-i', p]);
    assert.equal(r.status, 1, p);
    assert.equal(r.out.length, 0, p);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
    assert.match(r.err, /^utp report: /);
  }
});

test('utp report: a file cut in its CPU data prints what it holds, then one warning, exit 1', () => {
  const dir = mkdtempSync(tmpdir() + '/utp-report-');
  const bytes = readFileSync(datDir + 'sched-irq-top-v6.dat');
  writeFileSync(dir + '/cut.dat', bytes.subarray(0, bytes.length - 5000));
  const r = utp(['-i', dir + '/cut.dat']);
  assert.equal(r.status, 1);
  const full = gz(datDir + 'sched-irq-top-v6.report.txt.gz')
    .toString('latin1')
    .split('\n');
  const got = r.out
    .toString('latin1')
    .split('\n')
    .filter((l) => l !== '');
  assert.ok(got.length > 10 && got.length < full.length, `lines: ${got.length}`);
  assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  assert.match(r.err, /truncated/);
});

test('utp report: unknown option is a usage error (exit 2)', () => {
  const r = utp(['--no-such-flag', datDir + 'sched-irq-v6.dat']);
  assert.equal(r.status, 2);
});

test('utp report: options after the input file are ignored, as getopt "+" does in trace-cmd', () => {
  const r = utp([datDir + 'sched-irq-top-v6.dat', '-t', '--cpu', '0']);
  assert.equal(r.status, 0, r.err);
  assert.ok(r.out.equals(gz(datDir + 'sched-irq-top-v6.report.txt.gz')));
});

test('utp report: -F after -i is ignored unless a -F came before it (trace-cmd 3.1.6 list sharing)', () => {
  const all = utp(['-i', datDir + 'sched-irq-top-v6.dat', '-F', 'sched_switch']);
  assert.ok(all.out.equals(gz(datDir + 'sched-irq-top-v6.report.txt.gz')));
  const both = utp(['-F', 'sched_wakeup', '-i', datDir + 'sched-irq-top-v6.dat', '-F', 'sched_switch'])
    .out.toString('latin1')
    .split('\n');
  assert.ok(both.some((l) => l.includes(' sched_switch: ')) && both.some((l) => l.includes(' sched_wakeup: ')));
  assert.ok(both.every((l) => l === '' || l.startsWith('cpus=') || / sched_(switch|wakeup): /.test(l)));
});

test('utp report: pages trace-cmd 3.1.6 loses are one stderr line each, exit 0; --all-pages reads them', () => {
  for (const [f, n] of [
    ['page-quirk-inst8.dat', 1],
    ['page-quirk-top-inst.dat', 1],
    ['page-quirk-raw-v7.dat', 1],
  ] as const) {
    const r = utp(['-i', datDir + f]);
    assert.equal(r.status, 0, r.err);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, n, r.err);
    assert.match(lines[0]!, /^utp report: warning: .*bad page offset [0-9a-f]+: cpu=0 buffer=s8: .*--all-pages/);
    const all = utp(['--all-pages', '-i', datDir + f]);
    assert.equal(all.status, 0, all.err);
    assert.equal(all.err, '');
    const count = (b: Buffer) =>
      b
        .toString('latin1')
        .split('\n')
        .filter((l) => /^ *s8: /.test(l)).length;
    // raw-v7: the pages trace-cmd refuses are zero padding (0 events); the others hold events
    if (f === 'page-quirk-raw-v7.dat') assert.equal(count(all.out), count(r.out));
    else assert.ok(count(all.out) > count(r.out), `${f}: --all-pages prints more of s8`);
  }
});

test('utp report --all-pages reads a top buffer trace-cmd cannot set up', () => {
  const r = utp(['--all-pages', '-i', datDir + 'page-quirk-init-top.dat']);
  assert.equal(r.status, 0, r.err);
  const lines = r.out.toString('latin1').split('\n');
  assert.equal(lines[0], 'cpus=2');
  assert.ok(lines.length > 100);
  assert.ok(
    lines.slice(1).every((l) => l === '' || / \[00[01]\] +\d+\.\d{6}: \w+: /.test(l)),
    'every line is a record line',
  );
});

test('utp report --help documents --all-pages', () => {
  const r = utp(['--help']);
  assert.match(r.out.toString() + r.err, /--all-pages/);
});

test('utp report --help prints the usage on stdout and exits 0', () => {
  const r = utp(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.out.toString(), /^usage: utp report/);
  assert.match(r.out.toString(), /--json/);
  assert.equal(utp(['-h']).status, 0);
});

test('utp report --json: one JSON object per record, 64-bit integers as exact literals', () => {
  const r = utp(['--json', '-i', datDir + 'sched-irq-v7-zstd.dat']);
  assert.equal(r.status, 0, r.err);
  const text = utp(['-i', datDir + 'sched-irq-v7-zstd.dat'])
    .out.toString('latin1')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('cpus='));
  const lines = r.out.toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, text.length);
  for (const l of lines) {
    const o = JSON.parse(l) as Record<string, unknown>;
    assert.ok('lost' in o || (typeof o['ts'] === 'number' && typeof o['event'] === 'string' && typeof o['fields'] === 'object'), l);
  }
  // integer literals only (no exponent, no fraction)
  assert.ok(!/"[^"]+":-?\d+(\.|e)/i.test(r.out.toString()));
});

// --profile's text is compared with trace-cmd's in test/report-profile.test.mjs; here what it does
// where trace-cmd fails: an instance buffer (trace-cmd dies) and an invalid -H (trace-cmd segfaults)
test('utp report --profile profiles an instance buffer under its name', () => {
  const r = utp(['--profile', '-i', datDir + 'sched-irq-v6.dat']);
  assert.equal(r.status, 0, r.err);
  const text = r.out.toString('latin1');
  assert.match(text, /^cpus=\d+\n\nbuffer: mkref_2935\n\ntask: /);
  assert.match(text, /\n {2}Event: sched_switch:[A-Z]+ \(\d+\) Total: \d+/);
});

test('utp report -H with an invalid hook is a usage error (one line, exit 2)', () => {
  const r = utp(['--profile', '-H', 'sched_switch', '-i', datDir + 'sched-irq-v6.dat']);
  assert.equal(r.status, 2);
  assert.equal(r.err, "utp report: Invalid hook format 'sched_switch'\n");
  assert.equal(r.out.length, 0);
});
