// CTF 1.8 compatibility: utp convert → babeltrace2 (every event and value of trace-cmd report -R),
// utp report on CTF == babeltrace2 (committed fixtures, fresh LTTng and utp traces), damaged CTF.
// Live parts need root + tracefs (+ lttng for LTTng) (the recordings take the live lock, test/lib/live-lock.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { FileSource } from '@utp/bytes/node';
import { CtfTrace, setStructCodegen } from '@utp/ctf';
import { liveSkipReason, recordReference, runUtp, tmpDir, tracefsState, firstDifference } from './lib/live.mjs';
import { compareReports } from './lib/ctf-compare.mjs';
import { buildTracepointProgram, lttngSkipReason, recordLttng } from './lib/lttng.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const FIX = join(ROOT, 'testdata/ctf');
const UTC = { env: { ...process.env, TZ: 'UTC' } };

function babeltrace(dir, env = UTC.env) {
  return spawnSync('babeltrace2', [dir], { env, encoding: 'buffer', maxBuffer: 1 << 30 });
}
function btMissing() {
  return spawnSync('babeltrace2', ['--version']).error ? 'babeltrace2 is not installed (apt-get install -y babeltrace2)' : undefined;
}

/** A one-line error on stderr, no stack trace. */
function assertOneLine(stderr, what) {
  const s = stderr.toString();
  const lines = s.split('\n').filter(Boolean);
  assert.ok(lines.length >= 1, `${what}: no message`);
  assert.ok(!/^\s+at /m.test(s), `${what}: a stack trace: ${s}`);
  return lines;
}

// ---------------------------------------------------------------- committed fixtures (no root)

for (const name of existsSync(FIX) ? readdirSync(FIX).filter((n) => statSync(join(FIX, n)).isDirectory()) : []) {
  test(`utp report -i testdata/ctf/${name} prints what babeltrace2 printed (fixture)`, () => {
    const want = readFileSync(join(FIX, `${name}.babeltrace2.txt`));
    const got = runUtp(['report', '-i', join(FIX, name)], UTC);
    assert.equal(firstDifference(want, got.stdout, name), undefined);
    assert.ok(want.length > 0);
  });
}

// Structs of byte-aligned integers print through a function generated per struct class; where code
// generation is refused (a CSP page) a descriptor loop does it. Both must print babeltrace2's bytes.
test('CTF struct printers: generated code and its fallback print the same as babeltrace2 (fixtures)', async () => {
  const utc = (sec) => {
    const d = new Date(sec * 1000);
    return { h: d.getUTCHours(), m: d.getUTCMinutes(), s: d.getUTCSeconds() };
  };
  const names = readdirSync(FIX).filter((n) => statSync(join(FIX, n)).isDirectory());
  assert.ok(names.length >= 4);
  try {
    for (const codegen of [true, false]) {
      setStructCodegen(codegen);
      for (const name of names) {
        const dir = join(FIX, name);
        const streams = readdirSync(dir)
          .filter((n) => n !== 'metadata' && !n.startsWith('.') && statSync(join(dir, n)).isFile())
          .map((n) => ({ name: n, source: new FileSource(join(dir, n)) }));
        const chunks = [];
        const tr = CtfTrace.open(readFileSync(join(dir, 'metadata')), streams, resolve(dir));
        await tr.print({ write: (b) => chunks.push(Buffer.from(b)), onDiagnostic: () => {}, localTime: utc });
        for (const s of streams) await s.source.close();
        const want = readFileSync(join(FIX, `${name}.babeltrace2.txt`));
        assert.equal(firstDifference(want, Buffer.concat(chunks), `${name} (codegen ${codegen})`), undefined);
      }
    }
  } finally {
    setStructCodegen(true);
  }
});

test('utp report accepts the metadata file path of a CTF trace', () => {
  const dir = join(FIX, 'lttng-ust-types');
  const want = readFileSync(join(FIX, 'lttng-ust-types.babeltrace2.txt'));
  const got = runUtp(['report', join(dir, 'metadata')], UTC);
  assert.equal(got.status, 0, got.stderr.toString());
  assert.equal(firstDifference(want, got.stdout, 'metadata path'), undefined);
});

test('the time zone is honoured as by babeltrace2', (t) => {
  const why = btMissing();
  if (why) return t.skip(why);
  const dir = join(FIX, 'utp-uprobe-args');
  const env = { ...process.env, TZ: 'Asia/Kolkata' };
  const ref = babeltrace(dir, env);
  const got = runUtp(['report', '-i', dir], { env });
  assert.equal(ref.status, 0);
  assert.equal(firstDifference(ref.stdout, got.stdout, 'TZ'), undefined);
});

// ---------------------------------------------------------------- damaged CTF

function copyFixture(name) {
  const d = tmpDir('utp-ctf-bad-');
  cpSync(join(FIX, name), join(d, name), { recursive: true });
  return { root: d, dir: join(d, name) };
}

test('damaged CTF: a cut stream prints what it holds, then one line', () => {
  const { root, dir } = copyFixture('utp-lost-events');
  try {
    const stream = readdirSync(dir).find((n) => n !== 'metadata');
    const full = runUtp(['report', '-i', dir], UTC).stdout.toString().split('\n');
    truncateSync(join(dir, stream), Math.floor(statSync(join(dir, stream)).size / 2) + 3);
    const r = runUtp(['report', '-i', dir], UTC);
    assert.notEqual(r.status, 0);
    const lines = assertOneLine(r.stderr, 'cut stream').filter((l) => !l.startsWith('WARNING: Tracer'));
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], /utp report: .*Stream '.*' is cut.*offset=\d+/);
    const got = r.stdout.toString().split('\n').filter(Boolean);
    assert.ok(got.length > 100 && got.length < full.length - 1, `kept ${got.length} of ${full.length}`);
    // every line printed is a line of the whole trace's output (the delta to the previous line aside)
    const noDelta = (l) => l.replace(/ \(\+[0-9?.]+\) /, ' ');
    const all = new Set(full.map(noDelta));
    for (const l of got) assert.ok(all.has(noDelta(l)), `not in the full output: ${l}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('damaged CTF: bad packet magic in one stream keeps the other streams', () => {
  const { root, dir } = copyFixture('lttng-ust-libc');
  try {
    const fd = openSync(join(dir, 'channel0_1'), 'r+');
    writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, 0);
    closeSync(fd);
    const r = runUtp(['report', '-i', dir], UTC);
    assert.equal(r.status, 1);
    const lines = assertOneLine(r.stderr, 'bad magic');
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], /Bad packet magic 0xefbeadde .*channel0_1/);
    const full = readFileSync(join(FIX, 'lttng-ust-libc.babeltrace2.txt'), 'latin1').split('\n');
    const got = r.stdout.toString('latin1').split('\n').filter(Boolean);
    assert.ok(got.length > 0);
    const noDelta = (l) => l.replace(/ \(\+[0-9?.]+\) /, ' ');
    const all = new Set(full.map(noDelta));
    for (const l of got) assert.ok(all.has(noDelta(l)), l);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('damaged CTF: bad metadata is one line and exit 1', () => {
  const { root, dir } = copyFixture('utp-uprobe-args');
  try {
    const text = readFileSync(join(dir, 'metadata'), 'utf8');
    writeFileSync(join(dir, 'metadata'), text.replace('stream {', 'stream { bogus := wat;'));
    let r = runUtp(['report', '-i', dir], UTC);
    assert.equal(r.status, 1);
    assert.equal(assertOneLine(r.stderr, 'bad metadata').length, 1);
    assert.match(r.stderr.toString(), /metadata.*line=\d+/);
    writeFileSync(join(dir, 'metadata'), 'not metadata at all');
    r = runUtp(['report', '-i', dir], UTC);
    assert.equal(r.status, 1);
    assert.equal(assertOneLine(r.stderr, 'garbage metadata').length, 1);
    assert.match(r.stderr.toString(), /CTF 1\.8/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('utp convert refuses to write over its input and unknown output formats', () => {
  const d = tmpDir('utp-ctf-conv-');
  try {
    const dat = join(d, 'in.dat');
    cpSync(join(ROOT, 'testdata/succeed/uprobe-args/trace.dat'), dat);
    let r = runUtp(['convert', dat, '-o', dat, '--to', 'ctf']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /would replace the input/);
    r = runUtp(['convert', dat, '-o', join(d, 'out.xyz')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /--to ctf/);
    r = runUtp(['convert', dat, '-o', join(d, 'out.ctf')]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stderr.length, 0, 'quiet when not on a TTY');
    assert.ok(existsSync(join(d, 'out.ctf', 'metadata')));
    assert.deepEqual(
      readdirSync(d).filter((n) => n.startsWith('.')),
      [],
      'no temporary directory left',
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- fresh traces

test('live: trace.dat → utp convert → babeltrace2 shows every event and value of trace-cmd report -R', (t) => {
  const why = liveSkipReason() ?? btMissing();
  if (why) return t.skip(why);
  const before = tracefsState();
  const d = tmpDir('utp-ctf-live-');
  try {
    const { file } = recordReference(d, {
      events: ['sched', 'irq', 'timer', 'raw_syscalls', 'syscalls/sys_enter_openat', 'syscalls/sys_exit_openat', 'ftrace/print'],
      run: (insts) => {
        spawnSync('sh', ['-c', 'ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null']);
        for (const I of insts)
          try {
            writeFileSync(join(I, 'trace_marker'), 'ctf "quoted" \\ marker\n');
          } catch {
            /* no marker */
          }
      },
    });
    const out = join(d, 'out.ctf');
    const c = runUtp(['convert', file, '-o', out]);
    assert.equal(c.status, 0, c.stderr.toString());
    const bt = spawnSync('babeltrace2', ['--clock-seconds', out], { encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(bt.status, 0, bt.stderr);
    assert.equal(bt.stderr, '', 'babeltrace2 warns or errs');
    const tc = spawnSync('trace-cmd', ['report', '-R', '-t', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(tc.status, 0);
    // trace-cmd shows %ps/%pS arguments and printk strings by name: resolve them with the trace's own tables
    const syms = spawnSync('trace-cmd', ['report', '-f', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30 }).stdout;
    const table = [];
    for (const l of syms.split('\n')) {
      const m = /^([0-9a-f]{16}) (\S+)/.exec(l);
      if (m) table.push([BigInt('0x' + m[1]), m[2]]);
    }
    table.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const printk = new Map();
    // the file's printk strings as trace-cmd lists them (`dump --printk`: `0xADDR : "text"`)
    const dumped = spawnSync('trace-cmd', ['dump', '--printk', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30 });
    assert.equal(dumped.status, 0, `trace-cmd dump --printk: ${dumped.stderr}`);
    for (const l of dumped.stdout.split('\n')) {
      const m = /^0x([0-9a-f]+) : "(.*)"$/.exec(l);
      if (m) printk.set(BigInt('0x' + m[1]), m[2]);
    }
    assert.ok(printk.size > 0, 'the printk table of the trace is empty');
    const symbol = (v) => {
      const a = BigInt.asUintN(64, v);
      const out = [];
      if (printk.has(a)) out.push(printk.get(a));
      let lo = 0,
        hi = table.length - 1,
        k = -1;
      while (lo <= hi) {
        const m = (lo + hi) >> 1;
        if (table[m][0] <= a) {
          k = m;
          lo = m + 1;
        } else hi = m - 1;
      }
      if (k >= 0) out.push(table[k][1], `${table[k][1]}+0x${(a - table[k][0]).toString(16)}`);
      return out;
    };
    const r = compareReports(tc.stdout, bt.stdout, symbol);
    assert.equal(r.error, undefined);
    assert.ok(r.count > 50, `only ${r.count} events`);
    console.log(`# ${r.count} events, ${r.fields} field values equal`);
    // and utp reads its own CTF as babeltrace2 does
    const ref = babeltrace(out);
    const got = runUtp(['report', '-i', out], UTC);
    assert.equal(firstDifference(ref.stdout, got.stdout, 'utp report on utp CTF'), undefined);
  } finally {
    rmSync(d, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), before, 'tracefs left as found');
  }
});

test('live: an LTTng user-space trace: utp report == babeltrace2', (t) => {
  const why = lttngSkipReason() ?? btMissing();
  if (why) return t.skip(why);
  const d = tmpDir('utp-ctf-lttng-');
  try {
    const bin = buildTracepointProgram(d);
    const dir = recordLttng(join(d, 's1'), {
      events: ['utp_test:*', 'lttng_ust_libc:*'],
      contexts: ['vtid', 'procname'],
      run: (env) => {
        spawnSync(bin, [], { env, stdio: 'ignore' });
        spawnSync('ls', ['/usr'], { env: { ...env, LD_PRELOAD: 'liblttng-ust-libc-wrapper.so' }, stdio: 'ignore' });
      },
    });
    for (const tz of ['UTC', 'Europe/Paris']) {
      const env = { ...process.env, TZ: tz };
      const ref = babeltrace(dir, env);
      assert.equal(ref.status, 0, ref.stderr.toString());
      const got = runUtp(['report', '-i', dir], { env });
      assert.equal(got.status, 0, got.stderr.toString());
      assert.equal(firstDifference(ref.stdout, got.stdout, `lttng TZ=${tz}`), undefined);
      assert.ok(ref.stdout.length > 1000);
    }
    // the session directory (babeltrace2 finds the trace below it) works too
    const top = join(d, 's1', 'trace');
    assert.equal(firstDifference(babeltrace(top).stdout, runUtp(['report', '-i', top], UTC).stdout, 'session dir'), undefined);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
  assert.notEqual(spawnSync('pgrep', ['-x', 'lttng-sessiond']).status, 0, 'the session daemon was stopped');
});

// ---------------------------------------------------------------- the source-neutral writer API

test('CtfWriter fed from plain values (no trace.dat): babeltrace2 reads it without a warning, utp prints the same', async (t) => {
  const why = btMissing();
  if (why) return t.skip(why);
  const { CtfWriter, ValueEncoder } = await import('@utp/ctf');
  const { ctfDirSink } = await import('@utp/ctf/node');
  const d = tmpDir('utp-ctf-api-');
  try {
    const out = join(d, 'api.ctf');
    const sink = ctfDirSink(out);
    const u32 = { kind: 'int', size: 32, signed: false };
    const ctx = [{ name: 'tid', type: { kind: 'int', size: 32, signed: true } }];
    const w = new CtfWriter({
      sink: sink.sink,
      clock: { name: 'mono', freq: 1e9, offsetS: 1700000000n, offset: 123n },
      env: { hostname: 'api-host', tracer_name: 'utp-test', answer: 42 },
      streamContext: ctx,
      packetSize: 512,
    });
    const fields = [
      { name: 'u8', type: { kind: 'int', size: 8, signed: false } },
      { name: 'neg', type: { kind: 'int', size: 16, signed: true } },
      { name: 'ptr', type: { kind: 'int', size: 64, signed: false, base: 16 } },
      { name: 'big', type: { kind: 'int', size: 64, signed: true } },
      { name: 'oct', type: { kind: 'int', size: 32, signed: true, base: 8 } },
      { name: 'name', type: { kind: 'string' } },
      { name: 'comm', type: { kind: 'text', length: 8 } },
      { name: 'arr', type: { kind: 'array', element: { kind: 'int', size: 16, signed: false, base: 16 }, length: 3 } },
      { name: 'n', type: u32 },
      { name: 'seq', type: { kind: 'sequence', element: { kind: 'int', size: 32, signed: true }, lengthField: 'n' } },
      { name: 'struct', type: u32 }, // a TSDL keyword as a field name
    ];
    const a = w.addEventClass({ name: 'api:all', fields });
    const b = w.addEventClass({ name: 'empty', fields: [] });
    const enc = new ValueEncoder(true);
    const streams = [w.openStream('s0', 0), w.openStream('s1', 1)];
    // (an empty string is left out: babeltrace2 2.0.4 sometimes shows an earlier event's string for it, see docs/formats/ctf.md)
    const strs = ['plain', 'tab\there "q" \\ ?', 'é ünï', 'x'];
    for (let i = 0; i < 40; i++) {
      const s = streams[i % 2];
      if (i === 25) s.discard(7);
      enc
        .reset()
        .fields(ctx, [-i])
        .fields(fields, [
          i,
          -i * 300,
          0xffff888000000000n + BigInt(i),
          -(2n ** 62n) + BigInt(i),
          -i,
          strs[i % 4],
          'comm' + i,
          [i, 0xabcd, 0],
          i % 4,
          Array.from({ length: i % 4 }, (_, k) => k - 1),
          i,
        ]);
      s.event(a, 1000 + i * 17, enc.data);
      if (i % 10 === 0) s.event(b, 1000 + i * 17 + 1, enc.reset().fields(ctx, [i]).data);
    }
    sink.commit(w.finish());
    const ref = babeltrace(out);
    assert.equal(ref.status, 0, ref.stderr.toString());
    assert.match(
      ref.stderr.toString(),
      /^WARNING: Tracer discarded 7 events between .* within stream ".*s1" \(stream class ID: 0, stream ID: 1\)\.\n$/,
    );
    const got = runUtp(['report', '-i', out], UTC);
    assert.equal(firstDifference(ref.stdout, got.stdout, 'api trace'), undefined);
    assert.equal(got.stderr.toString(), ref.stderr.toString());
    assert.equal(ref.stdout.toString().split('\n').length - 1, 44);
  } finally {
    if (!process.env.KEEP) rmSync(d, { recursive: true, force: true });
    else console.log('kept', d);
  }
});

// ---------------------------------------------------------------- TSDL the writer never produces

test('hand-written big-endian CTF (bit fields, typedef, nested arrays, variant, sequence of strings, double, align, no clock): utp prints what babeltrace2 prints', (t) => {
  const why = btMissing();
  if (why) return t.skip(why);
  const metadata = `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 32; signed = false; } := uint32_t;
typedef integer { size = 16; align = 16; signed = true; } s16;
trace { major = 1; minor = 8; byte_order = be; };
env { hostname = "be-host"; number = -5; };
enum kind : uint8_t { ZERO, ONE, TWO, "MANY VALUES" = 3 ... 200, LAST };
event {
  name = "be_event";
  fields := struct {
    uint8_t first;
    integer { size = 3; align = 1; signed = false; } b3;
    integer { size = 5; align = 1; signed = true; } b5;
    integer { size = 13; align = 1; signed = false; base = 16; } b13;
    integer { size = 3; align = 1; signed = false; base = 2; } b3b;
    s16 grid[2][3];
    enum kind k;
    variant <k> { uint32_t ZERO; string ONE; s16 TWO; } v;
    enum kind k2;
    uint32_t n;
    string names[n];
    floating_point { exp_dig = 11; mant_dig = 53; align = 64; } d;
    struct { uint8_t x; } align(32) aligned;
    integer { size = 64; align = 8; signed = true; byte_order = le; } le64;
  };
};
`;
  // a big-endian bit writer: fields fill from the most significant bit
  const bytes = [];
  let bit = 0;
  const put = (v, size) => {
    const x = BigInt.asUintN(size, BigInt(v));
    for (let i = size - 1; i >= 0; i--) {
      const b = Number((x >> BigInt(i)) & 1n);
      const at = bit >> 3;
      while (bytes.length <= at) bytes.push(0);
      bytes[at] |= b << (7 - (bit & 7));
      bit++;
    }
  };
  const align = (a) => {
    while (bit % a) put(0, 1);
  };
  const str = (s) => {
    align(8);
    for (const c of Buffer.from(s + '\0')) put(c, 8);
  };
  for (let e = 0; e < 6; e++) {
    align(64);
    put(200 + e, 8); // the payload struct aligns to its largest member (the double)
    put(e, 3);
    put(-e - 1, 5);
    put(0x1abc + e, 13);
    put(e % 8, 3);
    for (let i = 0; i < 6; i++) {
      align(16);
      put(-100 * e + i, 16);
    }
    const k = e % 3;
    align(8);
    put(k, 8);
    if (k === 0) {
      align(32);
      put(0xdead0000 + e, 32);
    } else if (k === 1) str(`one "${e}"\n`);
    else {
      align(16);
      put(-e, 16);
    }
    align(8);
    put(e === 5 ? 201 : 3 + e * 40, 8); // enum values: a range label and past it
    align(32);
    put(e % 3, 32);
    for (let i = 0; i < e % 3; i++) str(`n${i}\t`);
    align(64);
    const f = Buffer.alloc(8);
    f.writeDoubleBE(e * 1.25e-5 - 2);
    for (const c of f) put(c, 8);
    align(32);
    put(e, 8);
    align(8);
    const l = Buffer.alloc(8);
    l.writeBigInt64LE(-(10n ** 15n) * BigInt(e));
    for (const c of l) put(c, 8);
  }
  const d = tmpDir('utp-ctf-be-');
  try {
    writeFileSync(join(d, 'metadata'), metadata);
    writeFileSync(join(d, 'data'), Buffer.from(bytes));
    const ref = babeltrace(d);
    assert.equal(ref.status, 0, ref.stderr.toString());
    assert.equal(ref.stderr.length, 0);
    const got = runUtp(['report', '-i', d], UTC);
    assert.equal(firstDifference(ref.stdout, got.stdout, 'big-endian hand-written'), undefined);
    assert.equal(ref.stdout.toString().split('\n').length - 1, 6);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
