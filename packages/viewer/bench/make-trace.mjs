#!/usr/bin/env node
// Records a trace of about N events (raw_syscalls + sched + irq + timer under a dd syscall storm) with
// trace-cmd (test/lib/live.mjs recordReference, which takes the live lock /tmp/utp-live.lock itself:
// do not run it under flock, that deadlocks).
// usage: make-trace.mjs OUT N
import { spawnSync } from 'node:child_process';
import { recordReference, liveSkipReason } from '../../../test/lib/live.mjs';
import { dirname } from 'node:path';
const [out, n] = [process.argv[2], Number(process.argv[3] ?? 1150000)];
const skip = liveSkipReason();
if (skip) {
  console.error(`cannot record: ${skip}`);
  process.exit(1);
}
const blocks = Math.ceil(n / 4);
recordReference(dirname(out), {
  events: ['raw_syscalls', 'sched', 'irq', 'timer'],
  bufKb: Math.ceil((n * 80) / 1024 / 2) + 65536,
  out,
  run: () => spawnSync('sh', ['-c', `dd if=/dev/zero of=/dev/null bs=1 count=${blocks} 2>/dev/null`]),
});
