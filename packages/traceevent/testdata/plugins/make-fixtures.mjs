#!/usr/bin/env node
// Regenerates the plugin/filter fixtures from real trace.dat files and Debian's trace-cmd 3.1.6.
// Usage: node make-fixtures.mjs PLUGINS.dat[,MORE.dat...] FILTER.dat
//   (PLUGINS: e.g. make-reference-trace with -e sched -e kmem -e timer -e syscalls/sys_enter_futex -e tlb;
//    FILTER: a trace with options/stacktrace on, sched_switch + sched_wakeup)
// Needs the workspace built (npm run build). Expected texts come from `trace-cmd report` only.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FileSource } from '../../../bytes/dist/node/index.js';
import { TraceDat } from '../../../tracedat/dist/index.js';
import { TestingTep } from '../../dist/plugins/testing-tep.js';
import { loadPlugins } from '../../dist/plugins/index.js';

const here = new URL('.', import.meta.url).pathname;
const [pluginFiles, filterFile] = process.argv.slice(2);

class CapturingTep extends TestingTep {
  formats = new Map(); kallsymsText = ''; cmdlines = '';
  addEventFormat(text, system) { const e = super.addEventFormat(text, system); this.formats.set(`${system}/${e.name}`, text); return e; }
  loadKallsyms(t) { this.kallsymsText += t; super.loadKallsyms(t); }
  loadKallsymsLazy(get) { this.kallsymsText += get(); super.loadKallsymsLazy(get); }
  loadCmdlines(t) { this.cmdlines += t; super.loadCmdlines(t); }
}

function report(file, args = []) {
  let out;
  try { out = execFileSync('stdbuf', ['-oL', 'trace-cmd', 'report', ...args, '-i', file], { encoding: 'latin1', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }); }
  catch (e) {
    // Only a clean refusal (trace-cmd's exit 255 after printing what it had) may be used; a crash may not.
    if (e.signal || e.status !== 255) throw new Error(`trace-cmd report ${args.join(' ')} -i ${file} failed (${e.signal ?? 'exit ' + e.status}): ${String(e.stderr).trim()}`);
    out = e.stdout;
  }
  return out.split(/\n(?!=> )/).filter((l) => l && !l.startsWith('cpus=') && !/^(\S+: +)?CPU:\d+ \[/.test(l));
}
function infoOf(line) {
  const m = line.match(/\[(\d{3})\]\s+(\d+\.\d+): (\S+): /);
  return { key: `${+m[1]}@${m[2]}`, info: line.slice(m.index + m[0].length).slice(Math.max(0, 20 - m[3].length)) };
}
const hex = (b) => Buffer.from(b).toString('hex');

// kallsyms subset: the symbol holding each address and the one after it (lookup needs both)
function kallsymsSubset(text, addrs) {
  const syms = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]+) (\S) (\S+)/.exec(line);
    if (!m || m[2] === 'A' || m[2] === 'a' || m[3].startsWith('$')) continue;
    syms.push({ addr: BigInt('0x' + m[1]), line });
  }
  syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  const keep = new Set();
  for (const a of addrs) {
    let lo = 0, hi = syms.length - 1, idx = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (syms[mid].addr <= a) { idx = mid; lo = mid + 1; } else hi = mid - 1; }
    if (idx >= 0) { keep.add(idx); if (idx + 1 < syms.length) keep.add(idx + 1); }
  }
  return [...keep].sort((x, y) => x - y).map((i) => syms[i].line).join('\n') + '\n';
}

async function open(file) {
  const tep = new CapturingTep();
  loadPlugins(tep);
  const td = await TraceDat.open(new FileSource(file), { tep });
  return { tep, td };
}

// ---- plugins ----
const cases = [];
const formats = {};
let kallsymsText = '';
const addrs = new Set();
const seen = new Map();
for (const file of pluginFiles.split(',')) {
  const { tep, td } = await open(file);
  kallsymsText = kallsymsText || tep.kallsymsText;
  const lines = report(file);
  let i = 0;
  let prev = null; // [record copy, event] waiting for its successor (funcgraph leaf lookahead)
  let skipNext = false;
  const take = (rec, ev, next) => {
    if (skipNext) { skipNext = false; return; } // the funcgraph_exit trace-cmd folded into a leaf line
    const line = lines[i++];
    if (!ev) return;
    const key = `${ev.system}/${ev.name}`;
    if (!tep.handlers.has(`${ev.system}:${ev.name}`) && !/jiffies_to_msecs|jbd2_dev_to_name/.test(ev.printFmt)) return;
    const { info } = infoOf(line);
    if (ev.name === 'funcgraph_entry' && info.endsWith('();')) skipNext = true;
    // ftrace events keep state across records (indentation): keep them all, in order
    if (!/^(function|func_repeats|funcgraph_entry|funcgraph_exit)$/.test(ev.name)) {
      const shape = key + ':' + info.replace(/[0-9a-f]{6,}/g, 'N').replace(/\d+/g, 'N').replace(/\n[^]*/, '').slice(0, 60);
      const n = seen.get(key) ?? 0;
      if (seen.has(shape) || n >= 8) return;
      seen.set(shape, 1); seen.set(key, n + 1);
    }
    formats[key] = tep.formats.get(key);
    for (const f of ['call_site', 'function', 'ip', 'parent_ip', 'func']) {
      const fld = ev.field(f); if (fld && fld.size === 8) addrs.add(tep.readField(rec, fld));
    }
    if (ev.name === 'kernel_stack') {
      const c = ev.field('caller');
      for (let o = c.offset; o + 8 <= rec.size; o += 8) addrs.add(rec.view.getBigUint64(rec.offset + o, true));
    }
    const c = { event: key, cpu: rec.cpu, ts: rec.ts.toString(), payload: hex(rec.page.subarray(rec.offset, rec.offset + rec.size)), expected: info };
    if (ev.name === 'funcgraph_entry' && next) {
      c.next = hex(next.page.subarray(next.offset, next.offset + next.size));
      const ne = tep.findEventById(tep.typeOf(next));
      if (ne) formats[`${ne.system}/${ne.name}`] = tep.formats.get(`${ne.system}/${ne.name}`);
    }
    cases.push(c);
  };
  await td.forEachRecord((rec) => {
    const copy = { ts: rec.ts, cpu: rec.cpu, page: rec.page.slice(rec.offset, rec.offset + rec.size), offset: 0, size: rec.size, missedEvents: 0 };
    copy.view = new DataView(copy.page.buffer);
    if (prev) take(prev[0], prev[1], copy);
    prev = [copy, tep.findEventById(tep.typeOf(rec))];
  });
  if (prev) take(prev[0], prev[1], null);
}
writeFileSync(here + 'plugin-cases.json', JSON.stringify({
  note: 'Records from real traces; expected = info column of Debian trace-cmd 3.1.6 `trace-cmd report` (default mode).',
  formats, kallsyms: kallsymsSubset(kallsymsText, addrs), cases,
}, null, 1) + '\n');
console.log('plugin cases', cases.length);

// ---- filters: the first N records of FILTER.dat and which of them trace-cmd shows ----
const N = 250;
const { tep, td } = await open(filterFile);
const records = [];
const fmts = {};
await td.forEachRecord((rec) => {
  if (records.length >= N) return false;
  const ev = tep.findEventById(tep.typeOf(rec));
  if (ev) fmts[`${ev.system}/${ev.name}`] = tep.formats.get(`${ev.system}/${ev.name}`);
  const us = (rec.ts + 500n) / 1000n;
  // key: cpu, time and the info text (every event of this trace has a plugin handler)
  const info = ev ? tep.formatInfo(rec, ev).replace(/\n$/, '') : '';
  records.push({ cpu: rec.cpu, ts: rec.ts.toString(), key: `${rec.cpu}@${us / 1000000n}.${String(us % 1000000n).padStart(6, '0')} ${info}`, payload: hex(rec.page.subarray(rec.offset, rec.offset + rec.size)) });
});
const filterSpecs = [
  ['-F', 'sched_switch'], ['-F', 'sched'], ['-F', 'sched_switch: prev_pid == 0'], ['-F', 'sched_switch: prev_comm =~ "^bash"'],
  ['-F', 'sched_switch: prev_state & 1 && next_pid > 100'], ['-F', 'sched_switch: !(prev_pid == 0) || next_prio < 100'],
  ['-v', '-F', 'sched_wakeup'], ['-F', 'sched_wakeup', '-v', '-F', 'sched_wakeup: pid < 100'], ['-F', 'COMM != "bash"'.replace('COMM', 'sched_switch: COMM')],
  ['-F', 'sched_switch: prev_pid == -1'], ['-F', 'sched_switch: bogus == 1 || next_pid == 0'], ['-F', 'sched_wakeup: target_cpu == 1', '-F', 'sched_switch: CPU == 0'],
  ['-F', 'kernel_stack'], ['-F', 'sched', '-v', '-F', 'kernel_stack'], ['-F', 'SCHED_SW.*'],
];
const filters = [];
for (const args of filterSpecs) {
  const keys = report(filterFile, args).map((l) => { const x = infoOf(l); return `${x.key} ${x.info}`; });
  // indexes of the first-N records trace-cmd shows (walk both lists in order)
  const shown = [];
  let k = 0;
  for (let r = 0; r < records.length && k < keys.length; r++) if (records[r].key === keys[k]) { shown.push(r); k++; }
  // Every line trace-cmd printed for the first N records must have found its record: a line that did
  // not (utp formats it differently) would silently drop it and every line after it. The lines left
  // over must all lie after the last of the N records.
  const lastUs = records.length ? (BigInt(records[records.length - 1].ts) + 500n) / 1000n : 0n; // as the keys round
  const usOf = (key) => { const m = /@(\d+)\.(\d{6}) /.exec(key); return BigInt(m[1]) * 1000000n + BigInt(m[2]); };
  const unmatched = keys.slice(k).filter((key) => usOf(key) < lastUs); // (a line at the last record's µs may be the next record's)
  if (unmatched.length) throw new Error(`filter ${args.join(' ')}: ${unmatched.length} trace-cmd line(s) within the first ${N} records match no record, e.g. ${unmatched[0]}`);
  filters.push({ args, shown });
}
writeFileSync(here + 'filter-cases.json', JSON.stringify({
  note: 'The first records of a real trace (sched_switch/sched_wakeup + stacktrace); shown = indexes trace-cmd 3.1.6 `report` prints with these -F/-v arguments.',
  formats: fmts, kallsyms: kallsymsSubset(tep.kallsymsText, []), cmdlines: tep.cmdlines,
  records: records.map(({ cpu, ts, payload }) => ({ cpu, ts, payload })), filters,
}, null, 1) + '\n');
console.log('filter records', records.length, 'filters', filters.length);
