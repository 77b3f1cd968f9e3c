// Layout of packages/traceevent/src: folders depend one way (a folder may import only from
// itself and from folders of a lower rank), no file takes part in an import circle (type-only
// imports count too), every folder explains itself in a README.md, and the package index is an
// explicit export list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = new URL('../packages/traceevent/src/', import.meta.url).pathname;

// Lower rank first. Folders of equal rank may not import each other.
const RANK = {
  core: 0,
  symbols: 1,
  ring: 1,
  format: 2,
  'print/parse': 3,
  'print/eval': 4,
  'print/emit': 5,
  print: 5, // print engine tests only
  event: 6,
  tep: 7,
  line: 8,
  plugins: 8,
  filter: 8,
  '.': 9, // index.ts
};

function sources(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const files = sources(SRC);
const folderOf = (f) => relative(SRC, dirname(f)) || '.';
/** file -> relative import targets (as .ts paths) */
const edges = new Map();
for (const f of files) {
  const out = [];
  for (const m of readFileSync(f, 'utf8').matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    out.push(resolve(dirname(f), spec).replace(/\.js$/, '.ts'));
  }
  edges.set(f, out);
}
const isTest = (f) => f.endsWith('.test.ts') || f.endsWith('/testing-tep.ts');

test('traceevent: every source folder has a rank and a README.md', () => {
  const folders = new Set(files.map(folderOf));
  for (const d of folders) {
    assert.ok(d in RANK, `folder ${d} has no place in test/layout.test.mjs RANK`);
    assert.ok(existsSync(join(SRC, d, 'README.md')), `${d}/README.md is missing`);
  }
});

test('traceevent: folders depend one way (lower rank only)', () => {
  const bad = [];
  for (const [f, targets] of edges) {
    if (isTest(f)) continue;
    const from = folderOf(f);
    for (const t of targets) {
      const to = folderOf(t);
      if (to === from) continue;
      if (!(RANK[to] < RANK[from])) bad.push(`${relative(SRC, f)} (${from}) imports ${relative(SRC, t)} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('traceevent: no import circles between files', () => {
  const state = new Map(); // 1 visiting, 2 done
  const cycles = [];
  const stack = [];
  const visit = (f) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of edges.get(f) ?? []) {
      if (!edges.has(t)) continue;
      const s = state.get(t);
      if (s === 1)
        cycles.push(
          stack
            .slice(stack.indexOf(t))
            .concat(t)
            .map((x) => relative(SRC, x))
            .join(' -> '),
        );
      else if (s === undefined) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of edges.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('traceevent: the index is an explicit export list', () => {
  const index = readFileSync(join(SRC, 'index.ts'), 'utf8');
  assert.doesNotMatch(index, /export\s*\*/, 'index.ts uses export *');
  for (const sub of ['plugins/index.ts', 'filter/index.ts']) {
    assert.doesNotMatch(readFileSync(join(SRC, sub), 'utf8'), /export\s*\*/, `${sub} uses export *`);
  }
});
