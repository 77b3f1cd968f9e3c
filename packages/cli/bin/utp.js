#!/usr/bin/env node
// The `utp` executable: a committed stub (npm links it at install time, before the build exists).
// It runs the one-file bundle dist/bundle/utp.js (tools/bundle-cli.mjs) through V8's code cache,
// so a start compiles almost nothing: the cache (dist/bundle/utp.js.cache) holds the bytecode of
// every function a previous run used, and is written again whenever V8 rejects it (another Node)
// or it is missing. Without a bundle (only `tsc -b` was run) it runs dist/main.js, the same
// program as separate modules. Build: `npm run build` at the repository root.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const dist = new URL('../dist/', import.meta.url);
const bundle = fileURLToPath(new URL('bundle/utp.js', dist));
const main = new URL('main.js', dist);

/** The bundle, unless a later `tsc -b` made it stale (then the modules are newer than it). */
function freshBundle() {
  let b;
  try { b = statSync(bundle).mtimeMs; } catch { return false; }
  try { return statSync(main).mtimeMs <= b; } catch { return true; }
}

if (freshBundle()) {
  const cacheFile = bundle + '.cache';
  let cachedData;
  try { cachedData = readFileSync(cacheFile); } catch { /* first run */ }
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: undefined,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    // after the run, so that the cache holds the functions this run compiled
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch { /* read-only install: run without a cache */ }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, fileURLToPath(new URL('bundle/', dist)));
} else if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write('utp: not built yet: run `npm run build` in the repository root\n');
  process.exit(1);
}
