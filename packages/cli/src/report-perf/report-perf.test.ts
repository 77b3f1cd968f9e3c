/// <reference types="node" />
/**
 * `utp report` on perf.data against `perf script` (Debian perf 6.1): the committed fixtures of
 * @utp/perf (recorded by perf, perf script's output saved by make-fixtures.sh), and fresh
 * recordings made here by perf under /tmp/utp-live.lock (root + perf needed; skipped otherwise).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const fixDir = fileURLToPath(new URL('../../../perf/testdata/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'utp-perf-report-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function utp(args: string[]): { out: Buffer; err: string; status: number | null } {
  const r = spawnSync(process.execPath, [main, 'report', ...args], { maxBuffer: 1 << 28 });
  return { out: r.stdout, err: r.stderr.toString(), status: r.status };
}
function gz(name: string): Buffer {
  return gunzipSync(readFileSync(fixDir + name));
}

/** The first differing line, for a readable failure. */
function sameLines(got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  const g = got.toString('latin1').split('\n'),
    w = want.toString('latin1').split('\n');
  let i = 0;
  while (i < g.length && i < w.length && g[i] === w[i]) i++;
  assert.fail(`${what}: line ${i + 1} differs (${g.length} vs ${w.length} lines)\n  utp:  ${g[i]}\n  perf: ${w[i]}`);
}

for (const f of ['tp-task', 'tp-pipe', 'tp-zstd', 'tp-lost']) {
  test(`fixture ${f}: utp report = perf script, default and --show-task-events --ns`, () => {
    const path = join(tmp, `${f}.data`);
    writeFileSync(path, gz(`${f}.data.gz`));
    let r = utp(['-i', path]);
    assert.equal(r.status, 0, r.err);
    sameLines(r.out, gz(`${f}.script.gz`), `${f} default`);
    r = utp(['-i', path, '--show-task-events', '--ns']);
    assert.equal(r.status, 0, r.err);
    sameLines(r.out, gz(`${f}.task-ns.script.gz`), `${f} --show-task-events --ns`);
  });
}

test('a truncated perf.data: the lines it holds, one warning line, exit 1', () => {
  const bytes = gz('tp-task.data.gz');
  const dataOff = Number(bytes.readBigUInt64LE(40)),
    dataSize = Number(bytes.readBigUInt64LE(48));
  const path = join(tmp, 'cut.data');
  writeFileSync(path, bytes.subarray(0, dataOff + Math.floor(dataSize * 0.8)));
  const r = utp(['-i', path]);
  assert.equal(r.status, 1);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith('utp report: ')), r.err);
  assert.match(r.err, /truncated|ends/);
  // no tracing data survives the cut (it is a feature section after the data): names still print
  assert.ok(r.out.length > 0);
});

test('-F and --cpu on a perf.data', () => {
  const path = join(tmp, 'tp-zstd.data');
  writeFileSync(path, gz('tp-zstd.data.gz'));
  const want = gz('tp-zstd.script.gz')
    .toString('latin1')
    .split('\n')
    .filter((l) => l.includes('[001]'));
  const r = utp(['-i', path, '--cpu', '1']);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(r.out.toString('latin1').split('\n').filter(Boolean), want);
  const bad = utp(['-i', path, '-F', 'comm,bogus']);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /^utp report: unknown field 'bogus'/);
});

// ---- live: fresh recordings by perf, diffed against perf script on the same file
const isRoot = process.getuid?.() === 0;
const hasPerf = spawnSync('perf', ['--version']).status === 0;
const hasFlock = spawnSync('flock', ['--version']).status === 0;

const LIVE: Array<{ name: string; record: string; script?: string[] }> = [
  {
    name: 'tracepoints -a',
    record: "perf record -q -a -e sched:sched_switch -e sched:sched_wakeup -e 'irq:*' -e timer:hrtimer_start -o F -- sleep 0.1",
  },
  {
    name: 'tracepoints + software events per task',
    record: 'perf record -q -e sched:sched_switch -e raw_syscalls:sys_exit -e context-switches -e cpu-clock -o F -- ls -R /usr/share/doc',
  },
  { name: 'cpu-clock -g per task', record: 'perf record -q -g -e cpu-clock -o F -- ls -R /usr/share/doc' },
  {
    name: 'task-clock -a with --show-task-events',
    record: "perf record -q -a -e task-clock -e sched:sched_process_exec -o F -- sh -c 'ls / >/dev/null'",
    script: ['--show-task-events'],
  },
  { name: 'pipe mode', record: 'perf record -q -e sched:sched_switch -e raw_syscalls:sys_enter -o - -- ls /usr > F' },
  { name: 'zstd -z', record: 'perf record -q -z -a -e sched:sched_switch -e sched:sched_stat_runtime -o F -- sleep 0.1' },
  {
    name: 'LOST records (-m 1)',
    record: 'perf record -q -m 1 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o F -- ls -R /usr/share/doc',
  },
];

for (const [k, c] of LIVE.entries()) {
  test(`live: ${c.name}`, (t) => {
    if (!isRoot || !hasPerf || !hasFlock) {
      t.skip(`needs root, perf and flock (root=${isRoot} perf=${hasPerf} flock=${hasFlock})`);
      return;
    }
    const file = join(tmp, `live-${k}.data`);
    const cmd = c.record.replace(/\bF\b/, file);
    const pipe = cmd.includes('-o -');
    // a pipe recording writes the file on stdout (its `> F` must stay the last stdout redirection)
    const rec = spawnSync('flock', [
      '/tmp/utp-live.lock',
      'sh',
      '-c',
      pipe ? `${cmd} 2>/dev/null </dev/null` : `${cmd} >/dev/null 2>&1 </dev/null`,
    ]);
    assert.equal(rec.status, 0, `perf record failed: ${cmd}`);
    const opts = c.script ?? [];
    const ps = spawnSync('sh', ['-c', `perf script ${pipe ? '-i - <' : '-i'} ${file} ${opts.join(' ')}`], { maxBuffer: 1 << 28 });
    assert.equal(ps.status, 0, 'perf script failed');
    const r = utp(['-i', file, ...opts]);
    assert.equal(r.status, 0, r.err);
    sameLines(r.out, ps.stdout, c.name);
    assert.ok(ps.stdout.length > 0, 'perf script printed something');
  });
}
