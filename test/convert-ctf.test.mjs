// utp convert CTF -o x.json|x.pftrace reads the CTF directly (CtfSource, no temporary trace.dat):
// - utp-written CTF fixtures (testdata/ctf/utp-*) whose trace.dat twin is in testdata/succeed: with the
//   trace.dat skeleton utp convert writes beside a CTF, the Perfetto file equals byte for byte, and the
//   JSON equals except otherData's source and name, what `utp convert TWIN.dat` (the verified
//   trace.dat path, which the old CTF → temporary trace.dat → JSON path reproduced) writes; without
//   the skeleton (the fixture as committed) every trace event is still there with its time, task,
//   CPU and fields;
// - LTTng CTF fixtures: valid Chrome JSON with one event per babeltrace2 line, the same names
//   (provider:event = cat:name) and times to the nanosecond.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runUtp, tmpDir } from './lib/live.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const FIX = join(ROOT, 'testdata/ctf');
const SUCCEED = join(ROOT, 'testdata/succeed');
const PROTO_DIR = join(ROOT, 'packages/convert/proto');
const UTC = { env: { ...process.env, TZ: 'UTC' } };
const fixtures = readdirSync(FIX).filter((n) => statSync(join(FIX, n)).isDirectory());

function convert(input, output) {
  const r = runUtp(['convert', '-q', input, '-o', output]);
  assert.equal(r.status, 0, `utp convert ${input} -o ${output}: ${r.stderr}`);
  assert.equal(r.stderr.toString(), '', `utp convert ${input}: stderr`);
  return statSync(output).isDirectory() ? undefined : readFileSync(output);
}

/** The trace events of a Chrome JSON (not M names, on-CPU slices, or utp's closing E events). */
const traceEvents = (j) => j.traceEvents.filter((e) => e.ph !== 'M' && e.ph !== 'X' && e.cat !== 'utp.closed');

const twins = fixtures.filter((n) => n.startsWith('utp-') && existsSync(join(SUCCEED, n.slice(4), 'trace.dat')));

test('utp-written CTF fixtures with a trace.dat twin are there', () => {
  assert.deepEqual(twins.sort(), ['utp-lost-events', 'utp-uprobe-args']);
});

for (const name of twins) {
  test(`utp convert testdata/ctf/${name} -o json|pftrace == the trace.dat twin's (CtfSource)`, () => {
    const d = tmpDir('utp-ctf-src-');
    try {
      const twin = join(SUCCEED, name.slice(4), 'trace.dat');
      const oldJson = convert(twin, join(d, 'old.json'));
      const oldPf = convert(twin, join(d, 'old.pftrace'));
      // the skeleton of this trace: utp convert writes it beside the CTF it makes of the twin; that CTF
      // prints as the committed fixture does (babeltrace2's text), so the skeleton belongs to the fixture
      const gen = join(d, 'gen.ctf');
      convert(twin, gen);
      const printed = runUtp(['report', '-i', gen], UTC);
      assert.equal(printed.status, 0);
      assert.ok(printed.stdout.equals(readFileSync(join(FIX, `${name}.babeltrace2.txt`))), 'the CTF of the twin is the fixture');
      const ctf = join(d, `${name}.ctf`);
      cpSync(join(FIX, name), ctf, { recursive: true });
      for (const f of ['.utp-tracedat.dat', '.utp-tracedat.json']) cpSync(join(gen, f), join(ctf, f));

      const newPf = convert(ctf, join(d, 'new.pftrace'));
      assert.ok(newPf.equals(oldPf), 'Perfetto: byte for byte');
      const newJson = convert(ctf, join(d, 'new.json'));
      // otherData names the input: its format and file name differ, the rest is the same bytes
      const cut = (b) => {
        const s = b.toString('latin1');
        const at = s.lastIndexOf('"otherData":');
        return { body: s.slice(0, at), other: JSON.parse(s.slice(at + 12, s.lastIndexOf('}'))) };
      };
      const o = cut(oldJson),
        n = cut(newJson);
      assert.equal(n.body, o.body, 'JSON: every event, byte for byte');
      assert.deepEqual({ ...n.other, source: 'trace.dat', name: 'trace.dat' }, o.other);
      assert.equal(n.other.source, 'ctf');
      assert.equal(n.other.name, `${name}.ctf`);

      // without the skeleton (the fixture as committed): no systems (cat ""), so no slices from
      // sys_enter/sys_exit or sched_switch, no typed Perfetto events; each trace event is an instant
      // with the twin's name, time, task, CPU and fields, and the lost events are the same
      const bare = JSON.parse(convert(join(FIX, name), join(d, 'bare.json')).toString());
      const want = traceEvents(JSON.parse(oldJson.toString()));
      const got = traceEvents(bare);
      assert.equal(got.length, want.length);
      // the twin's slices (B/E) are named for what they are; their events are the entry/exit events
      const SLICE = {
        syscall: ['sys_enter', 'sys_exit'],
        irq: ['irq_handler_entry', 'irq_handler_exit'],
        softirq: ['softirq_entry', 'softirq_exit'],
      };
      got.forEach((e, i) => {
        const w = want[i];
        const lost = w.cat === 'utp.lost';
        const slice = w.ph === 'B' || w.ph === 'E';
        if (slice) assert.equal(e.name, SLICE[w.cat][w.ph === 'B' ? 0 : 1], `event ${i}`);
        assert.deepEqual(
          [slice ? w.name : e.name, e.ts, e.tid, e.cpu, e.args, e.cat === '' || lost, e.ph === 'i'],
          [w.name, w.ts, w.tid, w.cpu, w.args, true, true],
          `event ${i}`,
        );
      });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
}

for (const name of fixtures.filter((n) => n.startsWith('lttng-'))) {
  test(`utp convert testdata/ctf/${name} -o json: one event per babeltrace2 line, same names and times`, () => {
    const d = tmpDir('utp-ctf-src-');
    try {
      const text = convert(join(FIX, name), join(d, 'out.json')).toString('utf8');
      const j = JSON.parse(text);
      assert.ok(Array.isArray(j.traceEvents));
      assert.equal(j.displayTimeUnit, 'ns');
      assert.equal(j.otherData.source, 'ctf');
      const lines = readFileSync(join(FIX, `${name}.babeltrace2.txt`), 'latin1')
        .split('\n')
        .filter(Boolean);
      const events = j.traceEvents.filter((e) => e.ph === 'i' && e.cat !== 'utp.lost');
      assert.equal(events.length, lines.length);
      assert.equal(j.traceEvents.filter((e) => e.ph !== 'M').length, lines.length, 'no other events');
      // the times as written (µs with 3 decimals: beyond a double's digits for epoch-based clocks)
      const ts = [...text.matchAll(/"ph":"i","s":"t","ts":(\d+)\.(\d{3}),/g)].map((m) => BigInt(m[1]) * 1000n + BigInt(m[2]));
      assert.equal(ts.length, lines.length);
      const day = 86400n * 1000000000n;
      lines.forEach((l, i) => {
        const m = /^\[(\d\d):(\d\d):(\d\d)\.(\d{9})\] \(\S+\) (?:vm )?(\S+): /.exec(l);
        assert.ok(m, l);
        const e = events[i];
        assert.equal(`${e.cat}:${e.name}`, m[5], `event ${i}`);
        const tod = (BigInt(m[1]) * 3600n + BigInt(m[2]) * 60n + BigInt(m[3])) * 1000000000n + BigInt(m[4]);
        assert.equal(ts[i] % day, tod, `time of event ${i}`);
        for (const k of ['name', 'cat', 'ph', 's', 'pid', 'tid', 'cpu', 'args']) assert.ok(k in e, `event ${i} has ${k}`);
        // the CPU from the packet context, the task from the vtid context (none: the CPU's track)
        assert.equal(e.cpu, Number(/\{ cpu_id = (\d+) \}/.exec(l)?.[1]), `cpu of event ${i}`);
        const vtid = /\bvtid = (\d+)/.exec(l)?.[1];
        if (vtid !== undefined) assert.equal(e.tid, Number(vtid), `task of event ${i}`);
        else assert.deepEqual([e.pid, e.tid], [4194304, 4194304 + 1 + e.cpu], `no task: event ${i} on its CPU's track`);
      });
      // and the same stream as Perfetto: protoc decodes it through the committed .proto, with one FtraceEvent per line
      const pf = convert(join(FIX, name), join(d, 'out.pftrace'));
      const dec = spawnSync('protoc', ['--decode=perfetto.protos.Trace', `--proto_path=${PROTO_DIR}`, 'perfetto_subset.proto'], {
        input: pf,
        encoding: 'latin1',
        maxBuffer: 1 << 28,
      });
      if (!dec.error) {
        assert.equal(dec.status, 0, dec.stderr);
        assert.equal(dec.stderr, '');
        assert.equal((dec.stdout.match(/^ {4}event \{$/gm) ?? []).length, lines.length, 'FtraceEvents');
        // the boot clock's snapshot at the first event, to the ns (epoch-based times are beyond 2^53)
        assert.equal(/clock_id: 6\n\s+timestamp: (\d+)/.exec(dec.stdout)?.[1], String(ts[0]));
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
}

test('a selection of an LTTng CTF to JSON goes through the event stream; -F is refused with one line (no filter language)', () => {
  const d = tmpDir('utp-ctf-src-');
  try {
    let r = runUtp(['convert', join(FIX, 'lttng-ust-libc'), '-o', join(d, 'x.json'), '--cpu', '0']);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(readFileSync(join(d, 'x.json')).length > 0);
    r = runUtp(['convert', join(FIX, 'lttng-ust-libc'), '-o', join(d, 'y.json'), '-F', 'malloc']);
    assert.equal(r.status, 1);
    const lines = r.stderr.toString().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], /lttng-ust-libc \(ctf\): this source has no filter expressions/);
    assert.deepEqual(readdirSync(d), ['x.json']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
