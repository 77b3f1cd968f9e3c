// Architecture checks: universal packages stay browser-safe, and every import is declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const UNIVERSAL = ['bytes', 'traceevent', 'tracedat', 'perf'];

function sources(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const pkg of readdirSync(join(ROOT, 'packages'))) {
  const dir = join(ROOT, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const files = sources(join(dir, 'src'));
  const isUniversal = UNIVERSAL.includes(pkg);

  test(`${pkg}: every package import is declared in package.json`, () => {
    const bad = [];
    for (const f of files) {
      if (f.endsWith('.test.ts')) continue;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!declared.has(name)) bad.push(`${f.slice(ROOT.length)} imports ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  if (isUniversal) {
    test(`${pkg}: browser-safe (no node: imports, Buffer, process, require outside tests and src/node/)`, () => {
      const bad = [];
      for (const f of files) {
        if (f.endsWith('.test.ts') || f.includes('/src/node/')) continue;
        const text = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
        if (/from\s+['"]node:|import\(\s*['"]node:/.test(text)) bad.push(`${f.slice(ROOT.length)}: node: import`);
        if (/\bBuffer\.|\bprocess\.|\brequire\(/.test(text)) bad.push(`${f.slice(ROOT.length)}: Node global`);
        if (/reference\s+types=["']node["']/.test(readFileSync(f, 'utf8'))) bad.push(`${f.slice(ROOT.length)}: node types`);
      }
      assert.deepEqual(bad, []);
    });
  }
}
