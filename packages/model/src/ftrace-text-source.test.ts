/// <reference types="node" />
/**
 * FtraceTextSource on texts of one recording made on this machine (testdata/text, made by
 * tools/make-text-fixtures.mjs: the instance's `trace` file plain, with the TGID column and in
 * latency-format, and `trace-cmd report` of its trace.dat, default, -l and -t): the events and
 * their times, CPUs and tasks are the trace.dat's (TraceDatSource), every event's values and info
 * decoded later from its `loc` equal those of the event call, and the info is the file's text after
 * the event name. Lost events: trace-cmd report's `[N EVENTS DROPPED]` lines of the committed
 * lost-events fixtures come where the trace.dat's losses come.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import type { EventSource, FieldValue, LostEvents } from './event-stream.js';
import { FtraceTextSource } from './ftrace-text-source.js';
import { TraceDatSource } from './tracedat-source.js';
import { TraceModel } from './trace-model.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIX = `${ROOT}testdata/text/`;
const TEXTS = ['trace.txt', 'trace-tgid.txt', 'trace-lat.txt', 'report.txt', 'report-l.txt', 'report-t.txt'];
const datBytes = new Uint8Array(gunzipSync(readFileSync(`${FIX}trace.dat.gz`)));

const big = (v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
const show = (v: FieldValue): unknown => (v instanceof Uint8Array ? Array.from(v) : Array.isArray(v) ? v.map(big) : big(v));

interface Ev {
  name: string;
  ts: number;
  cpu: number;
  pid: number;
  flags: number;
  preempt: number;
}

async function events(src: EventSource): Promise<{ evs: Ev[]; lost: Array<LostEvents & { before: number }> }> {
  const evs: Ev[] = [];
  const lost: Array<LostEvents & { before: number }> = [];
  await src.read({
    event(e) {
      evs.push({ name: src.classes[e.classId]!.name, ts: e.ts, cpu: e.cpu, pid: e.pid, flags: e.flags, preempt: e.preempt });
    },
    lost(l) {
      lost.push({ ...l, before: evs.length });
    },
  });
  return { evs, lost };
}

const dat = TraceDatSource.open(new MemorySource(datBytes, 'trace.dat'));

for (const name of TEXTS) {
  test(`FtraceTextSource ${name}: the trace.dat's events, times (as written), CPUs and tasks`, async () => {
    const text = await FtraceTextSource.open(new Uint8Array(readFileSync(FIX + name)), { name });
    const a = await events(await dat);
    const b = await events(text);
    assert.equal(b.evs.length, a.evs.length);
    const ns = name === 'report-t.txt';
    const lat = name.includes('-l') || name === 'trace-lat.txt' || name.startsWith('trace');
    for (let i = 0; i < a.evs.length; i++) {
      const x = a.evs[i]!,
        y = b.evs[i]!;
      // µs as the text writes them (rounded, as the kernel and trace-cmd round), or ns with -t
      const want = { ...x, ts: ns ? x.ts : Math.round(x.ts / 1000) * 1000 };
      // the latency columns only where the text has them (the kernel's trace files, report -l)
      if (!lat) {
        want.flags = 0;
        want.preempt = 0;
      }
      // libtraceevent prints N for need-resched with or without preempt-resched (0x20): report -l cannot tell
      if (name === 'report-l.txt') want.flags &= ~0x20;
      // latency-format's comm column is 8 wide: the pid is still whole
      assert.deepEqual(y, want, `event ${i}`);
    }
    assert.equal(text.meta.cpuCount, 2);
    assert.equal(text.meta.format, name.startsWith('report') ? 'trace-cmd report' : 'ftrace text');
    // trace-cmd report names the instance buffer; the kernel's instance file does not
    if (name.startsWith('report')) assert.deepEqual(text.meta.buffers, ['', (await dat).meta.buffers.at(-1)]);
  });

  test(`FtraceTextSource ${name}: values and info from loc later == during the call; info is the text after the name`, async () => {
    const bytes = new Uint8Array(readFileSync(FIX + name));
    const src = await FtraceTextSource.open(bytes, { name });
    const during: Array<{ loc: number; classId: number; vals: string; info: string; fields: string }> = [];
    await src.read({
      event(e) {
        const c = src.classes[e.classId]!;
        const vals = src.values(e.loc, e.classId);
        // `fields` reads the same values during the call
        const fields = c.fields.map((f) => (f.kind === 'integer' ? e.fields.int(f) : f.kind === 'string' ? e.fields.str(f) : null));
        const want = vals.map((v) => (typeof v.value === 'bigint' ? Number(v.value) : typeof v.value === 'object' ? null : v.value));
        during.push({
          loc: e.loc,
          classId: e.classId,
          vals: JSON.stringify(vals.map((v) => [v.name, show(v.value)])),
          info: src.info(e.loc, e.classId, e.ts, e.cpu),
          fields: JSON.stringify(fields) === JSON.stringify(want) ? 'same' : `${JSON.stringify(fields)} != ${JSON.stringify(want)}`,
        });
      },
    });
    assert.ok(during.length > 1000);
    for (const d of during) {
      assert.equal(JSON.stringify(src.values(d.loc, d.classId).map((v) => [v.name, show(v.value)])), d.vals, `loc ${d.loc}`);
      assert.equal(src.info(d.loc, d.classId, 0, 0), d.info);
      assert.equal(d.fields, 'same');
      // the line at loc is the file's, and the info is its end
      const end = bytes.indexOf(10, d.loc);
      const line = Buffer.from(bytes.subarray(d.loc, end)).toString('latin1');
      assert.equal(src.line(d.loc, 0, 0), line);
      assert.ok(
        line.endsWith(d.info) && /(?:\d|us.): (?:\S+:\s+)?$/.test(line.slice(0, line.length - d.info.length)),
        `${line} | ${d.info}`,
      );
    }
  });
}

test("FtraceTextSource: every committed trace-cmd report text (testdata/succeed, default/-t/-l/-N/-R) gives its trace.dat's events, times, CPUs, tasks and buffers", async () => {
  const D = `${ROOT}testdata/succeed/`;
  let texts = 0;
  for (const fx of readdirSync(D)) {
    const dir = `${D}${fx}/`;
    const raw = existsSync(`${dir}trace.dat`) ? readFileSync(`${dir}trace.dat`) : gunzipSync(readFileSync(`${dir}trace.dat.gz`));
    const td = await TraceDatSource.open(new MemorySource(new Uint8Array(raw), fx));
    const a: Array<[string, number, number, number, string]> = [];
    await td.read({
      event(e) {
        a.push([td.classes[e.classId]!.name, e.ts, e.cpu, e.pid, td.meta.buffers[e.buffer]!]);
      },
    });
    for (const mode of ['report.txt', 'report-t.txt', 'report-l.txt', 'report-N.txt', 'report-R.txt']) {
      if (!existsSync(dir + mode)) continue;
      texts++;
      const src = await FtraceTextSource.open(new Uint8Array(readFileSync(dir + mode)), { name: mode });
      assert.equal(src.meta.format, 'trace-cmd report');
      const us = mode !== 'report-t.txt';
      const b: Array<[string, number, number, number, string]> = [];
      await src.read({
        event(e) {
          b.push([src.classes[e.classId]!.name, e.ts, e.cpu, e.pid, src.meta.buffers[e.buffer]!]);
        },
      });
      assert.equal(b.length, a.length, `${fx}/${mode}`);
      for (let i = 0; i < a.length; i++) {
        const [n, ts, cpu, pid, buf] = a[i]!;
        assert.deepEqual(b[i], [n, us ? Math.round(ts / 1000) * 1000 : ts, cpu, pid, buf], `${fx}/${mode} event ${i}`);
      }
    }
  }
  assert.ok(texts >= 40, `${texts} texts`);
});

test("FtraceTextSource: trace_pipe (no header): its LOST lines are the kernel's per-CPU overrun counts", async () => {
  const bytes = new Uint8Array(readFileSync(`${FIX}trace_pipe.txt`));
  assert.ok(FtraceTextSource.sniff(bytes.subarray(0, 4096)));
  const src = await FtraceTextSource.open(bytes, { name: 'trace_pipe.txt' });
  assert.equal(src.meta.format, 'ftrace text');
  assert.equal(src.skippedLines, 0);
  const { evs, lost } = await events(src);
  const lines = Buffer.from(bytes).toString('latin1').split('\n').filter(Boolean);
  assert.equal(evs.length + lost.length, lines.length);
  const overrun = new Map(
    readFileSync(`${FIX}trace_pipe-overrun.txt`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [Number(/^cpu(\d+)/.exec(l)![1]), Number(l.split(' ')[1])] as [number, number]),
  );
  const got = new Map<number, number>();
  for (const l of lost) got.set(l.cpu, (got.get(l.cpu) ?? 0) + l.count);
  assert.deepEqual(got, overrun);
  // each comes before the first event after it, at that event's time
  for (const l of lost) assert.equal(l.ts, evs[l.before]!.ts);
  assert.ok(evs.some((e) => e.name === 'sched_switch') && evs.some((e) => e.name === 'sys_enter'));
});

test('FtraceTextSource: the same events whatever the chunk size (lines across chunk boundaries)', async () => {
  const bytes = new Uint8Array(readFileSync(`${FIX}report-l.txt`));
  const whole = await events(await FtraceTextSource.open(bytes));
  for (const chunkSize of [97, 4096]) {
    const src = await FtraceTextSource.open(new MemorySource(bytes, 'report-l.txt'), { chunkSize });
    assert.deepEqual(await events(src), whole, `chunk ${chunkSize}`);
  }
});

test("FtraceTextSource: trace-cmd report's dropped-events lines are the trace.dat's losses", async () => {
  for (const fx of ['text', 'succeed/lost-events', 'succeed/dropped-subbuf8k-v6']) {
    const dir = `${ROOT}testdata/${fx}/`;
    const bytes = fx === 'text' ? datBytes : new Uint8Array(readFileSync(`${dir}trace.dat`));
    const td = await TraceDatSource.open(new MemorySource(bytes, fx));
    const a = await events(td);
    for (const mode of ['report.txt', 'report-t.txt'].filter((m) => existsSync(dir + m))) {
      const b = await events(await FtraceTextSource.open(new Uint8Array(readFileSync(dir + mode)), { name: mode }));
      assert.ok(a.lost.length > 0);
      assert.equal(b.evs.length, a.evs.length, `${fx} ${mode}`);
      // the same count, CPU, buffer and place in the stream (the loss's time is the next event's)
      const key = (l: LostEvents & { before: number }) => [l.cpu, l.count, l.buffer, l.before];
      assert.deepEqual(b.lost.map(key), a.lost.map(key), `${fx} ${mode}`);
    }
  }
});

test("FtraceTextSource: the kernel's header count of overwritten events is a diagnostic", async () => {
  const said: string[] = [];
  await FtraceTextSource.open(new Uint8Array(readFileSync(`${FIX}trace.txt`)), {
    name: 'trace.txt',
    onDiagnostic: (d) => said.push(d.code),
  });
  // 48061 written, 2206 in the buffer: the trace.dat's two losses (16304 + 29551)
  assert.deepEqual(said, ['TEXT_OVERWRITTEN']);
});

test('FtraceTextSource.sniff: ftrace text by its first line, not trace.dat or other text', () => {
  for (const name of TEXTS) assert.ok(FtraceTextSource.sniff(new Uint8Array(readFileSync(FIX + name)).subarray(0, 4096)), name);
  // trace_pipe has no header: its first event line
  const pipe = readFileSync(`${FIX}trace.txt`, 'latin1')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  assert.ok(FtraceTextSource.sniff(new Uint8Array(Buffer.from(pipe, 'latin1')).subarray(0, 4096)));
  assert.equal(FtraceTextSource.sniff(datBytes.subarray(0, 4096)), false);
  assert.equal(FtraceTextSource.sniff(new Uint8Array(Buffer.from('{"traceEvents":[\n'))), false);
  assert.equal(FtraceTextSource.sniff(new Uint8Array(Buffer.from('hello world\nsecond line\n'))), false);
});

test('FtraceTextSource: a damaged text (a foreign line, a last line cut short) gives its whole lines and one diagnostic with the offset', async () => {
  const text = readFileSync(`${FIX}trace.txt`, 'latin1');
  const lines = text.split('\n');
  const whole = lines.filter((l) => l && !l.startsWith('#')).length;
  const at = text.indexOf('\n', 3000) + 1;
  const damaged = `${text.slice(0, at)}garbage line\n${text.slice(at, text.length - 80)}`;
  const said: Array<{ code: string; offset?: number }> = [];
  const src = await FtraceTextSource.open(new Uint8Array(Buffer.from(damaged, 'latin1')), {
    name: 'cut.txt',
    onDiagnostic: (d) => said.push(d),
  });
  const { evs } = await events(src);
  assert.equal(evs.length, whole - 1);
  assert.equal(src.skippedLines, 2);
  const d = said.find((x) => x.code === 'TEXT_LINE');
  assert.equal(d?.offset, at);
});

test('FtraceTextSource: a text with no event line is an error that says so', async () => {
  await assert.rejects(FtraceTextSource.open(new Uint8Array(Buffer.from('hello\n')), { name: 'x.txt' }), /No ftrace event line in x\.txt/);
});

test("FtraceTextSource: the viewer's model from the kernel's text has the trace.dat's events and tasks", async () => {
  const a = await TraceModel.load(await TraceDatSource.open(new MemorySource(datBytes, 'trace.dat')));
  const b = await TraceModel.load(await FtraceTextSource.open(new Uint8Array(readFileSync(`${FIX}trace.txt`)), { name: 'trace.txt' }));
  assert.equal(b.length, a.length);
  assert.equal(Math.round(b.start / 1000), Math.round(a.start / 1000));
});
