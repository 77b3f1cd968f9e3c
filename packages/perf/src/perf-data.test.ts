/// <reference types="node" />
/**
 * Reader tests on small perf.data files recorded by Debian's perf 6.1 (testdata/make-fixtures.sh),
 * checked against `perf script --ns --show-task-events` saved next to them: the time sequence of
 * the delivered records (perf's order), event names, LOST records, pipe mode, zstd; every file
 * also read with 1-byte and 97-byte pieces, and truncated / damaged copies.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import type { ByteSource } from '@utp/bytes';
import type { Diagnostic } from '@utp/traceevent';
import { PerfData } from './perf-data.js';
import { RecordType } from './constants.js';
import { PerfErrorCode } from './errors.js';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const gz = (name: string): Buffer => gunzipSync(readFileSync(dir + name));

/** Hands out at most `piece` bytes per read, async only. */
class PieceSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly piece: number,
  ) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    const s = Math.min(offset, this.size);
    return Promise.resolve(this.bytes.slice(s, Math.min(this.size, s + Math.min(length, this.piece))));
  }
}

const FILES = ['tp-task', 'tp-pipe', 'tp-zstd', 'tp-lost'];

/** Times (ns) of perf script --ns lines, in order; task-event lines included. */
function scriptTimes(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = / (\d+)\.(\d{9}): /.exec(line);
    if (m) out.push(Number(m[1]) * 1e9 + Number(m[2]));
  }
  return out;
}

async function read(
  src: ByteSource,
  chunkSize?: number,
): Promise<{ pd: PerfData; times: number[]; names: string[]; types: number[]; diags: Diagnostic[] }> {
  const diags: Diagnostic[] = [];
  const pd = await PerfData.open(src, { onDiagnostic: (d) => diags.push(d), ...(chunkSize ? { chunkSize } : {}) });
  const times: number[] = [],
    names: string[] = [],
    types: number[] = [];
  await pd.forEach((ev) => {
    types.push(ev.type);
    if (ev.type === RecordType.Sample || ev.type === RecordType.Comm || ev.type === RecordType.Fork || ev.type === RecordType.Exit) {
      times.push(Math.max(0, ev.sample.time));
      if (ev.type === RecordType.Sample) names.push(ev.evsel!.name);
    }
  });
  return { pd, times, names, types, diags };
}

for (const f of FILES) {
  test(`${f}: records in perf's order, as perf script --show-task-events --ns lists them`, async () => {
    const bytes = gz(`${f}.data.gz`);
    const want = scriptTimes(gz(`${f}.task-ns.script.gz`).toString('latin1'));
    const r = await read(new MemorySource(bytes));
    assert.equal(r.pd.pipe, f === 'tp-pipe');
    assert.deepEqual(
      r.diags.filter((d) => d.level !== 'info'),
      [],
    );
    assert.equal(r.times.length, want.length);
    assert.deepEqual(r.times, want);
    // sample event names, as perf script prints them
    const names = gz(`${f}.script.gz`)
      .toString('latin1')
      .split('\n')
      .filter(Boolean)
      .map((l) => /: +([a-z_]+:[a-z_]+): /.exec(l)?.[1]);
    assert.deepEqual(r.names, names);
    assert.equal(r.pd.features.hostname !== undefined, true);
    assert.equal(r.pd.features.cmdline?.[0], '/usr/bin/perf');
    assert.ok((r.pd.features.nrCpus?.online ?? 0) >= 1);
    if (f === 'tp-lost') assert.ok(r.types.includes(RecordType.Lost), 'LOST records delivered');
    if (f === 'tp-zstd') assert.ok((r.pd.counts.get(RecordType.Compressed) ?? 0) > 0, 'COMPRESSED records read');
  });

  for (const piece of [1, 97]) {
    test(`${f}: read in ${piece}-byte pieces gives the same records`, async () => {
      const bytes = gz(`${f}.data.gz`);
      const whole = await read(new MemorySource(bytes));
      const pieces = await read(new PieceSource(bytes, piece), piece);
      assert.deepEqual(pieces.types, whole.types);
      assert.deepEqual(pieces.times, whole.times);
    });
  }
}

test('a truncated file yields the records it holds and one truncation warning', async () => {
  for (const f of ['tp-task', 'tp-pipe']) {
    const bytes = gz(`${f}.data.gz`);
    const whole = await read(new MemorySource(bytes));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // file mode: cut inside the data section (the features after it are lost too)
    const end = f === 'tp-pipe' ? bytes.length : Number(dv.getBigUint64(40, true) + dv.getBigUint64(48, true) / 2n);
    const cut = bytes.subarray(0, Math.floor(end * (f === 'tp-pipe' ? 0.9 : 1)) + 3);
    const r = await read(new MemorySource(cut));
    const t = r.diags.filter((d) => d.code === 'PERF_TRUNCATED');
    assert.ok(t.length >= 1, `${f}: truncation reported`);
    assert.ok(r.types.length > 0 && r.types.length < whole.types.length, `${f}: some records read`);
    // what was read is what the whole file starts with (sorted records of complete rounds may differ at the tail)
    assert.deepEqual(r.types.slice(0, 10), whole.types.slice(0, 10));
  }
  // a pipe cut inside its tracing data: a warning, no records, no exception
  const pipe = gz('tp-pipe.data.gz');
  const r = await read(new MemorySource(pipe.subarray(0, 20000)));
  assert.ok(r.diags.some((d) => d.code === 'PERF_TRUNCATED'));
  assert.equal(r.types.length, 0);
});

test('garbage is an error with a code and an offset', async () => {
  await assert.rejects(
    PerfData.open(new MemorySource(new Uint8Array(200))),
    (e: { code: string; offset: number }) => e.code === PerfErrorCode.BadMagic && e.offset === 0,
  );
  const bytes = new Uint8Array(gz('tp-task.data.gz'));
  // a record whose size is below 8, right at the data start
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOff = Number(dv.getBigUint64(40, true));
  dv.setUint16(dataOff + 6, 4, true);
  const pd = await PerfData.open(new MemorySource(bytes));
  await assert.rejects(
    pd.forEach(() => {}),
    (e: { code: string; offset: number }) => e.code === PerfErrorCode.BadRecord && e.offset === dataOff,
  );
});
