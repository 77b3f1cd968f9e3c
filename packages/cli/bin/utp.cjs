#!/usr/bin/env node
// The `utp` executable: a committed stub (npm links it at install time, before the build exists).
// It runs the one-file bundle dist/bundle/utp.js (tools/bundle-cli.mjs) through V8's code cache,
// so a start compiles almost nothing: the cache (dist/bundle/utp.js.cache) holds the bytecode of
// every function a previous run used, and is written again whenever V8 rejects it (another Node)
// or it is missing. Without a bundle (only `tsc -b` was run) it runs dist/main.js, the same
// program as separate modules. Build: `npm run build` at the repository root.
// CommonJS on purpose: an ES-module entry would make Node set up its ESM loader first (~15 ms).
'use strict';
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const bundle = join(dist, 'bundle', 'utp.js');
const main = join(dist, 'main.js');

/**
 * The bundle, unless a later `tsc -b` made it stale: then some workspace package's build info
 * (packages/NAME/tsconfig.tsbuildinfo, written whenever tsc emits) is newer than the bundle.
 */
function freshBundle() {
  let b;
  try { b = statSync(bundle).mtimeMs; } catch { return false; }
  const packages = join(__dirname, '..', '..');
  let names;
  try { names = readdirSync(packages); } catch { return true; }
  for (const name of names) {
    try { if (statSync(join(packages, name, 'tsconfig.tsbuildinfo')).mtimeMs > b) return false; } catch { /* not built here */ }
  }
  return true;
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
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, join(dist, 'bundle'));
} else if (existsSync(main)) {
  import(pathToFileURL(main).href);
} else {
  process.stderr.write('utp: not built yet: run `npm run build` in the repository root\n');
  process.exit(1);
}
