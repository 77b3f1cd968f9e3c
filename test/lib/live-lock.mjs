// The live lock: one process at a time works on the kernel's tracing state (tracefs instances, the
// top-level buffer, trace-cmd extract — which turns the top-level tracing_on off while it reads —,
// uprobes, perf recordings). It is flock(2) on /tmp/utp-live.lock, the same lock `flock /tmp/utp-live.lock
// CMD` takes, so a person's live experiment and the suite exclude each other.
//
// tools/run-tests.mjs runs two test files at a time. A file marked `// utp-test: live` is run while the
// runner holds the lock for it (UTP_LIVE_LOCK_HELD=1 in its environment); any other file that touches the
// kernel takes the lock itself around each live step (withLiveLock: recordReference, tracefsState, a
// `utp record` or `perf record` run) and does its offline work (reports, diffs) beside the other file.
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';

export const LIVE_LOCK = '/tmp/utp-live.lock';
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

let flock;
function flockFn() {
  if (!flock) {
    const koffi = createRequire(import.meta.url)('koffi');
    flock = koffi.load('libc.so.6').func('int flock(int fd, int op)');
  }
  return flock;
}

let depth = 0;
let fd = -1;

/** Whether the runner already holds the lock for this whole process. */
const heldForUs = () => process.env.UTP_LIVE_LOCK_HELD === '1';

function acquire() {
  fd = openSync(LIVE_LOCK, 'a', 0o666);
  const f = flockFn();
  // EINTR (a signal while waiting) returns -1: wait again.
  for (let tries = 0; f(fd, LOCK_EX) !== 0; tries++) {
    if (tries > 1000) throw new Error(`cannot lock ${LIVE_LOCK}`);
  }
}
function release() {
  flockFn()(fd, LOCK_UN);
  closeSync(fd);
  fd = -1;
}

/**
 * Runs fn holding the live lock (re-entrant; a no-op when the runner holds it for this file).
 * fn may be async: the lock is released when its promise settles.
 */
export function withLiveLock(fn) {
  if (heldForUs()) return fn();
  if (depth++ === 0) acquire();
  let async = false;
  try {
    const r = fn();
    if (r && typeof r.then === 'function') {
      async = true;
      return r.finally(() => {
        if (--depth === 0) release();
      });
    }
    return r;
  } finally {
    if (!async && --depth === 0) release();
  }
}

/** Tries the lock without waiting: true when it was free (and is released again at once). */
export function liveLockFree() {
  const f = openSync(LIVE_LOCK, 'a', 0o666);
  try {
    if (flockFn()(f, LOCK_EX | LOCK_NB) !== 0) return false;
    flockFn()(f, LOCK_UN);
    return true;
  } finally {
    closeSync(f);
  }
}
