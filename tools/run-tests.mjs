#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js, test/*.test.mjs) with node's test runner.
// Usage: node tools/run-tests.mjs [FILTER]  — FILTER keeps only paths containing it.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv[2];
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
const selected = files.filter((f) => !filter || f.includes(filter)).sort();
if (selected.length === 0) { console.error('no test files found'); process.exit(1); }
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
