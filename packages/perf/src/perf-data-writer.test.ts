/// <reference types="node" />
/**
 * The perf.data writer, read back by our reader (PerfData): the attrs and their ids, names from
 * EVENT_DESC, the feature sections, the records in order (sorted within FINISHED_ROUNDs), the
 * tracing data (a tracepoint format that decodes the RAW payload) — also in 1- and 97-byte pieces.
 * perf 6.1 reading the same writer's files is test/perf-record.test.mjs.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { MemorySource } from '@utp/bytes';
import type { ByteSource } from '@utp/bytes';
import { PerfData } from './perf-data.js';
import type { PerfEventAttr } from './attr.js';
import { AttrFlag } from './attr.js';
import { AttrType, Feature, Misc, ReadFormat, RecordType, SampleType } from './constants.js';
import { PerfDataWriter, PerfMemorySink } from './perf-data-writer.js';
import { encodeComm, encodeMmap2, encodeSample, encodeTask, encodeTracingData } from './perf-records.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

function attr(over: Partial<PerfEventAttr>): PerfEventAttr {
  return {
    type: AttrType.Software,
    size: 128,
    config: 0n,
    samplePeriod: 1n,
    sampleType: SampleType.Ip | SampleType.Tid | SampleType.Time | SampleType.Cpu | SampleType.Identifier,
    readFormat: ReadFormat.Id,
    flags: (1n << BigInt(AttrFlag.SampleIdAll)) | (1n << BigInt(AttrFlag.Inherit)),
    wakeupEvents: 0,
    bpType: 0,
    config1: 0n,
    config2: 0n,
    branchSampleType: 0n,
    sampleRegsUser: 0n,
    sampleStackUser: 0,
    clockid: 0,
    sampleRegsIntr: 0n,
    auxWatermark: 0,
    sampleMaxStack: 0,
    freq: false,
    sampleIdAll: true,
    nrRegsUser: 0,
    nrRegsIntr: 0,
    ...over,
  };
}

const FORMAT = `name: tiny
ID: 777
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int value;	offset:8;	size:4;	signed:1;

print fmt: "value=%d", REC->value
`;

/** Hands out at most `piece` bytes per read. */
class PieceSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly b: Uint8Array,
    private readonly piece: number,
  ) {
    this.size = b.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    const s = Math.min(offset, this.size);
    return Promise.resolve(this.b.slice(s, Math.min(this.size, s + Math.min(length, this.piece))));
  }
}

function build(): Uint8Array {
  const sw = attr({ config: 0n, samplePeriod: 4000n, freq: true, sampleType: attr({}).sampleType | SampleType.Period });
  sw.flags |= (1n << BigInt(AttrFlag.Freq)) | (1n << BigInt(AttrFlag.Comm)) | (1n << BigInt(AttrFlag.Mmap2));
  const tp = attr({
    type: AttrType.Tracepoint,
    config: 777n,
    sampleType: attr({}).sampleType | SampleType.Period | SampleType.Raw | SampleType.Callchain,
  });
  const sink = new PerfMemorySink();
  const w = new PerfDataWriter(sink, [
    { attr: sw, ids: [11n, 12n], name: 'cpu-clock' },
    { attr: tp, ids: [21, 22], name: 'test:tiny' },
  ]);
  const idHdr = 8 * 4; // TID, TIME, CPU, IDENTIFIER
  w.record(encodeComm(100, 100, 'worker', { idHdrSize: idHdr }));
  w.record(
    encodeMmap2(
      {
        pid: 100,
        tid: 100,
        start: 0x400000n,
        len: 0x1000n,
        pgoff: 0n,
        maj: 254,
        min: 0,
        ino: 42n,
        inoGeneration: 0n,
        prot: 5,
        flags: 2,
        filename: '/usr/bin/worker',
        misc: Misc.User,
      },
      { idHdrSize: idHdr },
    ),
  );
  // out of time order inside the round: readers sort up to FINISHED_ROUND
  w.record(encodeSample(sw, { id: 12n, ip: 0x400010n, pid: 100, tid: 100, time: 2000n, cpu: 1, period: 250000n }));
  w.record(encodeSample(sw, { id: 11n, ip: 0x400020n, pid: 100, tid: 100, time: 1000n, cpu: 0, period: 250000n }));
  w.finishedRound();
  const raw = new Uint8Array(12);
  const rv = new DataView(raw.buffer);
  rv.setUint16(0, 777, true);
  rv.setInt32(4, 100, true);
  rv.setInt32(8, -5, true);
  w.record(
    encodeSample(tp, {
      id: 21n,
      ip: 0x400030n,
      pid: 100,
      tid: 101,
      time: 3000n,
      cpu: 0,
      period: 1n,
      raw,
      callchain: [0xfffffffffffffe00n, 0x400030n, 0x400040n],
    }),
  );
  w.record(encodeTask(RecordType.Exit, { pid: 100, ppid: 1, tid: 101, ptid: 1, time: 4000n }, { idHdrSize: 32 }));
  w.finishedRound();
  w.finish({
    tracingData: encodeTracingData({
      littleEndian: true,
      longSize: 8,
      pageSize: 4096,
      headerPage: enc('\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n'),
      headerEvent: enc('# compressed entry header\n'),
      ftrace: [],
      systems: [{ system: 'test', formats: [enc(FORMAT)] }],
      kallsyms: new Uint8Array(0),
      printk: new Uint8Array(0),
      savedCmdlines: enc('100 worker\n'),
    }),
    hostname: 'box',
    osRelease: '6.1.0-test',
    version: 'utp 0.1.0',
    arch: 'x86_64',
    nrCpus: { available: 4, online: 2 },
    cpuDesc: 'Some CPU',
    cpuId: 'GenuineIntel,6,85,7',
    totalMem: 123456n,
    cmdline: ['utp', 'record', '--perf'],
    eventDesc: true,
    sampleTime: { first: 1000n, last: 3000n },
  });
  return sink.bytes().slice();
}

test('writer output reads back: attrs, ids, names, features', async () => {
  const b = build();
  const pd = await PerfData.open(new MemorySource(b, 'w'));
  assert.equal(pd.pipe, false);
  assert.deepEqual(
    pd.evsels.map((e) => [e.name, e.ids, e.attr.type, e.attr.config, e.attr.samplePeriod, e.attr.freq]),
    [
      ['cpu-clock', [11, 12], AttrType.Software, 0n, 4000n, true],
      ['test:tiny', [21, 22], AttrType.Tracepoint, 777n, 1n, false],
    ],
  );
  assert.equal(pd.evsels[1]!.attr.sampleType & SampleType.Raw, SampleType.Raw);
  const f = pd.features;
  assert.equal(f.hostname, 'box');
  assert.equal(f.osRelease, '6.1.0-test');
  assert.equal(f.version, 'utp 0.1.0');
  assert.equal(f.arch, 'x86_64');
  assert.deepEqual(f.nrCpus, { available: 4, online: 2 });
  assert.equal(f.cpuDesc, 'Some CPU');
  assert.equal(f.cpuId, 'GenuineIntel,6,85,7');
  assert.equal(f.totalMem, 123456n);
  assert.deepEqual(f.cmdline, ['utp', 'record', '--perf']);
  assert.deepEqual(f.sampleTime, { first: 1000n, last: 3000n });
  assert.deepEqual(
    f.eventDesc?.map((d) => [d.name, d.ids]),
    [
      ['cpu-clock', [11, 12]],
      ['test:tiny', [21, 22]],
    ],
  );
  assert.ok(pd.hasTracingData);
  assert.ok(f.raw.has(Feature.TracingData));
  assert.equal(pd.tep.findEventById(777)?.name, 'tiny');
});

test('writer records come back in order, samples decoded, tracepoint payload printable', async () => {
  const b = build();
  for (const piece of [0, 1, 97]) {
    const src = piece ? new PieceSource(b, piece) : new MemorySource(b, 'w');
    const pd = await PerfData.open(src, piece ? { chunkSize: piece } : {});
    const got: string[] = [];
    let exits = 0;
    await pd.forEach((ev) => {
      const s = ev.sample;
      if (ev.type === RecordType.Sample)
        got.push(
          `S ${ev.evsel?.name} t=${s.time} ip=${s.ip.toString(16)} ${s.pid}/${s.tid} cpu=${s.cpu} p=${s.period} cc=${s.callchain?.length ?? 0} raw=${s.raw?.length ?? 0}`,
        );
      else if (ev.type === RecordType.Comm) got.push(`COMM ${ev.data.length}`);
      else if (ev.type === RecordType.Mmap2) got.push(`MMAP2 ${ev.data.length}`);
      else if (ev.type === RecordType.Exit) exits++;
    });
    // a record without time (synthesized, zeroed sample_id) is delivered as it comes, outside the sort
    assert.equal(exits, 1);
    assert.deepEqual(
      got,
      [
        'COMM 56',
        'MMAP2 120',
        'S cpu-clock t=1000 ip=400020 100/100 cpu=0 p=250000 cc=0 raw=0',
        'S cpu-clock t=2000 ip=400010 100/100 cpu=1 p=250000 cc=0 raw=0',
        'S test:tiny t=3000 ip=400030 100/101 cpu=0 p=1 cc=3 raw=12',
      ],
      `piece ${piece}`,
    );
    assert.equal(pd.counts.get(RecordType.FinishedRound), 2);
  }
});

test('a finished writer refuses more records; the header is patched last', () => {
  const sink = new PerfMemorySink();
  const w = new PerfDataWriter(sink, [{ attr: attr({}), ids: [1n], name: 'x' }]);
  assert.equal(new TextDecoder().decode(sink.bytes().subarray(0, 8)), '\0\0\0\0\0\0\0\0');
  w.finish({});
  assert.equal(new TextDecoder().decode(sink.bytes().subarray(0, 8)), 'PERFILE2');
  assert.throws(() => w.finishedRound());
});
