/// <reference types="node" />
/**
 * The model against `trace-cmd report`'s own output for the committed fixtures (testdata/succeed:
 * recorded with trace-cmd, report*.txt written by trace-cmd 3.1.6): every event's line, counts per
 * CPU and per task, task intervals from sched_switch, lost events; plus memory per event and the
 * level-of-detail bins, filters and search over the same data.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemorySource } from '@utp/bytes';
import { formatTime } from '@utp/traceevent';
import { TraceDatSource } from './tracedat-source.js';
import { TraceModel, Timeline } from './trace-model.js';
import { TaskState } from './analyses.js';
import { LiveFeed } from './live-feed.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SUCCEED = ROOT + 'testdata/succeed/';

interface Line {
  buffer: string;
  comm: string;
  pid: number;
  cpu: number;
  time: string;
  event: string;
  info: string;
  text: string;
}
interface Report {
  lines: Line[];
  dropped: Array<{ buffer: string; cpu: number; count: number }>;
}

/** Parses trace-cmd report's output: instance prefixes, EVENTS DROPPED lines, the columns. */
function parseReport(text: string, buffers: readonly string[]): Report {
  const names = buffers.filter((b) => b !== '');
  const lines: Line[] = [];
  const dropped: Report['dropped'] = [];
  // trace-cmd prints an instance's prefix before its EVENTS DROPPED line, and none on the event after it
  let afterDrop: string | undefined;
  for (const raw of text.split('\n').slice(1)) {
    if (raw === '') continue;
    let buffer = afterDrop ?? '';
    let rest = raw;
    const skipPrefix = afterDrop !== undefined;
    afterDrop = undefined;
    for (const n of skipPrefix ? [] : names) {
      const m = new RegExp(`^\\s*${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `).exec(raw);
      if (m) {
        buffer = n;
        rest = raw.slice(m[0].length);
        break;
      }
    }
    const d = /^CPU:(\d+) \[(?:(\d+) )?EVENTS DROPPED\]$/.exec(rest);
    if (d) {
      dropped.push({ buffer, cpu: Number(d[1]), count: d[2] ? Number(d[2]) : -1 });
      afterDrop = buffer;
      continue;
    }
    const m = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\d+\.\d+): (\S+):\s*(.*)$/s.exec(rest);
    assert.ok(m, `unparsed report line: ${raw}`);
    lines.push({ buffer, comm: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), time: m[4]!, event: m[5]!, info: m[6]!, text: rest });
  }
  return { lines, dropped };
}

function fixtures(): string[] {
  return readdirSync(SUCCEED).filter(
    (d) => existsSync(SUCCEED + d + '/report.txt') && (existsSync(SUCCEED + d + '/trace.dat') || existsSync(SUCCEED + d + '/trace.dat.gz')),
  );
}

function traceBytes(dir: string): Uint8Array {
  const p = SUCCEED + dir + '/trace.dat';
  return existsSync(p) ? readFileSync(p) : gunzipSync(readFileSync(p + '.gz'));
}

async function load(dir: string): Promise<{ model: TraceModel; report: Report }> {
  const src = await TraceDatSource.open(new MemorySource(traceBytes(dir), dir));
  const model = await TraceModel.load(src);
  const report = parseReport(readFileSync(SUCCEED + dir + '/report.txt', 'latin1'), src.meta.buffers);
  return { model, report };
}

for (const dir of fixtures()) {
  test(`${dir}: every event's line is trace-cmd report's line, in its order`, async () => {
    const { model, report } = await load(dir);
    assert.equal(model.length, report.lines.length, 'event count');
    for (let i = 0; i < model.length; i++) {
      const want = report.lines[i]!;
      const got = model.line(i);
      if (got !== want.text) assert.equal(got, want.text, `event ${i}`);
      const bufName = model.source.meta.buffers[model.store.buffer[i]!]!;
      if (bufName !== want.buffer) assert.equal(bufName, want.buffer, `buffer of event ${i}`);
    }
    // the columns too, for a sample
    for (let i = 0; i < model.length; i += 97) {
      const c = model.columns(i);
      const w = report.lines[i]!;
      assert.deepEqual(
        [c.cpu, c.pid, c.time, c.event, c.info.trimEnd()],
        [w.cpu, w.pid, w.time, w.event, w.info.trimEnd()],
        `columns of event ${i}`,
      );
    }
  });

  test(`${dir}: counts per CPU, per task and per event as trace-cmd report shows them`, async () => {
    const { model, report } = await load(dir);
    const count = <K>(key: (l: Line) => K) => {
      const m = new Map<K, number>();
      for (const l of report.lines) m.set(key(l), (m.get(key(l)) ?? 0) + 1);
      return m;
    };
    const st = model.stats();
    assert.deepEqual(
      new Map(st.perCpu.map((x) => [x.cpu, x.count])),
      count((l) => l.cpu),
    );
    assert.deepEqual(
      new Map(st.perTask.map((x) => [x.pid, x.count])),
      count((l) => l.pid),
    );
    assert.deepEqual(
      new Map(st.perClass.map((x) => [x.name, x.count])),
      count((l) => l.event),
    );
    for (const c of model.cpus()) assert.equal(model.store.eventsOfCpu(c).length, count((l) => l.cpu).get(c));
  });

  test(`${dir}: lost events where trace-cmd report prints EVENTS DROPPED`, async () => {
    const { model, report } = await load(dir);
    const lost = model.analyses.lost;
    assert.equal(lost.length, report.dropped.length);
    for (let k = 0; k < lost.length; k++) {
      assert.equal(lost.a.get(k), report.dropped[k]!.cpu);
      assert.equal(lost.b.get(k), report.dropped[k]!.count);
    }
  });

  test(`${dir}: per-CPU task intervals are the spans between trace-cmd report's sched_switch lines`, async () => {
    const { model, report } = await load(dir);
    // per buffer+CPU: consecutive sched_switch lines make [switch k, switch k+1) intervals of next_pid
    const want = new Map<string, Array<[string, string, number]>>();
    const last = new Map<string, { time: string; pid: number }>();
    // the model's intervals come from the buffer of the first event (instances would repeat the switches)
    const primary = report.lines[0]?.buffer;
    for (const l of report.lines) {
      if (l.event !== 'sched_switch' || l.buffer !== primary) continue;
      // the sched_switch plugin's text: PREV_COMM:PREV_PID [PRIO] STATE ==> NEXT_COMM:NEXT_PID [PRIO]
      const m = /:(\d+) \[-?\d+\] \S+ ==> .*:(\d+) \[-?\d+\]$/.exec(l.info);
      assert.ok(m, l.info);
      const key = `${l.buffer}/${l.cpu}`;
      const p = last.get(key);
      if (p) {
        if (!want.has(key)) want.set(key, []);
        want.get(key)!.push([p.time, l.time, p.pid]);
      }
      last.set(key, { time: l.time, pid: Number(m[2]) });
    }
    if (want.size === 0) {
      // trace-cmd shows no two switches on one CPU: the model must not invent intervals either
      for (const ci of model.analyses.cpuIntervals) {
        let closed = 0;
        for (let k = 1; ci && k < ci.length; k++) if (ci.b.get(k) !== -1) closed++;
        assert.equal(closed, 0, 'intervals without two sched_switch lines on a CPU');
      }
      return;
    }
    assert.equal(model.source.meta.buffers[model.analyses.primaryBuffer], primary);
    for (const [key, iv] of want) {
      const cpu = Number(key.split('/')[1]);
      const got: Array<[string, string, number]> = [];
      const ci = model.analyses.cpuIntervals[cpu]!;
      // the model's first interval runs from the CPU's first event to its first switch; its last is open
      for (let k = 1; k < ci.length; k++) {
        if (ci.b.get(k) === -1) continue;
        got.push([formatTime(ci.start.get(k), 'usec'), formatTime(ci.end.get(k), 'usec'), ci.a.get(k)]);
      }
      assert.deepEqual(
        got.map((g) => [g[0].trim(), g[1].trim(), g[2]]),
        iv,
        `cpu ${cpu}`,
      );
    }
  });
}

test('task states and wakeup latency follow sched_switch / sched_wakeup', async () => {
  const { model, report } = await load('many-v7-zstd');
  const an = model.analyses;
  assert.ok(an.wakeups.length > 0, 'the fixture has wakeups followed by a switch-in');
  for (let k = 0; k < an.wakeups.length; k++) {
    const pid = an.wakeups.a.get(k);
    const wakeIdx = an.wakeups.d.get(k);
    const start = an.wakeups.start.get(k),
      end = an.wakeups.end.get(k);
    assert.ok(end >= start);
    // the wakeup event is a sched_waking/sched_wakeup naming the pid, and the end is a switch to it
    const wl = report.lines[wakeIdx]!;
    assert.match(wl.event, /^sched_wak(ing|eup|eup_new)$/);
    assert.match(wl.info, new RegExp(`(:|pid=)${pid} `));
    const sw = report.lines.find(
      (l) => l.event === 'sched_switch' && l.time === formatTime(end, 'usec').trim() && new RegExp(`==> .*:${pid} \\[`).test(l.info),
    );
    assert.ok(sw, `switch-in of ${pid} at ${formatTime(end, 'usec')}`);
  }
  // states of one task never overlap and cover running time exactly where the CPU intervals say
  const st = an.states;
  const byPid = new Map<number, Array<[number, number, number]>>();
  for (let k = 0; k < st.length; k++) {
    const pid = st.a.get(k);
    if (!byPid.has(pid)) byPid.set(pid, []);
    byPid.get(pid)!.push([st.start.get(k), st.end.get(k), st.b.get(k)]);
  }
  for (const [, list] of byPid) for (let k = 1; k < list.length; k++) assert.ok(list[k]![0] >= list[k - 1]![1], 'no overlap');
  const blocked = [...byPid.values()].flat().filter((s) => s[2] === TaskState.Blocked).length;
  assert.ok(blocked > 0, 'some task blocks');
});

test('level-of-detail bins count every event of a CPU exactly once at any zoom', async () => {
  const { model } = await load('many-v7-zstd');
  for (const cpu of model.cpus()) {
    const all = model.store.eventsOfCpu(cpu).length;
    for (const n of [1, 7, 500, 4000]) {
      const b = model.cpuBins(cpu, model.start, model.end + 1, n);
      assert.equal(
        b.count.reduce((a, x) => a + x, 0),
        all,
        `cpu ${cpu}, ${n} bins`,
      );
      for (let k = 0; k < n; k++) if (b.count[k]! > 0) assert.equal(model.store.cpu[b.first[k]!], cpu);
    }
    // a window in the middle: bins count what a linear scan counts
    const t0 = model.start + (model.end - model.start) * 0.3,
      t1 = model.start + (model.end - model.start) * 0.6;
    const b = model.cpuBins(cpu, t0, t1, 100);
    let scan = 0;
    for (const i of model.store.eventsOfCpu(cpu)) if (model.store.ts[i]! >= t0 && model.store.ts[i]! < t1) scan++;
    assert.equal(
      b.count.reduce((a, x) => a + x, 0),
      scan,
    );
  }
  const pid = model.tasks().sort((a, b) => b.count - a.count)[0]!.pid;
  const tb = model.taskBins(pid, model.start, model.end + 1, 333);
  assert.equal(
    tb.count.reduce((a, x) => a + x, 0),
    model.store.eventsOfTask(pid).length,
  );
});

test('filters by event, task, CPU and trace-cmd expressions; search in the text', async () => {
  const { model, report } = await load('many-v7-zstd');
  const sw = model.source.classes.find((c) => c.name === 'sched_switch')!.id;
  assert.equal(model.filter({ events: [sw] }).length, report.lines.filter((l) => l.event === 'sched_switch').length);
  assert.equal(model.filter({ cpus: [1] }).length, report.lines.filter((l) => l.cpu === 1).length);
  const pid = report.lines[10]!.pid;
  assert.equal(model.filter({ tasks: [pid] }).length, report.lines.filter((l) => l.pid === pid).length);
  const expr = model.filter({ expr: 'sched_switch:prev_pid==0' });
  assert.equal(expr.length, report.lines.filter((l) => l.event === 'sched_switch' && /^\S*:0 \[/.test(l.info)).length);
  assert.ok(expr.length > 0);
  assert.throws(() => model.filter({ expr: 'no_such_event_xyz' }));
  const pos = model.search('next_comm=', -1, 1);
  assert.equal(
    pos,
    report.lines.findIndex((l) => l.text.includes('next_comm=')),
  );
  const back = model.search('next_comm=', model.length, -1);
  assert.equal(back, report.lines.map((l) => l.text.includes('next_comm=')).lastIndexOf(true));
});

test('memory: at most 40 bytes per event with the store, indexes and analyses built', async () => {
  const { model } = await load('many-v7-zstd');
  const per = model.byteLength / model.length;
  assert.ok(per <= 40, `${per.toFixed(1)} bytes per event`);
});

test('two files on one timeline: each keeps its own offsets, a manual shift moves one', async () => {
  const a = (await load('many-v7-zstd')).model;
  const b = (await load('sched-v6')).model;
  const tl = new Timeline();
  tl.add(a);
  tl.add(b, 1e9);
  assert.equal(tl.length, a.length + b.length);
  assert.equal(tl.end, Math.max(a.end, b.end + 1e9));
  tl.alignStarts();
  assert.equal(a.start + a.shift, b.start + b.shift);
});

/**
 * A recording fed page by page (utp view --live's LiveFeed): each CPU's sub-buffers of a fixture in
 * uneven batches, the CPUs interleaved, merged up to the time every CPU has passed after each batch;
 * the grown model must be the one a single load makes (trace-cmd report's lines, lost events,
 * indexes, intervals).
 */
// (uncompressed fixtures: their CPU data is the drain's pages as they are; dropped-subbuf8k-v6's 8 KiB
// sub-buffers are fed whole, two of its 4 KiB header pages at a time, its missed counts lying in the second)
for (const [dir, per, minGrowth] of [
  ['sched-v6', 1, 1],
  ['dropped-subbuf8k-v6', 2, 2],
] as const) {
  test(`${dir}: fed page by page to a growing model, it equals the loaded file`, async () => {
    const bytes = traceBytes(dir);
    const { model: whole, report } = await load(dir);
    const src = await TraceDatSource.open(new MemorySource(bytes, dir));
    const feed = new LiveFeed(src);
    const m = new TraceModel(src);
    const buf = src.td.buffers[src.td.buffers.length - 1]!;
    const ps = feed.pageSize;
    const at = buf.cpus.map((c) => c.offset);
    const end = buf.cpus.map((c) => c.offset + Math.floor(c.size / ps) * ps);
    let round = 0,
      appends = 0,
      grew = 0;
    for (let more = true; more; round++) {
      more = false;
      buf.cpus.forEach((_c, cpu) => {
        const n = Math.min(end[cpu]! - at[cpu]!, ps * per * (1 + ((round + cpu) % 2)));
        if (n <= 0) return;
        feed.add(cpu, bytes.subarray(at[cpu]!, at[cpu]! + n));
        at[cpu]! += n;
        more = true;
      });
      const before = m.length;
      m.append((sink) => feed.drain(sink));
      appends++;
      if (m.length > before) grew++;
      for (let i = 1; i < m.length; i++) if (m.store.ts[i]! < m.store.ts[i - 1]!) assert.fail(`event ${i} out of time order`);
    }
    m.append((sink) => feed.drain(sink, true), true);
    assert.ok(grew >= minGrowth, `the model grew over ${grew} of ${appends} appends before the last`);
    assert.equal(m.length, report.lines.length, 'event count');
    for (let i = 0; i < m.length; i++)
      if (m.line(i) !== report.lines[i]!.text) assert.equal(m.line(i), report.lines[i]!.text, `event ${i}`);
    assert.equal(m.analyses.lost.length, report.dropped.length, 'lost-event spans');
    for (const c of whole.cpus()) assert.deepEqual(m.store.eventsOfCpu(c), whole.store.eventsOfCpu(c), `cpu ${c}`);
    assert.deepEqual(m.tasks(), whole.tasks());
    for (const k of ['states', 'irqs', 'wakeups', 'lost'] as const)
      for (const col of ['start', 'end', 'a', 'b'] as const)
        assert.deepEqual(m.analyses[k][col].view(), whole.analyses[k][col].view(), `${k}.${col}`);
    for (const [c, iv] of whole.analyses.cpuIntervals.entries())
      for (const col of ['start', 'end', 'a', 'b'] as const)
        assert.deepEqual(m.analyses.cpuIntervals[c]?.[col].view(), iv[col].view(), `cpu ${c} intervals' ${col}`);
  });
}
