// utp dump against trace-cmd dump, byte for byte, for every flag, on the committed fixtures
// (v6 and v7, zstd and uncompressed, instances, 8 KiB sub-buffers), their trace-cmd convert-ed
// versions (v6, v7 without compression), and truncated or foreign files (same stdout, both fail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UTP = fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url));
const FIX = fileURLToPath(new URL('../testdata/succeed/', import.meta.url));
const haveTc = !spawnSync('trace-cmd', ['--help']).error;
const skip = !haveTc ? 'needs trace-cmd (the oracle)' : !existsSync(UTP) ? 'needs a build' : false;

const FLAGS = [
  [],
  ['--all'],
  ['--summary'],
  ['--head-page'],
  ['--head-event'],
  ['--ftrace-events'],
  ['--systems'],
  ['--events'],
  ['--kallsyms'],
  ['--printk'],
  ['--cmd-lines'],
  ['--options'],
  ['--flyrecord'],
  ['--clock'],
  ['--sections'],
  ['--strings'],
  ['-v'],
  ['--options', '--clock', '--summary'],
];

let dir;
const files = [];
const CONVERTED = new Set(['many-v7-zstd', 'two-instances-subbuf8k', 'lost-events', 'utf8-comm-marker']);
before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'utp-dump-'));
  for (const n of readdirSync(FIX)) {
    const d = join(FIX, n);
    const src = existsSync(join(d, 'trace.dat'))
      ? join(d, 'trace.dat')
      : existsSync(join(d, 'trace.dat.gz'))
        ? join(d, 'trace.dat.gz')
        : undefined;
    if (!src) continue;
    const f = join(dir, `${n}.dat`);
    writeFileSync(f, src.endsWith('.gz') ? gunzipSync(readFileSync(src)) : readFileSync(src));
    files.push(f);
    // the other layouts (v6, v7 uncompressed) of a few fixtures: the rest hold these layouts already
    if (!CONVERTED.has(n)) continue;
    for (const [tag, args] of [
      ['v6', ['--file-version', '6']],
      ['v7none', ['--compression', 'none']],
    ]) {
      const o = join(dir, `${n}-${tag}.dat`);
      const r = spawnSync('trace-cmd', ['convert', '-i', f, '-o', o, ...args]);
      if (r.status === 0) files.push(o);
    }
  }
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function same(args) {
  const a = spawnSync('trace-cmd', ['dump', ...args], { maxBuffer: 1 << 28 });
  const b = spawnSync(process.execPath, [UTP, 'dump', ...args], { maxBuffer: 1 << 28 });
  assert.ok(a.stdout.equals(b.stdout), `dump ${args.join(' ')}: stdout differs (${a.stdout.length} vs ${b.stdout.length} bytes)`);
  assert.equal(b.status === 0, a.status === 0, `dump ${args.join(' ')}: exit ${b.status} vs ${a.status}: ${b.stderr}`);
}

test('utp dump = trace-cmd dump for every flag on v6/v7, compressed and not', { skip }, () => {
  assert.ok(files.length >= 16, `${files.length} files`);
  const versions = new Set(files.map((f) => readFileSync(f).subarray(10, 11).toString()));
  assert.deepEqual([...versions].sort(), ['6', '7']);
  // Every flag on one file per version (many event systems v7 zstd; two instances with 8 KiB sub-buffers
  // v6); on every other file --all (every section) — each pair spawns both tools, and ~30 files × 18
  // flags took 3 minutes.
  const full = files.filter((f) => /\/(many-v7-zstd\.dat|two-instances-subbuf8k-v6\.dat)$/.test(f));
  assert.ok(full.length >= 2, `full-flag files: ${full.join(' ')}`);
  for (const f of files) for (const fl of full.includes(f) ? FLAGS : [['--all']]) same([...fl, '-i', f]);
  same([files[0]]); // the file as an operand
});

test('utp dump of truncated and foreign files prints what trace-cmd prints before it stops, and fails', { skip }, () => {
  const cut = (f, n, name) => {
    const o = join(dir, name);
    writeFileSync(o, readFileSync(f).subarray(0, n));
    return o;
  };
  const v6 = files.find((f) => f.endsWith('-v6.dat')),
    v7 = files.find((f) => readFileSync(f).subarray(10, 11).toString() === '7');
  const bad = join(dir, 'bad.dat');
  writeFileSync(bad, 'hello\n');
  for (const f of [
    cut(v6, 3000, 'cut6.dat'),
    cut(v7, 600, 'cut7.dat'),
    cut(v7, Math.floor(readFileSync(v7).length / 2), 'half7.dat'),
    bad,
  ]) {
    for (const fl of [[], ['--all']]) same([...fl, '-i', f]);
  }
});
