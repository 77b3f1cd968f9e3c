/// <reference types="node" />
// utp-test: live (the whole file works on tracefs: tools/run-tests.mjs holds the live lock for it)
// @utp/tracefs against the live kernel, in private instances. Skips (with the reason) without
// root or tracefs. Every test leaves tracefs as found (checked after each).
import { test, before, afterEach } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  tracingUnavailableReason,
  Instance,
  createPrivateInstance,
  destroyInstance,
  traceFsState,
  diffTraceFsState,
  CpuReader,
  Waiter,
  readTracePipe,
  CpuSplice,
  createUprobe,
  removeDynamicEvent,
  listDynamicEvents,
  sweepStale,
  elfSymbolOffset,
  elfSymbols,
  selfStartTime,
  procStartTime,
  acquireSharedInstance,
  sharedInstanceUsers,
  type TraceFsState,
  subbufSizeRefusal,
} from './index.js';

const why = tracingUnavailableReason();
if (why) console.log(`# skipping live tracefs tests: ${why}`);
const live = { skip: why ? `needs root and tracefs (${why})` : false };

let state: TraceFsState;
before(() => {
  if (!why) {
    sweepStale();
    state = traceFsState();
  }
}); // stale leftovers of crashed runs go first
afterEach(() => {
  if (!why) assert.deepEqual(diffTraceFsState(state, traceFsState(), { ignoreForeign: true }), [], 'tracefs left as found');
});

function withInstance<T>(f: (i: Instance) => T): T {
  const inst = createPrivateInstance();
  try {
    return f(inst);
  } finally {
    destroyInstance(inst);
  }
}
const code = (e: unknown): string | undefined => (e as { code?: string }).code;

test('instances: create, list, exists, remove, refuse duplicates', live, () => {
  const inst = createPrivateInstance();
  try {
    assert.match(inst.name!, new RegExp(`^utp-${process.pid}\\.${selfStartTime()}-\\d+$`));
    assert.ok(Instance.list('utp-*').includes(inst.name!));
    assert.ok(Instance.exists(inst.name!));
    assert.throws(
      () => Instance.create(inst.name!),
      (e: unknown) => code(e) === 'TRACEFS_EXISTS',
    );
    assert.equal(Instance.open(inst.name!).path, inst.path);
  } finally {
    inst.remove();
  }
  assert.equal(Instance.exists(inst.name!), false);
  assert.throws(
    () => Instance.open(inst.name!),
    (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
  );
});

test('tracers: nop is accepted, unknown and refused tracers are clear errors', live, () =>
  withInstance((inst) => {
    assert.ok(inst.availableTracers().includes('nop'));
    inst.setTracer('nop');
    assert.equal(inst.currentTracer(), 'nop');
    assert.throws(
      () => inst.setTracer('no_such_tracer'),
      (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
    );
    if (inst.availableTracers().includes('function')) {
      try {
        inst.setTracer('function');
        inst.setTracer('nop');
      } catch (e) {
        assert.equal(code(e), 'TRACEFS_KERNEL_REFUSED');
        assert.match((e as Error).message, /refuses the 'function' tracer/);
      }
    }
  }),
);

test('events: glob matching, enable/disable, formats, ids', live, () =>
  withInstance((inst) => {
    const sw = inst.matchEvents('sched:sched_swi*');
    assert.deepEqual(sw, [{ system: 'sched', name: 'sched_switch' }]);
    assert.ok(inst.matchEvents('sched').length > 5);
    assert.deepEqual(inst.matchEvents('sched_switch'), [{ system: 'sched', name: 'sched_switch' }]);
    assert.throws(
      () => inst.matchEvents('no_such_event_xyz'),
      (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
    );
    inst.enableEvent('sched', 'sched_switch');
    assert.equal(inst.eventEnabled('sched', 'sched_switch'), '1');
    assert.equal(inst.eventEnabled('sched'), 'X');
    assert.deepEqual(inst.enabledEvents(), ['sched:sched_switch']);
    inst.disableEvent('sched', 'sched_switch');
    assert.deepEqual(inst.enabledEvents(), []);
    assert.match(inst.eventFormat('sched', 'sched_switch'), /^name: sched_switch\nID: \d+\n/);
    assert.equal(inst.eventId('sched', 'sched_switch'), Number(/ID: (\d+)/.exec(inst.eventFormat('sched', 'sched_switch'))![1]));
    assert.ok(inst.eventSystems().includes('irq'));
  }),
);

test('filters: accepted, and refused with the error_log line', live, () =>
  withInstance((inst) => {
    inst.setEventFilter('sched', 'sched_switch', 'prev_pid != 0');
    assert.equal(inst.eventFilter('sched', 'sched_switch'), 'prev_pid != 0');
    inst.clearEventFilter('sched', 'sched_switch');
    assert.equal(inst.eventFilter('sched', 'sched_switch'), 'none');
    assert.throws(
      () => inst.setEventFilter('sched', 'sched_switch', 'no_such_field == 1'),
      (e: Error & { code?: string; errno?: string; errorLog?: string; file?: string }) => {
        assert.equal(e.code, 'TRACEFS_KERNEL_REFUSED');
        assert.equal(e.errno, 'EINVAL');
        assert.match(e.file!, /sched_switch\/filter$/);
        assert.match(e.errorLog ?? '', /Command: no_such_field == 1/);
        return true;
      },
    );
  }),
);

test('triggers: add, list, remove', live, () =>
  withInstance((inst) => {
    inst.addEventTrigger('sched', 'sched_switch', 'traceoff');
    assert.ok(inst.eventTriggers('sched', 'sched_switch').some((t) => t.startsWith('traceoff')));
    inst.removeEventTrigger('sched', 'sched_switch', 'traceoff');
    assert.deepEqual(inst.eventTriggers('sched', 'sched_switch'), []);
  }),
);

test('settings: options, buffer size, sub-buffer size, clock, cpumask, tracing_on, pids', live, () =>
  withInstance((inst) => {
    inst.setOption('event-fork', true);
    assert.equal(inst.option('event-fork'), true);
    assert.equal(inst.options()['event-fork'], true);
    assert.throws(
      () => inst.setOption('no-such-option', true),
      (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
    );
    inst.setBufferSizeKb(256);
    assert.ok(inst.bufferSizeKb() >= 256 && inst.bufferSizeKb() < 272, 'rounded up to whole pages');
    if (inst.subbufSizeKb() !== undefined) {
      if (subbufSizeRefusal(8) === undefined) {
        inst.setSubbufSizeKb(8);
        assert.equal(inst.subBufferSize(), 8192);
        inst.setSubbufSizeKb(4);
      } else {
        // a kernel that refuses the size: a KernelRefused error naming the size, the file and the errno
        assert.throws(
          () => inst.setSubbufSizeKb(8),
          (e: unknown) =>
            code(e) === 'TRACEFS_KERNEL_REFUSED' &&
            /^The kernel refuses 8 KiB sub-buffers \(E[A-Z]+/.test((e as Error).message) &&
            /buffer_subbuf_size_kb$/.test(String((e as { file?: string }).file)),
        );
        assert.equal(inst.subBufferSize(), 4096, 'left at 4 KiB');
      }
    }
    inst.setClock('mono');
    assert.equal(inst.clocks().current, 'mono');
    assert.throws(
      () => inst.setClock('sundial'),
      (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
    );
    const mask = inst.cpumask();
    inst.setCpumask('1');
    assert.match(inst.cpumask(), /^0*1$/);
    inst.setCpumask(mask);
    inst.setTracingOn(false);
    assert.equal(inst.tracingOn(), false);
    inst.setEventPids([1, process.pid]);
    assert.deepEqual(
      inst.eventPids().sort((a, b) => a - b),
      [1, process.pid].sort((a, b) => a - b),
    );
    inst.clearEventPids();
    assert.deepEqual(inst.eventPids(), []);
  }),
);

test('markers, trace text, per-CPU raw reads and stats', live, async () => {
  const inst = createPrivateInstance();
  try {
    inst.enableEvent('ftrace', 'print'); // always on: a no-op
    inst.writeMarker('utp-marker-hello');
    inst.writeMarkerRaw(0x1234, new Uint8Array([1, 2, 3, 4]));
    assert.match(inst.readTrace(), /tracing_mark_write: utp-marker-hello/);
    const page = inst.subBufferSize();
    let pages = 0,
      found = false,
      entries = 0;
    for (const cpu of inst.cpus()) entries += inst.cpuStats(cpu).entries;
    assert.ok(entries >= 2, 'stats count the marker events');
    for (const cpu of inst.cpus()) {
      const r = new CpuReader(inst, cpu);
      try {
        for (let p = r.readPage(); p; p = r.readPage()) {
          assert.equal(p.length, page);
          pages++;
          if (Buffer.from(p).includes('utp-marker-hello')) found = true;
        }
        assert.equal(r.readPage(), null, 'empty buffer reads EAGAIN -> null');
      } finally {
        r.close();
      }
    }
    assert.ok(pages >= 1 && found, 'the marker came out of trace_pipe_raw');
    // poll: with buffer_percent 0 a write wakes the waiter; wake() interrupts an idle wait.
    inst.setBufferPercent(0);
    const readers = inst.cpus().map((c) => new CpuReader(inst, c));
    const w = new Waiter();
    try {
      const t0 = Date.now();
      const idle = await w.wait(
        readers.map((r) => r.fd),
        200,
      );
      assert.deepEqual(idle, []);
      assert.ok(Date.now() - t0 >= 150, 'waited for the timeout');
      const p = w.wait(
        readers.map((r) => r.fd),
        5000,
      );
      inst.writeMarker('wake');
      const ready = await p;
      assert.equal(ready.length >= 1, true);
      // A 60 s wait woken by wake(): done well before the timeout, however loaded the machine is.
      const p2 = w.wait([], 60_000);
      const t1 = Date.now();
      w.wake();
      await p2;
      assert.ok(Date.now() - t1 < 30_000, 'wake() ended the wait before its timeout');
    } finally {
      w.close();
      for (const r of readers) r.close();
    }
  } finally {
    destroyInstance(inst);
  }
});

test('trace_pipe text reads, stopped by an AbortSignal', live, async () => {
  const inst = createPrivateInstance();
  try {
    const ac = new AbortController();
    setTimeout(() => inst.writeMarker('utp-pipe-hello'), 50);
    let text = '';
    for await (const t of readTracePipe(inst, { signal: ac.signal })) {
      text += t;
      if (text.includes('utp-pipe-hello')) ac.abort();
    }
    assert.match(text, /tracing_mark_write: utp-pipe-hello/);
    // An idle read (nothing comes) ends only by the abort: it must end, long before a 30 s deadline.
    const idle = new AbortController();
    setTimeout(() => idle.abort(), 100);
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      (async () => {
        for await (const _ of readTracePipe(inst, { signal: idle.signal })) {
          /* nothing comes */
        }
        return 'ended';
      })(),
      new Promise<string>((res) => {
        timer = setTimeout(() => res('still waiting after 30 s'), 30_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(ended, 'ended', 'abort wakes the wait');
    assert.ok(Date.now() - t0 >= 90, 'it waited for the abort');
  } finally {
    destroyInstance(inst);
  }
});

test('kernel refusals name the file and errno', live, () =>
  withInstance((inst) => {
    assert.throws(
      () => inst.setBufferSizeKb(-5),
      (e: Error & { errno?: string; code?: string }) => e.code === 'TRACEFS_KERNEL_REFUSED' && e.errno === 'EINVAL',
    );
    assert.throws(
      () => inst.write('events/nosys/noev/enable', '1'),
      (e: unknown) => code(e) === 'TRACEFS_NOT_FOUND',
    );
  }),
);

test('sweep removes instances of dead owners only', live, () => {
  const r = spawnSync('true');
  const dead = r.pid!;
  const mine = Instance.create(`utp-${dead}-0`);
  const alive = Instance.create('utp-1-0'); // pid 1 is alive
  try {
    const res = sweepStale();
    assert.ok(res.instances.includes(`utp-${dead}-0`));
    assert.equal(mine.exists(), false);
    assert.equal(alive.exists(), true);
  } finally {
    alive.remove();
    if (mine.exists()) mine.remove();
  }
});

test('sweep does not trust a recycled pid: the owner start time (/proc/PID/stat field 22) must match', live, () => {
  const start1 = procStartTime(1)!;
  // pid 1 runs, but not the process that started at start1+1: that owner is dead (its pid was recycled).
  const recycled = Instance.create(`utp-1.${start1 + 1}-0`);
  const alive = Instance.create(`utp-1.${start1}-0`);
  try {
    const res = sweepStale();
    assert.ok(res.instances.includes(recycled.name!), JSON.stringify(res));
    assert.equal(recycled.exists(), false);
    assert.equal(alive.exists(), true);
    assert.ok(!res.instances.includes(alive.name!));
  } finally {
    alive.remove();
    if (recycled.exists()) recycled.remove();
  }
});

/** A child process that acquires shared instance NAME, reports 'in', and releases on a line of stdin. */
function sharedUser(name: string): { ready: Promise<void>; leave: () => Promise<string> } {
  const url = new URL('./index.js', import.meta.url).href;
  const code = `import { acquireSharedInstance } from ${JSON.stringify(url)};
const s = acquireSharedInstance(${JSON.stringify(name)}); process.stdout.write('in\\n');
process.stdin.once('data', () => { process.stdout.write(s.release() ? 'last\\n' : 'kept\\n'); process.exit(0); });`;
  const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const lines: Array<() => void> = [];
  c.stdout!.on('data', (d: Buffer) => {
    out += d;
    for (const f of lines.splice(0)) f();
  });
  const until = (re: RegExp): Promise<void> =>
    new Promise((res) => {
      const chk = (): void => {
        if (re.test(out)) res();
        else lines.push(chk);
      };
      chk();
    });
  return {
    ready: until(/^in$/m),
    leave: async () => {
      c.stdin!.write('\n');
      await until(/^(last|kept)$/m);
      await new Promise((r) => c.once('exit', r));
      return /^(last|kept)$/m.exec(out)![1]!;
    },
  };
}

test('a -B NAME instance shared by two recorders stays until the last one leaves; a foreign one is never removed', live, async () => {
  const name = `utp_shared_${process.pid}`;
  assert.equal(Instance.exists(name), false);
  const a = sharedUser(name);
  await a.ready;
  assert.ok(Instance.exists(name), 'first user created it');
  const b = sharedUser(name);
  await b.ready;
  assert.equal(sharedInstanceUsers(name).length, 2);
  assert.equal(await a.leave(), 'kept', 'the creator leaves first: the other still uses it');
  assert.ok(Instance.exists(name), 'not removed under the second recorder');
  assert.equal(await b.leave(), 'last');
  assert.equal(Instance.exists(name), false, 'the last user removed what utp created');
  // An instance utp did not create survives its users.
  const foreign = Instance.create(name);
  try {
    const s = acquireSharedInstance(name);
    assert.equal(s.created, false);
    assert.equal(s.release(), true);
    assert.ok(foreign.exists(), 'a foreign instance is left alone');
  } finally {
    foreign.remove();
  }
});

test('a utp-created -B NAME instance whose users all died is swept', live, async () => {
  const name = `utp_shared_dead_${process.pid}`;
  const url = new URL('./index.js', import.meta.url).href;
  const r = spawnSync(process.execPath, [
    '--input-type=module',
    '-e',
    `import { acquireSharedInstance } from ${JSON.stringify(url)}; acquireSharedInstance(${JSON.stringify(name)}); process.kill(process.pid, 'SIGKILL');`,
  ]);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(Instance.exists(name), 'left by a killed recorder');
  const res = sweepStale();
  assert.ok(res.instances.includes(name), JSON.stringify(res));
  assert.equal(Instance.exists(name), false);
});

const cc = spawnSync('cc', ['--version']).status === 0;
test('uprobe with fetch args on a small compiled program (ELF symbol resolution)', {
  skip: why ? live.skip : !cc ? 'needs a C compiler (cc)' : false,
}, () => {
  const dir = mkdtempSync(`${tmpdir()}/utp-uprobe-`);
  try {
    writeFileSync(
      `${dir}/t.c`,
      '#include <stdio.h>\n__attribute__((noinline)) int utp_add(int a, int b) { return a + b; }\n' +
        'int main(void) { volatile int s = 0; for (int i = 0; i < 3; i++) s += utp_add(i, 40 + i); printf("%d\\n", s); return 0; }\n',
    );
    execFileSync('cc', ['-O1', '-g0', '-o', `${dir}/t`, `${dir}/t.c`]);
    const sym = elfSymbols(`${dir}/t`).find((s) => s.name === 'utp_add');
    if (!sym) throw new Error('utp_add not found');
    assert.equal(sym.type, 2, 'utp_add is a FUNC symbol');
    const off = elfSymbolOffset(`${dir}/t`, 'utp_add');
    const nm = execFileSync('nm', [`${dir}/t`]).toString();
    assert.ok(new RegExp(`^0*${sym.value.toString(16)} T utp_add$`, 'm').test(nm), 'symbol value agrees with nm');
    const inst = createPrivateInstance();
    const probe = createUprobe({ path: `${dir}/t`, symbol: 'utp_add', args: ['a=%di:s32', 'b=%si:s32'] });
    const ret = createUprobe({ path: `${dir}/t`, symbol: 'utp_add', ret: true, args: ['r=$retval:s32'] });
    try {
      assert.ok(listDynamicEvents().some((e) => e.group === probe.group && e.name === 'utp_add' && e.kind === 'uprobe'));
      assert.match(probe.definition, new RegExp(`:0x${off.toString(16)} `));
      inst.enableEvent(probe.group);
      execFileSync(`${dir}/t`);
      inst.disableEvent(probe.group);
      const text = inst.readTrace();
      assert.match(text, /utp_add: \(0x[0-9a-f]+\) a=0 b=40/);
      assert.match(text, /utp_add: \(0x[0-9a-f]+\) a=2 b=42/);
      assert.match(text, /utp_add__return: \(0x[0-9a-f]+ <- 0x[0-9a-f]+\) r=44/);
      assert.throws(
        () => createUprobe({ path: `${dir}/t`, symbol: 'no_such_symbol' }),
        (e: unknown) => code(e) === 'TRACEFS_ELF',
      );
      assert.throws(
        () => createUprobe({ path: `${dir}/t`, symbol: 'utp_add', name: 'bad_arg', args: ['x=%nosuchreg'] }),
        (e: Error & { code?: string; errorLog?: string }) => e.code === 'TRACEFS_KERNEL_REFUSED' && /Command:/.test(e.errorLog ?? ''),
      );
    } finally {
      destroyInstance(inst);
      removeDynamicEvent(ret);
      removeDynamicEvent(probe);
    }
    assert.equal(
      listDynamicEvents().some((e) => e.group === probe.group),
      false,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kprobes, eprobes, synthetic events: created and removed, or refused with a message naming the facility', live, async () => {
  const { createKprobe, createEprobe, createSynthetic } = await import('./index.js');
  const tries: Array<[string, RegExp, () => { kind: string; group: string; name: string }]> = [
    ['kprobe', /kprobe/i, () => createKprobe('utp_open', 'do_sys_openat2')],
    ['eprobe', /eprobe/i, () => createEprobe('utp_sw', 'sched', 'sched_switch', ['next=$next_pid'])],
    ['synthetic', /synthetic/i, () => createSynthetic('utp_lat_' + process.pid, ['u64 lat'])],
  ];
  for (const [what, names, make] of tries) {
    let ev;
    try {
      ev = make();
    } catch (e) {
      const msg = (e as Error).message;
      // A refusal is one clear error: unsupported (or refused by the kernel) and saying which facility.
      assert.ok(code(e) === 'TRACEFS_UNSUPPORTED' || code(e) === 'TRACEFS_KERNEL_REFUSED', `${what}: ${code(e)}: ${msg}`);
      assert.match(msg, names, `${what}: the refusal names the facility`);
      assert.doesNotMatch(msg, /\n/, `${what}: one line`);
      console.log(`# ${what}: ${msg}`);
      continue;
    }
    assert.ok(listDynamicEvents().some((d) => d.name === ev.name));
    removeDynamicEvent(ev as Parameters<typeof removeDynamicEvent>[0]);
    assert.equal(
      listDynamicEvents().some((d) => d.name === ev.name),
      false,
    );
  }
});

for (const flags of ['w', 'a'] as const) {
  test(
    `splice: only whole sub-buffers while tracing, the partly filled rest with readRest(), all in order (output opened '${flags}'${flags === 'a' ? ': O_APPEND refuses splice, the pipe is copied' : ''})`,
    live,
    () => {
      const dir = mkdtempSync(`${tmpdir()}/utp-splice-`);
      const inst = createPrivateInstance();
      const readers: CpuReader[] = [];
      const splicers: CpuSplice[] = [];
      const outs: number[] = [];
      try {
        inst.enableEvent('ftrace', 'print');
        const ps = inst.subBufferSize();
        for (const cpu of inst.cpus()) {
          const r = new CpuReader(inst, cpu);
          readers.push(r);
          outs.push(openSync(`${dir}/cpu${cpu}`, flags));
          splicers.push(new CpuSplice(r.fd, outs[outs.length - 1]!, ps));
        }
        const moveAll = (): number => splicers.reduce((a, s) => a + s.moveFull(), 0);
        inst.writeMarker('utp-splice-first');
        assert.equal(moveAll(), 0, 'the page being written is not spliced (no chasing the writer)');
        const N = 3000;
        for (let i = 0; i < N; i++) inst.writeMarker(`utp-splice-${i}.`);
        const moved = moveAll();
        assert.ok(moved >= 4 * ps, `whole pages were spliced while tracing (${moved} bytes)`);
        assert.equal(moved % ps, 0, 'in whole sub-buffers');
        inst.setTracingOn(false);
        const rest = splicers.reduce((a, s) => a + s.readRest(), 0);
        assert.ok(rest >= ps && rest % ps === 0, 'the partly filled pages came with readRest');
        assert.equal(
          splicers.reduce((a, s) => a + s.readRest(), 0),
          0,
          'nothing left',
        );
        for (const fd of outs.splice(0)) closeSync(fd);
        const files = inst.cpus().map((c) => readFileSync(`${dir}/cpu${c}`));
        const data = Buffer.concat(files);
        assert.equal(data.length, moved + rest);
        assert.ok(data.includes('utp-splice-first'));
        // Every marker once, and within each CPU's file in the order written.
        let count = 0;
        for (const f of files) {
          let last = -1;
          for (let at = f.indexOf('utp-splice-'); at >= 0; at = f.indexOf('utp-splice-', at + 1)) {
            const m = /^utp-splice-(\d+)\./.exec(f.toString('latin1', at, at + 24));
            if (!m) continue;
            assert.ok(Number(m[1]) > last, 'pages kept in order');
            last = Number(m[1]);
            count++;
          }
        }
        assert.equal(count, N, 'every marker is in the files once');
      } finally {
        for (const s of splicers) s.close();
        for (const r of readers) r.close();
        for (const fd of outs) closeSync(fd);
        destroyInstance(inst);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
