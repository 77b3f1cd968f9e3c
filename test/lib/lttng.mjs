// LTTng helpers for the CTF tests: compile the test tracepoint provider (lttng-tp/) and record a
// user-space trace with a session daemon started and killed here. Each session has its own LTTNG_HOME (nothing global is touched).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';

const TP = new URL('./lttng-tp/', import.meta.url).pathname;

/** Why LTTng tests cannot run here, or undefined. */
export function lttngSkipReason() {
  if (process.getuid?.() !== 0) return 'not root: lttng-sessiond for the test runs as root';
  if (spawnSync('lttng', ['--version']).error) return 'lttng-tools is not installed (apt-get install -y lttng-tools)';
  if (spawnSync('gcc', ['--version']).error) return 'gcc is not installed';
  if (!['/usr/include/lttng/tracepoint.h', '/usr/include/x86_64-linux-gnu/lttng/tracepoint.h'].some(existsSync))
    return 'liblttng-ust-dev is not installed';
  if (spawnSync('pgrep', ['-x', 'lttng-sessiond']).status === 0) return 'another lttng-sessiond is running (not ours to stop)';
  return undefined;
}

/** Builds the tracepoint provider program in `dir`; returns its path. */
export function buildTracepointProgram(dir) {
  const bin = join(dir, 'utp-tp');
  execFileSync('gcc', ['-O1', '-I', TP, '-o', bin, join(TP, 'tp.c'), '-llttng-ust', '-ldl']);
  return bin;
}

/**
 * Records `run()` into a new LTTng session (user-space events `events`), in `dir`/trace.
 * Starts lttng-sessiond and kills it afterwards. Returns the CTF trace directory (the one with `metadata`).
 */
export function recordLttng(dir, { events = ['utp_test:*'], contexts = [], run }) {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const env = { ...process.env, LTTNG_HOME: home };
  const opt = { env, stdio: ['ignore', 'pipe', 'pipe'] };
  const r = spawnSync('lttng-sessiond', ['--daemonize'], opt);
  if (r.status !== 0) throw new Error(`lttng-sessiond failed: ${r.stderr}`);
  const pidFile = '/var/run/lttng/lttng-sessiond.pid';
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  const session = `utp-${process.pid}`;
  try {
    execFileSync('lttng', ['create', session, '--output', join(dir, 'trace')], opt);
    for (const e of events) execFileSync('lttng', ['enable-event', '-u', e], opt);
    for (const c of contexts) execFileSync('lttng', ['add-context', '-u', '-t', c], opt);
    execFileSync('lttng', ['start'], opt);
    run(env);
    execFileSync('lttng', ['stop'], opt);
  } finally {
    spawnSync('lttng', ['destroy', session], opt);
    if (pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        spawnSync('sleep', ['0.1']);
      }
    }
  }
  const find = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (n === 'metadata') return d;
      if (statSync(p).isDirectory()) {
        const x = find(p);
        if (x) return x;
      }
    }
    return undefined;
  };
  const t = find(join(dir, 'trace'));
  if (!t) throw new Error('lttng wrote no trace');
  return t;
}
export { dirname };
