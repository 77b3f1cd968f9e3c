/// <reference types="node" />
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tep } from '../tep/tep.js';
import { OutBuffer } from '../core/out-buffer.js';
import type { TraceRecord } from '../core/types.js';
import { TestingTep, testingRecord } from './testing-tep.js';
import {
  applyPluginOption,
  DEFAULT_PLUGIN_OPTIONS,
  formatFuncRepeatTime,
  loadPlugins,
  pluginOptionsFromArgs,
  type PluginOptions,
} from './index.js';

interface PluginCases {
  formats: Record<string, string>;
  kallsyms: string;
  /** `next`: the record after a funcgraph_entry (trace-cmd folds a matching exit into a leaf line). */
  cases: Array<{ event: string; cpu: number; ts: string; payload: string; expected: string; next?: string }>;
}
const fixture = JSON.parse(readFileSync(new URL('../../testdata/plugins/plugin-cases.json', import.meta.url), 'utf8')) as PluginCases;

const hexBytes = (h: string): Uint8Array =>
  Uint8Array.from(
    h
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((x) => parseInt(x, 16)),
  );
const PRETTY = '\u0001pretty';

let nextRecord: TraceRecord | undefined;
const lookahead = {
  peek: (): TraceRecord | undefined => nextRecord,
  consume: (): void => {
    nextRecord = undefined;
  },
};

function fixtureTep(): TestingTep {
  const tep = new TestingTep();
  loadPlugins(tep, { fgraphLookahead: lookahead });
  tep.pretty = () => PRETTY;
  for (const [key, text] of Object.entries(fixture.formats)) tep.addEventFormat(text, key.split('/')[0]!);
  tep.loadKallsyms(fixture.kallsyms);
  return tep;
}

test('plugin output equals trace-cmd report for every fixture record', () => {
  const tep = fixtureTep();
  assert.ok(fixture.cases.length > 50);
  for (const c of fixture.cases) {
    const [sys, name] = c.event.split('/') as [string, string];
    const ev = tep.findEvent(sys, name)!;
    if (!tep.handlers.has(`${sys}:${name}`)) continue; // print-function users need the real print engine
    nextRecord = c.next ? testingRecord(hexBytes(c.next)) : undefined;
    const out = tep.formatInfo(testingRecord(hexBytes(c.payload), c.cpu, BigInt(c.ts)), ev);
    const p = out.indexOf(PRETTY);
    if (p >= 0) {
      // handler text, then the event's own print fmt (kmem)
      assert.ok(c.expected.startsWith(out.slice(0, p)), `${c.event}: ${JSON.stringify(out)} vs ${JSON.stringify(c.expected)}`);
      assert.ok(p > 0);
    } else {
      assert.equal(out.replace(/\n$/, ''), c.expected, c.event);
    }
  }
});

const SCHED_SWITCH_FORMAT = `name: sched_switch
ID: 372
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;
\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;
\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;

print fmt: "prev_comm=%s prev_pid=%d", REC->prev_comm, REC->prev_pid
`;

test('sched_switch: SDTtZXxW letters (0x80 → W) and comm registration', () => {
  const tep = new TestingTep();
  loadPlugins(tep);
  const ev = tep.addEventFormat(SCHED_SWITCH_FORMAT, 'sched');
  const payload = hexBytes(
    '7401' +
      '01' +
      '02' +
      '0f000000' + //          common_type 372, flags, preempt, common_pid 15
      '7263755f707265656d70740000000000' + //         prev_comm "rcu_preempt"
      '0f000000' +
      '78000000' + //                    prev_pid 15, prev_prio 120
      '8000000000000000' + //                         prev_state 0x80 (kernel: I)
      '737761707065722f3100000000000000' + //         next_comm "swapper/1"
      '00000000' +
      '78000000',
  ); //                    next_pid 0, next_prio 120
  assert.equal(tep.commOf(15), '<...>');
  // trace-cmd 3.1.6: "rcu_preempt:15 [120] W ==> swapper/1:0 [120]"
  assert.equal(tep.formatInfo(testingRecord(payload), ev), 'rcu_preempt:15 [120] W ==> swapper/1:0 [120]');
  assert.equal(tep.commOf(15), 'rcu_preempt');
  // prev_state 0x81 → "S|W"; 0 → "R"
  payload[32] = 0x81;
  assert.equal(tep.formatInfo(testingRecord(payload), ev), 'rcu_preempt:15 [120] S|W ==> swapper/1:0 [120]');
  payload[32] = 0;
  assert.equal(tep.formatInfo(testingRecord(payload), ev), 'rcu_preempt:15 [120] R ==> swapper/1:0 [120]');
});

test('tlb_flush: unknown reason prints an empty name (trace-cmd: "pages=-1 reason= (4)")', () => {
  const tep = new TestingTep();
  loadPlugins(tep);
  const ev = tep.addEventFormat(fixture.formats['tlb/tlb_flush']!, 'tlb');
  const payload = hexBytes(
    'bc00' +
      '00' +
      '01' +
      'cb190000' + //  common_type 188, flags, preempt, pid 6603
      '04000000' +
      '00000000' + //            reason 4 (int), padding
      'ffffffffffffffff',
  ); //                 pages = ULONG_MAX → %ld prints -1
  assert.equal(tep.formatInfo(testingRecord(payload), ev), 'pages=-1 reason= (4)');
});

test('handlers that keep the print fmt append it (kmem), -N style mode skips handlers', () => {
  const tep = fixtureTep();
  const c = fixture.cases.find((x) => x.event === 'kmem/kfree')!;
  const ev = tep.findEvent('kmem', 'kfree')!;
  const rec = testingRecord(hexBytes(c.payload));
  const out = tep.formatInfo(rec, ev);
  assert.match(out, /^\([^)]+\+0x[0-9a-f]+\) \u0001pretty$/);
  assert.equal(tep.formatInfo(rec, ev, 'noplugins'), PRETTY);
});

test("missing fields print libtraceevent's error text and then the print fmt", () => {
  const tep = new TestingTep();
  loadPlugins(tep);
  tep.pretty = () => '<pretty>';
  const ev = tep.addEventFormat(SCHED_SWITCH_FORMAT.replace(/prev_pid/g, 'other_pid'), 'sched');
  const out = tep.formatInfo(testingRecord(new Uint8Array(64)), ev);
  assert.equal(out, '<CANT FIND FIELD prev_pid>!<pretty>');
});

test('applyPluginOption follows libtraceevent: no value toggles, 1/true/0/false set', () => {
  const o: PluginOptions = { ...DEFAULT_PLUGIN_OPTIONS };
  assert.equal(applyPluginOption(o, 'parent'), true);
  assert.equal(o.functionParent, true);
  assert.equal(applyPluginOption(o, 'ftrace:indent'), true);
  assert.equal(o.functionIndent, false);
  assert.equal(applyPluginOption(o, 'indent=1'), true);
  assert.equal(o.functionIndent, true);
  assert.equal(applyPluginOption(o, 'fgraph:depth=true'), true);
  assert.equal(o.fgraphDepth, true);
  assert.equal(applyPluginOption(o, 'fgraph:parent'), false);
  assert.equal(applyPluginOption(o, 'nosuch'), false);
});

test('func_repeats time formats', () => {
  assert.equal(formatFuncRepeatTime(426345733524n, 'usecs'), '  426.345734');
  assert.equal(formatFuncRepeatTime(426345733524n, 'nsecs'), '  426.345733524');
  assert.equal(formatFuncRepeatTime(3n, 'counter'), '           3');
});

test('print functions registered by plugins', () => {
  const tep = new TestingTep();
  loadPlugins(tep);
  const dev = tep.printFunctions.get('jbd2_dev_to_name')!;
  // dev 7340032 = MKDEV(7, 0): trace-cmd prints "dev 7,0" via the format; the function gives "7:0"
  assert.equal(dev.call([7340032n], tep), '7:0');
  assert.equal(tep.printFunctions.get('jiffies_to_msecs')!.call([250n], tep), 250n);
  assert.equal(tep.printFunctions.get('xen_hypercall_name')!.call([29n], tep), '(sched_op)');
  assert.equal(tep.printFunctions.get('xen_hypercall_name')!.call([38n], tep), '');
  assert.equal(tep.printFunctions.get('is_writable_pte')!.call([3n], tep), 2n);
});

test('real Tep: full info lines equal trace-cmd', () => {
  const tep = new Tep();
  loadPlugins(tep, { fgraphLookahead: lookahead });
  for (const [key, text] of Object.entries(fixture.formats)) tep.addEventFormat(text, key.split('/')[0]!);
  tep.loadKallsyms(fixture.kallsyms);
  assert.ok(fixture.cases.length > 50, 'the fixture holds cases');
  for (const c of fixture.cases) {
    const [sys, name] = c.event.split('/') as [string, string];
    const ev = tep.findEvent(sys, name)!;
    nextRecord = c.next ? testingRecord(hexBytes(c.next)) : undefined;
    const out = tep.formatInfo(testingRecord(hexBytes(c.payload), c.cpu, BigInt(c.ts)), ev);
    assert.equal(out.replace(/\n$/, ''), c.expected, c.event);
  }
});

test('real Tep: the byte-emitting path (EventHandler.emit) prints the same', () => {
  const tep = new Tep();
  loadPlugins(tep, { fgraphLookahead: lookahead });
  for (const [key, text] of Object.entries(fixture.formats)) tep.addEventFormat(text, key.split('/')[0]!);
  tep.loadKallsyms(fixture.kallsyms);
  const o = new OutBuffer(null, 16);
  let emitted = 0;
  for (const c of fixture.cases) {
    const [sys, name] = c.event.split('/') as [string, string];
    const ev = tep.findEvent(sys, name)!;
    nextRecord = c.next ? testingRecord(hexBytes(c.next)) : undefined;
    if (tep.handlerOf(ev)?.emit) emitted++;
    tep.emitInfo(testingRecord(hexBytes(c.payload), c.cpu, BigInt(c.ts)), ev, 'default', o);
    assert.equal(o.take().replace(/\n$/, ''), c.expected, c.event);
  }
  assert.ok(emitted > 50);
});

test('pluginOptionsFromArgs combines repeated -O like trace-cmd 3.1.6 (checked with trace-cmd report -O)', () => {
  assert.equal(pluginOptionsFromArgs(['parent', 'parent']).functionParent, true);
  assert.equal(pluginOptionsFromArgs(['parent', 'ftrace:parent']).functionParent, false);
  assert.equal(pluginOptionsFromArgs(['parent=1', 'parent']).functionParent, true);
  assert.equal(pluginOptionsFromArgs(['indent=0', 'ftrace:indent']).functionIndent, false);
  assert.deepEqual(pluginOptionsFromArgs(['nosuch', 'fgraph:depth']).unknown, ['nosuch']);
  assert.equal(pluginOptionsFromArgs(['fgraph:depth']).fgraphDepth, true);
});
