#!/usr/bin/env node
// The `utp` executable: a committed stub (npm links it at install time, before the build exists)
// that runs the compiled CLI. Build first: `npm run build` at the repository root.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('utp: not built yet: run `npm run build` in the repository root\n');
  process.exit(1);
}
await import(main.href);
