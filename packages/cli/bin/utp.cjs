#!/usr/bin/env node
// The `utp` executable: a committed stub (npm links it at install time, before the build exists).
// It runs the one-file bundle dist/bundle/utp.js (tools/bundle-cli.mjs) through V8's code cache,
// so a start compiles almost nothing: the cache (dist/bundle/utp.js[.FLAGS].cache) holds the
// bytecode of every function a report run used, and a report writes it again whenever it is
// missing or V8 rejects it (another Node, other flags). Without a bundle (only `tsc -b` was
// run) it runs dist/main.js, the same program as separate modules. Build: `npm run build` at the
// repository root.
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
  try {
    b = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const packages = join(__dirname, '..', '..');
  let names;
  try {
    names = readdirSync(packages);
  } catch {
    return true;
  }
  for (const name of names) {
    try {
      if (statSync(join(packages, name, 'tsconfig.tsbuildinfo')).mtimeMs > b) return false;
    } catch {
      /* not built here */
    }
  }
  return true;
}

/**
 * V8 flags for this run, set before anything is compiled (the code cache is kept per flag set,
 * since V8 rejects a cache made under other flags). A report of small inputs is over before
 * optimised code would pay for its compilation: it runs on V8's baseline tiers only (no
 * TurboFan, no optimising wasm tier-up for the zstd decoder, which alone costs ~20 MB RSS).
 * The sizes come from the report's -i arguments (default trace.dat); getting them wrong only
 * costs speed, never changes output.
 */
function flagsFor(argv) {
  if (argv[0] !== 'report') return '';
  const files = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '-i' || a === '--input') {
      if (i + 1 < argv.length) files.push(argv[++i]);
    } else if (a.startsWith('--input=')) files.push(a.slice(8));
    else if (a.startsWith('-i') && a.length > 2) files.push(a.slice(2));
  }
  if (files.length === 0) files.push('trace.dat');
  let total = 0;
  for (const f of files) {
    try {
      total += inputSize(f, 0);
    } catch {
      return '';
    }
    if (total >= MEDIUM_INPUT) break;
  }
  if (total < SMALL_INPUT) return '--liftoff-only --no-opt';
  if (total < MEDIUM_INPUT) return '--liftoff-only';
  return '';
}
/**
 * The bytes an input holds: a file's size, or for a directory (a CTF trace, or a folder holding one)
 * the sizes of the files below it (a directory's own size says nothing: a 50 MB CTF trace is 4 KiB).
 */
function inputSize(path, depth) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  if (depth > 6) return 0;
  let total = 0;
  for (const name of readdirSync(path)) {
    total += inputSize(join(path, name), depth + 1);
    if (total >= MEDIUM_INPUT) break;
  }
  return total;
}
/** Inputs below these sizes (bytes, all -i files together) run without TurboFan / without wasm tier-up. */
const SMALL_INPUT = 2 << 20;
const MEDIUM_INPUT = 16 << 20;

if (freshBundle()) {
  const flags = flagsFor(process.argv.slice(2));
  if (flags) require('node:v8').setFlagsFromString(flags);
  const cacheFile = `${bundle}${flags ? '.' + flags.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '') : ''}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  // the bundle is ASCII (tools/bundle-cli.mjs checks it): read as latin1, which skips UTF-8 validation
  const source = readFileSync(bundle, 'latin1');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: undefined,
  });
  // made by a report (the command that wants it most), so that it holds the report's functions
  if ((cachedData === undefined || script.cachedDataRejected) && process.argv[2] === 'report') {
    // after the run, so that the cache holds the functions this run compiled
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        /* read-only install: run without a cache */
      }
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
