// utp convert TEXT -o x.json|x.pftrace: ftrace text (tracefs's trace file plain, with TGID, in
// latency-format; trace-cmd report default, -l, -t) through @utp/model's FtraceTextSource. Its
// Chrome JSON must be the trace.dat's (the already-verified path, TraceDatSource) of the same
// recording (testdata/text, tools/make-text-fixtures.mjs) for every event — name, ts, pid, tid, cpu,
// args — and for the derived slices (on-CPU X from sched_switch, syscall, irq and softirq B/E) and the
// task names (M). Differences allowed, and only these:
//   - ts (and X durations) in µs as the text writes them (rounded to µs but for report -t);
//   - print's ip: the text shows its symbol (tracing_mark_write), the trace.dat the address; its
//     buf: the trace.dat's ends with the newline the kernel adds, the text's line ends there;
//   - trace-cmd report's sched_switch prev_state: its sched plugin prints a preempted task (R+,
//     TASK_REPORT_MAX) as R, so 256 reads back 0 (the kernel's own text keeps the +);
//   - the trace.dat's two losses (buffer overwritten before the recording was read) are in
//     trace-cmd report's text (`CPU:N [N EVENTS DROPPED]`) but not in the kernel's trace file,
//     whose header only gives their total (entries-in-buffer/entries-written);
//   - otherData (the source: its format and name; the text has no clock, host or uname).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import { FtraceTextSource, TraceDatSource } from '@utp/model';
import { writeChromeJson, writePerfetto } from '@utp/convert';
import { runUtp, tmpDir } from './lib/live.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const FIX = join(ROOT, 'testdata/text');
const PROTO_DIR = join(ROOT, 'packages/convert/proto');
const tmp = tmpDir('utp-text-source-');
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const datBytes = gunzipSync(readFileSync(join(FIX, 'trace.dat.gz')));

async function json(src) {
  const chunks = [];
  await writeChromeJson(src, (c) => chunks.push(Buffer.from(c)));
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const datJson = json(await TraceDatSource.open(new MemorySource(new Uint8Array(datBytes), 'trace.dat')));

/** The trace.dat's JSON as the text shows it (the differences of the header comment). */
function asText(ev, { ns, report }) {
  const e = structuredClone(ev);
  if (!ns && typeof e.ts === 'number') {
    if (e.dur !== undefined) e.dur = Math.round(e.ts + e.dur) - Math.round(e.ts);
    e.ts = Math.round(e.ts);
  }
  if (e.name === 'print' && e.args) {
    // a kernel address: beyond 2^53, so the JSON holds its digits as a string
    assert.match(String(e.args.ip), /^\d+$/);
    e.args.ip = 'tracing_mark_write';
    assert.ok(e.args.buf.endsWith('\n'));
    e.args.buf = e.args.buf.slice(0, -1);
  }
  if (report && e.name === 'sched_switch' && e.ph === 'i' && e.args.prev_state === 256) e.args.prev_state = 0;
  return e;
}

const round3 = (e) => (typeof e.ts === 'number' ? { ...e, ts: Math.round(e.ts * 1000) / 1000 } : e);

for (const name of ['trace.txt', 'trace-tgid.txt', 'trace-lat.txt', 'report.txt', 'report-l.txt', 'report-t.txt']) {
  test(`utp convert ftrace text (${name}) to JSON = the trace.dat's JSON`, async () => {
    const b = await json(await FtraceTextSource.open(new Uint8Array(readFileSync(join(FIX, name))), { name }));
    const opts = { ns: name === 'report-t.txt', report: name.startsWith('report') };
    const a = structuredClone(await datJson);
    // the kernel's trace file does not say where events were overwritten (its header has the total)
    if (!opts.report) {
      const n = a.traceEvents.length;
      a.traceEvents = a.traceEvents.filter((e) => e.name !== 'lost events');
      assert.equal(n - a.traceEvents.length, 2);
    } else assert.equal(b.traceEvents.filter((e) => e.name === 'lost events').length, 2);
    assert.equal(b.traceEvents.length, a.traceEvents.length);
    const kinds = new Map();
    let diffs = 0;
    for (let i = 0; i < a.traceEvents.length; i++) {
      const want = asText(a.traceEvents[i], opts);
      const got = b.traceEvents[i];
      if (JSON.stringify(want) !== JSON.stringify(got)) diffs++;
      assert.deepEqual(round3(got), round3(want), `event ${i}`);
      kinds.set(got.ph, (kinds.get(got.ph) ?? 0) + 1);
    }
    assert.equal(diffs, 0);
    // the fixture has what the comparison is about: instants, on-CPU slices, syscall and softirq slices, names
    for (const ph of ['i', 'X', 'B', 'E', 'M']) assert.ok(kinds.get(ph) > 10, `${ph}: ${kinds.get(ph)}`);
    assert.ok(b.traceEvents.some((e) => e.ph === 'B' && e.cat === 'softirq'));
    assert.ok(b.traceEvents.some((e) => e.ph === 'B' && e.cat === 'irq' && /^irq \d+ virtio/.test(e.name)));
    assert.ok(b.traceEvents.some((e) => e.ph === 'E' && e.cat === 'irq'));
    assert.ok(b.traceEvents.some((e) => e.ph === 'B' && e.cat === 'syscall'));
    assert.equal(b.otherData.source, opts.report ? 'trace-cmd report' : 'ftrace text');
    assert.equal(b.otherData.cpus, a.otherData.cpus);
  });
}

test('utp convert TEXT -o x.json | x.pftrace: ftrace text is told by its content', async () => {
  const inText = join(tmp, 'kernel-trace');
  writeFileSync(inText, readFileSync(join(FIX, 'trace.txt')));
  const out = join(tmp, 'x.json');
  const r = runUtp(['convert', inText, '-o', out]);
  assert.equal(r.status, 0, r.stderr.toString());
  const got = JSON.parse(readFileSync(out, 'utf8'));
  const direct = await json(await FtraceTextSource.open(new Uint8Array(readFileSync(inText)), { name: 'kernel-trace' }));
  assert.deepEqual(got.traceEvents, direct.traceEvents);
  const pf = join(tmp, 'x.pftrace');
  const r2 = runUtp(['convert', join(FIX, 'report-t.txt'), '-o', pf]);
  assert.equal(r2.status, 0, r2.stderr.toString());
  assert.ok(readFileSync(pf).length > 10000);
  // text carries no formats: no trace.dat / CTF from it (a selection to JSON: convert-select.test.mjs)
  const r3 = runUtp(['convert', inText, '-o', join(tmp, 'x.dat')]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr.toString(), /converts to json or perfetto only/);
});

test("utp convert ftrace text (report-t.txt) to Perfetto = the trace.dat's Perfetto, decoded by protoc", async (t) => {
  if (spawnSync('protoc', ['--version']).error) return t.skip('no protoc');
  const decode = (file) => {
    const d = spawnSync('protoc', ['--decode=perfetto.protos.Trace', `--proto_path=${PROTO_DIR}`, 'perfetto_subset.proto'], {
      input: readFileSync(file),
      maxBuffer: 1 << 28,
    });
    assert.equal(d.status, 0, d.stderr?.toString());
    return d.stdout.toString();
  };
  // in process (utp convert's Perfetto path is writePerfetto over the same source; its CLI run is in the test above)
  const pf = async (src, file) => {
    const chunks = [];
    await writePerfetto(src, (c) => chunks.push(Buffer.from(c)));
    writeFileSync(file, Buffer.concat(chunks));
  };
  await pf(await TraceDatSource.open(new MemorySource(new Uint8Array(datBytes), 't.dat')), join(tmp, 'dat.pftrace'));
  await pf(
    await FtraceTextSource.open(new Uint8Array(readFileSync(join(FIX, 'report-t.txt'))), { name: 'report-t.txt' }),
    join(tmp, 'text.pftrace'),
  );
  let a = decode(join(tmp, 'dat.pftrace'));
  const b = decode(join(tmp, 'text.pftrace'));
  // what the text does not carry: the uname, common_flags (no latency columns in report -t), the
  // signedness of a generic field (a text integer is s64), print's ip (a symbol: print is then a
  // generic event) and buf's newline, report's R for a preempted R+
  a = a.replace(/\n {4}utsname \{\n[^}]*\}/, '');
  assert.ok(/common_flags: \d+/.test(a) && /uint_value: /.test(a));
  a = a.replace(/\n +common_flags: \d+/g, '').replace(/uint_value: /g, 'int_value: ');
  const prints = [...a.matchAll(/ {6}print \{\n {8}ip: \d+\n {8}buf: "(.*)\\n"\n {6}\}/g)];
  assert.ok(prints.length >= 1);
  a = a.replace(
    / {6}print \{\n {8}ip: \d+\n {8}buf: "(.*)\\n"\n {6}\}/g,
    (_m, buf) =>
      `      generic {\n        event_name: "print"\n        field {\n          name: "ip"\n          str_value: "tracing_mark_write"\n        }\n        field {\n          name: "buf"\n          str_value: "${buf}"\n        }\n      }`,
  );
  assert.equal((a.match(/prev_state: 256/g) ?? []).length, 3);
  a = a.replace(/prev_state: 256/g, 'prev_state: 0');
  assert.ok(/sys_enter \{\n {8}id: \d+\n {8}args: /.test(b), 'sys_enter args are written');
  assert.equal(b, a);
});
