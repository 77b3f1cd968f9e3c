#!/usr/bin/env node
// Regenerates testdata/text/: one short recording of this machine in a private instance (sched,
// irq, raw_syscalls, task events, trace_marker writes and a direct disk write for hard irqs), as the kernel prints it and as trace-cmd
// does: the instance's `trace` file read three ways before extracting (plain, options/record-tgid
// on, options/latency-format on), then `trace-cmd extract -B NAME` (trace.dat, gzipped: kallsyms
// makes it large) and `trace-cmd report` of it (default, -l, -t). FtraceTextSource's tests compare
// the texts' Chrome JSON with the trace.dat's. Needs root, tracefs and trace-cmd.
// trace_pipe.txt: another recording read through trace_pipe after its small buffer overflowed, with
// the kernel's per-CPU overrun counts (trace_pipe-overrun.txt).
// Usage: node tools/make-text-fixtures.mjs [pipe]  (pipe: regenerate trace_pipe*.txt only)
import { mkdirSync, writeFileSync, rmSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { liveSkipReason, tmpDir, recordReference, runTraceCmd, withLiveLock, T } from '../test/lib/live.mjs';

const skip = liveSkipReason();
if (skip) {
  console.error(`make-text-fixtures: ${skip}`);
  process.exit(1);
}
const OUT = new URL('../testdata/text/', import.meta.url).pathname;
const REPORTS = { 'report.txt': [], 'report-l.txt': ['-l'], 'report-t.txt': ['-t'] };
const texts = {};
const dir = tmpDir('utp-text-');
const pipeOnly = process.argv[2] === 'pipe';
try {
  if (!pipeOnly) {
    const { file } = recordReference(dir, {
      events: ['sched', 'irq', 'raw_syscalls', 'task'],
      bufKb: 48,
      run: (I) => {
        const d = I[0];
        writeFileSync(join(d, 'trace_marker'), 'text fixture marker');
        // a direct write and fsync to the disk: its completion is a hard irq (irq_handler_entry/exit)
        const f = join(dir, 'io');
        spawnSync('sh', [
          '-c',
          `cat /proc/self/stat >/dev/null; dd if=/dev/zero of=${f} bs=4k count=2 oflag=direct conv=fsync 2>/dev/null; rm -f ${f}; sleep 0.01`,
        ]);
        writeFileSync(join(d, 'trace_marker'), 'key=value in a marker: x=1');
        writeFileSync(join(d, 'tracing_on'), '0');
        const read = () => readFileSync(join(d, 'trace'));
        texts['trace.txt'] = read();
        writeFileSync(join(d, 'options/record-tgid'), '1');
        texts['trace-tgid.txt'] = read();
        writeFileSync(join(d, 'options/record-tgid'), '0');
        writeFileSync(join(d, 'options/latency-format'), '1');
        texts['trace-lat.txt'] = read();
        writeFileSync(join(d, 'options/latency-format'), '0');
      },
    });
    for (const f of ['trace.dat.gz', ...Object.keys(REPORTS), ...Object.keys(texts)]) rmSync(join(OUT, f), { force: true });
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'trace.dat.gz'), gzipSync(readFileSync(file), { level: 9 }));
    for (const [name, bytes] of Object.entries(texts)) writeFileSync(join(OUT, name), bytes);
    for (const [out, args] of Object.entries(REPORTS)) {
      const r = runTraceCmd(['report', ...args, '-i', file]);
      if (r.status !== 0 || r.signal)
        throw new Error(`trace-cmd report ${args.join(' ')} failed: ${r.stderr.toString().trim().slice(0, 300)}`);
      writeFileSync(join(OUT, out), r.stdout);
    }
    console.log(`testdata/text: ${texts['trace.txt'].toString().split('\n').length} lines of trace`);
  }
  // trace_pipe (a consuming read, no header) of a buffer that overflowed: its `CPU:N [LOST N EVENTS]`
  // lines, and the kernel's per-CPU overrun counts (per_cpu/cpuN/stats) they must add up to
  withLiveLock(() => {
    const I = join(T, 'instances', `utp-${process.pid}-text-pipe`);
    mkdirSync(I);
    try {
      writeFileSync(join(I, 'buffer_size_kb'), '8');
      for (const e of ['sched', 'raw_syscalls']) writeFileSync(join(I, 'events', e, 'enable'), '1');
      writeFileSync(join(I, 'tracing_on'), '1');
      spawnSync('sh', ['-c', 'for i in $(seq 1 50); do cat /proc/self/stat >/dev/null; done']);
      writeFileSync(join(I, 'tracing_on'), '0');
      const stats = [0, 1]
        .map((c) => `cpu${c} ${/^overrun: (\d+)$/m.exec(readFileSync(join(I, 'per_cpu', `cpu${c}`, 'stats'), 'utf8'))[1]}\n`)
        .join('');
      // trace_pipe blocks once empty: read for a second
      const pipe = spawnSync('timeout', ['1', 'cat', join(I, 'trace_pipe')], { encoding: 'buffer', maxBuffer: 1 << 26 }).stdout;
      writeFileSync(join(OUT, 'trace_pipe.txt'), pipe);
      writeFileSync(join(OUT, 'trace_pipe-overrun.txt'), stats);
      console.log(
        `testdata/text/trace_pipe.txt: ${pipe.toString().split('\n').length} lines; overrun ${stats.trim().replace(/\n/g, ', ')}`,
      );
    } finally {
      writeFileSync(join(I, 'tracing_on'), '0');
      writeFileSync(join(I, 'events/enable'), '0');
      rmdirSync(I);
    }
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
