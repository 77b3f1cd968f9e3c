/// <reference types="node" />
/**
 * PerfDataSource on the perf.data fixtures of @utp/perf (recorded by Debian's perf 6.1,
 * packages/perf/testdata/make-fixtures.sh), against `perf script --show-task-events --ns` saved
 * next to them: every sample is one event, in perf script's order, with its time, CPU, tid and
 * event name (and period for cpu-clock), a tracepoint's info text is perf script's print text;
 * values/info read later from `loc` equal those read during the call (file mode, pipe mode,
 * zstd); the zstd arena's cap; 1- and 97-byte reads give the same stream.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import type { Diagnostic } from '@utp/traceevent';
import type { FieldValue, LostEvents } from './event-stream.js';
import { PerfDataSource } from './perfdata-source.js';

const dir = fileURLToPath(new URL('../../perf/testdata/', import.meta.url));
const gz = (name: string): Buffer => gunzipSync(readFileSync(dir + name));

interface ScriptLine {
  tid: number;
  cpu: number;
  ts: number;
  period: number | undefined;
  event: string;
  text: string;
}

/** The sample lines of a `perf script --ns` output (task-event lines and callchain lines left out). */
function scriptSamples(text: string): ScriptLine[] {
  const out: ScriptLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('\t') || line.includes(' PERF_RECORD_')) continue;
    const m = /^\s*.*?\s+(-?\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+(?:(\d+)\s+)?(\S+):(?: (.*))?$/.exec(line);
    assert.ok(m, `unparsed perf script line: ${line}`);
    out.push({
      tid: Number(m[1]),
      cpu: Number(m[2]),
      ts: Number(m[3]) * 1e9 + Number(m[4]),
      period: m[5] === undefined ? undefined : Number(m[5]),
      event: m[6]!,
      text: m[7] ?? '',
    });
  }
  return out;
}

interface Got {
  ts: number;
  cpu: number;
  pid: number;
  classId: number;
  loc: number;
  values: Array<{ name: string; value: FieldValue }>;
  info: string;
}

async function readAll(
  name: string,
  opts: { chunkSize?: number; keepCompressed?: number } = {},
): Promise<{ src: PerfDataSource; got: Got[]; lost: LostEvents[]; diags: Diagnostic[] }> {
  const diags: Diagnostic[] = [];
  const src = await PerfDataSource.open(new MemorySource(gz(`${name}.data.gz`), `${name}.data`), {
    onDiagnostic: (d) => diags.push(d),
    ...opts,
  });
  const got: Got[] = [];
  const lost: LostEvents[] = [];
  await src.read({
    event: (e) => {
      got.push({
        ts: e.ts,
        cpu: e.cpu,
        pid: e.pid,
        classId: e.classId,
        loc: e.loc,
        values: src.values(e.loc, e.classId),
        info: src.info(e.loc, e.classId, e.ts, e.cpu),
      });
    },
    lost: (l) => lost.push({ ...l }),
  });
  return { src, got, lost, diags };
}

const perfName = (src: PerfDataSource, classId: number): string => {
  const c = src.classes[classId]!;
  return c.system === 'perf' ? c.name : `${c.system}:${c.name}`;
};

for (const name of ['sw-clock', 'tp-task', 'tp-pipe', 'tp-zstd', 'tp-lost']) {
  test(`${name}: every perf script sample, in its order, with its time, CPU, tid and event`, async () => {
    const want = scriptSamples(gz(`${name}.task-ns.script.gz`).toString('latin1'));
    const { src, got, diags } = await readAll(name);
    assert.deepEqual(
      diags.filter((d) => d.level !== 'info'),
      [],
    );
    assert.equal(got.length, want.length, 'event count');
    for (let i = 0; i < want.length; i++) {
      const g = got[i]!,
        w = want[i]!;
      const at = `event ${i} (${w.ts} ${w.event})`;
      assert.equal(g.ts, w.ts, `${at}: time`);
      assert.equal(g.cpu, w.cpu, `${at}: cpu`);
      assert.equal(g.pid, w.tid, `${at}: tid`);
      assert.equal(perfName(src, g.classId), w.event, `${at}: event`);
      const c = src.classes[g.classId]!;
      if (c.format) assert.equal(g.info, w.text, `${at}: the print text`);
      if (w.period !== undefined) {
        const p = g.values.find((v) => v.name === 'period');
        assert.equal(Number(p?.value), w.period, `${at}: period`);
      }
    }
    assert.equal(src.meta.format, 'perf.data');
    assert.equal(src.meta.clock, 'local');
    assert.equal(src.meta.hostname, 'vm');
    assert.ok(src.meta.cpuCount >= 1);
  });
}

test('sw-clock: a cpu-clock sample carries ip, tid, time, cpu, period and its callchain (u64s, context markers included)', async () => {
  const { src, got } = await readAll('sw-clock');
  const c = src.classes.find((k) => k.name === 'cpu-clock')!;
  assert.equal(c.system, 'perf');
  assert.equal(c.format, undefined);
  assert.deepEqual(
    c.fields.map((f) => f.name),
    ['ip', 'pid', 'tid', 'time', 'id', 'cpu', 'period', 'callchain'],
  );
  const e = got.find((g) => g.classId === c.id)!;
  const v = new Map(e.values.map((x) => [x.name, x.value]));
  assert.equal(v.get('time'), e.ts);
  assert.equal(v.get('tid'), e.pid);
  assert.equal(v.get('cpu'), e.cpu);
  const cc = v.get('callchain') as readonly bigint[];
  assert.ok(Array.isArray(cc) && cc.length > 1 && typeof cc[0] === 'bigint');
  // the first entry is PERF_CONTEXT_KERNEL or _USER, then the sampled ip
  assert.ok(cc[0] === 0xffffffffffffff80n || cc[0] === 0xfffffffffffffe00n);
  assert.equal(cc[1], v.get('ip'));
  assert.match(e.info, /^[0-9a-f]{16} period=\d+$/);
});

for (const name of ['sw-clock', 'tp-pipe', 'tp-zstd']) {
  test(`${name}: values and info read later from loc equal those read during the call`, async () => {
    const { src, got } = await readAll(name);
    assert.ok(got.length > 0);
    // backwards, so no event is the one just decoded
    for (let i = got.length - 1; i >= 0; i--) {
      const g = got[i]!;
      assert.deepEqual(src.values(g.loc, g.classId), g.values, `event ${i}: values`);
      assert.equal(src.info(g.loc, g.classId, g.ts, g.cpu), g.info, `event ${i}: info`);
      if (src.classes[g.classId]!.format) assert.ok(src.record(g.loc, g.ts, g.cpu), `event ${i}: record`);
      else assert.equal(src.record(g.loc, g.ts, g.cpu), undefined);
    }
  });
}

test('1-byte and 97-byte reads give the same events', async () => {
  for (const [name, chunkSize] of [
    ['tp-task', 1],
    ['tp-zstd', 97],
    ['tp-pipe', 97],
  ] as const) {
    const a = await readAll(name);
    const b = await readAll(name, { chunkSize });
    assert.deepEqual(
      b.got.map((g) => [g.ts, g.cpu, g.pid, g.classId, g.loc, g.info]),
      a.got.map((g) => [g.ts, g.cpu, g.pid, g.classId, g.loc, g.info]),
      `${name}, ${chunkSize}-byte reads`,
    );
  }
});

test('zstd: past keepCompressed the events still stream with their fields, later they give nothing, one diagnostic says so', async () => {
  const { src, got, diags } = await readAll('tp-zstd', { keepCompressed: 4096 });
  const full = await readAll('tp-zstd');
  assert.equal(got.length, full.got.length);
  assert.deepEqual(
    got.map((g) => g.values),
    full.got.map((g) => g.values),
  );
  assert.deepEqual(
    diags.map((d) => d.code),
    ['PERF_KEEP_LIMIT'],
  );
  const kept = got.filter((g) => src.values(g.loc, g.classId).length > 0).length;
  assert.ok(kept > 0 && kept < got.length, `${kept} of ${got.length} kept`);
});

test('tp-lost: LOST records reach the sink as lost events', async () => {
  const { lost, got } = await readAll('tp-lost');
  assert.ok(lost.length > 0);
  for (const l of lost) {
    assert.ok(l.count > 0);
    assert.ok(l.ts >= got[0]!.ts && l.ts <= got[got.length - 1]!.ts);
  }
});

test('commOf: COMM records name the tasks', async () => {
  const { src } = await readAll('tp-task');
  const want = scriptSamples(gz('tp-task.task-ns.script.gz').toString('latin1'));
  assert.ok(want.length > 0);
  // perf script's comm column is the task's name at the sample; the last COMM name of each tid here
  const text = gz('tp-task.task-ns.script.gz').toString('latin1');
  const last = new Map<number, string>();
  for (const m of text.matchAll(/PERF_RECORD_COMM(?: exec)?: (.*):(\d+)\/(\d+)$/gm)) last.set(Number(m[3]), m[1]!);
  assert.ok(last.size > 0);
  for (const [tid, comm] of last) assert.equal(src.commOf(tid), comm, `tid ${tid}`);
});
