/// <reference types="node" />
/**
 * The dropped-events count of a sub-buffer that is larger than the page size a reader steps by
 * (testdata/succeed/dropped-subbuf8k-*: 8 KiB sub-buffers in files whose header says 4096, made
 * by tools/make-dropped-fixtures.mjs): the kernel stores the count right after the data, here at
 * byte 4096, past the 4096-byte "page". Every way of reading pages must find it: raw windows of
 * one page (the count then lies in the next window), compressed chunks, sync and async sources
 * handing out a few bytes per read, and exactPages: false. Expected: the markers and the time of
 * the event after each in trace-cmd report's saved output.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import type { ByteSource } from '@utp/bytes';
import { Tep } from '@utp/traceevent';
import type { KRecord } from '@utp/traceevent';
import { TraceDat } from './trace-dat.js';
import type { TraceDatOptions } from './trace-dat.js';
import { writeTraceDat, MemorySink, zlibCompressor } from './writer/index.js';

const succeed = fileURLToPath(new URL('../../../testdata/succeed/', import.meta.url));

/** At most `piece` bytes per read; async only unless `sync`. */
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

/** `CPU:N [n EVENTS DROPPED] @ ts` for each marker of trace-cmd's report (ts of the next event). */
function expectedMarkers(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /(CPU:\d+ \[(?:\d+ )?EVENTS DROPPED\])$/.exec(lines[i]!);
    if (!m) continue;
    const ts = /\]\s+(\d+\.\d+):/.exec(lines[i + 1] ?? '')?.[1];
    out.push(`${m[1]} @ ${ts}`);
  }
  return out;
}

async function markers(src: ByteSource, opts: Partial<TraceDatOptions>): Promise<string[]> {
  const td = await TraceDat.open(src, { tep: new Tep(), skipMetadata: true, ...opts });
  const out: string[] = [];
  await td.forEachRecord((rec: KRecord) => {
    if (!rec.missedEvents) return;
    const us = rec.ts / 1000n;
    const ts = `${us / 1000000n}.${String(us % 1000000n).padStart(6, '0')}`;
    out.push(`CPU:${rec.cpu} [${rec.missedEvents > 0 ? rec.missedEvents + ' ' : ''}EVENTS DROPPED] @ ${ts}`);
  });
  return out;
}

const dirs = existsSync(succeed)
  ? readdirSync(succeed)
      .filter((d) => d.startsWith('dropped-subbuf'))
      .sort()
  : [];

test('dropped-subbuf8k fixtures are present', () => {
  assert.ok(dirs.length >= 3, `expected the dropped-subbuf8k-* fixtures in ${succeed}`);
});

for (const d of dirs) {
  test(`reader: ${d}: the dropped count past the 4096-byte page is found by every page path`, async () => {
    const gz = `${succeed}${d}/trace.dat.gz`;
    const bytes = new Uint8Array(existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(`${succeed}${d}/trace.dat`));
    const want = expectedMarkers(readFileSync(`${succeed}${d}/report.txt`, 'latin1'));
    assert.ok(want.length > 0 && want.every((w) => /\[\d+ EVENTS/.test(w)), `trace-cmd prints counted markers: ${want}`);
    assert.deepEqual(await markers(new MemorySource(bytes), {}), want, 'default windows');
    for (const windowPages of [1, 2, 3]) {
      assert.deepEqual(await markers(new MemorySource(bytes), { windowPages }), want, `windowPages ${windowPages}`);
      assert.deepEqual(
        await markers(new PieceSource(bytes, 97, false), { windowPages }),
        want,
        `async 97-byte reads, windowPages ${windowPages}`,
      );
      assert.deepEqual(
        await markers(new PieceSource(bytes, 5, true), { windowPages }),
        want,
        `sync 5-byte reads, windowPages ${windowPages}`,
      );
    }
    // --all-pages: every page with the BUFFER page size (4096 in these converted files, too)
    assert.deepEqual(await markers(new MemorySource(bytes), { exactPages: false, windowPages: 1 }), want, 'exactPages: false');
    assert.deepEqual(
      await markers(new PieceSource(bytes, 97, false), { exactPages: false, windowPages: 1 }),
      want,
      'exactPages: false, async',
    );
  });
}

test('reader: a dropped count in the next compressed chunk (chunks of one 4096-byte page) is read from that chunk', async (t) => {
  const d = `${succeed}dropped-subbuf8k-v6`;
  if (!existsSync(`${d}/trace.dat`)) {
    t.skip(`no ${d}/trace.dat`);
    return;
  }
  const bytes = new Uint8Array(readFileSync(`${d}/trace.dat`));
  const td = await TraceDat.open(new MemorySource(bytes), { tep: new Tep(), skipMetadata: true });
  const inst = td.buffers.find((b) => b.name !== '')!;
  // the same pages, re-chunked: every chunk ends at a 4096 step, so the count at byte 4096 of an
  // 8 KiB sub-buffer starts the next chunk (trace-cmd would read the heap past its chunk copy;
  // its output for the same pages is the v6 file's report)
  const sink = new MemorySink();
  writeTraceDat(
    sink,
    {
      headerPage: td.headerPageText,
      headerEvent: td.headerEventText,
      ftraceFormats: [],
      systems: [],
      kallsyms: '',
      printk: '',
      cmdlines: '',
    },
    [
      { name: '', clock: inst.clock, cpus: [] },
      {
        name: inst.name,
        clock: inst.clock,
        pageSize: td.pageSize,
        cpus: inst.cpus.filter((c) => c.size > 0).map((c) => ({ cpu: c.cpu, data: [bytes.subarray(c.offset, c.offset + c.size)] })),
      },
    ],
    {
      version: 7,
      compression: zlibCompressor(),
      littleEndian: td.littleEndian,
      longSize: td.userLongSize,
      pageSize: td.pageSize,
      cpuCount: td.cpuCount,
      chunkPages: 1,
    },
  );
  const z = sink.finish();
  const want = expectedMarkers(readFileSync(`${d}/report.txt`, 'latin1'));
  for (const exactPages of [true, false]) {
    assert.deepEqual(await markers(new MemorySource(z), { exactPages }), want, `sync, exactPages ${exactPages}`);
    assert.deepEqual(await markers(new PieceSource(z, 97, false), { exactPages }), want, `async, exactPages ${exactPages}`);
  }
});
