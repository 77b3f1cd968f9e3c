#!/usr/bin/env node
// Regenerates testdata/ctf/: small CTF traces and what babeltrace2 2.0.4 prints for them
// (TZ=UTC, exit status checked). Run as root under the live lock (LTTng records a trace):
//   flock /tmp/utp-live.lock node tools/make-ctf-fixtures.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { buildTracepointProgram, lttngSkipReason, recordLttng } from '../test/lib/lttng.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'testdata/ctf');
const UTP = join(ROOT, 'packages/cli/dist/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'utp-ctf-fix-'));

function expect(dir) {
  const r = spawnSync('babeltrace2', [dir], { env: { ...process.env, TZ: 'UTC' }, encoding: 'buffer', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`babeltrace2 ${dir} exited ${r.status}: ${r.stderr}`);
  writeFileSync(join(dir, '..', `${dir.split('/').pop()}.babeltrace2.txt`), r.stdout);
  console.log(`${dir}: ${r.stdout.toString().split('\n').length - 1} lines`);
}

function copyTrace(from, to) {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const n of readdirSync(from)) if (statSync(join(from, n)).isFile()) cpSync(join(from, n), join(to, n));
}

try {
  mkdirSync(OUT, { recursive: true });
  // ours: trace.dat → CTF
  for (const name of ['uprobe-args', 'lost-events']) {
    const dst = join(OUT, `utp-${name}`);
    rmSync(dst, { recursive: true, force: true });
    const r = spawnSync(
      process.execPath,
      [UTP, 'convert', join(ROOT, 'testdata/succeed', name, 'trace.dat'), '-o', dst, '--to', 'ctf', '-q'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`utp convert ${name}: ${r.stderr}`);
    expect(dst);
  }
  // LTTng: our tracepoint provider (every field kind) and the libc wrapper
  const why = lttngSkipReason();
  if (why) console.log(`LTTng fixtures not regenerated: ${why}`);
  else {
    const bin = buildTracepointProgram(tmp);
    const t1 = recordLttng(join(tmp, 'tp'), { run: (env) => spawnSync(bin, [], { env, stdio: 'ignore' }) });
    copyTrace(t1, join(OUT, 'lttng-ust-types'));
    expect(join(OUT, 'lttng-ust-types'));
    const t2 = recordLttng(join(tmp, 'libc'), {
      events: ['lttng_ust_libc:*'],
      contexts: ['vtid', 'procname'],
      run: (env) => spawnSync('ls', ['/usr'], { env: { ...env, LD_PRELOAD: 'liblttng-ust-libc-wrapper.so' }, stdio: 'ignore' }),
    });
    copyTrace(t2, join(OUT, 'lttng-ust-libc'));
    expect(join(OUT, 'lttng-ust-libc'));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
