// `utp report --debug` against `trace-cmd report --debug` (3.1.6), byte for byte: the committed
// fixtures (v6, v7 zstd and none, instances, lost events, 8 KiB sub-buffers) alone and with -t, -R,
// -l, --cpu, several -i, --stat/--cpus; and fresh traces of this machine (live, the recordings
// under the live lock) converted to v6 and v7-none, one of them patched so that a page holds an
// absolute TIME STAMP record.
//
// trace-cmd quirks the comparison names:
// - in debug mode libtracecmd's critical messages exit: at the first "bad page offset" of its page
//   walk trace-cmd stops with status 234 (two-instances-subbuf8k); utp must stop there too, same status.
// - with -F / --pid, trace-cmd --debug crashes (SIGSEGV in tracecmd_close) after the listing, losing
//   what stdio had not flushed; the reference is then taken with its stdout line-buffered (stdbuf -oL).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync, rmSync, openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FileSource } from '@utp/bytes/node';
import { KBuffer } from '@utp/traceevent';
import { TraceDat } from '@utp/tracedat';
import { ROOT, liveSkipReason, tmpDir, recordReference, convert, tracefsState, runTraceCmd, runUtp, firstDifference } from './lib/live.mjs';

const noTraceCmd = spawnSync('trace-cmd', ['--version']).error ? 'trace-cmd is not installed (apt-get install -y trace-cmd)' : undefined;
if (noTraceCmd) console.log(`# skipping report --debug comparisons: ${noTraceCmd}`);
const noStdbuf = spawnSync('stdbuf', ['--version']).error ? 'stdbuf (coreutils) is not installed' : undefined;

/**
 * Compares `report ARGS` of both tools. `expectStatus`: trace-cmd's exit status (234 at a bad
 * page offset), which utp must give too. Returns a description of the first difference.
 */
function compare(args, expectStatus = 0) {
  const what = `report ${args.join(' ')}`;
  const ref = runTraceCmd(['report', ...args]);
  const got = runUtp(['report', ...args]);
  if (ref.signal || ref.status !== expectStatus) return `trace-cmd ${what}: exit ${ref.signal ?? ref.status}, expected ${expectStatus}`;
  if (got.status !== expectStatus)
    return `utp ${what}: exit ${got.status}, expected ${expectStatus}: ${got.stderr.toString().slice(0, 300)}`;
  if (ref.stdout.length === 0) return `trace-cmd ${what} printed nothing`;
  return firstDifference(ref.stdout, got.stdout, what);
}

/** -F / --pid: trace-cmd --debug dies in tracecmd_close; its whole listing is read line-buffered. */
function compareFiltered(args) {
  const what = `report ${args.join(' ')}`;
  const ref = spawnSync('stdbuf', ['-oL', 'trace-cmd', 'report', ...args], { encoding: 'buffer', maxBuffer: 1 << 30 });
  const got = runUtp(['report', ...args]);
  if (ref.status !== 0 && ref.signal !== 'SIGSEGV') return `trace-cmd ${what}: exit ${ref.signal ?? ref.status}`;
  if (got.status !== 0) return `utp ${what}: exit ${got.status}: ${got.stderr.toString().slice(0, 300)}`;
  return firstDifference(ref.stdout, got.stdout, `${what} (trace-cmd line-buffered${ref.signal ? ', it then crashes' : ''})`);
}

function noProblems(problems) {
  assert.equal(problems.length, 0, problems.join('\n'));
}

describe('report --debug against trace-cmd on the committed fixtures', { skip: noTraceCmd }, () => {
  let dir;
  const files = {};
  before(() => {
    dir = tmpDir('utp-debug-');
    const base = join(ROOT, 'testdata/succeed');
    for (const name of readdirSync(base).sort()) {
      const d = join(base, name);
      const out = join(dir, `${name}.dat`);
      if (existsSync(join(d, 'trace.dat.gz'))) writeFileSync(out, gunzipSync(readFileSync(join(d, 'trace.dat.gz'))));
      else if (existsSync(join(d, 'trace.dat'))) writeFileSync(out, readFileSync(join(d, 'trace.dat')));
      else continue;
      files[name] = out;
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every fixture, alone and with -R; four of them also with -t, -l, --cpu 0', () => {
    const problems = [];
    let checked = 0;
    for (const [name, f] of Object.entries(files)) {
      // trace-cmd exits at this file's bad page offset (its 8 KiB instance's second page at 0x3000)
      const status = name === 'two-instances-subbuf8k' ? 234 : 0;
      const modes = ['sched-v6', 'many-v7-zstd', 'lost-events', 'two-instances-subbuf8k'].includes(name)
        ? [[], ['-t'], ['-R'], ['-l'], ['--cpu', '0']]
        : [[], ['-R']];
      for (const m of modes) {
        const d = compare(['--debug', ...m, '-i', f], status);
        if (d) problems.push(d);
        checked++;
      }
    }
    noProblems(problems);
    assert.ok(checked >= 30, `fixtures compared (${checked})`);
  });

  test('what --debug adds is there (info lines, page stamps, deltas, raw records, the exit at a bad page)', () => {
    const out = runUtp(['report', '--debug', '-i', files['two-instances-subbuf8k']]);
    assert.equal(out.status, 234);
    const text = out.stdout.toString('latin1');
    assert.match(text, /^version = 7\n/);
    assert.match(text, /CPU:\d \[SUBBUFFER START\] \[\d+:0x[0-9a-f]+\]\n/);
    assert.match(text, / \[\d+:0x[0-9a-f]+:\d+\]\n PADDING: delta:\d+ length:\d+\n/);
    const v6 = runUtp(['report', '--debug', '-i', files['sched-v6']]).stdout.toString('latin1');
    assert.match(v6, /^version = 6\nCPU 0 is empty\nCPU 1 is empty\ncpus=2\n/);
  });

  test('several -i files, and the modes that stop before the listing', () => {
    const f = files;
    const problems = [];
    for (const args of [
      ['--debug', '-i', f['sched-v6'], '-i', f['many-v7-zstd']],
      ['--debug', '-t', '-i', f['lost-events'], '-i', f['uprobe-args'], '-i', f['dropped-subbuf8k-v6']],
      ['--debug', '-i', f['utf8-comm-marker'], '-i', f['counter-clock-v7-none'], '-i', f['dropped-subbuf8k-v7-zstd']],
      ['--debug', '--stat', '-i', f['sched-v6'], '-i', f['many-v7-zstd']],
      ['--debug', '--cpus', '-i', f['sched-v6'], '-i', f['many-v7-zstd']],
      ['--debug', '--first-event', '-i', f['dropped-subbuf8k-v6']],
      ['--debug', '--version', '-i', f['uprobe-args']],
      ['--debug', '-p', '-i', f['sched-v6'], '-i', f['many-v7-zstd']],
    ]) {
      const d = compare(args);
      if (d) problems.push(d);
    }
    // the bad page offset of a later input ends everything there
    const d = compare(['--debug', '-i', f['sched-v6'], '-i', f['two-instances-subbuf8k']], 234);
    if (d) problems.push(d);
    noProblems(problems);
  });

  test('with -F and --pid (trace-cmd crashes after the listing)', { skip: noStdbuf }, () => {
    const problems = [];
    for (const name of ['sched-v6', 'dropped-subbuf8k-v7-none']) {
      for (const m of [
        ['-F', 'sched_switch'],
        ['-v', '-F', 'sched_switch'],
        ['--pid', '15'],
        ['-F', 'sched/sched_wakeup:pid==15'],
      ]) {
        const d = compareFiltered(['--debug', ...m, '-i', files[name]]);
        if (d) problems.push(d);
      }
    }
    noProblems(problems);
  });
});

/** -T filters compared with trace-cmd -T: one -F each, then some groups (several -F, -v, --debug). */
const T_FILTERS = [
  'sched_switch',
  'sched/sched_switch',
  'SCHED_SWITCH',
  'sched:common_pid==1',
  'sched_wakeup,sched_switch:pid==1',
  'sched_switch:prev_pid==0',
  'sched_switch:prev_pid==0&&next_pid>10',
  'sched_switch:prev_pid==0||next_pid>10',
  'sched_switch:!(prev_pid==0)',
  'sched_switch:prev_comm=="sh"',
  'sched_switch:prev_comm!="sh"',
  'sched_switch:prev_comm=~"^s"',
  'sched_switch:prev_comm!~"^s"',
  'sched_switch:nofield==3',
  'sched_switch:nofield==3||prev_pid!=0',
  'sched_switch:nofield==3&&prev_pid!=0',
  'sched_switch:!(nofield==3)',
  'sched_switch:prev_pid&3',
  'sched_switch:COMM=="sh"',
  'sched_switch:CPU==1',
  'sched_switch:prev_pid < 5 || prev_pid >= 7 && prev_state != 0',
  'sched_switch:prev_pid==-1',
  'sched_switch:prev_pid<=0x10',
  's.*:common_pid!=0',
];

describe('report -T against trace-cmd -T', { skip: noTraceCmd }, () => {
  let dir, file;
  before(() => {
    dir = tmpDir('utp-filter-test-');
    file = join(dir, 'sched-v6.dat');
    writeFileSync(file, gunzipSync(readFileSync(join(ROOT, 'testdata/succeed/sched-v6/trace.dat.gz'))));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each filter form', () => {
    const problems = [];
    for (const f of T_FILTERS) {
      const d = compare(['-T', '-F', f, '-i', file]);
      if (d) problems.push(d);
    }
    for (const args of [
      ['-T', '-F', 'sched_switch:prev_pid==0', '-v', '-F', 'sched_wakeup:pid>1', '-i', file],
      ['--filter-test', '-F', 'sched_switch', '-F', 'irq:irq>1', '-i', file],
      ['--debug', '-T', '-F', 'sched_switch:next_pid!=0', '-i', file],
    ]) {
      const d = compare(args);
      if (d) problems.push(d);
    }
    noProblems(problems);
  });

  test('a string used as a number (~) is refused: trace-cmd prints an address there', () => {
    const r = runUtp(['report', '-T', '-F', 'sched_switch:prev_comm~"s*"', '-i', file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /-T cannot show a string used as a number/);
  });
});

const liveSkip = noTraceCmd ?? liveSkipReason();
if (liveSkip && !noTraceCmd) console.log(`# skipping live report --debug comparisons: ${liveSkip}`);

/**
 * Turns the first TIME EXTEND record found in the raw (v6) CPU data of `file` into an absolute
 * TIME STAMP (type_len 30 -> 31), in place. Returns whether one was found.
 */
async function patchTimeStamp(file) {
  const td = await TraceDat.open(new FileSource(file), {});
  const le = td.littleEndian;
  const ps = td.pageSize;
  const longSize = td.headerPage?.commitSize ?? 8;
  const places = [];
  for (const h of td.handles()) if (h.buffer) for (const c of h.buffer.cpus) if (c.size > 0) places.push(c);
  await td.close();
  const fd = openSync(file, 'r+');
  try {
    const kb = new KBuffer({ littleEndian: le, longSize });
    for (const c of places) {
      for (let off = c.offset; off + ps <= c.offset + c.size; off += ps) {
        const page = new Uint8Array(ps);
        readSync(fd, page, 0, ps, off);
        kb.load(page);
        const ext = kb.rawEvents().find((e) => e.type === 30);
        if (!ext) continue;
        const at = off + kb.start + ext.offset;
        const b = Buffer.alloc(1);
        readSync(fd, b, 0, 1, at);
        b[0] = (b[0] & ~31) | 31;
        writeSync(fd, b, 0, 1, at);
        return true;
      }
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

describe('report --debug against trace-cmd on a fresh trace', { skip: liveSkip }, () => {
  let dir, before0;
  before(() => {
    dir = tmpDir('utp-debug-live-');
    before0 = tracefsState();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), before0, 'tracefs state changed by the tests');
  });

  test('two instances, idle gaps (time extends), v7 zstd / v6 / v7 none, and an absolute time stamp', async () => {
    const { file } = recordReference(dir, {
      events: ['sched', 'irq', 'timer'],
      instances: 2,
      run: () => {
        for (let i = 0; i < 3; i++) {
          spawnSync('sh', ['-c', 'ls / > /dev/null']);
          spawnSync('sleep', ['0.3']);
        }
      },
    });
    const v6 = convert(file, join(dir, 'v6.dat'), { version: 6 });
    const none = convert(file, join(dir, 'none.dat'), { version: 7, compression: 'none' });
    const problems = [];
    for (const f of [file, v6, none]) {
      for (const m of [[], ['-t'], ['-R']]) {
        const d = compare(['--debug', ...m, '-i', f]);
        if (d) problems.push(d);
      }
    }
    const d = compare(['--debug', '-i', file, '-i', v6]);
    if (d) problems.push(d);
    const ref = runTraceCmd(['report', '--debug', '-i', file]).stdout.toString('latin1');
    assert.match(ref, /\[SUBBUFFER START\] \[\d+:0x[0-9a-f]+\]/, 'the fresh trace has sub-buffer starts');
    // a few process events 0.3 s apart: some CPU sees a gap over 2^27 ns, stored as a TIME EXTEND
    const gaps = recordReference(dir, {
      events: ['sched/sched_process_exec', 'sched/sched_process_exit'],
      run: () => {
        for (let i = 0; i < 5; i++) {
          spawnSync('sh', ['-c', 'true']);
          spawnSync('sleep', ['0.3']);
        }
      },
    }).file;
    const gaps6 = convert(gaps, join(dir, 'gaps6.dat'), { version: 6 });
    for (const f of [gaps, gaps6]) {
      const e = compare(['--debug', '-i', f]);
      if (e) problems.push(e);
    }
    assert.match(runTraceCmd(['report', '--debug', '-i', gaps]).stdout.toString('latin1'), /\n TIME EXTEND: delta:\d+ length:0\n/);
    assert.ok(await patchTimeStamp(gaps6), 'a TIME EXTEND record in the v6 copy');
    const e = compare(['--debug', '-i', gaps6]);
    if (e) problems.push(e);
    assert.match(runTraceCmd(['report', '--debug', '-i', gaps6]).stdout.toString('latin1'), /\n TIME STAMP: timestamp:\d+ length:0\n/);
    noProblems(problems);
  });
});
