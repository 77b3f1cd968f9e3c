// utp convert PERF.DATA -o x.json|x.pftrace reads @utp/model's PerfDataSource directly (the command
// is run on sw-clock; the tracepoint fixtures run its sinks in process); for a tracepoint-only
// perf.data its output must be the old path's: perf.data → trace.dat (`utp convert
// x.data -o t.dat`, the already-verified path, docs/convert.md) → JSON / Perfetto of that trace.dat.
// Differences allowed, and only these: otherData's "source" and "name" (the input is a perf.data,
// not t.dat), and perf's LOST records, which the trace.dat path drops and the direct path writes as
// `lost events` instants (plus the "CPU n" track name of a CPU only they touched). A perf.data with
// cpu-clock samples: every sample is in the JSON (and the Perfetto file decodes with protoc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FileSource } from '@utp/bytes/node';
import { PerfDataSource, TraceDatSource } from '@utp/model';
import { writeChromeJson, writePerfetto } from '@utp/convert';
import { runUtp, tmpDir } from './lib/live.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const FIX = join(ROOT, 'packages/perf/testdata');
const PROTO_DIR = join(ROOT, 'packages/convert/proto');
const tmp = tmpDir('utp-perf-source-');
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function fixture(name) {
  const p = join(tmp, `${name}.data`);
  writeFileSync(p, gunzipSync(readFileSync(join(FIX, `${name}.data.gz`))));
  return p;
}

function convert(input, output) {
  const r = runUtp(['convert', input, '-o', output]);
  assert.equal(r.status, 0, `utp convert ${input} -o ${output}: ${r.stderr}`);
  return r.stderr.toString();
}

/**
 * JSON / Perfetto as `utp convert IN -o x.json` writes them, in process (the sinks over the source
 * commands/convert.ts opens: TraceDatSource for a trace.dat, PerfDataSource for a perf.data; the
 * command itself is run on sw-clock below).
 */
async function viaSource(input, fmt) {
  const file = new FileSource(input);
  const src = input.endsWith('.dat') ? await TraceDatSource.open(file) : await PerfDataSource.open(file);
  const chunks = [];
  const w = fmt === 'json' ? writeChromeJson : writePerfetto;
  await w(src, (b) => chunks.push(Buffer.from(b)), { littleEndian: src.td ? src.td.littleEndian : src.littleEndian });
  await file.close();
  return Buffer.concat(chunks);
}

/** The JSON's lines, its otherData apart. */
function splitJson(text) {
  const lines = text.split('\n');
  const k = lines.findIndex((l) => l.startsWith('],"displayTimeUnit"'));
  assert.ok(k > 0, 'the JSON ends with its otherData line');
  const other = JSON.parse(`{${lines[k].slice(2)}`).otherData;
  return { events: lines.slice(0, k), other, tail: lines.slice(k + 1) };
}

for (const name of ['tp-task', 'tp-pipe', 'tp-zstd', 'tp-lost']) {
  test(`${name}: JSON and Perfetto straight from the perf.data = through a trace.dat`, async () => {
    const data = fixture(name);
    const dat = join(tmp, `${name}.dat`);
    convert(data, dat);
    for (const fmt of ['json', 'pftrace']) {
      const got = await viaSource(data, fmt === 'json' ? 'json' : 'perfetto');
      const want = await viaSource(dat, fmt === 'json' ? 'json' : 'perfetto');
      if (fmt === 'pftrace') {
        // Perfetto carries no source name; LOST records only set a bundle's lost flag (tp-lost)
        if (name !== 'tp-lost') assert.ok(got.equals(want), 'Perfetto byte for byte');
        else assert.ok(got.length > want.length && got.length - want.length < 256, 'Perfetto: only lost flags added');
        continue;
      }
      const g = splitJson(got.toString('utf8')),
        w = splitJson(want.toString('utf8'));
      assert.deepEqual({ ...g.other, source: '', name: '' }, { ...w.other, source: '', name: '' }, 'otherData but source/name');
      assert.equal(g.other.source, 'perf.data');
      assert.equal(w.other.source, 'trace.dat');
      assert.deepEqual(g.tail, w.tail);
      let events = g.events;
      if (name === 'tp-lost') {
        const lost = events.filter((l) => l.includes('"cat":"utp.lost"'));
        assert.ok(lost.length > 0, 'LOST records written');
        const lostCpus = new Set(lost.map((l) => JSON.parse(l.replace(/,$/, '')).cpu));
        const wantSet = new Set(w.events);
        events = events.filter((l) => {
          if (l.includes('"cat":"utp.lost"')) return false;
          if (wantSet.has(l)) return true;
          const m = /^\{"name":"thread_name","ph":"M","pid":4194304,"tid":\d+,"args":\{"name":"CPU (\d+)"\}\},?$/.exec(l);
          return !(m && lostCpus.has(Number(m[1])));
        });
        // the line before a removed one may have lost its trailing comma's follower: compare without the separators
        assert.deepEqual(
          events.map((l) => l.replace(/,$/, '')),
          w.events.map((l) => l.replace(/,$/, '')),
        );
      } else assert.deepEqual(events, w.events, 'every event line byte for byte');
    }
  });
}

test('sw-clock: utp convert writes every cpu-clock sample as a JSON instant, the Perfetto file decodes', async () => {
  const data = fixture('sw-clock');
  const json = join(tmp, 'sw.json'),
    pf = join(tmp, 'sw.pftrace');
  assert.equal(convert(data, json), '');
  assert.equal(convert(data, pf), '');
  assert.ok(readFileSync(json).equals(await viaSource(data, 'json')), 'the command writes what the sink over PerfDataSource writes');
  const script = gunzipSync(readFileSync(join(FIX, 'sw-clock.task-ns.script.gz'))).toString('latin1');
  const want = [...script.matchAll(/^.*?\s+(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+\d+\s+cpu-clock:/gm)].map(
    (m) => `${m[1]} ${Number(m[2])} ${Number(m[3]) * 1e9 + Number(m[4])}`,
  );
  assert.ok(want.length > 100);
  const doc = JSON.parse(readFileSync(json, 'utf8'));
  const got = doc.traceEvents
    .filter((e) => e.name === 'cpu-clock')
    .map((e) => {
      assert.equal(e.cat, 'perf');
      assert.equal(e.ph, 'i');
      assert.ok(Array.isArray(e.args.callchain) && e.args.callchain.length > 0);
      return `${e.args.tid} ${e.cpu} ${Math.round(e.ts * 1000)}`;
    });
  assert.deepEqual(got, want);
  // the old path still leaves them out, with its warning
  const err = convert(data, join(tmp, 'sw.dat'));
  assert.match(err, /samples of events with no tracefs format left out \(cpu-clock: \d+\)/);
  if (spawnSync('protoc', ['--version']).error) return;
  const d = spawnSync('protoc', ['--decode=perfetto.protos.Trace', `--proto_path=${PROTO_DIR}`, 'perfetto_subset.proto'], {
    input: readFileSync(pf),
    encoding: 'latin1',
    maxBuffer: 1 << 28,
  });
  assert.equal(d.status, 0, d.stderr);
  assert.equal(d.stderr, '');
  assert.equal((d.stdout.match(/event_name: "cpu-clock"/g) ?? []).length, want.length);
});

test('a cut perf.data: the JSON of what it holds (as many events as utp report prints), the warnings, exit 1', () => {
  const bytes = gunzipSync(readFileSync(join(FIX, 'tp-task.data.gz')));
  const dataOff = Number(bytes.readBigUInt64LE(40)),
    dataSize = Number(bytes.readBigUInt64LE(48));
  const cut = join(tmp, 'cut.data');
  writeFileSync(cut, bytes.subarray(0, dataOff + Math.floor(dataSize * 0.8)));
  const out = join(tmp, 'cut.json');
  const r = runUtp(['convert', cut, '-o', out]);
  assert.equal(r.status, 1);
  const lines = r.stderr.toString().trim().split('\n');
  assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith('utp convert: warning: ')), r.stderr.toString());
  const rep = runUtp(['report', '-i', cut]);
  const want = rep.stdout.toString().split('\n').filter(Boolean).length;
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  const events = doc.traceEvents.filter((e) => e.ph !== 'M' && e.ph !== 'X' && !String(e.cat).startsWith('utp.'));
  assert.ok(want > 0);
  assert.equal(events.length, want);
});

test('a selection of a perf.data (--cpu, --events) through the event stream: exactly perf script lines of that CPU and event', () => {
  const input = fixture('sw-clock');
  const out = join(tmp, 'sel.json');
  const r = runUtp(['convert', input, '-o', out, '--cpu', '1', '--events', 'cpu-clock']);
  assert.equal(r.status, 0, r.stderr.toString());
  const want = gunzipSync(readFileSync(join(FIX, 'sw-clock.script.gz')))
    .toString('latin1')
    .split('\n')
    .filter((l) => / \[001\] /.test(l) && / cpu-clock: /.test(l));
  assert.ok(want.length > 10, `${want.length} cpu-clock samples on CPU 1`);
  const evs = JSON.parse(readFileSync(out, 'utf8')).traceEvents.filter((e) => e.ph === 'i' || e.ph === 'B' || e.ph === 'E');
  assert.deepEqual([...new Set(evs.map((e) => `${e.name}@${e.cpu}`))], ['cpu-clock@1']);
  // the same samples: times (µs with the ns kept) as perf script's (µs)
  const us = (l) => Number(/ (\d+\.\d+): /.exec(l)[1]) * 1e6;
  assert.equal(evs.length, want.length);
  for (const [i, e] of evs.entries()) assert.ok(Math.abs(e.ts - us(want[i])) < 1, `sample ${i}: ${e.ts} vs ${want[i]}`);
});
