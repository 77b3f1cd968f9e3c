// utp convert --to json|perfetto against the reference tools: the committed trace.dat fixtures
// (recorded by trace-cmd) and one fresh trace of this machine (sched, irq, raw_syscalls, task,
// timer, markers; root + tracefs; the recording takes the live lock). Chrome JSON is parsed and checked for
// the Trace Event Format's shape, then every event and field value against `trace-cmd report -R
// -t`; the Perfetto file is decoded by `protoc --decode` through packages/convert/proto and every
// event and field compared the same way. See test/lib/convert-check.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { liveSkipReason, recordReference, runUtp, tmpDir, tracefsState } from './lib/live.mjs';
import { checkChromeJson, checkPerfetto, protoMessages, splitFields, symbolResolver, tcEvents, tcFormats } from './lib/convert-check.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PROTO_DIR = join(ROOT, 'packages/convert/proto');
const MSGS = protoMessages(join(PROTO_DIR, 'perfetto_subset.proto'));
const CPU_TID0 = 4194304 + 1;

function toolsMissing() {
  if (spawnSync('trace-cmd', ['--version']).error) return 'trace-cmd is not installed (apt-get install -y trace-cmd)';
  if (spawnSync('protoc', ['--version']).error) return 'protoc is not installed (apt-get install -y protobuf-compiler)';
  return undefined;
}

function decode(file) {
  return spawnSync('protoc', ['--decode=perfetto.protos.Trace', `--proto_path=${PROTO_DIR}`, 'perfetto_subset.proto'], {
    input: readFileSync(file),
    encoding: 'latin1',
    maxBuffer: 1 << 30,
  });
}

/** Per CPU, the times (ns) of sched_switch events to a task that is not the idle task, from trace-cmd's events. */
function switchesIn(tc, formats) {
  const out = new Map();
  const names = (formats.get('sched_switch') ?? []).map((f) => f.name);
  for (const e of tc) {
    if (e.name !== 'sched_switch') continue;
    const f = splitFields(e.rest, names).fields;
    if (f && f.get('next_pid') !== '0') {
      if (!out.has(e.cpu)) out.set(e.cpu, []);
      out.get(e.cpu).push(e.ts);
    }
  }
  return out;
}

/** Converts `dat` both ways and checks both outputs. Returns what the checks found. */
function convertAndCheck(dat, dir) {
  const tc = tcEvents(dat);
  const formats = tcFormats(dat);
  const symbol = symbolResolver(dat);
  const json = join(dir, 'out.json');
  let r = runUtp(['convert', dat, '-o', json]);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stderr.length, 0, 'quiet when not on a TTY');
  const jr = checkChromeJson(readFileSync(json, 'utf8'), tc, formats, symbol);
  assert.equal(jr.error, undefined, `Chrome JSON: ${jr.error}`);
  assert.equal(jr.count, tc.length);
  // on-CPU slices: one per switch to a task, starting at the switch, on that CPU's track
  const want = switchesIn(tc, formats);
  const got = new Map();
  for (const e of jr.json.traceEvents)
    if (e.ph === 'X' && e.cat === 'sched.oncpu') {
      const cpu = e.tid - CPU_TID0;
      if (!got.has(cpu)) got.set(cpu, []);
      got.get(cpu).push(String(Math.round(e.ts * 1000)));
    }
  for (const [cpu, list] of want) assert.deepEqual(got.get(cpu)?.sort(), [...list].sort(), `on-CPU slices of CPU ${cpu}`);
  assert.equal([...got.values()].flat().length, [...want.values()].flat().length);
  const pf = join(dir, 'out.pftrace');
  r = runUtp(['convert', dat, '-o', pf]);
  assert.equal(r.status, 0, r.stderr.toString());
  const d = decode(pf);
  assert.equal(d.status, 0, `protoc --decode: ${d.stderr}`);
  assert.equal(d.stderr, '', 'protoc printed warnings');
  const pr = checkPerfetto(d.stdout, tc, formats, symbol, MSGS);
  assert.equal(pr.error, undefined, `Perfetto: ${pr.error}`);
  assert.equal(pr.count, tc.length);
  return { tc, jr, pr };
}

// ---------------------------------------------------------------- committed fixtures

const FIXTURES = join(ROOT, 'testdata/succeed');
for (const name of readdirSync(FIXTURES).sort()) {
  test(`utp convert --to json|perfetto: testdata/succeed/${name} has every event and value of trace-cmd report -R`, (t) => {
    const why = toolsMissing();
    if (why) return t.skip(why);
    const d = tmpDir('utp-convert-fix-');
    try {
      let dat = join(FIXTURES, name, 'trace.dat');
      if (!existsSync(dat)) {
        dat = join(d, 'trace.dat');
        writeFileSync(dat, gunzipSync(readFileSync(join(FIXTURES, name, 'trace.dat.gz'))));
      }
      const { tc, jr, pr } = convertAndCheck(dat, d);
      assert.ok(tc.length > 0, 'no events');
      console.log(
        `# ${name}: ${tc.length} events; JSON ${jr.values} values, ${jr.slices} slices, ${jr.cpuSlices} on-CPU slices, ${jr.closed} closed by utp; ` +
          `Perfetto ${pr.typed} typed + ${pr.generic} generic, ${pr.values} values, ${pr.packets} packets, dropped ${JSON.stringify(pr.dropped)}`,
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
}

test('utp convert json/perfetto: the format from the name or --to, never over the input, no temporary file left', () => {
  const d = tmpDir('utp-convert-cli-');
  try {
    const dat = join(d, 'in.dat');
    cpSync(join(FIXTURES, 'uprobe-args/trace.dat'), dat);
    let r = runUtp(['convert', dat, '-o', dat, '--to', 'json']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /would replace the input/);
    r = runUtp(['convert', dat, '-o', join(d, 'x.perfetto-trace')]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(join(d, 'x.perfetto-trace'))[0], 0x0a, 'a Trace: field 1, length-delimited');
    r = runUtp(['convert', '-i', dat, '-o', join(d, 'plain'), '--to', 'json']);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.ok(Array.isArray(JSON.parse(readFileSync(join(d, 'plain'), 'utf8')).traceEvents));
    r = runUtp(['convert', dat, '-o', join(d, 'p.bin'), '--to=perfetto']);
    assert.equal(r.status, 0, r.stderr.toString());
    r = runUtp(['convert', dat, '-o', join(d, 'q.svg'), '--to', 'svg']);
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /supported: ctf, json, perfetto/);
    mkdirSync(join(d, 'dir.json'));
    r = runUtp(['convert', dat, '-o', join(d, 'dir.json')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /is a directory/);
    writeFileSync(join(d, 'bad.dat'), 'not a trace at all, not a trace at all');
    r = runUtp(['convert', join(d, 'bad.dat'), '-o', join(d, 'bad.json')]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.toString().trim().split('\n').length, 1, r.stderr.toString());
    assert.ok(!existsSync(join(d, 'bad.json')));
    assert.deepEqual(
      readdirSync(d).filter((n) => n.startsWith('.')),
      [],
      'no temporary file left',
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- a fresh trace

test('live: a fresh trace (sched, irq, raw_syscalls, task, timer, markers) → JSON and Perfetto hold every event and value of trace-cmd report -R', (t) => {
  const why = liveSkipReason() ?? toolsMissing();
  if (why) return t.skip(why);
  const before = tracefsState();
  const d = tmpDir('utp-convert-live-');
  try {
    const { file } = recordReference(d, {
      events: ['sched', 'irq', 'raw_syscalls', 'task', 'timer', 'ftrace/print', 'signal'],
      bufKb: 4096,
      run: (insts) => {
        spawnSync('sh', ['-c', 'ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; sleep 0.01 & wait']);
        // threads: task_newtask with CLONE_THREAD
        spawnSync(process.execPath, ['-e', "const {Worker}=require('node:worker_threads');new Worker('1',{eval:true})"]);
        for (const I of insts) writeFileSync(join(I, 'trace_marker'), 'convert "quoted" \\ marker é\n');
      },
    });
    const { tc, jr, pr } = convertAndCheck(file, d);
    const names = new Set(tc.map((e) => e.name));
    for (const n of ['sched_switch', 'sys_enter', 'sys_exit', 'print', 'task_newtask'])
      assert.ok(names.has(n), `the recording has no ${n} (${[...names].join(' ')})`);
    assert.ok(jr.slices > 10 && jr.cpuSlices > 0, `slices ${jr.slices}, on-CPU ${jr.cpuSlices}`);
    assert.ok(pr.typed > 0 && pr.generic > 0);
    // a thread made in the trace belongs to its process in both outputs
    const thread = tc.find((e) => e.name === 'task_newtask' && /clone_flags=[0-9a-f]*[1357]0000\b/.test(e.rest));
    if (thread) {
      const child = Number(/ pid=(\d+)/.exec(' ' + thread.rest)[1]);
      const parent = pr.tree.threads.find((th) => th.tid[0] === BigInt(child));
      assert.ok(parent, `thread ${child} in the process tree`);
      assert.notEqual(parent.tgid[0], BigInt(child), 'a CLONE_THREAD task is not its own thread group');
    }
    console.log(
      `# live: ${tc.length} events; JSON ${jr.slices} slices, ${jr.cpuSlices} on-CPU; Perfetto ${pr.typed} typed + ${pr.generic} generic, dropped ${JSON.stringify(pr.dropped)}`,
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), before, 'tracefs left as found');
  }
});
