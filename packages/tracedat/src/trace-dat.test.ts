/// <reference types="node" />
/**
 * Reader tests on small real traces (testdata/*.dat, made with make-reference-trace and
 * make-slim.mjs) against `trace-cmd report -t` output saved next to them. They check what
 * the reader alone decides: buffer prefix, pid, CPU, nanosecond time, event name, the
 * order of the merge and the EVENTS DROPPED lines. The print engine is not involved.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource, decodeLatin1 } from '@utp/bytes';
import type { ByteSource } from '@utp/bytes';
import { Tep, formatTime } from '@utp/traceevent';
import type { EventFormat, KRecord } from '@utp/traceevent';
import { TraceDat } from './trace-dat.js';
import { TraceDatErrorCode } from './errors.js';
import { writeTraceDat, MemorySink, zlibCompressor } from './writer/index.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));

/** A Tep that only records event names by id (the reader's contract with the Tep). */
class NameTep extends Tep {
  names = new Map<number, string>();
  override addEventFormat(text: string, _system: string): EventFormat {
    const m = /name: (\S+)\nID: (\d+)/.exec(text);
    if (m) this.names.set(Number(m[2]), m[1]!);
    return {} as EventFormat;
  }
  override addEventFormatBytes(bytes: Uint8Array, system: string): EventFormat {
    return this.addEventFormat(decodeLatin1(bytes), system);
  }
  override loadKallsyms(): void {}
  override loadPrintk(): void {}
  override loadCmdlines(): void {}
}

/** A source that hands out at most `piece` bytes per read, optionally async only. */
class PieceSource implements ByteSource {
  readonly size: number;
  readSync?: (offset: number, length: number) => Uint8Array;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly piece: number,
    sync: boolean,
  ) {
    this.size = bytes.length;
    if (sync) this.readSync = (o, l) => this.slice(o, l);
  }
  private slice(offset: number, length: number): Uint8Array {
    const s = Math.min(offset, this.size);
    return this.bytes.slice(s, Math.min(this.size, s + Math.min(length, this.piece)));
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.slice(offset, length));
  }
}

/** Our view of each line: `[prefix] pid [cpu] ts: name`, and the drop lines. */
async function summarize(src: ByteSource, windowPages = 64): Promise<string[]> {
  const tep = new NameTep();
  const td = await TraceDat.open(src, { tep, windowPages });
  // trace-cmd cannot set up the top handle: it prints nothing
  if ((await td.initFailures()).some((f) => f.buffer.name === '')) return [];
  const out = [`cpus=${td.cpuCount}`];
  const multi = td.instances.length > 0;
  const maxLen = Math.max(0, ...td.instances.map((b) => b.name.length));
  const mode = td.inUsecs ? 'nsec' : 'raw';
  await td.forEachRecord((rec: KRecord, buf) => {
    const prefix = multi ? (buf.name ? buf.name.padStart(maxLen) + ': ' : ' '.repeat(maxLen + 2)) : '';
    if (rec.missedEvents > 0) out.push(`${prefix}CPU:${rec.cpu} [${rec.missedEvents} EVENTS DROPPED]`);
    else if (rec.missedEvents < 0) out.push(`${prefix}CPU:${rec.cpu} [EVENTS DROPPED]`);
    const pid = rec.view.getInt32(rec.offset + 4, td.littleEndian);
    const type = rec.view.getUint16(rec.offset, td.littleEndian);
    out.push(
      `${rec.missedEvents ? '' : prefix}${pid} [${String(rec.cpu).padStart(3, '0')}] ${formatTime(rec.ts, mode).trim()}: ${tep.names.get(type)}`,
    );
  });
  return out;
}

/** The same columns out of trace-cmd's text. */
function expected(name: string): string[] {
  const text = gunzipSync(readFileSync(dir + name + '.gz')).toString('latin1');
  const out: string[] = [];
  let afterDrop = false;
  for (const line of text.split('\n')) {
    // kernel_stack records print one `=> function (address)` line per caller after their own line
    if (line === '' || line.startsWith('=> ')) continue;
    if (line.startsWith('cpus=')) {
      out.push(line);
      continue;
    }
    const drop = /^(.*?)(CPU:\d+ \[(?:\d+ )?EVENTS DROPPED\])$/.exec(line);
    if (drop) {
      out.push(drop[1]! + drop[2]!);
      afterDrop = true;
      continue;
    }
    const prefix = afterDrop ? '' : (/^(\S+: )/.exec(line)?.[1] ?? '');
    const m = /^.*-(\d+)\s+\[(\d+)\]\s*(\d+(?:\.\d+)?): (\S+):/.exec(line);
    if (!m) throw new Error(`unparsed trace-cmd line: ${line}`);
    out.push(`${prefix}${m[1]} [${m[2]}] ${m[3]}: ${m[4]}`);
    afterDrop = false;
  }
  return out;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.dat') && !f.startsWith('latency') && !f.startsWith('unknown'))
  .sort();

for (const f of files) {
  test(`reader: ${f} matches trace-cmd report -t (pid, cpu, ns time, event, order, drops)`, async () => {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const got = await summarize(new MemorySource(bytes, f));
    const want = expected(f.replace(/\.dat$/, '.report-t.txt'));
    const norm = (l: string[]) => l.map((s) => s.replace(/^ +/, ''));
    assert.deepEqual(norm(got), norm(want));
  });

  test(`reader: ${f} gives the same records from 1-byte and 97-byte async/sync pieces`, async () => {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const base = await summarize(new MemorySource(bytes, f));
    assert.deepEqual(await summarize(new PieceSource(bytes, 97, false), 1), base);
    assert.deepEqual(await summarize(new PieceSource(bytes, 97, true), 3), base);
    if (bytes.length < 200000) assert.deepEqual(await summarize(new PieceSource(bytes, 1, true), 1), base);
  });
}

test('reader: metadata of the v7 zstd sample', async () => {
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + 'sched-irq-v7-zstd.dat'))), { tep: new NameTep() });
  assert.equal(td.version, 7);
  assert.equal(td.compression, 'zstd');
  assert.equal(td.traceClock, 'local');
  assert.equal(td.inUsecs, true);
  assert.equal(td.cpuCount, 2);
  assert.equal(td.headerPage?.commitSize, 8);
  // `trace-cmd convert` writes no BUFFER option for an empty top buffer
  assert.deepEqual(
    td.buffers.map((b) => [b.name, b.compressed]),
    [['mkref_2935', true]],
  );
  assert.ok(td.sections.some((s) => s.description === 'strings'));
});

test('reader: counter clock files keep nanosecond display only when the clock is a time clock', async () => {
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + 'counter-clock-v6.dat'))), { tep: new NameTep() });
  // the TRACECLOCK option holds the top instance's clock (local) although the buffer used counter
  assert.equal(td.traceClock, 'local');
  assert.equal(td.inUsecs, true);
});

test('reader: garbage and empty input are errors with a code and an offset', async () => {
  await assert.rejects(TraceDat.open(new MemorySource(new Uint8Array(0))), (e: { code: string }) => e.code === TraceDatErrorCode.BadMagic);
  const junk = new TextEncoder().encode('this is not a trace.dat file at all\n');
  await assert.rejects(
    TraceDat.open(new MemorySource(junk)),
    (e: { code: string; offset: number }) => e.code === TraceDatErrorCode.BadMagic && e.offset === 0,
  );
  const bytes = new Uint8Array(readFileSync(dir + 'sched-irq-v6.dat'));
  const badVersion = bytes.slice(0, 4096);
  badVersion[10] = 0x39;
  await assert.rejects(TraceDat.open(new MemorySource(badVersion)), (e: { code: string }) => e.code === TraceDatErrorCode.BadVersion);
  // cut inside the metadata
  await assert.rejects(
    TraceDat.open(new MemorySource(bytes.slice(0, 3000)), { tep: new NameTep() }),
    (e: { code: string }) => e.code === TraceDatErrorCode.Truncated,
  );
});

test('reader: a file cut inside the CPU data yields the records before the cut plus a diagnostic', async () => {
  const bytes = new Uint8Array(readFileSync(dir + 'sched-irq-v6.dat'));
  const full = await summarize(new MemorySource(bytes));
  for (const cut of [bytes.length - 4096 * 3 - 100, bytes.length - 1]) {
    const diags: string[] = [];
    const td = await TraceDat.open(new MemorySource(bytes.slice(0, cut)), { tep: new NameTep(), onDiagnostic: (d) => diags.push(d.code) });
    let n = 0;
    await td.forEachRecord(() => {
      n++;
    });
    assert.ok(n > 0 && n <= full.length - 1, `records: ${n}`);
    assert.ok(diags.includes('TRACEDAT_TRUNCATED'), diags.join());
  }
  const z = new Uint8Array(readFileSync(dir + 'sched-irq-v7-zstd.dat'));
  const diags: string[] = [];
  // The last options section (with the BUFFER option's CPU table) and the strings live at the end of a
  // v7 file: a cut there loses them. The reader recovers the buffer from the data sections it still
  // has (recover-buffers.ts) and says so; it must yield records and report the truncation.
  const cutZ = z.slice(0, z.length - 2000);
  const fullZ = await summarize(new MemorySource(z));
  const td = await TraceDat.open(new MemorySource(cutZ), { tep: new NameTep(), onDiagnostic: (d) => diags.push(d.code) });
  let nz = 0;
  await td.forEachRecord(() => {
    nz++;
  });
  assert.ok(nz > 0 && nz <= fullZ.length - 1, `v7 cut in its trailing options: records ${nz} of ${fullZ.length - 1}`);
  assert.ok(
    diags.some((d) => d.startsWith('TRACEDAT_')),
    `a diagnostic says the file was cut: ${diags.join()}`,
  );
});

test("reader: latency-tracer files expose their text (after trace-cmd's 8-byte clock-size quirk)", async () => {
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + 'latency-v6.dat'))), { tep: new NameTep() });
  assert.equal(td.isLatency, true);
  const want = gunzipSync(readFileSync(dir + 'latency-v6.report.txt.gz')).toString('latin1');
  assert.equal(`cpus=${td.cpuCount}\n` + (await td.latencyText()) + '\n', want);
});

test('reader: trace-cmd\'s "bad page offset" quirk: an instance with 8 KiB pages whose first CPU starts at virtual offset 4096', async () => {
  const bytes = new Uint8Array(readFileSync(dir + 'page-quirk-inst8.dat'));
  const count = async (exactPages: boolean, diags: Array<{ code: string; message: string; offset?: number }>) => {
    const td = await TraceDat.open(new MemorySource(bytes), { tep: new NameTep(), exactPages, onDiagnostic: (d) => diags.push(d) });
    const perCpu = [0, 0];
    await td.forEachRecord((rec: KRecord) => {
      perCpu[rec.cpu]!++;
    });
    return { td, perCpu };
  };
  const d1: Array<{ code: string; message: string; offset?: number }> = [];
  const exact = await count(true, d1);
  const all = await count(false, []);
  // trace-cmd reads CPU 0's first page only (its expected output has 85 CPU-0 lines), CPU 1 completely
  const want = gunzipSync(readFileSync(dir + 'page-quirk-inst8.report-t.txt.gz')).toString('latin1');
  assert.equal(exact.perCpu[0], (want.match(/\[000\]/g) ?? []).length);
  assert.equal(exact.perCpu[1], all.perCpu[1]);
  assert.ok(all.perCpu[0]! > exact.perCpu[0]!);
  assert.equal(d1.length, 1);
  assert.equal(d1[0]!.code, 'TRACEDAT_PAGES_SKIPPED');
  assert.equal(d1[0]!.offset, 0x3000);
  assert.match(d1[0]!.message, /^bad page offset 3000: cpu=0 buffer=s8: .* skipping 3 pages with (\d+) events after 85 read/);
  assert.equal(Number(/with (\d+) events/.exec(d1[0]!.message)![1]), all.perCpu[0]! - exact.perCpu[0]!);
  // trace-cmd's virtual offsets: the instance handle starts at the top handle's cursor (4096);
  // CPU 1 at the next multiple of 8192 past 4096 + 4 pages
  assert.deepEqual(
    (await exact.td.cpuDataInfo(exact.td.instances[0]!)).map((c) => c.offset),
    [0x1000, 0xa000],
  );
});

test("reader: instance handles start from the top handle's virtual cursor and step by their own page size", async () => {
  const bytes = new Uint8Array(readFileSync(dir + 'page-quirk-top-inst.dat'));
  const diags: Array<{ code: string; message: string }> = [];
  const td = await TraceDat.open(new MemorySource(bytes), { tep: new NameTep(), onDiagnostic: (d) => diags.push(d) });
  assert.deepEqual(
    td.buffers.map((b) => [b.name, td.handlePageSize(b)]),
    [
      ['', 4096],
      ['s8', 8192],
      ['s4', 4096],
    ],
  );
  // what trace-cmd report --stat prints for the top buffer: CPU0 at 0x1000, CPU1 at 0x4000, 12288 bytes each
  assert.deepEqual(await td.cpuDataInfo(td.topBuffer!), [
    { offset: 0x1000, size: 12288 },
    { offset: 0x4000, size: 12288 },
  ]);
  // the top cursor ends at 0x7000: s8's first CPU is misaligned for 8 KiB pages, s4's is not
  assert.deepEqual(
    (await td.cpuDataInfo(td.instances[0]!)).map((c) => c.offset),
    [0x7000, 0xe000],
  );
  assert.deepEqual(
    (await td.cpuDataInfo(td.instances[1]!)).map((c) => c.offset),
    [0x7000, 0x9000],
  );
  await td.forEachRecord(() => {});
  assert.deepEqual(
    diags.map((d) => d.message.replace(/:.*$/, '')),
    ['bad page offset 9000'],
  );
});

test('reader: exactPages: false decodes every page of every CPU', async () => {
  for (const f of ['page-quirk-inst8.dat', 'page-quirk-top-inst.dat']) {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const diags: string[] = [];
    const td = await TraceDat.open(new MemorySource(bytes), {
      tep: new NameTep(),
      exactPages: false,
      onDiagnostic: (d) => diags.push(d.code),
    });
    let n = 0;
    await td.forEachRecord(() => {
      n++;
    });
    const exact =
      (
        gunzipSync(readFileSync(dir + f.replace(/\.dat$/, '.report-t.txt.gz')))
          .toString('latin1')
          .match(/\n/g) ?? []
      ).length - 1;
    assert.ok(n > exact, `${f}: ${n} records, trace-cmd shows ${exact}`);
    assert.deepEqual(diags, []);
  }
});

test("reader: libtraceevent's long size is the file header's byte, not header_page's commit size", async () => {
  // rcu_utilization prints `%s` of a `const char *` (8 bytes): with a long size of 8 trace-cmd looks the
  // pointer up in printk ("Start context switch"); with the header byte at 4 it prints the field's bytes
  const l4 = new Uint8Array(readFileSync(dir + 'long-size-4-top-v6.dat'));
  assert.equal(l4[13], 4);
  const l8 = l4.slice();
  l8[13] = 8;
  for (const [bytes, fixture] of [
    [l4, 'long-size-4-top-v6.report.txt.gz'],
    [l8, 'long-size-4-top-v6.long8.report.txt.gz'],
  ] as const) {
    const td = await TraceDat.open(new MemorySource(bytes), { tep: new Tep() });
    assert.equal(td.headerPage?.commitSize, 8);
    assert.equal(td.tep.longSize, bytes[13]);
    const got: string[] = [];
    await td.forEachRecord((rec: KRecord) => {
      const ev = td.tep.eventOf(rec)!;
      got.push(`${ev.name}: ${td.tep.formatInfo(rec, ev)}`);
    });
    // trace-cmd's lines: `... NAME: ` + padding to 20 characters + info
    const want = gunzipSync(readFileSync(dir + fixture))
      .toString('latin1')
      .split('\n')
      .slice(1, -1)
      .map((line) => {
        const m = /^.*?\[\d+\]\s+[\d.]+: (\S+): (.*)$/s.exec(line)!;
        return `${m[1]}: ${m[2]!.slice(Math.max(0, 20 - m[1]!.length))}`;
      });
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
  }
});

test('reader: a v7 file cut after its data keeps the buffers whose CPU table was cut off (found by scanning)', async () => {
  const z = new Uint8Array(readFileSync(dir + 'sched-irq-v7-zstd.dat'));
  const full = new Set((await summarize(new MemorySource(z))).map((l) => l.replace(/^\S+: /, '')));
  for (const back of [200, 1500]) {
    const diags: string[] = [];
    const td = await TraceDat.open(new MemorySource(z.slice(0, z.length - back)), {
      tep: new NameTep(),
      onDiagnostic: (d) => diags.push(d.message),
    });
    assert.ok(
      diags.some((m) => /missing; the trace is truncated/.test(m)),
      diags.join('\n'),
    );
    const got = (await summarize(new MemorySource(z.slice(0, z.length - back)))).map((l) => l.replace(/^\S+: /, ''));
    assert.ok(got.length > 100, `cut ${back}: ${got.length} lines`);
    assert.deepEqual(
      got.filter((l) => !full.has(l)),
      [],
      `cut ${back}: lines that are not in the full file`,
    );
    void td;
  }
});

test('reader: kallsyms go to a Tep with loadKallsymsLazy unread, and come out identical when asked (v6, v7/none, v7/zlib, sync and async sources)', async () => {
  const kallsyms = 'ffffffff81000000 T _stext\nffffffff81000100 t helper\t[mod]\nffffffff81000200 T caf\xe9\n';
  const meta = {
    headerPage: readHeaderPage(),
    headerEvent: '',
    ftraceFormats: [],
    systems: [],
    kallsyms,
    printk: '',
    cmdlines: '',
  };
  class LazyTep extends Tep {
    thunks: Array<() => string | Uint8Array> = [];
    eager: string[] = [];
    override loadKallsymsLazy(get: () => string | Uint8Array): void {
      this.thunks.push(get);
    }
    override loadKallsyms(text: string): void {
      this.eager.push(text);
    }
  }
  class EagerTep extends Tep {
    eager: string[] = [];
    // a Tep without loadKallsymsLazy (Tep has one): the reader must hand the text over at once
    constructor() {
      super();
      (this as unknown as { loadKallsymsLazy?: unknown }).loadKallsymsLazy = undefined;
    }
    override loadKallsyms(text: string): void {
      this.eager.push(text);
    }
  }
  const variants: Array<[string, 6 | 7, ReturnType<typeof zlibCompressor> | null]> = [
    ['v6', 6, null],
    ['v7/none', 7, null],
    ['v7/zlib', 7, zlibCompressor()],
  ];
  for (const [name, version, compression] of variants) {
    const sink = new MemorySink();
    writeTraceDat(sink, meta, [{ name: '', clock: 'local', cpus: [] }], {
      version,
      compression,
      littleEndian: true,
      longSize: 8,
      pageSize: 4096,
      cpuCount: 1,
    });
    const bytes = sink.finish().slice();
    for (const src of [new MemorySource(bytes), new PieceSource(bytes, 97, false)]) {
      const lazy = new LazyTep();
      await TraceDat.open(src, { tep: lazy });
      assert.deepEqual(lazy.eager, [], name);
      assert.equal(lazy.thunks.length, 1, name);
      const eager = new EagerTep();
      await TraceDat.open(src, { tep: eager });
      assert.deepEqual(eager.eager, [kallsyms], name);
      // the lazy form hands over the section's bytes (the Tep parses them undecoded)
      const got = lazy.thunks[0]!();
      assert.equal(typeof got === 'string' ? got : Buffer.from(got).toString('latin1'), kallsyms, name);
    }
  }
});

/** The header_page text of the corpus (the writer needs one). */
function readHeaderPage(): string {
  return (
    'field: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\nfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n' +
    'field: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\nfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n'
  );
}

test("reader: initFailures() names the handles trace-cmd cannot set up (first page larger than the handle's page size)", async () => {
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + 'page-quirk-init-top.dat'))), { tep: new NameTep() });
  const f = await td.initFailures();
  assert.deepEqual(
    f.map((x) => [x.buffer.name, x.cpu, x.commit > 4096]),
    [['', 0, true]],
  );
  // trace-cmd printed nothing for it
  assert.equal(gunzipSync(readFileSync(dir + 'page-quirk-init-top.report.txt.gz')).length, 0);
  assert.deepEqual(await summarize(new MemorySource(new Uint8Array(readFileSync(dir + 'page-quirk-init-top.dat')))), []);
  for (const ok of ['page-quirk-inst8.dat', 'page-quirk-top-inst.dat', 'sched-irq-v6.dat', 'sched-irq-v7-zstd.dat']) {
    const t = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + ok))), { tep: new NameTep() });
    assert.deepEqual(await t.initFailures(), [], ok);
  }
});

test('reader: uncompressed data: the page check runs on real file offsets', async () => {
  const diags: Array<{ code: string; offset?: number }> = [];
  const td = await TraceDat.open(new MemorySource(new Uint8Array(readFileSync(dir + 'page-quirk-raw-v7.dat'))), {
    tep: new NameTep(),
    onDiagnostic: (d) => diags.push(d),
  });
  assert.equal(td.instances[0]!.compressed, false);
  let s8cpu0 = 0;
  await td.forEachRecord((rec: KRecord, b) => {
    if (b.name === 's8' && rec.cpu === 0) s8cpu0++;
  });
  assert.equal(s8cpu0, 0);
  assert.deepEqual(
    diags.map((d) => [d.code, d.offset]),
    [['TRACEDAT_PAGES_SKIPPED', 0x11000]],
  );
});
