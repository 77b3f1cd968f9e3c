#!/usr/bin/env node
// Records one benchmark trace of this machine with trace-cmd (bench/run.mjs runs this under
// `flock /tmp/utp-live.lock`, the lock every helper takes before touching tracefs).
//   node bench/traces.mjs NAME OUT.dat [EVENTS]
// Every recording uses its own instance(s) and leaves tracefs as it found it (test/lib/live.mjs).
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { convert, liveSkipReason, recordReference, subbufRefusal } from '../test/lib/live.mjs';

const sh = (cmd) => () => spawnSync('sh', ['-c', cmd]);
// a few hundred thousand events of many types: sched, syscalls, page cache, kmem, block, signals
const MIXED_RUN =
  'for i in $(seq 1 150); do ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; sh -c "kill -0 $$"; done; ' +
  'dd if=/dev/zero of=/tmp/utp-bench-mixed bs=64k count=200 2>/dev/null; sync; rm -f /tmp/utp-bench-mixed';
const MIXED_EVENTS = ['sched', 'irq', 'timer', 'syscalls', 'kmem', 'signal', 'workqueue', 'filemap', 'block', 'writeback', 'task', 'rcu'];

/** raw_syscalls enter+exit: dd with 1-byte blocks makes 2 syscalls (4 events) per block. */
function storm(events) {
  return `dd if=/dev/zero of=/dev/null bs=1 count=${Math.ceil(events / 4)} 2>/dev/null`;
}
function stormKb(events) {
  return Math.ceil((events * 80) / 1024 / 2) + 65536;
}

/** name -> (out, events) => void */
export const RECIPES = {
  // a few hundred events, as most files opened interactively
  small: (out) => recordReference('/tmp', { events: ['sched', 'irq'], bufKb: 4096, out, run: sh('sleep 0.3') }),
  // a syscall storm (v7 + zstd, trace-cmd's default)
  syscalls: (out, n) =>
    recordReference('/tmp', { events: ['raw_syscalls', 'sched', 'irq', 'timer'], bufKb: stormKb(n), out, run: sh(storm(n)) }),
  // the same kind of trace as v6 (uncompressed) and as v7 without compression
  'syscalls-v6': (out, n) => viaConvert(out, n, { version: 6, compression: 'none' }),
  'syscalls-v7-none': (out, n) => viaConvert(out, n, { version: 7, compression: 'none' }),
  // ~200 event types
  mixed: (out) => recordReference('/tmp', { events: MIXED_EVENTS, bufKb: 65536, out, run: sh(MIXED_RUN) }),
  // every event of the kernel enabled at once (events/enable)
  'all-events': (out) => recordReference('/tmp', { events: ['.'], bufKb: 16384, out, run: sh(MIXED_RUN) }),
  // 64 KiB sub-buffers instead of the page size
  'subbuf-64k': (out, n) =>
    recordReference('/tmp', {
      events: ['raw_syscalls', 'sched', 'irq', 'timer', 'kmem'],
      bufKb: stormKb(n),
      subbufKb: 64,
      out,
      run: sh(storm(n)),
    }),
  // two instances in one file, merged by time
  instances: (out, n) =>
    recordReference('/tmp', {
      events: ['raw_syscalls', 'sched', 'syscalls'],
      bufKb: stormKb(n / 2),
      instances: 2,
      out,
      run: sh(storm(n / 2)),
    }),
};

function viaConvert(out, n, how) {
  const tmp = `${out}.src.dat`;
  RECIPES.syscalls(tmp, n);
  try {
    convert(tmp, `${out}.tmp`, how);
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(tmp, { force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, out, events] = process.argv.slice(2);
  const recipe = RECIPES[name];
  if (!recipe || !out) {
    console.error(`usage: traces.mjs (${Object.keys(RECIPES).join('|')}) OUT.dat [EVENTS]`);
    process.exit(2);
  }
  const skip = liveSkipReason();
  if (skip) {
    console.error(`bench: cannot record ${name}: ${skip}`);
    process.exit(1);
  }
  // a facility this kernel refuses (e.g. sub-buffers other than the page size): exit 3, named
  if (name === 'subbuf-64k') {
    const refused = await subbufRefusal(64);
    if (refused) {
      console.error(`bench: ${name}: ${refused}`);
      process.exit(3);
    }
  }
  const tmp = `${out}.part`;
  recipe(tmp, Number(events ?? 1_000_000));
  renameSync(tmp, out);
}
