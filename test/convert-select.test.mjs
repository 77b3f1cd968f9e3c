// utp convert's selection on the event stream (@utp/model's SelectSource), for JSON / Perfetto of
// every input kind, no trace.dat between:
// - a trace.dat fixture: the JSON (and one Perfetto) of each selection option is byte for byte the
//   output of the path it replaces, the already-verified one (the selected records into a trace.dat,
//   checked against trace-cmd report in convert-dat.test.mjs, then that trace.dat to JSON; the
//   temporary trace.dat has the input's file name, so otherData's name is the same too);
// - an LTTng-like CTF (no utp skeleton) and ftrace text: the selected JSON's events are exactly the
//   unselected JSON's events that pass the selection, decided here from the JSON itself (time, cpu,
//   name/category, tid or pid/next_pid argument, task names of the thread_name records), and a
//   lost-events report is kept exactly when the next event on its CPU is;
// - -F on a source without filter expressions is refused with one line naming the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runUtp, tmpDir } from './lib/live.mjs';
import { FileSource } from '@utp/bytes/node';
import { FtraceTextSource, SelectSource, TraceDatSource } from '@utp/model';
import { writeChromeJson } from '@utp/convert';
import { emptySelect, makeSelector, parseTime, toSelection } from '../packages/cli/dist/convert/filter.js';
import { openTraceDatSource } from '../packages/cli/dist/convert/sources.js';
import { writeDat } from '../packages/cli/dist/convert/to-dat.js';
import { openCtfDirSource } from '../packages/cli/dist/convert/ctf-source.js';

const ROOT = new URL('..', import.meta.url).pathname;

function utp(args) {
  const r = runUtp(args);
  assert.equal(r.status, 0, `utp ${args.join(' ')}: ${r.stderr}`);
  return r.stderr.toString();
}

/** ns of a JSON ts (µs with three decimals). */
const nsOf = (e) => {
  const [i, f = ''] = String(e.ts).split('.');
  return BigInt(i) * 1000n + BigInt(f.padEnd(3, '0').slice(0, 3));
};
/** The seconds text trace-cmd report would show for ns. */
const secs = (ns) => `${ns / 1000000000n}.${String(ns % 1000000000n).padStart(9, '0')}`;

function events(file) {
  const text = readFileSync(file, 'utf8');
  // the JSON numbers as written: ts must not round (1.7e15 µs)
  const j = JSON.parse(text.replace(/"ts":([0-9.]+)/g, '"ts":"$1"'));
  return j.traceEvents;
}

test('trace.dat: JSON of each selection through the event stream == through a trace.dat of the selected records', async () => {
  const d = tmpDir('utp-select-dat-');
  try {
    const dat = join(ROOT, 'testdata/succeed/dropped-subbuf8k-v6/trace.dat');
    utp(['convert', dat, '-o', join(d, 'all.json')]);
    const all = events(join(d, 'all.json'));
    const inst = all.filter((e) => e.ph === 'i' && e.cat !== 'utp.lost');
    const times = inst.map(nsOf);
    const from = secs(times[Math.floor(times.length / 4)]),
      to = secs(times[Math.floor((times.length * 3) / 4)]);
    assert.equal(all.filter((e) => e.cat === 'utp.lost').length, 1, 'the fixture has a loss');
    const tid = inst.find((e) => e.tid > 0 && e.tid < 4194304).tid;
    const comm = all.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === tid).args.name;
    const cases = [
      ['--from-time', from, '--to-time', to],
      ['--events', 'sched,timer:hrtimer_*,nosuch'],
      ['--pid', String(tid)],
      ['--comm', comm],
      ['--cpu', '0-1', '--to-time', `${times[Math.floor(times.length / 2)]}ns`],
      ['--cpu', '1'],
      ['-F', 'hrtimer_start: expires > 0'],
      ['-F', 'sched_switch: prev_pid != 0', '-F', 'tick_stop', '--cpu', '0'],
    ];
    let kept = 0;
    for (const [i, args] of cases.entries()) {
      mkdirSync(join(d, `old${i}`));
      const warns = [];
      const a = await datJson(dat, args, (m) => warns.push(m));
      const b = await oldJson(dat, args, join(d, `old${i}`, 'trace.dat'));
      assert.ok(a.equals(b), `${args.join(' ')}: the same JSON`);
      const got = JSON.parse(a.toString()).traceEvents;
      const n = got.filter((e) => e.ph !== 'M').length;
      assert.ok(n > 0 && n < all.length, `${args.join(' ')}: kept some, not all (${n})`);
      if (args.includes('nosuch')) assert.deepEqual(warns, ["--events: no event matches 'nosuch'"]);
      kept += got.filter((e) => e.cat === 'utp.lost').length;
    }
    // utp convert itself: the JSON above, and the old path through its own trace.dat output
    const args = ['--cpu', '1', '--events', 'timer,sched'];
    mkdirSync(join(d, 'cli'));
    utp(['convert', dat, '-o', join(d, 'a.json'), ...args]);
    utp(['convert', dat, '-o', join(d, 'cli', 'trace.dat'), '--compression', 'none', ...args]);
    utp(['convert', join(d, 'cli', 'trace.dat'), '-o', join(d, 'b.json')]);
    assert.ok(readFileSync(join(d, 'a.json')).equals(await datJson(dat, args)), 'utp convert: the JSON of SelectSource');
    assert.ok(readFileSync(join(d, 'a.json')).equals(readFileSync(join(d, 'b.json'))), 'utp convert: the JSON of the old path');
    assert.ok(kept > 0, 'some selection keeps a loss');
    // Perfetto too
    utp(['convert', dat, '-o', join(d, 'a.pftrace'), '--cpu', '1', '--events', 'timer']);
    utp(['convert', dat, '-o', join(d, 'old.dat'), '--compression', 'none', '--cpu', '1', '--events', 'timer']);
    // (the Perfetto file does not hold the input's name)
    utp(['convert', join(d, 'old.dat'), '-o', join(d, 'b.pftrace')]);
    assert.ok(readFileSync(join(d, 'a.pftrace')).equals(readFileSync(join(d, 'b.pftrace'))), 'Perfetto: the same bytes');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

/**
 * The selected JSON's events (all but the task names) against the unselected JSON's that pass
 * `keep` (slices: on-CPU X and the closing E utp adds are derived, left out of both sides), and
 * each loss kept exactly when the next event of its CPU is.
 */
function sameSelected(all, sel, keep, what, partial = true) {
  // (not the JSON's process id: the sink learns thread groups from events, some of them left out)
  // A slice's end whose begin a selection left out is written as the instant it is (sys_exit,
  // irq_handler_exit…): begins and ends, and those instants, compare by their time, task, CPU and values.
  const SLICE = new Set(['sys_enter', 'sys_exit', 'irq_handler_entry', 'irq_handler_exit', 'softirq_entry', 'softirq_exit']);
  const key = (e) =>
    e.ph === 'B' || e.ph === 'E' || SLICE.has(e.name)
      ? JSON.stringify(['slice', e.ts, e.tid, e.cpu, e.args])
      : JSON.stringify([e.name, e.cat, e.ph, e.ts, e.tid, e.cpu, e.args]);
  const stream = (list) => list.filter((e) => e.ph !== 'M' && e.ph !== 'X' && e.cat !== 'utp.closed');
  const want = [];
  const evs = stream(all);
  for (const [i, e] of evs.entries()) {
    if (e.cat === 'utp.lost') {
      const next = evs.slice(i + 1).find((x) => x.cat !== 'utp.lost' && x.cpu === e.cpu);
      if (next && keep(next)) want.push(e);
    } else if (keep(e)) want.push(e);
  }
  const got = stream(sel);
  assert.ok(want.length > 0, `${what}: the selection keeps something`);
  if (partial) assert.ok(want.length < evs.length, `${what}: the selection leaves something out`);
  const g = got.map(key).sort(),
    w = want.map(key).sort();
  const extra = g.filter((k) => !w.includes(k)),
    missing = w.filter((k) => !g.includes(k));
  assert.deepEqual({ extra: extra.slice(0, 5), missing: missing.slice(0, 5) }, { extra: [], missing: [] }, what);
  assert.deepEqual(g, w, what);
}

/** utp convert's options (as `utp convert` parses them) into its selection. */
function rawSel(args) {
  const sel = emptySelect();
  for (let i = 0; i < args.length; i += 2) {
    const [o, v] = [args[i], args[i + 1]];
    if (o === '--from-time') sel.fromNs = parseTime(o, v);
    else if (o === '--to-time') sel.toNs = parseTime(o, v);
    else if (o === '-F') sel.filters.push(v);
    else sel[{ '--events': 'events', '--pid': 'pids', '--comm': 'comms', '--cpu': 'cpus' }[o]].push(v);
  }
  return sel;
}
const selOf = (args) => toSelection(rawSel(args));

/** A trace.dat's JSON, through SelectSource when `args` (in process, as utp convert writes it). */
async function datJson(dat, args, warn = () => {}) {
  const t = await TraceDatSource.open(new FileSource(dat), {});
  try {
    const chunks = [];
    const src = args ? new SelectSource(t, selOf(args), warn) : t;
    await writeChromeJson(src, (c) => chunks.push(Buffer.from(c)), { littleEndian: t.td.littleEndian });
    return Buffer.concat(chunks);
  } finally {
    await t.td.close();
  }
}

/** The path SelectSource replaces: the selected records into a trace.dat (utp convert's own functions), then its JSON. */
async function oldJson(dat, args, out) {
  const src = await openTraceDatSource(dat, {});
  try {
    const off = src.tsOffset;
    const select = makeSelector(
      src.tep,
      rawSel(args),
      (rec) => rec.ts + off,
      () => {},
    );
    await writeDat(src, out, { fileVersion: 7, compression: 'none', select });
  } finally {
    await src.close();
  }
  return datJson(out);
}

/** The Chrome JSON events of `open()`'s source, selected by `args` (in process: what utp convert writes). */
async function jsonOf(open, args) {
  const { source, close, le } = await open();
  try {
    const chunks = [];
    const src = args ? new SelectSource(source, selOf(args)) : source;
    await writeChromeJson(src, (c) => chunks.push(Buffer.from(c)), { littleEndian: le });
    const text = Buffer.concat(chunks).toString('utf8');
    return JSON.parse(text.replace(/"ts":([0-9.]+)/g, '"ts":"$1"')).traceEvents;
  } finally {
    await close();
  }
}

/** The selection tests of one input, decided from its unselected JSON. */
async function checkInput(open, tag) {
  const all = await jsonOf(open);
  const evs = all.filter((e) => e.ph !== 'M' && e.ph !== 'X' && e.cat !== 'utp.lost' && e.cat !== 'utp.closed');
  // task names as the source learns them: the JSON's thread names, and the comm / pid pairs of the events' values
  const names = new Map(all.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
  for (const e of evs) {
    const a = e.args ?? {};
    for (const [c, p] of [
      ['comm', 'pid'],
      ['prev_comm', 'prev_pid'],
      ['next_comm', 'next_pid'],
      ['comm', 'tid'],
    ])
      if (typeof a[c] === 'string' && typeof a[p] === 'number' && !names.has(a[p])) names.set(a[p], a[c]);
  }
  const t = evs.map(nsOf).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const from = t[Math.floor(t.length / 3)],
    to = t[Math.floor((t.length * 2) / 3)];
  const cpus = [...new Set(evs.map((e) => e.cpu))].sort();
  const cpu = cpus[cpus.length - 1];
  const tid = evs.find((e) => e.tid > 0 && e.tid < 4194304).tid;
  const tids = new Set(evs.map((e) => e.tid)).size;
  const comm = names.get(tid);
  const byTask = (set) => (e) => set.has(e.tid) || set.has(e.args?.pid) || set.has(e.args?.next_pid);
  const commPids = new Set([...names].filter(([, n]) => n === comm).map(([p]) => p));
  const name = evs.find((e) => e.ph === 'i').name;
  const cases = [
    { args: ['--from-time', secs(from), '--to-time', secs(to)], keep: (e) => nsOf(e) >= from && nsOf(e) <= to },
    // (a trace of one CPU or one task keeps all of it)
    { args: ['--cpu', String(cpu)], keep: (e) => e.cpu === cpu, partial: cpus.length > 1 },
    { args: ['--pid', String(tid)], keep: byTask(new Set([tid])), partial: tids > 1 },
    { args: ['--comm', comm], keep: byTask(commPids), partial: tids > 1 },
    { args: ['--events', name], keep: (e) => e.ph === 'i' && e.name === name },
    { args: ['--events', name, '--cpu', String(cpu)], keep: (e) => e.ph === 'i' && e.name === name && e.cpu === cpu },
  ];
  for (const c of cases) sameSelected(all, await jsonOf(open, c.args), c.keep, `${tag} ${c.args.join(' ')}`, c.partial ?? true);
  // -F: the source has no filter language
  await assert.rejects(jsonOf(open, ['-F', name]), / \([^)]*\): this source has no filter expressions \(-F\)/);
}

const ctfDir = (dir) => async () => {
  const c = await openCtfDirSource(dir, {});
  return { source: c.source, close: c.close, le: c.source.trace.tc.le };
};
const textFile = (file) => async () => ({
  source: await FtraceTextSource.open(new Uint8Array(readFileSync(file)), { name: file }),
  close: async () => {},
  le: true,
});

test('CTF without a utp skeleton (LTTng-like) and LTTng UST: the selected events are the unselected JSON events that pass', async () => {
  await checkInput(ctfDir(join(ROOT, 'testdata/ctf/utp-lost-events')), 'ctf-lost');
  await checkInput(ctfDir(join(ROOT, 'testdata/ctf/lttng-ust-libc')), 'lttng-ust');
});

test('ftrace text: the selected events are the unselected JSON events that pass', async () => {
  await checkInput(textFile(join(ROOT, 'testdata/text/report.txt')), 'report');
  await checkInput(textFile(join(ROOT, 'testdata/text/trace_pipe.txt')), 'pipe');
});

test('utp convert CTF / text with a selection: no temporary file; -F on an LTTng CTF in one line', () => {
  const d = tmpDir('utp-select-cli-');
  try {
    utp(['convert', join(ROOT, 'testdata/text/trace.txt'), '-o', join(d, 't.json'), '--cpu', '1', '--comm', 'rm']);
    utp(['convert', join(ROOT, 'testdata/ctf/utp-lost-events'), '-o', join(d, 'c.pftrace'), '--events', 'sched_switch']);
    assert.deepEqual(readdirSync(d).sort(), ['c.pftrace', 't.json']);
    const r = runUtp(['convert', join(ROOT, 'testdata/text/trace.txt'), '-o', join(d, 'x.json'), '-F', 'sched_switch']);
    assert.equal(r.status, 1);
    const lines = r.stderr.toString().trim().split('\n');
    assert.equal(lines.length, 1, r.stderr.toString());
    assert.match(lines[0], /trace\.txt \(ftrace text\): this source has no filter expressions \(-F\)/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
