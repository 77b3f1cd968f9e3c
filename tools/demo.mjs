#!/usr/bin/env node
// npm run demo: the main job in one command. As root with tracefs: record this machine for a few
// seconds with `utp record` (in a private instance) and show it with `utp report`. Elsewhere (no root
// or no tracefs): open the bundled sample trace instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const ROOT = new URL('..', import.meta.url).pathname;
const UTP = join(ROOT, 'packages/cli/dist/main.js');
const SAMPLE = join(ROOT, 'testdata/succeed/many-v7-zstd/trace.dat');
const seconds = process.argv[2] ?? '3';
const T = '/sys/kernel/tracing';

function utp(args, opts = {}) {
  return spawnSync(process.execPath, [UTP, ...args], { stdio: 'inherit', ...opts });
}

let file = SAMPLE;
let why = '';
if (process.getuid?.() !== 0) why = 'not root';
else if (!existsSync(join(T, 'events')) && !existsSync('/sys/kernel/debug/tracing/events')) {
  spawnSync('mount', ['-t', 'tracefs', 'nodev', T]);
  if (!existsSync(join(T, 'events'))) why = 'no tracefs';
}
if (!why) {
  const out = join(tmpdir(), `utp-demo-${process.pid}.dat`);
  console.error(`demo: recording sched, irq, timer and syscalls for ${seconds} s (utp record -o ${out})`);
  const r = utp(['record', '-e', 'sched', '-e', 'irq', '-e', 'timer', '-e', 'raw_syscalls', '-o', out, '--', 'sleep', seconds]);
  if (r.status === 0 && existsSync(out)) file = out;
  else why = 'utp record failed';
}
if (why) console.error(`demo: ${why}: showing the bundled sample ${file}`);
const report = spawnSync(process.execPath, [UTP, 'report', '-i', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
if (report.status !== 0) {
  process.stderr.write(report.stderr);
  process.exit(report.status ?? 1);
}
const lines = report.stdout.split('\n');
process.stdout.write(lines.slice(0, 40).join('\n') + '\n');
console.log(`... ${lines.length - 1} lines in all: npx utp report -i ${file}`);
utp(['report', '--stat', '-i', file]);
