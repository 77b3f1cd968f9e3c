// tracefs instance helpers shared by the live tests that compare two instances (trace-cmd's A, utp's B).
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { T } from './live.mjs';

/** Keys whose values differ between two snapshots. */
export function changed(a, b) {
  return Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
}

const tryW = (f, v) => {
  try {
    writeFileSync(f, v);
  } catch {
    /* gone */
  }
};

/** Removes an instance a test made: tracing and events off, every trigger cleared first (else rmdir is EBUSY). */
export function removeInstance(name) {
  const I = join(T, 'instances', name);
  if (!existsSync(I)) return;
  tryW(join(I, 'tracing_on'), '0');
  tryW(join(I, 'events/enable'), '0');
  for (const sys of readdirSync(join(I, 'events'), { withFileTypes: true })) {
    if (!sys.isDirectory()) continue;
    for (const ev of readdirSync(join(I, 'events', sys.name), { withFileTypes: true })) {
      const f = join(I, 'events', sys.name, ev.name, 'trigger');
      if (!ev.isDirectory() || !existsSync(f)) continue;
      for (const l of readFileSync(f, 'latin1').split('\n')) if (l && !l.startsWith('#')) tryW(f, `!${l.split(/[: ]/)[0]}`);
    }
  }
  rmdirSync(I);
}

/** Whether an instance is a running utp record's (utp-PID.START-N of a live PID): `-a` leaves those alone. */
export function liveUtpInstance(name) {
  const m = /^utp-(\d+)\./.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch {
    return false;
  }
}
