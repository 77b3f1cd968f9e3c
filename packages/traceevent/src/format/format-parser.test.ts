/// <reference types="node" />
// utp-test: reads tracefs (the format files only; nothing written)
/** Format-file parsing: fields, flags and sizes as libtraceevent 1.7.1 derives them. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { parseFormatHead, parseFormatText, plainHeadOfBytes } from './format-parser.js';
import { FieldFlag } from '../core/types.js';
import { Tep } from '../tep/tep.js';

const COMMON =
  '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n';

test('fields: types, arrays, __data_loc, pointers, signedness', () => {
  const text =
    'name: demo\nID: 42\nformat:\n' +
    COMMON +
    '\n' +
    '\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n' + // fixed char array: string
    '\tfield:__data_loc char[] name;\toffset:24;\tsize:4;\tsigned:0;\n' + // dynamic string
    '\tfield:const void * ptr;\toffset:32;\tsize:8;\tsigned:0;\n' + // pointer
    '\tfield:long state;\toffset:40;\tsize:8;\tsigned:1;\n' + // long, signed
    '\tfield:u32 vals[3];\toffset:48;\tsize:12;\tsigned:0;\n' + // non-string array
    '\tfield:__rel_loc u8[] rel;\toffset:60;\tsize:4;\tsigned:0;\n' +
    '\tfield:unsigned int nosign;\toffset:64;\tsize:4;\n' + // old kernels: no signed:
    '\n' +
    'print fmt: "%s", REC->prev_comm\n';
  const p = parseFormatText(text, 'sched', 8);
  assert.equal(p.name, 'demo');
  assert.equal(p.id, 42);
  assert.equal(p.commonFields.length, 4);
  assert.equal(p.formatFailed, false);
  const f = Object.fromEntries(p.fields.map((x) => [x.name, x]));
  // [name, type, flags, arraylen, elementsize]
  const want: Array<[string, string, number, number, number]> = [
    ['prev_comm', 'char', FieldFlag.Array | FieldFlag.String, 16, 1],
    ['name', '__data_loc char[]', FieldFlag.Array | FieldFlag.String | FieldFlag.Dynamic, 0, 1],
    ['ptr', 'const void *', FieldFlag.Pointer, 0, 8],
    ['state', 'long', FieldFlag.Long | FieldFlag.Signed, 0, 8],
    ['vals', 'u32', FieldFlag.Array, 3, 4],
    ['rel', '__rel_loc u8[]', FieldFlag.Array | FieldFlag.String | FieldFlag.Dynamic | FieldFlag.Relative, 0, 1],
    ['nosign', 'unsigned int', 0, 0, 4],
  ];
  for (const [name, type, flags, arraylen, elementsize] of want) {
    assert.equal(f[name]?.type, type, name);
    assert.equal(f[name]?.flags, flags, name);
    assert.equal(f[name]?.arraylen, arraylen, name);
    assert.equal(f[name]?.elementsize, elementsize, name);
  }
  assert.equal(p.printFmtText, '"%s", REC->prev_comm');
});

test('ftrace events may use the "special" keyword and dots in types', () => {
  const text =
    'name: fn\nID: 1\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n' +
    '\tfield special:struct ftrace_graph_ent.func;\toffset:8;\tsize:8;\tsigned:0;\n\nprint fmt: "%lx", REC->func\n';
  const p = parseFormatText(text, 'ftrace', 8);
  assert.equal(p.formatFailed, false);
  assert.equal(p.fields[0]!.name, 'func');
  assert.equal(parseFormatText(text, 'other', 8).formatFailed, true);
});

test('print fmt failures are flagged, not thrown', () => {
  const tep = new Tep();
  const mk = (fmt: string): boolean =>
    tep.addEventFormat(`name: e\nID: 7\nformat:\n${COMMON}\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: ${fmt}\n`, 's')
      .failed;
  assert.equal(mk('"a=%d", REC->a'), false);
  assert.equal(mk('"a=%d", sizeof(u64)'), true); // typedefs unsupported before 1.8.4
  assert.equal(mk('"a=%d", nosuchfn(REC->a)'), true); // unknown function
  assert.equal(mk('"a=%d b=%d", REC->a'), true); // conversion without argument
  assert.equal(mk('"a=\t%d", REC->a'), true); // a TAB ends the string token
  assert.equal(mk('"a=%d", ({ int x = REC->a; x; })'), true); // statement expression
  assert.equal(mk('"a=%d" " b", REC->a'), false); // adjacent strings are concatenated
});

test("every format of this machine parses; exactly libtraceevent 1.7.1's 18 fail", (t) => {
  const base = '/sys/kernel/tracing/events';
  if (!existsSync(base)) {
    t.skip('no tracefs at /sys/kernel/tracing');
    return;
  }
  const tep = new Tep();
  const failed: string[] = [];
  let n = 0;
  for (const sys of readdirSync(base)) {
    let evs: string[];
    try {
      evs = readdirSync(`${base}/${sys}`);
    } catch {
      continue;
    }
    for (const ev of evs) {
      const f = `${base}/${sys}/${ev}/format`;
      if (!existsSync(f)) continue;
      const e = tep.addEventFormat(readFileSync(f, 'latin1'), sys);
      n++;
      if (e.failed) failed.push(`${sys}:${e.name}`);
    }
  }
  assert.ok(n > 100);
  // What libtraceevent 1.7.1 (no plugins) flags FAILED on this machine's Linux 6.18 (tracedat.md §6.7):
  // 7 dma (sizeof(u64), statement expressions), 2 jbd2 (jiffies_to_msecs), 1 kvm (string concatenation),
  // 4 kvmmmu (trace_seq_printf), 3 maple_tree (TAB in the string), 1 ras (unknown function).
  const expected = [
    'dma:dma_alloc_sgt',
    'dma:dma_free_sgt',
    'dma:dma_map_sg',
    'dma:dma_map_sg_err',
    'dma:dma_sync_sg_for_cpu',
    'dma:dma_sync_sg_for_device',
    'dma:dma_unmap_sg',
    'jbd2:jbd2_checkpoint_stats',
    'jbd2:jbd2_run_stats',
    'kvm:kvm_inj_exception',
    'kvmmmu:kvm_mmu_get_page',
    'kvmmmu:kvm_mmu_prepare_zap_page',
    'kvmmmu:kvm_mmu_sync_page',
    'kvmmmu:kvm_mmu_unsync_page',
    'maple_tree:ma_op',
    'maple_tree:ma_read',
    'maple_tree:ma_write',
    'ras:mc_event',
  ];
  const present = expected.filter((f) => existsSync(`${base}/${f.replace(':', '/')}/format`));
  if (present.length !== expected.length) {
    // Another kernel: its formats differ, so the count of 18 does not apply; still none outside those systems.
    const known = new Set(expected.map((f) => f.split(':')[0]!));
    for (const f of failed) assert.ok(known.has(f.split(':')[0]!), `unexpected failure ${f}`);
    t.skip(
      `not the reference kernel (${expected.length - present.length} of the 18 known failing events absent): the exact list is not checked`,
    );
    return;
  }
  assert.deepEqual(failed.sort(), expected, 'exactly the 18 formats libtraceevent 1.7.1 flags');
});

test('plainHeadOfBytes: the name and ID of the usual head, undefined where the text must be read (as parseFormatHead reads it)', () => {
  const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const cases: Array<[string, { name: string; id: number } | undefined]> = [
    ['name: sched_switch\nID: 316\nformat:\n', { name: 'sched_switch', id: 316 }],
    ['name: x\nID: 123456789\nformat:\n', { name: 'x', id: 123456789 }],
    // the forms the bytes path leaves to the tokenizer
    ['name: a\nID: 0316\nformat:\n', undefined],
    ['name: a\nID: 1234567890\n', undefined],
    ['name: a-b\nID: 1\nformat:\n', undefined],
    ['name:  a\nID: 1\nformat:\n', undefined],
    ['name: a\n ID: 1\nformat:\n', undefined],
    ['name: a\nID: 1', undefined],
  ];
  for (const [text, want] of cases) {
    assert.deepEqual(plainHeadOfBytes(enc(text)), want, JSON.stringify(text));
    if (want) assert.deepEqual(parseFormatHead(text, 'sys'), want);
  }
  // a Tep fed bytes and a Tep fed text end with the same events, fields and print formats
  const text = 'name: demo\nID: 42\nformat:\n' + COMMON + '\n\tfield:int v;\toffset:8;\tsize:4;\tsigned:1;\n\nprint fmt: "v=%d", REC->v\n';
  const a = new Tep();
  const b = new Tep();
  a.addEventFormat(text, 'sys');
  b.addEventFormatBytes(enc(text), 'sys');
  const ea = a.findEventById(42)!;
  const eb = b.findEventById(42)!;
  assert.equal(eb.name, 'demo');
  assert.deepEqual(
    eb.fields.map((f) => [f.name, f.offset, f.size]),
    ea.fields.map((f) => [f.name, f.offset, f.size]),
  );
  assert.equal(eb.printFmt, ea.printFmt);
});
