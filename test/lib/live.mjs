// Live-kernel helpers for the compatibility tests: record fresh traces with Debian's trace-cmd
// in a private tracefs instance, and run `utp` and `trace-cmd` side by side.
// Every function leaves tracefs as it found it (instances removed, probes deleted, events off).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync, rmdirSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLiveLock } from './live-lock.mjs';

export { withLiveLock };

export const T = '/sys/kernel/tracing';
export const ROOT = new URL('../..', import.meta.url).pathname;
export const UTP = join(ROOT, 'packages/cli/dist/main.js');

let seq = 0;

/** Why live tests cannot run here, or undefined when they can. */
export function liveSkipReason() {
  if (process.getuid?.() !== 0) return 'not root: live tracefs tests need root';
  if (!existsSync(join(T, 'events'))) {
    spawnSync('mount', ['-t', 'tracefs', 'nodev', T]);
    if (!existsSync(join(T, 'events'))) return 'tracefs is not available (mount -t tracefs nodev /sys/kernel/tracing failed)';
  }
  if (spawnSync('trace-cmd', ['--version']).error) return 'trace-cmd is not installed (apt-get install -y trace-cmd)';
  return undefined;
}

export function tmpDir(tag = 'utp-test-') {
  return mkdtempSync(join(tmpdir(), tag));
}

function w(path, text) {
  writeFileSync(path, text);
}
function tryW(path, text) {
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}

function foreignLive(name) {
  // utp-PID-… (tests, trace-cmd's way) and utp-PID.START-N (utp record's private instances)
  const m = /^utp-(\d+)[-.]/.exec(name);
  if (!m || Number(m[1]) === process.pid) return false;
  try {
    process.kill(Number(m[1]), 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Snapshot of global tracefs state that tests must not change (taken under the live lock). */
export function tracefsState() {
  return withLiveLock(tracefsState0);
}
function tracefsState0() {
  const read = (f) => {
    try {
      return readFileSync(join(T, f), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    // Instances of other live utp processes (a concurrent recorder) are not ours to judge.
    instances: existsSync(join(T, 'instances'))
      ? readdirSync(join(T, 'instances'))
          .filter((n) => !foreignLive(n))
          .sort()
          .join(',')
      : '',
    uprobes: read('uprobe_events'),
    dynamic: read('dynamic_events'),
    tracer: read('current_tracer'),
    topEnabled: read('events/enable'),
    tracingOn: read('tracing_on'),
    clock: read('trace_clock'),
  };
}

/** Compiles a small C program that the uprobe tests probe. Returns its path. */
export function buildProbeTarget(dir) {
  const src = join(dir, 'target.c');
  w(
    src,
    `#include <stdio.h>
#include <string.h>
__attribute__((noinline)) int utp_probe_me(int a, long b, const char *s) { return a + (int)b + (int)strlen(s); }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3, t = 0;
  for (int i = 0; i < n; i++) t += utp_probe_me(i - 1, -1000L * i, i % 2 ? "odd \\"quoted\\" \\t tab" : "even");
  printf("%d\\n", t);
  return 0;
}
`.replace('#include <string.h>', '#include <string.h>\n#include <stdlib.h>'),
  );
  const bin = join(dir, 'target');
  execFileSync('gcc', ['-O1', '-g0', '-o', bin, src]);
  return bin;
}

/** File offset of a symbol in an ELF executable (via nm + section mapping; good enough for a PIE on x86-64). */
export function symbolOffset(bin, sym) {
  const nm = execFileSync('nm', [bin], { encoding: 'utf8' });
  const line = nm.split('\n').find((l) => l.endsWith(' ' + sym));
  if (!line) throw new Error(`symbol ${sym} not in ${bin}`);
  const vaddr = BigInt('0x' + line.split(' ')[0]);
  // Convert vaddr to file offset with the program headers.
  const ph = execFileSync('readelf', ['-lW', bin], { encoding: 'utf8' });
  for (const l of ph.split('\n')) {
    const m = l.trim().match(/^LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/);
    if (!m) continue;
    const off = BigInt(m[1]),
      va = BigInt(m[2]),
      filesz = BigInt(m[3]);
    if (vaddr >= va && vaddr < va + filesz) return '0x' + (vaddr - va + off).toString(16);
  }
  throw new Error(`cannot map ${sym}`);
}

/**
 * Records a trace with trace-cmd extract in a private instance.
 * opts: { events: ['sched', 'irq/irq_handler_entry', ...], triggers: { 'sched/sched_switch': 'stacktrace' }, clock, bufKb, subbufKb, run: () => void,
 *         uprobes: ['p:utp_t/NAME PATH:OFF args'], instances: 1|2, out: path }
 * Returns { file, instances: [names] }.
 */
export function recordReference(dir, opts) {
  return withLiveLock(() => recordReference0(dir, opts));
}
function recordReference0(dir, opts) {
  const id = `${process.pid}-test-${++seq}`;
  const names = Array.from({ length: opts.instances ?? 1 }, (_, i) => `utp-${id}${i ? '-' + i : ''}`);
  const created = [];
  const probes = [];
  const triggers = [];
  try {
    for (const p of opts.uprobes ?? []) {
      addUprobe(p);
      probes.push(p.split(/\s+/)[0].replace(/^[pr]:/, ''));
    }
    for (const name of names) {
      const I = join(T, 'instances', name);
      mkdirSync(I);
      created.push(I);
      w(join(I, 'buffer_size_kb'), String(opts.bufKb ?? 2048));
      if (opts.subbufKb) w(join(I, 'buffer_subbuf_size_kb'), String(opts.subbufKb));
      if (opts.clock) w(join(I, 'trace_clock'), opts.clock);
      for (const e of opts.events ?? ['sched']) {
        const f = join(I, 'events', e, 'enable');
        if (!existsSync(f)) continue; // e.g. ftrace/* events have no enable switch
        if (!tryW(f, '1')) throw new Error(`cannot enable ${e} in ${name}`);
      }
      for (const [e, trig] of Object.entries(opts.triggers ?? {})) {
        if (!tryW(join(I, 'events', e, 'trigger'), trig)) throw new Error(`cannot set trigger ${trig} on ${e} in ${name}`);
        triggers.push([join(I, 'events', e, 'trigger'), trig]);
      }
      w(join(I, 'tracing_on'), '1');
    }
    (opts.run ?? (() => spawnSync('sleep', ['0.2'])))(names.map((n) => join(T, 'instances', n)));
    for (const I of created) w(join(I, 'tracing_on'), '0');
    const file = opts.out ?? join(dir, `ref-${id}.dat`);
    const args = ['extract', '-o', file];
    for (const n of names) args.push('-B', n);
    // trace-cmd extract turns the top-level tracing_on off while it reads and puts back what it saw;
    // two extracts that overlap (parallel test runs) can leave it off: put back what we saw.
    const topOn = readFileSync(join(T, 'tracing_on'), 'utf8');
    const r = spawnSync('trace-cmd', args, { encoding: 'utf8' });
    if (readFileSync(join(T, 'tracing_on'), 'utf8') !== topOn) tryW(join(T, 'tracing_on'), topOn.trim());
    if (r.status !== 0 || !existsSync(file)) throw new Error(`trace-cmd extract failed: ${r.stderr}`);
    return { file, instances: names };
  } finally {
    for (const [f, trig] of triggers) tryW(f, `!${trig}`);
    for (const I of created) {
      tryW(join(I, 'tracing_on'), '0');
      tryW(join(I, 'events/enable'), '0');
      try {
        rmdirSync(I);
      } catch {
        spawnSync('rmdir', [I]);
      }
    }
    for (const p of probes) {
      try {
        appendFileSync(join(T, 'uprobe_events'), '-:' + p + '\n');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Appends a uprobe definition (O_APPEND, as `echo >>`). Throws with the error_log tail on refusal. */
export function addUprobe(def) {
  try {
    appendFileSync(join(T, 'uprobe_events'), def + '\n');
  } catch (e) {
    const log = readFileSync(join(T, 'error_log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`uprobe refused: ${def}: ${e.code} ${log}`);
  }
}

/** trace-cmd convert to another version / compression. */
export function convert(input, out, { version, compression }) {
  const args = ['convert', '-i', input, '-o', out];
  if (version) args.push('--file-version', String(version));
  if (compression) args.push('--compression', compression);
  const r = spawnSync('trace-cmd', args, { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`trace-cmd convert failed: ${r.stderr}`);
  return out;
}

export function runTraceCmd(args) {
  return spawnSync('trace-cmd', args, { encoding: 'buffer', maxBuffer: 1 << 30 });
}
export function runUtp(args, opts = {}) {
  return spawnSync(process.execPath, [UTP, ...args], { encoding: 'buffer', maxBuffer: 1 << 30, ...opts });
}

/**
 * Compares `trace-cmd report ARGS -i FILE` and `utp report ARGS -i FILE` byte for byte.
 * Returns undefined when identical, else a short description of the first difference.
 *
 * A trace-cmd that fails (non-zero exit, a signal, its fatal exit 255) is a difference, never a pass,
 * unless the caller names the case:
 * - opts.knownCrash = { signal, why, expected }: trace-cmd is known to die by `signal` here (`why`);
 *   when it does, utp must exit 0 and print exactly `expected` (a Buffer the caller got from the
 *   reference tool another way; `normalize(stdout)` maps utp's output first). If trace-cmd does not crash, the plain comparison applies.
 * - opts.bothRefuse = 'why': trace-cmd is expected to refuse (non-zero exit); utp must refuse too, and
 *   what both printed to stdout before refusing must agree.
 */
export function diffReports(file, args = [], opts = {}) {
  const what = `report ${args.join(' ')} on ${file.split('/').pop()}`;
  const ref = runTraceCmd(['report', ...args, '-i', file]);
  const got = runUtp(['report', ...args, '-i', file]);
  const refDied = ref.signal ?? (ref.status > 128 && ref.status !== 255 ? `status ${ref.status}` : undefined);
  if (refDied) {
    const k = opts.knownCrash;
    if (!k || k.signal !== ref.signal) {
      return `trace-cmd ${what} crashed (${refDied}); no reference output${k ? ` (the known crash is ${k.signal}: ${k.why})` : ''}`;
    }
    if (got.status !== 0)
      return `utp ${what} exited ${got.status} where trace-cmd crashes (${k.why}): ${got.stderr.toString().slice(0, 300)}`;
    if (got.stdout.length === 0) return `utp ${what} printed nothing where trace-cmd crashes (${k.why})`;
    return firstDifference(
      k.expected,
      k.normalize ? k.normalize(got.stdout) : got.stdout,
      `${what} (trace-cmd crashes: ${k.why}; expected output from ${k.from ?? 'the reference'})`,
    );
  }
  if (opts.bothRefuse) {
    if (ref.status === 0) return `trace-cmd ${what} was expected to refuse (${opts.bothRefuse}) but exited 0`;
    if (got.status === 0)
      return `utp ${what} exited 0 where trace-cmd refuses (exit ${ref.status}: ${ref.stderr.toString().trim().slice(0, 200)})`;
    return firstDifference(ref.stdout, got.stdout, `${what} (both exit non-zero: ${opts.bothRefuse})`);
  }
  if (ref.status !== 0) {
    return `trace-cmd ${what} failed (exit ${ref.status}: ${ref.stderr.toString().trim().slice(0, 200)}); utp exited ${got.status}`;
  }
  if (got.status !== 0) return `utp ${what} exited ${got.status}: ${got.stderr.toString().slice(0, 500)}`;
  if (ref.stdout.length === 0) return `trace-cmd ${what} printed nothing: nothing to compare`;
  return firstDifference(ref.stdout, got.stdout, what);
}

export function firstDifference(refBuf, gotBuf, what) {
  if (Buffer.compare(refBuf, gotBuf) === 0) return undefined;
  const a = refBuf.toString('latin1').split('\n');
  const b = gotBuf.toString('latin1').split('\n');
  let diffs = 0,
    first = -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) {
      diffs++;
      if (first < 0) first = i;
    }
  return `${what}: ${diffs} of ${a.length} lines differ; first at line ${first + 1}:\n  trace-cmd: ${JSON.stringify(a[first])}\n  utp:       ${JSON.stringify(b[first])}`;
}

/**
 * Why this kernel refuses `kb` KiB sub-buffers ("kernel refuses: buffer_subbuf_size_kb = 8 (EPERM)"),
 * or undefined when it accepts them (probed once in a scratch instance by @utp/tracefs).
 */
export async function subbufRefusal(kb) {
  const { subbufSizeRefusal } = await import('@utp/tracefs');
  return withLiveLock(() => subbufSizeRefusal(kb));
}

/**
 * Where the kernel refuses a sub-buffer size, what utp must do instead: `utp record --subbuf-size KB`
 * exits 1 with one line naming buffer_subbuf_size_kb and the errno, no stack, and leaves tracefs as
 * it was. Returns the reason to skip the comparison with.
 */
export async function checkSubbufRefusedCleanly(kb) {
  return withLiveLock(() => checkSubbufRefusedCleanly0(kb));
}
async function checkSubbufRefusedCleanly0(kb) {
  const reason = await subbufRefusal(kb);
  if (!reason) return undefined;
  const before = tracefsState();
  const dir = tmpDir('utp-subbuf-refused-');
  const r = runUtp(['record', '-q', '-e', 'sched', '--subbuf-size', String(kb), '-o', join(dir, 'x.dat'), '--', 'true']);
  const err = r.stderr.toString();
  const lines = err.trim().split('\n');
  if (r.status !== 1) throw new Error(`utp record --subbuf-size ${kb} on a kernel that refuses it: exit ${r.status}, want 1: ${err}`);
  if (lines.length !== 1 || /\n\s+at /.test(err)) throw new Error(`utp record --subbuf-size ${kb}: want one line on stderr, got:\n${err}`);
  if (!/buffer_subbuf_size_kb/.test(lines[0]) || !/E[A-Z]+/.test(lines[0]))
    throw new Error(`utp record --subbuf-size ${kb}: the error should name buffer_subbuf_size_kb and the errno: ${lines[0]}`);
  const after = tracefsState();
  if (JSON.stringify(before) !== JSON.stringify(after))
    throw new Error(`utp record --subbuf-size ${kb}: tracefs changed after the refusal`);
  if (existsSync(join(dir, 'x.dat'))) throw new Error(`utp record --subbuf-size ${kb}: wrote an output after the refusal`);
  return reason;
}
