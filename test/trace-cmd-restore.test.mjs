// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// utp restore against trace-cmd restore: a `utp record` killed with SIGKILL leaves per-CPU files;
// both tools rebuild a trace.dat from them with this machine's metadata, and `trace-cmd report`
// prints the same events for both (utp also stores the saved cmdlines, so only the comm column
// may differ: trace-cmd restore writes none and prints <...>). Then -c (partial file) and -i
// (metadata from a partial file), crosswise between the tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oracleSkipReason, run, traceCmd, utp, UTP } from './lib/tracecmd-oracle.mjs';

const skip = oracleSkipReason();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("restore of a SIGKILLed utp record: trace-cmd report reads utp restore's file as trace-cmd restore's", {
  skip: skip ?? false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'utp-restore-'));
  try {
    const out = join(dir, 'k.dat');
    const child = spawn(
      process.execPath,
      [UTP, 'record', '-q', '-e', 'sched', '-e', 'irq', '-o', out, '--', 'sh', '-c', 'ls -R /usr >/dev/null; sleep 5'],
      { stdio: 'ignore' },
    );
    await sleep(2500);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const cpuFiles = readdirSync(dir)
      .filter((f) => /^\.k\.dat\.utp-\d+\.cpu\d+$/.test(f))
      .sort((a, b) => Number(/cpu(\d+)$/.exec(a)[1]) - Number(/cpu(\d+)$/.exec(b)[1]))
      .map((f) => join(dir, f));
    assert.ok(cpuFiles.length >= 1, 'per-CPU files left by SIGKILL');
    const tc = traceCmd(['restore', '-o', join(dir, 'tc.dat'), ...cpuFiles]);
    assert.equal(tc.status, 0, tc.stderr);
    const u = utp(['restore', '-o', join(dir, 'utp.dat'), ...cpuFiles]);
    assert.equal(u.status, 0, u.stderr);
    const rep = (f) => {
      const r = traceCmd(['report', '-i', f]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.toString('latin1');
    };
    // the comm column (it may hold spaces): everything before the last "-PID [CPU]"
    const comm = (s) => s.replace(/^.*-(\d+)( +\[\d+\])/gm, 'X-$1$2');
    const a = rep(join(dir, 'tc.dat')),
      b = rep(join(dir, 'utp.dat'));
    assert.ok(a.split('\n').length > 100, `events recovered (${a.split('\n').length} lines)`);
    assert.equal(comm(b), comm(a));
    const ours = utp(['report', '-i', join(dir, 'utp.dat')]);
    assert.equal(ours.stdout.toString('latin1'), b, 'utp report = trace-cmd report on the restored file');

    // -c: a partial file (this machine's metadata only; default name trace-partial.dat); -i: the
    // metadata from one. trace-cmd restore -i takes utp's partial file and utp takes trace-cmd's:
    // each pair of restores from the same partial file must report the same, byte for byte.
    const tcPart = join(dir, 'tc-partial.dat');
    const tcc = traceCmd(['restore', '-c', '-o', tcPart]);
    assert.equal(tcc.status, 0, tcc.stderr);
    const uc = run(process.execPath, [UTP, 'restore', '-c'], { cwd: dir });
    assert.equal(uc.status, 0, uc.stderr);
    const uPart = join(dir, 'trace-partial.dat');
    assert.ok(existsSync(uPart), 'utp restore -c writes trace-partial.dat');
    for (const [tag, part] of [
      ['tc', tcPart],
      ['utp', uPart],
    ]) {
      const t = traceCmd(['restore', '-i', part, '-o', join(dir, `tci-${tag}.dat`), ...cpuFiles]);
      assert.equal(t.status, 0, t.stderr);
      const x = utp(['restore', '-i', part, '-o', join(dir, `ui-${tag}.dat`), ...cpuFiles]);
      assert.equal(x.status, 0, x.stderr);
      const ref = rep(join(dir, `tci-${tag}.dat`));
      assert.equal(rep(join(dir, `ui-${tag}.dat`)), ref, `restore -i ${tag}'s partial file`);
      assert.equal(comm(ref), comm(a), `restore -i ${tag}'s partial file: the events of a plain restore`);
    }
    const bad = ['restore', '-c', '-i', tcPart, '-o', join(dir, 'bad.dat'), ...cpuFiles];
    const tb = traceCmd(bad),
      ub = utp(bad);
    assert.notEqual(tb.status, 0);
    assert.match(tb.stderr, /-c and -i are incompatible/);
    assert.equal(ub.status, 2);
    assert.equal(ub.stderr, 'utp: restore: -c and -i are incompatible\n');
    // -k: a kallsyms file instead of /proc/kallsyms in the partial file
    const ks = join(dir, 'ks.txt');
    writeFileSync(ks, 'ffffffff81000000 T utp_fake_symbol\nffffffff81000010 t utp_other [utpmod]\n');
    const kdump = (f) => traceCmd(['dump', '--kallsyms', '-i', f]).stdout.toString().split('\n').slice(1).join('\n');
    assert.equal(traceCmd(['restore', '-c', '-k', ks, '-o', join(dir, 'tk.dat')]).status, 0);
    assert.equal(utp(['restore', '-c', '-k', ks, '-o', join(dir, 'uk.dat')]).status, 0);
    assert.match(kdump(join(dir, 'uk.dat')), /utp_fake_symbol/);
    assert.equal(kdump(join(dir, 'uk.dat')), kdump(join(dir, 'tk.dat')));
    const p6 = join(dir, 'p6.dat');
    assert.equal(utp(['restore', '-c', '--file-version', '6', '-o', p6]).status, 0);
    const u6 = utp(['restore', '-i', p6, '-o', join(dir, 'u6.dat'), ...cpuFiles]);
    assert.equal(u6.status, 1);
    assert.match(u6.stderr, /^utp: \S+p6\.dat is a version 6 partial file: utp restore -i reads version 7 ones[^\n]*\n$/);
  } finally {
    utp(['reset', '--stale']);
    rmSync(dir, { recursive: true, force: true });
  }
});
