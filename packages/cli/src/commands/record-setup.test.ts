// The parsing of record's tracefs-setup flags (trace-cmd 3.1.6 trace-record.c parse_record_options):
// -v negates the -e and -B after it, --module qualifies the -l/-n/-g after it (alone: *:mod:MOD),
// -f texts join as (A)&&(B), -D implies -d, -S/-G/--by-comm need --profile. Live behaviour is
// compared with trace-cmd in test/trace-cmd-record-setup.test.mjs.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseRecordArgs } from './record.js';

test('-v negates the -e and the -B after it (a -B ends it, as in trace-cmd)', () => {
  const p = parseRecordArgs(['-e', 'irq', '-v', '-e', 'irq:irq_handler_exit', '-B', 'old', '-B', 'new', '-e', 'sched']);
  assert.deepEqual(p.opts.events, [{ spec: 'irq' }, { spec: 'irq:irq_handler_exit', disable: true }, { spec: 'sched' }]);
  assert.deepEqual(p.opts.removeInstances, ['old']);
  assert.equal(p.opts.instanceName, 'new');
});

test('--module qualifies the function lists after it; alone it filters the whole module', () => {
  const p = parseRecordArgs(['-l', 'a', '--module', 'ext4', '-l', 'b', '-n', 'c', '-g', 'd']);
  assert.deepEqual(p.opts.setup?.filterFunctions, ['a', 'b:mod:ext4']);
  assert.deepEqual(p.opts.setup?.notraceFunctions, ['c:mod:ext4']);
  assert.deepEqual(p.opts.setup?.graphFunctions, ['d:mod:ext4']);
  assert.deepEqual(parseRecordArgs(['--module', 'ext4']).opts.setup?.filterFunctions, ['*:mod:ext4']);
  assert.deepEqual(parseRecordArgs(['--module', 'a', '--module', 'b', '-l', 'f']).opts.setup?.filterFunctions, ['*:mod:a', 'f:mod:b']);
});

test('-O -T --func-stack --max-graph-depth -d -D -i -k --no-filter --cmdlines-size --quiet --verbose', () => {
  const p = parseRecordArgs([
    '-O',
    'nosym-offset',
    '-Osym-addr',
    '-T',
    '--func-stack',
    '--max-graph-depth',
    '3',
    '-D',
    '-i',
    '-k',
    '--no-filter',
    '--cmdlines-size=500',
    '--quiet',
    '--verbose=2',
    '--verbose',
  ]);
  assert.deepEqual(p.opts.setup?.options, ['nosym-offset', 'sym-addr']);
  assert.equal(p.opts.setup?.stacktrace, true);
  assert.equal(p.opts.setup?.funcStack, true);
  assert.equal(p.opts.setup?.maxGraphDepth, 3);
  assert.equal(p.opts.disableFunctionTrace, true, '-D implies -d');
  assert.equal(p.opts.totalDisable, true);
  assert.equal(p.opts.ignoreMissingEvents, true);
  assert.equal(p.opts.keep, true);
  assert.equal(p.opts.noFilter, true);
  assert.equal(p.opts.cmdlinesSize, 500);
  assert.equal(p.quiet, true);
  assert.throws(() => parseRecordArgs(['--max-graph-depth', 'x']), /wants a number/);
});

test('-f texts join as trace-cmd joins them; --profile with -S -G --by-comm', () => {
  const p = parseRecordArgs(['-e', 'sched_switch', '-f', 'prev_pid > 0', '-f', 'next_pid != 1']);
  assert.equal(p.opts.events?.[0]?.filter, '(prev_pid > 0)&&(next_pid != 1)');
  assert.deepEqual(parseRecordArgs(['--profile', '-S', '-G', '--by-comm']).profile, { manual: true, global: true, byComm: true });
  assert.equal(parseRecordArgs(['-e', 'x']).profile, undefined);
  assert.throws(() => parseRecordArgs(['-S']), /-S needs --profile/);
  assert.throws(() => parseRecordArgs(['--by-comm']), /--by-comm needs --profile/);
});
