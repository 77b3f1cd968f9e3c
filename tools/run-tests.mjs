#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js, test/**/*.test.mjs) with node's test runner,
// two files at a time (live work on the kernel serialised by a lock, see below), and counts what each file
// really did (tools/test-counts-reporter.mjs).
// Usage: node tools/run-tests.mjs [FILTER]  — FILTER keeps only paths containing it.
//
// The run fails when a file fails, exits non-zero, times out, or declares no test at all; and with CI=true
// (.ci/run) also when it is not root, tracefs is not mounted, a reference tool is missing, or any test or
// suite was skipped: on CI every comparison must have run. The one exception is a case the kernel itself
// refuses, probed at run time: its skip reason starts with "kernel refuses:" and names the facility (e.g.
// "kernel refuses: buffer_subbuf_size_kb = 8 (EPERM)"), and the test has checked utp's refusal message
// instead; such skips are listed at the end. Outside CI a file whose tests were all skipped is listed
// loudly at the end (with the reasons) but does not fail the run.
import { readdirSync, statSync, existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { LIVE_LOCK } from '../test/lib/live-lock.mjs';

const root = new URL('..', import.meta.url).pathname;
const reporter = join(root, 'tools/test-counts-reporter.mjs');
/** File filters: a test file runs when its path contains any of them (all files when none). */
const filters = process.argv.slice(2);
const filter = filters.join(' ');
/** A skip for a facility the kernel refused when probed (the reason names it), not for a missing tool or tracefs. */
const isKernelRefusal = (s) => /(^|: )kernel refuses: \S/.test(s);
const CI = process.env.CI === 'true' || process.env.CI === '1';
const FILE_TIMEOUT_MS = 12 * 60_000;

/** The reference tools the suite compares against. CI must have every one; elsewhere a missing one is noted. */
// (`trace-cmd --version` exits 255 after printing its version: the check is on what it prints.)
const REFERENCE_TOOLS = [
  { name: 'trace-cmd', check: ['trace-cmd', ['--version']], prints: /trace-cmd version \d/, apt: 'trace-cmd' },
  { name: 'babeltrace2', check: ['babeltrace2', ['--version']], prints: /Babeltrace \d/, apt: 'babeltrace2' },
  { name: 'perf', check: ['perf', ['--version']], prints: /perf version \d/, apt: 'linux-perf' },
  { name: 'chromium', check: ['/usr/bin/chromium', ['--version']], prints: /Chromium \d/, apt: 'chromium' },
  { name: 'protoc', check: ['protoc', ['--version']], prints: /libprotoc \d/, apt: 'protobuf-compiler' },
  { name: 'lttng', check: ['lttng', ['--version']], prints: /lttng \(LTTng Trace Control\) \d/, apt: 'lttng-tools' },
  { name: 'gcc', check: ['gcc', ['--version']], prints: /gcc/, apt: 'gcc' },
  { name: 'g++', check: ['g++', ['--version']], prints: /g\+\+/, apt: 'g++' },
  { name: 'c++filt', check: ['c++filt', ['--version']], prints: /GNU c\+\+filt/, apt: 'binutils' },
];

const files = [];
function walk(dir) {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.(js|mjs)$/.test(e)) files.push(p);
  }
}
for (const pkg of readdirSync(join(root, 'packages'))) {
  const d = join(root, 'packages', pkg, 'dist');
  if (existsSync(d)) walk(d);
}
if (existsSync(join(root, 'test'))) walk(join(root, 'test'));
const selected = files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (selected.length === 0) {
  console.error('run-tests: no test files found' + (filter ? ` matching ${filter}` : ''));
  process.exit(1);
}

// ---- prerequisites ----
const problems = [];
const missingTools = REFERENCE_TOOLS.filter((t) => {
  const r = spawnSync(t.check[0], t.check[1], { encoding: 'utf8', timeout: 60_000 });
  return r.error !== undefined || !t.prints.test(`${r.stdout}${r.stderr}`);
});
const notes = missingTools.map((t) => `reference tool ${t.name} is missing (apt-get install -y ${t.apt})`);
if (CI) {
  if (process.getuid?.() !== 0) notes.push('not running as root: the live tests need root');
  if (!existsSync('/sys/kernel/tracing/events')) notes.push('tracefs is not mounted at /sys/kernel/tracing');
  if (notes.length) {
    // Nothing on CI may skip for want of these: say so now rather than after a run that compares less.
    console.error('run-tests: FAILED before running any test:');
    for (const n of notes) console.error(`  - CI: ${n}`);
    process.exit(1);
  }
} else for (const n of notes) console.log(`run-tests: note: ${n}; tests that need it will skip`);

// ---- how each file may run ----
// Two files run at a time (UTP_TEST_JOBS overrides). Tracing state is global, so work on the kernel is
// serialised by one lock, flock(2) on /tmp/utp-live.lock (test/lib/live-lock.mjs): a file marked
// `// utp-test: live` runs while this runner holds the lock for it (no other live file beside it); any
// other file that touches the kernel takes the lock itself around each live step, through test/lib/live.mjs
// (recordReference, tracefsState, withLiveLock), and does its reports and diffs beside the other file.
const LIVE_MARK = /^\/\/ utp-test: live\b/m;
/** Sources that touch the kernel's tracing state: such a file must be marked live or lock its steps. */
const TOUCHES_KERNEL =
  /createPrivateInstance\(|openInstance\(|'trace_marker'|'tracing_on'|\[UTP, 'record'|\['record'|perf record|\['extract'|'\/sys\/kernel\/tracing\/|from '@utp\/perf\/live'/;
/createPrivateInstance|trace_marker|tracing_on|\[UTP, 'record'|\['record'|perf record|'extract'|\/sys\/kernel\/tracing\/|@utp\/perf\/live/;
const LOCKS_ITSELF = /withLiveLock|\.\/lib\/live\.mjs|utp-live\.lock|^\/\/ utp-test: reads tracefs\b/m;
const kindOf = (file) => {
  const src = readFileSync(file, 'utf8');
  if (LIVE_MARK.test(src)) return 'live';
  const m = TOUCHES_KERNEL.exec(src);
  if (m && !LOCKS_ITSELF.test(src))
    problems.push(
      `${relative(root, file)}: touches the kernel (${m[0]}) but is neither marked \`// utp-test: live\` nor takes the live lock (test/lib/live-lock.mjs)`,
    );
  return 'shared';
};
const kinds = new Map(selected.map((f) => [f, kindOf(f)]));
if (problems.length) {
  console.error('run-tests: FAILED before running any test:');
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
const JOBS = Math.max(1, Number(process.env.UTP_TEST_JOBS) || Math.min(2, availableParallelism()));

/** An ancestor that holds the live lock (`flock /tmp/utp-live.lock node tools/run-tests.mjs`) would deadlock every live step. */
function lockHeldByAncestor() {
  let locks;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  let ino;
  try {
    ino = statSync(LIVE_LOCK).ino;
  } catch {
    return undefined;
  }
  const holders = new Set();
  for (const l of locks.split('\n')) {
    const f = l.trim().split(/\s+/); // "1: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END"
    if (f[1] === 'FLOCK' && f[5]?.split(':')[2] === String(ino)) holders.add(Number(f[4]));
  }
  for (let pid = process.ppid; pid > 1; ) {
    if (holders.has(pid)) return pid;
    try {
      pid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {
      break;
    }
  }
  return undefined;
}
const ancestor = lockHeldByAncestor();
if (ancestor !== undefined) {
  console.error(
    `run-tests: ${LIVE_LOCK} is held by an ancestor of this run (pid ${ancestor}): the suite takes that lock itself around every live step; run it without flock`,
  );
  process.exit(1);
}

/** Holds the live lock in a child (`flock LOCK cat`): released when its stdin closes, also if this runner dies. */
function holdLiveLock() {
  return new Promise((resolve, reject) => {
    const c = spawn('flock', [LIVE_LOCK, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    c.once('error', reject);
    c.stdout.once('data', () =>
      resolve(
        () =>
          new Promise((done) => {
            c.once('exit', done);
            c.stdin.end();
          }),
      ),
    );
  });
}

// ---- run the files ----
const work = mkdtempSync(join(tmpdir(), 'utp-run-tests-'));
const rows = [];
const t0 = Date.now();

function runFile(file, i) {
  return new Promise((resolve) => {
    const rel = relative(root, file);
    const out = join(work, `${i}.jsonl`);
    const live = kinds.get(file) === 'live';
    const start = Date.now();
    const chunks = [];
    const env = { ...process.env, ...(live ? { UTP_LIVE_LOCK_HELD: '1' } : {}) };
    (live ? holdLiveLock() : Promise.resolve(async () => {})).then((unlock) => {
      const c = spawn(
        process.execPath,
        [
          '--test',
          `--test-reporter=${reporter}`,
          `--test-reporter-destination=${out}`,
          '--test-reporter=spec',
          '--test-reporter-destination=stdout',
          file,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, env },
      );
      c.stdout.on('data', (d) => chunks.push(d));
      c.stderr.on('data', (d) => chunks.push(d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        c.kill('SIGTERM');
      }, FILE_TIMEOUT_MS);
      c.on('close', async (status, signal) => {
        clearTimeout(timer);
        await unlock();
        // one file's output in one piece, whichever file ran beside it
        process.stdout.write(`\n▶▶ ${rel}${live ? ' (live: holds the live lock)' : ''}\n`);
        process.stdout.write(Buffer.concat(chunks));
        const events = existsSync(out)
          ? readFileSync(out, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l))
          : [];
        const row = {
          rel,
          i,
          pass: 0,
          fail: 0,
          skip: 0,
          todo: 0,
          skips: [],
          fails: [],
          status,
          signal,
          timedOut,
          secs: (Date.now() - start) / 1000,
        };
        for (const e of events) {
          // A passing suite is only a container; a skipped suite is one skip (its tests never ran);
          // a failing suite (a hook failed, or the file itself failed to load) is one failure.
          if (e.kind === 'suite' && e.result === 'pass' && e.skip === undefined) continue;
          if (e.result === 'fail') {
            row.fail++;
            row.fails.push(`${e.name}${e.error ? `: ${e.error.split('\n')[0]}` : ''}`);
          } else if (e.skip !== undefined) {
            row.skip++;
            row.skips.push(`${e.kind === 'suite' ? 'suite ' : ''}${e.name}: ${e.skip}`);
          } else if (e.todo !== undefined) row.todo++;
          else row.pass++;
        }
        resolve(row);
      });
    });
  });
}

// The slowest files first, so the two lanes end together; never two live files at once.
const LONG_FIRST = ['compat', 'trace-cmd-split', 'trace-cmd-dump', 'report-debug', 'convert-dat', 'report-profile'];
const weight = (f) => {
  const k = LONG_FIRST.findIndex((n) => f.includes(`/${n}.test.`));
  return k < 0 ? LONG_FIRST.length : k;
};
const queue = selected.map((f, i) => ({ f, i })).sort((a, b) => weight(a.f) - weight(b.f) || a.i - b.i);
try {
  await new Promise((finish) => {
    let running = 0;
    let liveRunning = false;
    const next = () => {
      while (running < JOBS && queue.length) {
        // the first file that may start now: a live file only when no live file runs
        const k = queue.findIndex(({ f }) => !(liveRunning && kinds.get(f) === 'live'));
        if (k < 0) break;
        const [{ f, i }] = queue.splice(k, 1);
        const live = kinds.get(f) === 'live';
        running++;
        if (live) liveRunning = true;
        runFile(f, i).then((row) => {
          rows.push(row);
          running--;
          if (live) liveRunning = false;
          next();
        });
      }
      if (running === 0 && queue.length === 0) finish();
    };
    next();
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
rows.sort((a, b) => a.i - b.i);

// ---- summary ----
const allSkipped = [];
console.log('\n── tests per file ──────────────────────────────────────────────');
console.log(`${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'skip'.padStart(5)} ${'secs'.padStart(6)}  file`);
for (const r of rows) {
  console.log(
    `${String(r.pass).padStart(5)} ${String(r.fail).padStart(5)} ${String(r.skip).padStart(5)} ${r.secs.toFixed(1).padStart(6)}  ${r.rel}`,
  );
  if (r.timedOut) problems.push(`${r.rel}: timed out after ${FILE_TIMEOUT_MS / 60_000} min`);
  else if (r.status !== 0)
    problems.push(
      `${r.rel}: exited ${r.status ?? r.signal}${r.fail ? ` with ${r.fail} failure(s): ${r.fails.slice(0, 5).join(' | ')}` : ''}`,
    );
  else if (r.fail) problems.push(`${r.rel}: ${r.fail} failure(s): ${r.fails.slice(0, 5).join(' | ')}`);
  if (r.pass + r.fail + r.skip + r.todo === 0) problems.push(`${r.rel}: ran zero tests (none declared, or the runner saw none)`);
  else if (r.pass + r.fail === 0) allSkipped.push(r);
  if (CI) for (const s of r.skips) if (!isKernelRefusal(s)) problems.push(`CI: ${r.rel}: skipped ${s}`);
}
const total = rows.reduce((a, r) => ({ pass: a.pass + r.pass, fail: a.fail + r.fail, skip: a.skip + r.skip }), {
  pass: 0,
  fail: 0,
  skip: 0,
});
const minutes = (Date.now() - t0) / 60_000;
console.log(
  `${String(total.pass).padStart(5)} ${String(total.fail).padStart(5)} ${String(total.skip).padStart(5)} ${(minutes * 60).toFixed(1).padStart(6)}  total, ${rows.length} files`,
);
if (!CI) {
  for (const r of allSkipped)
    console.log(`run-tests: WARNING: ${r.rel} ran no test, all ${r.skip} skipped: ${r.skips.slice(0, 3).join(' | ')}`);
  const someSkipped = rows.filter((r) => r.skip && r.pass + r.fail > 0);
  for (const r of someSkipped) console.log(`run-tests: note: ${r.rel} skipped ${r.skip}: ${r.skips.slice(0, 3).join(' | ')}`);
}
const refusals = rows.flatMap((r) => r.skips.filter(isKernelRefusal).map((s) => `${r.rel}: ${s}`));
for (const s of refusals) console.log(`run-tests: kernel refusal (utp's error checked instead): ${s}`);
if (minutes > 15) console.log(`run-tests: WARNING: the suite took ${minutes.toFixed(1)} min (budget: 15 min)`);
if (problems.length) {
  console.error(`\nrun-tests: FAILED (${problems.length} problem${problems.length > 1 ? 's' : ''}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `run-tests: ok${CI ? ` (CI: every reference tool present; nothing skipped${refusals.length ? ` but ${refusals.length} case(s) this kernel refuses` : ''})` : ''}`,
);
