/// <reference types="node" />
/**
 * The symbol tree perf's lookups walk (sym-tree.ts) and ElfFile.pltSymbols: the tree keeps the
 * red-black invariants through perf's insertions and duplicate removals; the PLT entries of
 * binaries compiled here by gcc sit where objdump's disassembly puts its `name@plt` labels.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfFile } from '@utp/bytes';
import { SymTree } from './sym-tree.js';
import type { TreeSym } from './sym-tree.js';

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('SymTree: red-black invariants and address order hold through inserts, fixups and duplicate removal', () => {
  for (const seed of [1, 7, 42, 1234, 99991]) {
    const r = rng(seed);
    const t = new SymTree();
    const n = 50 + (r() % 400);
    for (let i = 0; i < n; i++) {
      // few distinct starts: many duplicates to remove
      const start = BigInt((r() % 64) * 16);
      const size = BigInt(r() % 3 === 0 ? 0 : r() % 40);
      t.insert({ start, end: start + size, name: '_'.repeat(r() % 3) + 'f' + i, bind: r() % 3 });
      t.check();
    }
    t.fixupEnd();
    t.check();
    t.fixupDuplicate();
    t.check();
    const list = t.list();
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.start < list[i]!.start, 'one symbol per address after fixupDuplicate');
  }
});

test('SymTree.find: perf symbols__find semantics (half-open, a zero-size symbol holds its own address)', () => {
  const t = new SymTree();
  const a: TreeSym = { start: 0x100n, end: 0x120n, name: 'a', bind: 1 };
  const z: TreeSym = { start: 0x200n, end: 0x200n, name: 'z', bind: 1 };
  t.insert(a);
  t.insert(z);
  assert.equal(t.find(0x100n), a);
  assert.equal(t.find(0x11fn), a);
  assert.equal(t.find(0x120n), undefined);
  assert.equal(t.find(0x200n), z);
  assert.equal(t.find(0x201n), undefined);
  assert.equal(t.find(0xffn), undefined);
});

test('SymTree.fixupEnd and fixupDuplicate: zero sizes reach the next symbol; the sized, non-weak, global symbol stays', () => {
  const t = new SymTree();
  t.insert({ start: 0x1000n, end: 0x1000n, name: 'zero', bind: 1 });
  t.insert({ start: 0x1000n, end: 0x1010n, name: 'sized', bind: 1 });
  t.insert({ start: 0x2000n, end: 0x2000n, name: 'weak', bind: 2 });
  t.insert({ start: 0x2000n, end: 0x2000n, name: 'global', bind: 1 });
  t.insert({ start: 0x3001n, end: 0x3001n, name: 'last', bind: 1 });
  t.fixupEnd();
  t.fixupDuplicate();
  const got = t.list().map((s) => `${s.name} ${s.start.toString(16)}-${s.end.toString(16)}`);
  // 'weak' (first at 0x2000) stayed zero-size up to 'global' at the same address, so it lost on length
  assert.deepEqual(got, ['sized 1000-1010', 'global 2000-3001', 'last 3001-5000']);
});

const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasObjdump = spawnSync('objdump', ['--version']).status === 0;

const PROG = `#include <string.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  char b[64];
  memcpy(b, argv[0], 8);
  b[8] = 0;
  printf("%zu %ld\\n", strlen(b), strtol(argc > 1 ? argv[1] : "1", 0, 10));
  return 0;
}
`;

for (const [label, flags] of [
  ['PIE', ['-fPIE', '-pie']],
  ['non-PIE', ['-fno-pie', '-no-pie']],
  ['shared library', ['-shared', '-fPIC']],
] as const) {
  test(`ElfFile.pltSymbols on a gcc ${label}: one target@plt per relocation at objdump's labels`, (t) => {
    if (!hasGcc || !hasObjdump) {
      t.skip(`needs gcc and objdump (gcc=${hasGcc} objdump=${hasObjdump})`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'utp-plt-'));
    try {
      writeFileSync(join(dir, 'p.c'), PROG);
      const out = join(dir, 'p');
      const cc = spawnSync('gcc', ['-O1', '-fno-builtin', '-fcf-protection=none', ...flags, '-o', out, join(dir, 'p.c')]);
      assert.equal(cc.status, 0, cc.stderr.toString());
      const elf = new ElfFile(readFileSync(out), out);
      const plt = elf.pltSymbols();
      const sec = elf.sectionByName('.plt')!.section;
      // objdump labels the stubs of .plt by address: `0000000000001030 <strlen@plt>:`
      const dis = spawnSync('objdump', ['-d', '-j', '.plt', out]).stdout.toString();
      const want = [...dis.matchAll(/^([0-9a-f]+) <(.+@plt)>:$/gm)].map((m) => ({
        name: m[2]!,
        start: BigInt('0x' + m[1]!) - sec.addr + BigInt(sec.offset),
      }));
      assert.ok(want.length >= 4, `objdump names the PLT entries:\n${dis}`);
      assert.deepEqual(
        plt.map((p) => ({ name: p.name, start: p.start })),
        want,
      );
      for (const p of plt) assert.equal(p.size, 16n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
