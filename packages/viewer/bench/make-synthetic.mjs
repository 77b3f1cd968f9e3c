#!/usr/bin/env node
// Writes a synthetic trace.dat (v6, uncompressed, 2 CPUs) of N events with @utp/tracedat's writer, for
// the viewer's 10M-event frame benchmark (recording 10M events here takes too long and too much ring
// buffer). The formats (header_page, header_event, sched_switch, sched_wakeup, raw_syscalls) are this
// machine's, read from tracefs (read only: run it under `flock /tmp/utp-live.lock`). The workload:
// per CPU, the running task alternates sys_enter / sys_exit; about every 40 events a sched_wakeup and
// a sched_switch to another of 400 tasks (seeded, so the same file every time). About 1 µs per event
// per CPU, so 10M events span ~5 s.
// usage: make-synthetic.mjs OUT N
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tep, KRecord } from '@utp/traceevent';
import { PagePacker, writeTraceDat, MemorySink } from '@utp/tracedat';

const [out, n] = [process.argv[2], Number(process.argv[3] ?? 10_000_000)];
const T = '/sys/kernel/tracing';
const rd = (p) => readFileSync(join(T, p), 'latin1');
const TASKS = 400;
const meta = {
  headerPage: rd('events/header_page'),
  headerEvent: rd('events/header_event'),
  ftraceFormats: [],
  systems: [
    { name: 'sched', formats: ['sched_switch', 'sched_wakeup'].map((e) => rd(`events/sched/${e}/format`)) },
    { name: 'raw_syscalls', formats: ['sys_enter', 'sys_exit'].map((e) => rd(`events/raw_syscalls/${e}/format`)) },
  ],
  kallsyms: '',
  printk: '',
  cmdlines: Array.from({ length: TASKS }, (_, k) => `${1000 + k} task${k}\n`).join(''),
};
const tep = new Tep({ littleEndian: true, longSize: 8 });
for (const s of meta.systems) for (const f of s.formats) tep.addEventFormat(f, s.name);
const ev = (sys, name) => tep.findEvent(sys, name);
const field = (e, name) => e.fields.find((f) => f.name === name);

/** A reusable record buffer for event E and a setter of its fields. */
function template(e) {
  const size = Math.max(...e.fields.map((f) => f.offset + f.size));
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, e.id, true);
  const set = (name, x) => {
    const f = field(e, name);
    if (typeof x === 'string') {
      b.fill(0, f.offset, f.offset + f.size);
      for (let i = 0; i < x.length && i < f.size - 1; i++) b[f.offset + i] = x.charCodeAt(i);
    } else if (f.size === 8) v.setBigInt64(f.offset, BigInt(x), true);
    else v.setInt32(f.offset, x, true);
  };
  return { b, v, set };
}
const sw = template(ev('sched', 'sched_switch'));
const wk = template(ev('sched', 'sched_wakeup'));
const se = template(ev('raw_syscalls', 'sys_enter'));
const sx = template(ev('raw_syscalls', 'sys_exit'));
for (const t of [sw, wk]) t.set(t === sw ? 'prev_prio' : 'prio', 120);
sw.set('next_prio', 120);

let seed = 20261204;
const rand = (k) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % k;
};
const comm = (pid) => `task${pid - 1000}`;
const pageSize = 4096;
const cpus = [];
const per = Math.ceil(n / 2);
for (let cpu = 0; cpu < 2; cpu++) {
  const pages = [];
  const packer = new PagePacker({ pageSize, longSize: 8, littleEndian: true, emit: (p) => pages.push(p) });
  const k = new KRecord();
  k.offset = 0;
  k.cpu = cpu;
  let ts = 5_000_000_000n + BigInt(cpu) * 333n;
  let running = 1000 + cpu;
  let enter = true;
  const put = (t) => {
    t.v.setInt32(4, running, true);
    k.page = t.b;
    k.view = t.v;
    k.size = t.b.length;
    k.ts = ts;
    if (packer.needsPage(k)) packer.newPage(k);
    packer.add(k);
  };
  for (let i = 0; i < per; ) {
    ts += BigInt(200 + rand(1600));
    if (rand(40) === 0 && i + 2 <= per) {
      const next = 1000 + ((rand(TASKS) & ~1) | cpu);
      wk.set('comm', comm(next));
      wk.set('pid', next);
      wk.set('target_cpu', cpu);
      put(wk);
      ts += BigInt(300 + rand(700));
      sw.set('prev_comm', comm(running));
      sw.set('prev_pid', running);
      sw.set('prev_state', rand(2));
      sw.set('next_comm', comm(next));
      sw.set('next_pid', next);
      put(sw);
      running = next;
      enter = true;
      i += 2;
      continue;
    }
    if (enter) {
      se.set('id', rand(300));
      put(se);
    } else {
      sx.set('id', 0);
      sx.set('ret', rand(4096));
      put(sx);
    }
    enter = !enter;
    i++;
  }
  packer.finish();
  cpus.push({ cpu, data: pages });
}
const sink = new MemorySink();
writeTraceDat(sink, meta, [{ name: '', clock: 'local', cpus }], {
  version: 6,
  compression: null,
  littleEndian: true,
  longSize: 8,
  pageSize,
  cpuCount: 2,
  traceClock: '[local] global counter uptime perf mono mono_raw boot tai x86-tsc\n',
});
writeFileSync(out, sink.finish());
console.error(`bench: wrote ${out} (${n} synthetic events)`);
