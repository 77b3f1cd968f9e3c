/// <reference types="node" />
/**
 * `utp report` on perf.data against `perf script` (Debian perf 6.1): the committed fixtures of
 * @utp/perf (recorded by perf, perf script's output saved by make-fixtures.sh), and fresh
 * recordings made here by perf under /tmp/utp-live.lock (root + perf needed; skipped otherwise).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
const fixDir = fileURLToPath(new URL('../../../perf/testdata/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'utp-perf-report-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function utp(args: string[]): { out: Buffer; err: string; status: number | null } {
  const r = spawnSync(process.execPath, [main, 'report', ...args], { maxBuffer: 1 << 28 });
  return { out: r.stdout, err: r.stderr.toString(), status: r.status };
}
function gz(name: string): Buffer {
  return gunzipSync(readFileSync(fixDir + name));
}

/** The first differing line, for a readable failure. */
function sameLines(got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  const g = got.toString('latin1').split('\n'),
    w = want.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(g.length, w.length); i++) {
    if (g[i] === w[i]) continue;
    assert.fail(`${what}: line ${i + 1} differs (${g.length} vs ${w.length} lines)\n  utp:  ${g[i]}\n  perf: ${w[i]}`);
  }
}

for (const f of ['tp-task', 'tp-pipe', 'tp-zstd', 'tp-lost']) {
  test(`fixture ${f}: utp report = perf script, default and --show-task-events --ns`, () => {
    const path = join(tmp, `${f}.data`);
    writeFileSync(path, gz(`${f}.data.gz`));
    let r = utp(['-i', path]);
    assert.equal(r.status, 0, r.err);
    sameLines(r.out, gz(`${f}.script.gz`), `${f} default`);
    r = utp(['-i', path, '--show-task-events', '--ns']);
    assert.equal(r.status, 0, r.err);
    sameLines(r.out, gz(`${f}.task-ns.script.gz`), `${f} --show-task-events --ns`);
  });
}

test('fixture g-spin (cpu-clock -g, user and kernel frames): utp report, --hist and --folded = perf, through --kallsyms and --symfs', () => {
  // recorded by make-g-fixture.mjs: perf's own outputs for exactly these inputs (a kallsyms subset, the
  // program under a symfs tree), so nothing here depends on this machine's kernel or files
  const path = join(tmp, 'g-spin.data');
  writeFileSync(path, gz('g-spin/spin.data.gz'));
  const refs = ['--kallsyms', `${fixDir}g-spin/kallsyms`, '--symfs', `${fixDir}g-spin/symfs`];
  const script = gz('g-spin/spin.script.gz');
  let r = utp(['-i', path, ...refs]);
  assert.equal(r.status, 0, r.err);
  sameLines(r.out, script, 'g-spin');
  assert.match(script.toString(), / work\+0x[0-9a-f]+ \(\/tmp\/utp-gfix\/spin\)\n/, 'user frames resolved');
  assert.match(script.toString(), / entry_SYSCALL_64_after_hwframe\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)\n/, 'kernel frames resolved');
  r = utp(['-i', path, ...refs, '--hist']);
  assert.equal(r.status, 0, r.err);
  sameLines(r.out, gz('g-spin/spin.hist.gz'), 'g-spin --hist');
  r = utp(['-i', path, ...refs, '--folded']);
  assert.equal(r.status, 0, r.err);
  const want = foldScript(script.toString('latin1'));
  assert.ok(want.split('\n').length > 5, 'callchains to fold');
  sameLines(r.out, Buffer.from(want, 'latin1'), 'g-spin --folded');
});

test('fixture badfp: a user address after PERF_CONTEXT_KERNEL (a broken frame-pointer chain) is [unknown] ([unknown]), as perf prints it', () => {
  // recorded by make-badfp-fixture.mjs; perf's text with no symbols anywhere (empty HOME, symfs, kallsyms)
  const path = join(tmp, 'badfp.data');
  writeFileSync(path, gz('badfp/cc.data.gz'));
  const empty = mkdtempSync(join(tmp, 'empty-'));
  writeFileSync(join(empty, 'kallsyms'), '');
  const r = spawnSync(process.execPath, [main, 'report', '-i', path, '--symfs', empty, '--kallsyms', join(empty, 'kallsyms')], {
    maxBuffer: 1 << 28,
    env: { ...process.env, HOME: empty },
  });
  assert.equal(r.status, 0, r.stderr.toString());
  const want = gz('badfp/cc.script.gz');
  sameLines(r.stdout, want, 'badfp');
  // the case is there: a kernel-marked frame outside the kernel's map
  assert.match(want.toString(), /\[kernel\.kallsyms\]\)\n(?:\t.*\n)*\t +[0-9a-f]+ \[unknown\] \(\[unknown\]\)\n/);
});

test('a truncated perf.data: the lines it holds, one warning line, exit 1', () => {
  const bytes = gz('tp-task.data.gz');
  const dataOff = Number(bytes.readBigUInt64LE(40)),
    dataSize = Number(bytes.readBigUInt64LE(48));
  const path = join(tmp, 'cut.data');
  writeFileSync(path, bytes.subarray(0, dataOff + Math.floor(dataSize * 0.8)));
  const r = utp(['-i', path]);
  assert.equal(r.status, 1);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith('utp report: ')), r.err);
  assert.match(r.err, /truncated|ends/);
  // no tracing data survives the cut (it is a feature section after the data): names still print
  assert.ok(r.out.length > 0);
});

test('-F and --cpu on a perf.data', () => {
  const path = join(tmp, 'tp-zstd.data');
  writeFileSync(path, gz('tp-zstd.data.gz'));
  const want = gz('tp-zstd.script.gz')
    .toString('latin1')
    .split('\n')
    .filter((l) => l.includes('[001]'));
  const r = utp(['-i', path, '--cpu', '1']);
  assert.equal(r.status, 0, r.err);
  assert.deepEqual(r.out.toString('latin1').split('\n').filter(Boolean), want);
  const bad = utp(['-i', path, '-F', 'comm,bogus']);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /^utp report: unknown field 'bogus'/);
});

/**
 * stackcollapse-perf.pl's fold (FlameGraph, default options) of perf script's text, written here
 * from the script's rules, for the comparison with `utp report --folded`: each sample block
 * (header line, callchain lines, blank line) becomes `comm;root;…;leaf` (comm's spaces as `_`),
 * offsets dropped, `[unknown]` frames named `[dso-basename]` unless the dso is unknown too, names
 * cut at their first `(` (unless `(anonymous namespace)`), `;` as `:`, quotes dropped; counted
 * and sorted bytewise.
 */
function foldScript(text: string): string {
  const counts = new Map<string, number>();
  let comm: string | undefined;
  let frames: string[] = [];
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('#')) continue;
    if (line === '') {
      const key = [comm ?? '', ...frames.reverse()].join(';');
      counts.set(key, (counts.get(key) ?? 0) + 1);
      comm = undefined;
      frames = [];
      continue;
    }
    const head = /^(\S.+?)\s+\d+\/*\d*\s+/.exec(line);
    if (head) {
      comm = head[1]!.split(' ').join('_');
      continue;
    }
    const fr = /^\s*\w+\s*(.+) \((\S*)\)/.exec(line);
    if (!fr) continue;
    let [, name, dso] = fr as unknown as [string, string, string];
    name = name.replace(/\+0x[0-9a-f]+$/, '');
    if (name.startsWith('(')) continue;
    assert.ok(!name.includes('->'), 'no inline frames in perf 6.1 script output');
    if (name === '[unknown]' && dso !== '[unknown]') name = `[${dso.split('/').pop()}]`;
    name = name.split(';').join(':');
    if (!/\.\(.*\)\./.test(name)) {
      const cut = name.search(/\((?!anonymous namespace\))/);
      if (cut >= 0) name = name.slice(0, cut);
    }
    frames.push(name.replace(/["']/g, ''));
  }
  return [...counts.keys()]
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')))
    .map((k) => `${k} ${counts.get(k)}\n`)
    .join('');
}

// ---- live: fresh recordings by perf, diffed against perf script on the same file
const isRoot = process.getuid?.() === 0;
const hasPerf = spawnSync('perf', ['--version']).status === 0;
const hasFlock = spawnSync('flock', ['--version']).status === 0;

/** A C program that spends its time calling libc through the PLT (memcpy/strlen stay calls with -fno-builtin). */
const PLT_PROG = `#include <string.h>
#include <stdlib.h>
#include <stdio.h>
int main(int argc, char **argv) {
  static char a[64], b[64];
  unsigned long n = 0;
  long iters = argc > 1 ? atol(argv[1]) : 1000;
  memset(b, 'x', sizeof b - 1);
  for (long i = 0; i < iters; i++) {
    memcpy(a, b + (i & 7), 32);
    a[32] = 0;
    n += strlen(a + (i & 3));
  }
  printf("%lu\\n", n);
  return 0;
}
`;
/** A C program that spends its time in the vDSO (clock_gettime and gettimeofday never enter the kernel). */
const VDSO_PROG = `#include <time.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 1000;
  struct timespec ts;
  struct timeval tv;
  long s = 0;
  for (long i = 0; i < iters; i++) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    gettimeofday(&tv, 0);
    s += ts.tv_nsec + tv.tv_usec;
  }
  printf("%ld\\n", s);
  return 0;
}
`;
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const hasGxx = spawnSync('g++', ['--version']).status === 0;

/** A C++ program whose samples and callchains land in templates, namespaces, lambdas, operators and methods. */
const CXX_PROG = `#include <string>
#include <vector>
#include <map>
#include <functional>
namespace ns {
template <class T> struct Box {
  T v;
  __attribute__((noinline)) T spin(int n) const { T s = 0; for (int i = 0; i < n; i++) s += (T)(i * v); return s; }
  __attribute__((noinline)) Box operator+(const Box &o) const { return Box{(T)(v + o.v + spin(20000))}; }
};
namespace {
__attribute__((noinline)) double walk(const std::map<std::string, int> &m) { double r = 0; for (auto &kv : m) r += kv.second * kv.first.size(); return r; }
}
template <typename F> __attribute__((noinline)) double apply(F f, int n) { double r = 0; for (int i = 0; i < n; i++) r += f(i); return r; }
}
__attribute__((noinline)) double work(std::vector<int> &v, const std::string &s) { double r = 0; for (int k = 0; k < 20; k++) for (int x : v) r += x * s.size(); return r; }
int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 10;
  std::vector<int> v(100000, 3);
  std::string s("abc");
  std::map<std::string, int> m;
  for (int i = 0; i < 2000; i++) m[std::to_string(i)] = i;
  ns::Box<double> b{1.5};
  ns::Box<long> c{2};
  std::function<double(int)> fn = [&](int i) { return b.spin(i % 50) + 1; };
  double t = 0;
  for (long i = 0; i < iters; i++) {
    t += work(v, s) + b.spin(200000) + (c + c).v + ns::walk(m);
    t += ns::apply([&](int j) { return (double)c.spin(j % 100); }, 2000) + ns::apply(fn, 2000);
  }
  return t > 0 ? 0 : 1;
}
`;

interface LiveCase {
  name: string;
  record: string;
  /** perf script / utp report flag sets, each diffed (default: one run with no flags). */
  scripts?: string[][];
  /** gcc flags for PLT_PROG (or src), built as ./plt in the recording's directory (the case then needs gcc). */
  cc?: string[];
  /** the C source built with cc (default PLT_PROG) */
  src?: string;
  /** a line perf script must print with the first flag set, so the comparison covers it. */
  mustPrint?: RegExp;
  /** also diff `utp report --hist` against `perf report --stdio --no-children --sort comm,dso,sym -g none` */
  hist?: boolean;
  /** also diff `utp report --folded` against the fold of perf script's callchains (foldScript) */
  folded?: boolean;
  /** g++ flags for CXX_PROG, built as ./cxx (the case then needs g++). */
  cxx?: string[];
}

const SYM_FIELDS = ['-F', 'ip,sym,symoff,dso'];
const LIVE: LiveCase[] = [
  {
    name: 'tracepoints -a',
    record: "perf record -q -a -e sched:sched_switch -e sched:sched_wakeup -e 'irq:*' -e timer:hrtimer_start -o F -- sleep 0.1",
  },
  {
    name: 'tracepoints + software events per task',
    record: 'perf record -q -e sched:sched_switch -e raw_syscalls:sys_exit -e context-switches -e cpu-clock -o F -- ls -R /usr/share/doc',
  },
  { name: 'cpu-clock -g per task', record: 'perf record -q -g -e cpu-clock -o F -- ls -R /usr/share/doc', folded: true, hist: true },
  {
    name: 'tracepoints with -g, -a',
    record: "perf record -q -g -a -e sched:sched_switch -e raw_syscalls:sys_enter -o F -- sh -c 'ls -R /usr/share/doc >/dev/null'",
    folded: true,
    hist: true,
  },
  // samples land in shared libraries' PLTs (@plt symbols) now and then. (A longer -a recording here
  // also catches C++ programs, node among them, whose names perf demangles and utp does not yet.)
  {
    name: 'task-clock -a with --show-task-events',
    record: "perf record -q -a -e task-clock -e sched:sched_process_exec -o F -- sh -c 'ls / >/dev/null'",
    scripts: [['--show-task-events'], SYM_FIELDS],
    hist: true,
    // -a samples every process, the test runner's node among them: its C++ symbols demangled as perf does
  },
  {
    name: 'a C++ program, cpu-clock -g (demangled names in samples and callchains)',
    cxx: ['-O1', '-fno-omit-frame-pointer'],
    record: 'perf record -q -g -e cpu-clock -F 4000 -o F -- ./cxx 100',
    scripts: [[], SYM_FIELDS],
    folded: true,
    hist: true,
    mustPrint: /^\t +[0-9a-f]+ ns::Box<double>::spin\+0x[0-9a-f]+ \(.*\/cxx\)$/m,
  },
  {
    name: 'a program calling libc through its PLT (name@plt, _init stretched over .plt)',
    cc: ['-O1', '-fno-builtin', '-fcf-protection=none'],
    record: 'perf record -q -e cpu-clock -F 20000 -o F -- ./plt 20000000',
    scripts: [SYM_FIELDS, [], ['-F', 'ip,sym,dso']],
    mustPrint: /^ +[0-9a-f]+ (memcpy|strlen)@plt\+0x[0-9a-f]+ \(.*\/plt\)$/m,
  },
  {
    name: 'the same program with an IBT PLT (.plt.sec: perf 6.1 names only the .plt stubs)',
    cc: ['-O1', '-fno-builtin', '-fcf-protection', '-Wl,-z,ibtplt'],
    record: 'perf record -q -e cpu-clock -F 20000 -o F -- ./plt 20000000',
    scripts: [SYM_FIELDS, ['-F', 'ip,sym,dso']],
    mustPrint: /^ +[0-9a-f]+ \[unknown\] \(.*\/plt\)$/m,
  },
  {
    // perf resolves [vdso] samples from the image it saved in the build-id cache (~/.debug/[vdso]/ID/vdso)
    name: 'a program living in the vDSO (symbols from the build-id cache)',
    cc: ['-O1'],
    src: VDSO_PROG,
    record: 'perf record -q -e cpu-clock -F 20000 -o F -- ./plt 3000000',
    scripts: [SYM_FIELDS, []],
    mustPrint: /^ +[0-9a-f]+ __vdso_\w+\+0x[0-9a-f]+ \(\[vdso\]\)$/m,
  },
  { name: 'pipe mode', record: 'perf record -q -e sched:sched_switch -e raw_syscalls:sys_enter -o - -- ls /usr > F', hist: true },
  { name: 'zstd -z', record: 'perf record -q -z -a -e sched:sched_switch -e sched:sched_stat_runtime -o F -- sleep 0.1' },
  {
    name: 'LOST records (-m 1)',
    record: 'perf record -q -m 1 -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -o F -- ls -R /usr/share/doc',
    hist: true,
  },
];

for (const [k, c] of LIVE.entries()) {
  test(`live: ${c.name}`, (t) => {
    if (!isRoot || !hasPerf || !hasFlock || (c.cc && !hasGcc) || (c.cxx && !hasGxx)) {
      t.skip(
        `needs root, perf, flock${c.cc ? ' and gcc' : ''}${c.cxx ? ' and g++' : ''} (root=${isRoot} perf=${hasPerf} flock=${hasFlock} gcc=${hasGcc} g++=${hasGxx})`,
      );
      return;
    }
    const dir = join(tmp, `live-${k}`);
    mkdirSync(dir);
    if (c.cc) {
      writeFileSync(join(dir, 'plt.c'), c.src ?? PLT_PROG);
      const cc = spawnSync('gcc', [...c.cc, '-o', join(dir, 'plt'), join(dir, 'plt.c')]);
      assert.equal(cc.status, 0, `gcc failed: ${cc.stderr}`);
    }
    if (c.cxx) {
      writeFileSync(join(dir, 'cxx.cpp'), CXX_PROG);
      const cc = spawnSync('g++', [...c.cxx, '-o', join(dir, 'cxx'), join(dir, 'cxx.cpp')]);
      assert.equal(cc.status, 0, `g++ failed: ${cc.stderr}`);
    }
    const file = join(dir, 'live.data');
    const cmd = c.record.replace(/(-o|>) F\b/, `$1 ${file}`);
    const pipe = cmd.includes('-o -');
    // a pipe recording writes the file on stdout (its `> F` must stay the last stdout redirection)
    const rec = spawnSync(
      'flock',
      ['/tmp/utp-live.lock', 'sh', '-c', pipe ? `${cmd} 2>/dev/null </dev/null` : `${cmd} >/dev/null 2>&1 </dev/null`],
      { cwd: dir },
    );
    assert.equal(rec.status, 0, `perf record failed: ${cmd}`);
    for (const [i, opts] of (c.scripts ?? [[]]).entries()) {
      const ps = spawnSync('sh', ['-c', `perf script ${pipe ? '-i - <' : '-i'} ${file} ${opts.join(' ')}`], { maxBuffer: 1 << 28 });
      assert.equal(ps.status, 0, 'perf script failed');
      const r = utp(['-i', file, ...opts]);
      assert.equal(r.status, 0, r.err);
      sameLines(r.out, ps.stdout, `${c.name} ${opts.join(' ')}`);
      assert.ok(ps.stdout.length > 0, 'perf script printed something');
      if (i === 0 && c.mustPrint)
        assert.match(ps.stdout.toString('latin1'), c.mustPrint, 'perf script prints the lines this case is about');
      if (i === 0 && c.hist) {
        const pr = spawnSync(
          'sh',
          ['-c', `perf report ${pipe ? '-i - <' : '-i'} ${file} --stdio --no-children --sort comm,dso,sym -g none 2>/dev/null`],
          { maxBuffer: 1 << 28 },
        );
        assert.equal(pr.status, 0, 'perf report failed');
        // perf closes with a random tip (`# (Tip: …)`), which utp leaves out
        const lines = pr.stdout.toString('latin1').split('\n');
        assert.match(lines[lines.length - 3]!, /^# \(.*\)$/, 'perf report ends with its tip line');
        lines.splice(lines.length - 3, 1);
        const r = utp(['-i', file, '--hist']);
        assert.equal(r.status, 0, r.err);
        sameLines(r.out, Buffer.from(lines.join('\n'), 'latin1'), `${c.name} --hist`);
      }
      if (i === 0 && c.folded) {
        const want = foldScript(ps.stdout.toString('latin1'));
        const r = utp(['-i', file, '--folded']);
        assert.equal(r.status, 0, r.err);
        assert.ok(want.split('\n').length > 3, 'perf script has callchains to fold');
        sameLines(r.out, Buffer.from(want, 'latin1'), `${c.name} --folded`);
      }
    }
  });
}
