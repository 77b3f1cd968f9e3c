// Architecture checks (README.md, docs/architecture.md, ../shared/DESIGN.md):
// - the direction of dependencies between workspace packages, from one table (PACKAGES below);
// - universal packages stay browser-safe (no node: imports, no Node globals) outside src/node/;
// - every package import (static, dynamic, re-export, side-effect `import 'x'`) is declared in package.json.
// A new package adds one row to PACKAGES; a package without a row fails the first test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The allowed direction: each package may import only the workspace packages listed for it.
 * runs: 'universal' (Node + browser: no node:, no Node globals, except under src/node/),
 *       'browser' (no node: either), 'node'.
 *   bytes ← traceevent ← tracedat ← tracecmd ← cli; tracefs beside tracedat (bytes only);
 *   nodeDirs: folders of a universal package that are Node-only like src/node/ (perf's src/live/, the @utp/perf/live subpath).
 *   perf beside tracedat (on traceevent), ctf over tracedat (its trace.dat adapter); model over the file readers; viewer and convert over model (a new package adds its row).
 */
const PACKAGES = {
  bytes: { runs: 'universal', deps: [] },
  traceevent: { runs: 'universal', deps: ['bytes'] },
  tracedat: { runs: 'universal', deps: ['bytes', 'traceevent'] },
  perf: { runs: 'universal', deps: ['bytes', 'traceevent'], nodeDirs: ['/src/live/'] }, // its live half (@utp/perf/live) is Node-only
  ctf: { runs: 'universal', deps: ['bytes', 'traceevent', 'tracedat'] }, // tracedat: its trace.dat → CTF adapter, until @utp/convert takes it
  model: { runs: 'universal', deps: ['bytes', 'traceevent', 'tracedat', 'perf', 'ctf'] },
  convert: { runs: 'universal', deps: ['bytes', 'traceevent', 'tracedat', 'model'] }, // utp convert's sinks over model's event stream
  viewer: { runs: 'browser', deps: ['bytes', 'traceevent', 'tracedat', 'perf', 'ctf', 'model'] },
  tracefs: { runs: 'node', deps: ['bytes'] },
  tracecmd: { runs: 'node', deps: ['bytes', 'traceevent', 'tracedat', 'tracefs'] },
  cli: {
    runs: 'node',
    deps: ['bytes', 'traceevent', 'tracedat', 'tracefs', 'tracecmd', 'perf', 'ctf', 'model', 'convert', 'viewer'],
  },
};

function sources(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const stripComments = (t) => t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

// import x from 'y' | import {x} from 'y' | import type … from 'y' | export … from 'y' | import 'y' | import('y') | require('y')
const IMPORT_RES = [
  /(?:^|[\n;])\s*(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];
/** Every module specifier a source imports. */
function importsOf(text) {
  const t = stripComments(text);
  const out = [];
  for (const re of IMPORT_RES) for (const m of t.matchAll(re)) out.push({ spec: m[1] });
  return out;
}
const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

test('the import finder sees every form of import (side-effect imports included)', () => {
  const found = importsOf(
    `import a from 'a';\nimport { b } from "b";\nimport type { C } from 'c';\nexport * from 'd';\n` +
      `export { e } from 'e';\nimport 'f';\nimport "g/sub";\nconst h = await import('h');\n// import 'not-me';\n/* import 'nor-me' */\n` +
      `import {\n  i,\n  j,\n} from 'ij';\nimport x, * as y from 'xy';`,
  )
    .map((i) => i.spec)
    .sort();
  assert.deepEqual(found, ['a', 'b', 'c', 'd', 'e', 'f', 'g/sub', 'h', 'ij', 'xy']);
});

const pkgs = readdirSync(join(ROOT, 'packages'))
  .filter((p) => existsSync(join(ROOT, 'packages', p, 'package.json')))
  .sort();

test('every package has a row in the dependency table of test/deps.test.mjs', () => {
  assert.deepEqual(
    pkgs.filter((p) => !PACKAGES[p]),
    [],
    'add a row to PACKAGES for each new package (its kind and the packages it may import)',
  );
});

for (const pkg of pkgs) {
  const dir = join(ROOT, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const files = sources(join(dir, 'src')).filter((f) => !/\.test\.[mc]?[jt]sx?$/.test(f));
  const row = PACKAGES[pkg];
  const imports = files.map((f) => ({ f: f.slice(ROOT.length), list: importsOf(readFileSync(f, 'utf8')) }));

  test(`${pkg}: every package import is declared in package.json`, () => {
    const bad = [];
    for (const { f, list } of imports) {
      for (const { spec } of list) {
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        if (!declared.has(packageName(spec))) bad.push(`${f} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  if (!row) continue;
  test(`${pkg}: imports only the workspace packages the table allows (${row.deps.join(', ') || 'none'})`, () => {
    const bad = [];
    for (const { f, list } of imports) {
      for (const { spec } of list) {
        if (!spec.startsWith('@utp/')) continue;
        const target = spec.split('/')[1];
        if (target === pkg) bad.push(`${f} imports its own package by name (${spec})`);
        else if (!row.deps.includes(target))
          bad.push(`${f} imports ${spec}: ${pkg} may import only ${row.deps.join(', ') || 'no workspace package'}`);
      }
    }
    for (const d of declared) {
      if (d.startsWith('@utp/') && !row.deps.includes(d.slice(5))) bad.push(`package.json declares ${d}, against the direction`);
    }
    assert.deepEqual(bad, []);
  });

  if (row.runs === 'universal' || row.runs === 'browser') {
    test(`${pkg}: browser-safe (no node: imports, Buffer, process, require outside tests${row.runs === 'universal' ? ' and src/node/' : ''})`, () => {
      const bad = [];
      for (const { f, list } of imports) {
        if (row.runs === 'universal' && ['/src/node/', ...(row.nodeDirs ?? [])].some((d) => f.includes(d))) continue;
        for (const { spec } of list) {
          if (spec.startsWith('node:')) bad.push(`${f}: imports ${spec}`);
          else if (
            !spec.startsWith('.') &&
            !spec.startsWith('@utp/') &&
            /^(fs|path|os|child_process|worker_threads|url|util|crypto|zlib|stream|events|buffer|process|net|http|https)(\/|$)/.test(spec)
          )
            bad.push(`${f}: imports Node's ${spec}`);
          // a universal package may not reach Node code through another package's ./node subpath
          else if (/^@utp\/[^/]+\/node(\/|$)/.test(spec)) bad.push(`${f}: imports ${spec}`);
        }
        const raw = readFileSync(join(ROOT, f), 'utf8');
        const text = stripComments(raw);
        if (/\bBuffer\.|\bprocess\.|\brequire\(/.test(text)) bad.push(`${f}: Node global`);
        if (/reference\s+types=["']node["']/.test(raw)) bad.push(`${f}: node types`);
      }
      assert.deepEqual(bad, []);
    });
  }
}

// One byte-string decoder (packages/bytes/src/latin1.ts): TextDecoder('latin1') is windows-1252 in
// browsers (0x80-0x9f decode to other characters than in Node), so no other source may use it.
test('bytes are decoded to byte strings only through @utp/bytes decodeLatin1', () => {
  const bad = [];
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    for (const f of sources(join(ROOT, 'packages', pkg, 'src'))) {
      if (f.endsWith('packages/bytes/src/latin1.ts')) continue;
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
      if (/TextDecoder\(\s*['"](latin1|iso-8859-1|ascii|windows-1252|l1)['"]/i.test(code)) bad.push(f.slice(ROOT.length));
    }
  }
  assert.deepEqual(bad, []);
});

// What a package publishes: its dist/ without the compiled tests or build info (`npm pack` reads `files`).
test('published packages leave tests and build info out of dist/', () => {
  const bad = [];
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const file = join(ROOT, 'packages', pkg, 'package.json');
    if (!existsSync(file)) continue;
    const files = JSON.parse(readFileSync(file, 'utf8')).files ?? [];
    if (!files.includes('dist')) bad.push(`${pkg}: files does not list dist`);
    if (!files.includes('!dist/**/*.test.*')) bad.push(`${pkg}: files does not leave out dist/**/*.test.*`);
    if (!files.includes('!dist/**/*.tsbuildinfo')) bad.push(`${pkg}: files does not leave out dist/**/*.tsbuildinfo`);
  }
  assert.deepEqual(bad, []);
});
