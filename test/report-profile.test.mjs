// `utp report --profile` (with -G, -H, --by-comm) against `trace-cmd report --profile` (3.1.6) on
// fresh traces of this machine: sched only; sched + irq + raw_syscalls; sched with a `stacktrace`
// trigger on sched_switch (the kernel_stack call trees); -H pairs; v6 and v7 files; the selection
// flags; several inputs; a file whose data is in an instance buffer (trace-cmd dies there).
//
// trace-cmd prints a few things in an order taken from heap addresses (it changes between two runs
// of the same command): canonicalProfile() (test/lib/profile-canon.mjs) puts those in utp's order and
// leaves every other byte alone; the comparison is then byte for byte.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveSkipReason, tmpDir, recordReference, convert, tracefsState, runTraceCmd, runUtp, firstDifference } from './lib/live.mjs';
import { topBufferCopy } from './lib/top-buffer.mjs';
import { canonicalProfile } from './lib/profile-canon.mjs';

const skip = liveSkipReason();
if (skip) console.log(`# skipping live report --profile tests: ${skip}`);

function workload() {
  spawnSync('bash', [
    '-c',
    'for i in 1 2 3 4 5 6; do ls -la /usr/lib > /dev/null; cat /proc/self/status > /dev/null; dd if=/dev/zero of=/dev/null bs=4k count=50 2>/dev/null; sleep 0.02; done',
  ]);
}

/** Records EVENTS (optionally with a stacktrace trigger on sched_switch) and returns the instance file, its top-buffer copy (v6) and a v7 zstd conversion. */
async function record(dir, tag, events, stacktrace = false) {
  const r = recordReference(dir, {
    events,
    run: (insts) => {
      const trig = (I, v) => writeFileSync(join(I, 'events/sched/sched_switch/trigger'), v);
      if (stacktrace) for (const I of insts) trig(I, 'stacktrace');
      try {
        workload();
      } finally {
        if (stacktrace) for (const I of insts) trig(I, '!stacktrace');
      }
    },
  });
  const top = await topBufferCopy(r.file, join(dir, `${tag}-v6.dat`), dir);
  const v7 = convert(top.file, join(dir, `${tag}-v7.dat`), { version: 7, compression: 'zstd' });
  return { instanceFile: r.file, instance: top.name, v6: top.file, v7 };
}

const moved = { ties: 0, groups: 0 };
/** trace-cmd's profile text (after canonicalProfile) vs utp's, byte for byte; undefined when equal. */
function profileDiff(file, args, opts = {}) {
  const argv = ['report', '--profile', ...args, '-i', ...(Array.isArray(file) ? file.flatMap((f, i) => (i ? ['-i', f] : [f])) : [file])];
  const what = `report --profile ${args.join(' ')} on ${[file]
    .flat()
    .map((f) => f.split('/').pop())
    .join(', ')}`;
  const ref = runTraceCmd(argv);
  const got = runUtp(argv);
  if (ref.status !== 0 || ref.signal)
    return `trace-cmd ${what} failed (${ref.signal ?? ref.status}): ${ref.stderr.toString().slice(0, 200)}`;
  if (got.status !== 0) return `utp ${what} exited ${got.status}: ${got.stderr.toString().slice(0, 300)}`;
  let text = ref.stdout.toString('latin1');
  if (opts.refFix) text = opts.refFix(text);
  if (opts.expect)
    for (const re of opts.expect) if (!re.test(text)) return `trace-cmd ${what}: no ${re} in its output (the trace does not exercise it)`;
  const canon = canonicalProfile(text);
  const a = text.split('\n'),
    b = canon.split('\n');
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) moved[args.includes('--by-comm') ? 'groups' : 'ties']++;
  return firstDifference(Buffer.from(canon, 'latin1'), got.stdout, what);
}

describe('utp report --profile matches trace-cmd report --profile', { skip }, () => {
  let dir, state, sched, mix, stack;
  before(async () => {
    dir = tmpDir('utp-profile-');
    state = tracefsState();
    sched = await record(dir, 'sched', ['sched']);
    mix = await record(dir, 'mix', ['sched', 'irq', 'raw_syscalls']);
    stack = await record(dir, 'stack', ['sched'], true);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(tracefsState(), state, 'tracefs state changed by the tests');
    console.log(
      `# lines trace-cmd printed in a heap-address order, put in utp's order: ${moved.ties} (tied entries), ${moved.groups} (with --by-comm)`,
    );
  });

  const SORTS = [[], ['-G'], ['--by-comm'], ['-G', '--by-comm']];

  test('sched only, v6 and v7, with -G and --by-comm', () => {
    for (const f of [sched.v6, sched.v7])
      for (const a of SORTS) assert.equal(profileDiff(f, a, { expect: [/Event: sched_switch:S \(/, /Event: sched_wakeup:/] }), undefined);
  });

  test('sched + irq + raw_syscalls, v6 and v7, with -G and --by-comm', () => {
    const expect = [/Event: sys_enter:\d+ \(\d+\) Total:/, /Event: softirq_(entry|raise):[A-Z]/];
    for (const f of [mix.v6, mix.v7]) for (const a of SORTS) assert.equal(profileDiff(f, a, { expect }), undefined);
    // -G moves irq and softirq pairs to per-CPU "Global CPU[n] Events" sections
    assert.equal(profileDiff(mix.v6, ['-G'], { expect: [/^Global CPU\[\d\] Events$/m] }), undefined);
  });

  test('stacktrace trigger on sched_switch: the kernel_stack call trees', () => {
    const expect = [/^ {10}\+ \S+ \(0x[0-9a-f]+\)$/m, /^ +\| +\d+% \(\d+\) time:\d+ max:/m];
    for (const f of [stack.v6, stack.v7]) for (const a of SORTS) assert.equal(profileDiff(f, a, { expect }), undefined);
  });

  test('-H hooks: syscalls by id, sched_waking → sched_stat_runtime by pid, flags P and G, several hooks', () => {
    const cases = [
      [
        ['-H', 'raw_syscalls:sys_enter,id/raw_syscalls:sys_exit,id'],
        [/^start raw_syscalls:sys_enter:id \(\(null\)\) end raw_syscalls:sys_exit:id \(\(null\)\)$/m],
      ],
      [['-H', 'sys_enter,id/sys_exit,id,P'], [/Event: sys_enter:0x[0-9a-f]+ \(\d+\) Total:/]],
      // the woken task (pid field) from sched_waking to its first sched_stat_runtime (common_pid, pid)
      [['-H', 'sched:sched_waking,pid,pid/sched:sched_stat_runtime,pid'], [/Event: sched_waking:0x[0-9a-f]+ \(\d+\) Total:/]],
      // a hook replaces the event's own handling: sched_switch becomes a plain end event
      [['-H', 'sched:sched_waking,pid,pid/sched:sched_switch,next_pid'], []],
      [['-H', 'sched:sched_waking,pid,pid/sched:sched_stat_runtime,pid,G'], [/^Global Events$/m]],
      [
        [
          '-H',
          'sched:sched_waking,pid,pid/sched:sched_stat_runtime,pid,pg',
          '-H',
          'irq:softirq_raise,vec/irq:softirq_exit,vec',
          '--by-comm',
        ],
        [/^Global CPU\[\d\] Events$/m],
      ],
      [['-G', '-H', 'irq:irq_handler_entry,irq/irq:irq_handler_exit,irq,p'], []],
      [['-H', 'sched:nosuch,pid/sched:sched_switch,next_pid'], []],
      [['-H', ',,sched_waking,pid//sched_switch,,next_pid'], []],
    ];
    for (const [a, expect] of cases) assert.equal(profileDiff(mix.v6, a, { expect }), undefined);
  });

  test('-H with a field the event lacks: both refuse after the same stdout', () => {
    const argv = ['report', '--profile', '-H', 'sched:sched_switch,nosuch/sched:sched_switch,next_pid', '-i', mix.v6];
    const ref = runTraceCmd(argv),
      got = runUtp(argv);
    assert.notEqual(ref.status, 0);
    assert.match(ref.stderr.toString(), /sched_switch does not have field nosuch/);
    assert.equal(got.status, 1);
    assert.match(got.stderr.toString(), /Event: sched_switch does not have field nosuch/);
    assert.equal(firstDifference(ref.stdout, got.stdout, 'stdout before the refusal'), undefined);
  });

  test('an invalid -H: trace-cmd segfaults, utp refuses with a usage error', () => {
    const argv = ['report', '--profile', '-H', 'sched_switch', '-i', mix.v6];
    const ref = runTraceCmd(argv);
    // if trace-cmd stops crashing here, this test has to learn what it prints instead
    assert.equal(ref.signal, 'SIGSEGV', `trace-cmd exit ${ref.status}: ${ref.stderr}`);
    const got = runUtp(argv);
    assert.equal(got.status, 2);
    assert.match(got.stderr.toString(), /Invalid hook format 'sched_switch'/);
  });

  test('-H without --profile: the hook line, then the plain report', () => {
    const argv = ['report', '-H', 'sys_enter,id/sys_exit,id', '-i', sched.v6];
    const ref = runTraceCmd(argv),
      got = runUtp(argv);
    assert.equal(ref.status, 0);
    assert.equal(got.status, 0);
    assert.equal(firstDifference(ref.stdout, got.stdout, 'report -H'), undefined);
  });

  test('the report selection applies first: --cpu, -F, -I -S, --align-ts', () => {
    const cases = [
      [mix.v6, ['--cpu', '1']],
      [mix.v6, ['-F', 'sched_switch: prev_pid > 0']],
      [stack.v6, ['-F', 'sched_switch', '-F', 'kernel_stack']],
      [mix.v6, ['-I', '-S']],
      [mix.v7, ['--align-ts']],
    ];
    for (const [f, a] of cases) assert.equal(profileDiff(f, a), undefined);
  });

  test('several inputs: each file profiled on its own, the last one first', () => {
    // trace-cmd 3.1.6 gets several inputs wrong twice: it prints each record's file prefix
    // ("NAME: ") into the output although it prints no line for the record, and its find_task()
    // caches the last task across files, so where the merge passes from one file to the next the
    // first records go to the previous file's task of the same pid. What it means is what it prints
    // for each file alone, the last input first, after the `cpus=` lines of all inputs.
    const files = [sched.v6, mix.v7];
    const argv = ['report', '--profile', '-i', files[0], '-i', files[1]];
    const multi = runTraceCmd(argv);
    assert.equal(multi.status, 0);
    const head = multi.stdout.toString('latin1').split('\n').slice(0, 2);
    assert.match(head.join('\n'), /^ *sched-v6\.dat: cpus=\d+\n *mix-v7\.dat: cpus=\d+$/);
    const alone = files.map((f) => {
      const r = runTraceCmd(['report', '--profile', '-i', f]);
      assert.equal(r.status, 0);
      return canonicalProfile(r.stdout.toString('latin1')).replace(/^cpus=\d+\n/, '');
    });
    const want = `${head.join('\n')}\n${alone[1]}${alone[0]}`;
    const got = runUtp(argv);
    assert.equal(got.status, 0, got.stderr.toString());
    assert.equal(firstDifference(Buffer.from(want, 'latin1'), got.stdout, 'report --profile of two inputs'), undefined);
  });

  test('data in an instance buffer: trace-cmd dies, utp profiles it under a buffer line', () => {
    const argv = ['report', '--profile', '-i', stack.instanceFile];
    const ref = runTraceCmd(argv);
    assert.notEqual(ref.status, 0);
    assert.match(ref.stderr.toString(), /Handle not found\?/);
    const got = runUtp(argv);
    assert.equal(got.status, 0, got.stderr.toString());
    const text = got.stdout.toString('latin1');
    const header = `\nbuffer: ${stack.instance}\n`;
    assert.ok(text.includes(header), 'no buffer line');
    // the same data in the top buffer is what trace-cmd can profile
    const top = runTraceCmd(['report', '--profile', '-i', stack.v6]);
    assert.equal(top.status, 0);
    const want = canonicalProfile(top.stdout.toString('latin1'));
    assert.equal(
      firstDifference(Buffer.from(want, 'latin1'), Buffer.from(text.replace(header, ''), 'latin1'), 'instance profile'),
      undefined,
    );
  });
});

const noTraceCmd = spawnSync('trace-cmd', ['--version']).error ? 'trace-cmd is not installed (apt-get install -y trace-cmd)' : false;
if (noTraceCmd) console.log(`# skipping report --profile corpus tests: ${noTraceCmd}`);

describe('utp report --profile matches trace-cmd on the committed corpus (top-buffer copies)', { skip: noTraceCmd }, () => {
  // the corpus traces keep their data in an instance buffer, where trace-cmd --profile dies: each is
  // compared as a copy with that data in the top buffer (lost-events and dropped-* have dropped
  // pages: the pairs open on that CPU are forgotten there)
  const CORPUS = ['lost-events', 'dropped-subbuf8k-v6', 'dropped-subbuf8k-v7-zstd', 'many-v7-zstd', 'utf8-comm-marker', 'uprobe-args'];
  let dir;
  before(() => {
    dir = tmpDir('utp-profile-corpus-');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // files that keep their data in the top buffer, compared as they are: hand-made function graph
  // traces (funcgraph_entry/exit pairs, function counts), big-endian, 4-byte longs, other clocks
  const TOP = [
    'cli/testdata/report/fgraph-migrate.dat',
    'cli/testdata/report/fgraph-migrate-early.dat',
    'tracedat/testdata/big-endian-top-v6.dat',
    'tracedat/testdata/counter-traceclock-top-v6.dat',
    'tracedat/testdata/date-offset-top-v6.dat',
    'tracedat/testdata/long-size-4-top-v6.dat',
    'tracedat/testdata/sched-irq-top-v6.dat',
    'tracedat/testdata/syscalls-top-v7-zstd.dat',
    'tracedat/testdata/tsc2nsec-top-v6.dat',
    'tracedat/testdata/unknown-event-top-v6.dat',
  ];
  for (const rel of TOP) {
    test(rel, () => {
      const file = new URL(`../packages/${rel}`, import.meta.url).pathname;
      const expect = rel.includes('fgraph') ? [/Event: func: func_\w+\(\) \(\d+\) Total:/] : [/\n {2}Event: /];
      for (const a of [[], ['-G', '--by-comm']]) assert.equal(profileDiff(file, a, { expect }), undefined);
    });
  }
  for (const name of CORPUS) {
    test(name, async () => {
      const src = new URL(`../testdata/succeed/${name}/trace.dat`, import.meta.url).pathname;
      const top = await topBufferCopy(src, join(dir, `${name}.dat`), dir);
      for (const a of [[], ['-G', '--by-comm']]) assert.equal(profileDiff(top.file, a, { expect: [/\n {2}Event: /] }), undefined);
    });
  }
});
