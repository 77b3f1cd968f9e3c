/// <reference types="node" />
// Pure parts of @utp/tracecmd (no kernel needed): the drain's page layout (commit word of any
// byte order and long size), the user-space long size stored in the file header, clock names.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, endianness } from 'node:os';
import { spawnSync } from 'node:child_process';
import { parseHeaderPage } from '@utp/traceevent';
import {
  CpuSink,
  pageCommit,
  fullCommitOf,
  userLongSize,
  currentClock,
  writeTraceFile,
  zstdCompressor,
  type PageLayout,
  type PageSource,
} from './index.js';
import { init as zstdInit, compress as zstdCompress, decompress as zstdDecompress } from '@bokuweb/zstd-wasm';

/** header_page texts as 64- and 32-bit kernels print them. */
const HP64 =
  '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n' +
  '\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n';
const HP32 =
  '\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;\n' +
  '\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\tfield: char data;\toffset:12;\tsize:4084;\tsigned:0;\n';

function layout(text: string, littleEndian: boolean): PageLayout {
  const hp = parseHeaderPage(text);
  return { pageSize: hp.subBufferSize, dataOffset: hp.dataOffset, commitOffset: hp.commitOffset, commitSize: hp.commitSize, littleEndian };
}

/** A sub-buffer: u64 time stamp, commit word (long, flag bits 30/31 set as the kernel may), data. */
function page(l: PageLayout, commit: number, flags = 0): Uint8Array {
  const b = new Uint8Array(l.pageSize);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, 123456789n, l.littleEndian);
  const word = BigInt(commit) | (BigInt(flags) << 30n);
  if (l.commitSize === 8) dv.setBigUint64(l.commitOffset, word, l.littleEndian);
  else dv.setUint32(l.commitOffset, Number(word), l.littleEndian);
  b.fill(0xab, l.dataOffset, l.dataOffset + commit);
  return b;
}

class FakeSource implements PageSource {
  reads = 0;
  constructor(
    readonly pageSize: number,
    private pages: Uint8Array[],
  ) {}
  read(buf: Uint8Array, offset: number): number {
    const p = this.pages.shift();
    if (!p) return 0;
    this.reads++;
    buf.set(p, offset);
    return p.length;
  }
}

const VARIANTS: Array<[string, string, boolean]> = [
  ['64-bit LE', HP64, true],
  ['64-bit BE', HP64, false],
  ['32-bit LE', HP32, true],
  ['32-bit BE', HP32, false],
];

test('the commit word is read with the kernel long size and byte order of header_page', () => {
  for (const [name, text, le] of VARIANTS) {
    const l = layout(text, le);
    assert.equal(l.dataOffset, text === HP64 ? 16 : 12, name);
    for (const [commit, flags] of [
      [0, 0],
      [40, 0],
      [4000, 2],
      [l.pageSize - l.dataOffset, 3],
    ] as const) {
      const p = page(l, commit, flags);
      assert.equal(pageCommit(new DataView(p.buffer), 0, l), commit, `${name}: commit ${commit} flags ${flags}`);
    }
  }
});

test('a live drain stops at the first page the kernel is still filling, in every layout', () => {
  const dir = mkdtempSync(`${tmpdir()}/utp-drain-`);
  try {
    for (const [name, text, le] of VARIANTS) {
      const l = layout(text, le);
      const full = l.pageSize - l.dataOffset - 8;
      assert.ok(full >= fullCommitOf(l));
      // two full pages (one with the missed-events flag), one partial, then one more full page
      const src = new FakeSource(l.pageSize, [page(l, full), page(l, full - 4, 2), page(l, 100), page(l, full)]);
      const sink = new CpuSink(`${dir}/cpu`, l.pageSize);
      assert.equal(sink.drain(src, false, l), 3, `${name}: read up to and including the partial page`);
      assert.equal(sink.drain(src, true, l), 1, `${name}: a final drain reads everything`);
      sink.close();
      const bytes = new Uint8Array(readFileSync(`${dir}/cpu`));
      assert.equal(bytes.length, 4 * l.pageSize);
      assert.equal(pageCommit(new DataView(bytes.buffer), 2 * l.pageSize, l), 100, `${name}: pages stored as read`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('user-space sizeof(long) comes from the process architecture, and the file header stores it', async (t) => {
  for (const a of ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64']) assert.equal(userLongSize(a), 8, a);
  for (const a of ['ia32', 'arm', 'mips', 'mipsel', 'ppc', 's390']) assert.equal(userLongSize(a), 4, a);
  // The default is this process's long size as the system states it (getconf LONG_BIT), not the function again.
  const g = spawnSync('getconf', ['LONG_BIT']);
  if (g.error || g.status !== 0) t.diagnostic('getconf is not available: the default long size is not compared');
  else assert.equal(userLongSize(), Number(g.stdout.toString().trim()) / 8, 'getconf LONG_BIT / 8');
  const dir = mkdtempSync(`${tmpdir()}/utp-hdr-`);
  try {
    const meta = { headerPage: HP64, headerEvent: '', ftraceFormats: [], systems: [], kallsyms: '', printk: '', cmdlines: '' };
    const out = `${dir}/h.dat`;
    await writeTraceFile(out, meta, [{ name: '', clock: 'local', cpus: [] }], {
      fileVersion: 6,
      compression: 'none',
      traceClock: '[local] global\n',
      uname: 'x',
      cpuCount: 1,
      pageSize: 4096,
    });
    const b = readFileSync(out);
    assert.equal(b.subarray(3, 12).toString('latin1'), 'tracing6\0');
    assert.equal(b[12], endianness() === 'LE' ? 0 : 1, 'endian byte');
    assert.equal(b[13], Number(spawnSync('getconf', ['LONG_BIT']).stdout.toString().trim() || 64) / 8, 'long size byte');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the current clock of a trace_clock text', () => {
  assert.equal(currentClock('[local] global counter\n'), 'local');
  assert.equal(currentClock('local global [counter] uptime\n'), 'counter');
  assert.equal(currentClock('local mono [x86-tsc]\n'), 'x86-tsc');
  assert.equal(currentClock(''), 'local');
});

test('zstd: one reused context gives the frames ZSTD_compress gives, and they decompress to the input', async () => {
  const c = await zstdCompressor();
  await zstdInit();
  assert.equal(c.name, 'zstd');
  const inputs = [new Uint8Array(0), new Uint8Array(40960).fill(7), Uint8Array.from({ length: 40960 }, (_, i) => (i * 2654435761) >>> 24)];
  for (let round = 0; round < 2; round++) {
    for (const d of inputs) {
      const z = c.compress(d);
      assert.deepEqual(Buffer.from(z), Buffer.from(zstdCompress(d, 3)), 'same frame as ZSTD_compress at level 3');
      assert.deepEqual(Buffer.from(zstdDecompress(z)), Buffer.from(d));
    }
  }
});
