#!/usr/bin/env node
// Builds packages/tracedat/testdata/hist-function-v6.dat for `utp hist`: this kernel refuses the
// function tracer, so the ftrace:function records are written by our own writer (@utp/tracedat
// writeTraceDat + PagePacker) from this machine's real metadata — header_page, header_event, the
// ftrace (function, kernel_stack, funcgraph_*) and sched formats from tracefs, and the lines of
// /proc/kallsyms of the functions used (real addresses, so names resolve) — with a seeded walk of
// call chains over two CPUs and four tasks (one of them in funcgraph_entry/exit records), a
// missed-events mark, sched_switch records each followed by a kernel_stack
// record (as a stacktrace trigger writes them) and a few sched_wakeups.
// Then the expected outputs come from the reference tool: `trace-cmd report` must read the file
// (it is checked; its report / report -t are saved as every fixture's are), and `trace-cmd hist -i` /
// `-P -i` write .hist.txt.gz / .hist-P.txt.gz next to it.
// Run as root on a machine with trace-cmd 3.1.6:  node tools/make-hist-fixture.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Tep, KRecord } from '@utp/traceevent';
import { PagePacker, writeTraceDat, MemorySink } from '@utp/tracedat';

const T = '/sys/kernel/tracing';
const OUT = new URL('../packages/tracedat/testdata/', import.meta.url).pathname;
const NAME = 'hist-function-v6';
const rd = (p) => readFileSync(join(T, p), 'latin1');

const FTRACE = ['function', 'kernel_stack', 'funcgraph_entry', 'funcgraph_exit'];
const SCHED = ['sched_switch', 'sched_wakeup'];
const meta = {
  headerPage: rd('events/header_page'),
  headerEvent: rd('events/header_event'),
  ftraceFormats: FTRACE.map((e) => rd(`events/ftrace/${e}/format`)),
  systems: [{ name: 'sched', formats: SCHED.map((e) => rd(`events/sched/${e}/format`)) }],
  kallsyms: '',
  printk: '',
  cmdlines: '1200 bash\n1300 ls\n',
};

const FUNCS = [
  'do_syscall_64',
  'x64_sys_call',
  '__x64_sys_read',
  'ksys_read',
  'vfs_read',
  'filemap_read',
  '__x64_sys_write',
  'ksys_write',
  'vfs_write',
  'schedule',
  '__schedule',
  'pick_next_task_fair',
  'finish_task_switch.isra.0',
  'do_nanosleep',
  'hrtimer_nanosleep',
  'exc_page_fault',
  'handle_mm_fault',
  'irq_exit_rcu',
];
const want = new Set(FUNCS);
const syms = new Map();
for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
  const [addr, type, name, mod] = line.split(/\s+/);
  if (mod || !/^[tT]$/.test(type ?? '') || !want.has(name) || syms.has(name)) continue;
  if (/^0+$/.test(addr)) throw new Error('/proc/kallsyms shows no addresses (run as root)');
  syms.set(name, BigInt('0x' + addr));
}
const names = FUNCS.filter((n) => syms.has(n));
if (names.length < 10) throw new Error(`too few of the functions in /proc/kallsyms: ${names.join(' ')}`);
meta.kallsyms = [...syms]
  .sort((a, b) => (a[1] < b[1] ? -1 : 1))
  .map(([n, a]) => `${a.toString(16).padStart(16, '0')} T ${n}\n`)
  .join('');
// (no unresolved addresses: trace-cmd 3.1.6 hist passes their NULL name to puts() and crashes)

const tep = new Tep({ littleEndian: true, longSize: 8 });
for (const f of meta.ftraceFormats) tep.addEventFormat(f, 'ftrace');
for (const f of meta.systems[0].formats) tep.addEventFormat(f, 'sched');
const ev = (sys, n) => tep.findEvent(sys, n);

/** A record of event E with the given field values (numbers or strings by field name). */
function record(e, pid, values, extra = 0) {
  const size = Math.max(...e.fields.map((f) => f.offset + f.size)) + extra;
  const b = new Uint8Array((size + 7) & ~7);
  const v = new DataView(b.buffer);
  v.setUint16(0, e.id, true);
  v.setInt32(4, pid, true);
  for (const f of e.fields) {
    const x = values[f.name];
    if (x === undefined || f.name.startsWith('common_')) continue;
    if (typeof x === 'string') for (let i = 0; i < x.length && i < f.size - 1; i++) b[f.offset + i] = x.charCodeAt(i);
    else if (f.size === 8) v.setBigUint64(f.offset, BigInt(x), true);
    else if (f.size === 4) v.setUint32(f.offset, Number(x) >>> 0, true);
    else if (f.size === 2) v.setUint16(f.offset, Number(x), true);
    else if (f.size === 1) v.setUint8(f.offset, Number(x));
  }
  return b.subarray(0, size);
}

let seed = 12345;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const TASKS = [
  { pid: 1200, comm: 'bash' },
  { pid: 1300, comm: 'ls' },
  { pid: 1301, comm: 'cat' },
  { pid: 1302, comm: 'sleep' },
];
const fn = ev('ftrace', 'function');
const ks = ev('ftrace', 'kernel_stack');
const sw = ev('sched', 'sched_switch');
const wk = ev('sched', 'sched_wakeup');
const ge = ev('ftrace', 'funcgraph_entry');
const gx = ev('ftrace', 'funcgraph_exit');
// task 1302 runs under function_graph (entry/exit records with depths), the others under function

const perCpu = [];
for (let cpu = 0; cpu < 2; cpu++) {
  const recs = [];
  let ts = 5_000_000_000n + BigInt(cpu) * 777n;
  let task = TASKS[cpu];
  const stacks = new Map(TASKS.map((t) => [t.pid, []]));
  const addr = (n) => syms.get(n);
  for (let step = 0; step < 300; step++) {
    ts += BigInt(200 + rand(3000));
    const r = rand(100);
    const st = stacks.get(task.pid);
    if (r < 8) {
      // each task stays on its CPU (bash and cat on 0, ls and sleep on 1): no task runs on two CPUs at once
      const next = TASKS.find((t) => t !== task && TASKS.indexOf(t) % 2 === cpu);
      const values = {
        prev_comm: task.comm,
        prev_pid: task.pid,
        prev_prio: 120,
        prev_state: 1,
        next_comm: next.comm,
        next_pid: next.pid,
        next_prio: 120,
      };
      recs.push({ ts, data: record(sw, task.pid, values) });
      const depth = 2 + rand(6);
      const callers = { size: depth * 8 };
      const data = record(ks, task.pid, callers, depth * 8 - 64);
      const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
      // innermost caller first, as the kernel stores them
      for (let i = 0; i < depth; i++) v.setBigUint64(16 + i * 8, addr(names[(depth - 1 - i + rand(2)) % names.length]), true);
      recs.push({ ts: ts + 1n, data });
      task = next;
    } else if (r < 12) {
      const t = TASKS[rand(TASKS.length)];
      recs.push({ ts, data: record(wk, task.pid, { comm: t.comm, pid: t.pid, prio: 120, target_cpu: cpu }) });
    } else if (task.pid === 1302) {
      // never an exit right after its entry: trace-cmd report would print the pair as one leaf line,
      // which trace-dat.test's record-per-line reading of report -t does not model
      const lastEntry = recs.length > 0 && new DataView(recs.at(-1).data.buffer, recs.at(-1).data.byteOffset).getUint16(0, true) === ge.id;
      if (lastEntry && st.length > 6) recs.push({ ts, data: record(wk, task.pid, { comm: 'ls', pid: 1300, prio: 120, target_cpu: cpu }) });
      else if (st.length && !lastEntry && (rand(10) < 4 || st.length > 6)) {
        const func = st.pop();
        recs.push({
          ts,
          data: record(gx, task.pid, { func: addr(func), depth: st.length, overrun: 0, calltime: ts - 1000n, rettime: ts }),
        });
      } else {
        const func = names[rand(names.length)];
        recs.push({ ts, data: record(ge, task.pid, { func: addr(func), depth: st.length }) });
        st.push(func);
      }
    } else {
      if (st.length && rand(10) < 4) st.length = rand(st.length);
      const func = names[rand(names.length)];
      const parent = st.length ? st[st.length - 1] : names[rand(4)];
      recs.push({ ts, data: record(fn, task.pid, { ip: addr(func), parent_ip: addr(parent) }) });
      if (!st.length) st.push(parent);
      st.push(func);
      if (st.length > 7) st.length = 3;
    }
  }
  perCpu.push(recs);
}

const pageSize = 4096;
const cpus = perCpu.map((recs, cpu) => {
  const pages = [];
  const packer = new PagePacker({ pageSize, longSize: 8, littleEndian: true, emit: (p) => pages.push(p) });
  for (const [i, r] of recs.entries()) {
    const k = new KRecord();
    // one loss in the middle of CPU 1 (trace-cmd hist flushes the open stack there)
    if (cpu === 1 && i === 150) k.missedEvents = 3;
    k.page = r.data;
    k.view = new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    k.offset = 0;
    k.size = r.data.length;
    k.ts = r.ts;
    k.cpu = cpu;
    if (packer.needsPage(k)) packer.newPage(k);
    packer.add(k);
  }
  packer.finish();
  return { cpu, data: pages };
});

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
const file = join(OUT, `${NAME}.dat`);
writeFileSync(file, sink.finish());

const report = execFileSync('trace-cmd', ['report', '-i', file], { encoding: 'latin1', maxBuffer: 1 << 26 });
if (/FAILED TO PARSE|\[UNKNOWN/.test(report) || !/ function: /.test(report) || !/=> /.test(report))
  throw new Error('trace-cmd report does not read the function / kernel_stack records');
// every testdata file has trace-cmd's report and report -t next to it (report.test.ts, trace-dat.test.ts)
writeFileSync(join(OUT, `${NAME}.report.txt.gz`), gzipSync(Buffer.from(report, 'latin1'), { level: 9 }));
writeFileSync(
  join(OUT, `${NAME}.report-t.txt.gz`),
  gzipSync(execFileSync('trace-cmd', ['report', '-t', '-i', file], { maxBuffer: 1 << 26 }), { level: 9 }),
);
const hist = (args) => gzipSync(execFileSync('trace-cmd', ['hist', ...args, '-i', file], { maxBuffer: 1 << 26 }), { level: 9 });
writeFileSync(join(OUT, `${NAME}.hist.txt.gz`), hist([]));
writeFileSync(join(OUT, `${NAME}.hist-P.txt.gz`), hist(['-P']));
console.log(`wrote ${file} (${sink.length} bytes), ${report.split('\n').length - 1} report lines, and the hist outputs`);
