// Helpers for comparing utp's local subcommands with trace-cmd's on this machine: run both, and
// build instances with varied state (partly enabled systems, filters, triggers, per-CPU buffer
// sizes, clock, cpumask, pids, options) that are removed again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const T = '/sys/kernel/tracing';
export const UTP = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

/** Why the trace-cmd comparisons cannot run here, or undefined. */
export function oracleSkipReason() {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(`${T}/instances`)) return 'needs tracefs at /sys/kernel/tracing';
  if (spawnSync('trace-cmd', ['--help']).error) return 'needs trace-cmd (the oracle)';
  if (!existsSync(UTP)) return 'needs a build (npm run build)';
  return undefined;
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 28, timeout: 60_000, ...opts });
  return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: String(r.stderr ?? '') };
}
export const traceCmd = (args) => run('trace-cmd', args);
export const utp = (args) => run(process.execPath, [UTP, ...args]);

const w = (f, v) => writeFileSync(f, v);
const tryW = (f, v) => {
  try {
    writeFileSync(f, v);
    return true;
  } catch {
    return false;
  }
};

/**
 * Creates instance NAME with varied state; returns { name, dir, remove() }. `kind` picks one of
 * several states so that tests cover different branches of trace-cmd's output.
 */
export function makeInstance(name, kind = 'mixed') {
  const dir = `${T}/instances/${name}`;
  mkdirSync(dir);
  const triggers = [];
  const trig = (ev, t) => {
    if (tryW(`${dir}/events/${ev}/trigger`, t)) triggers.push([ev, t]);
  };
  try {
    for (const m of ['hello from the oracle test', 'second line']) w(`${dir}/trace_marker`, m);
    if (kind === 'mixed') {
      w(`${dir}/events/sched/sched_switch/enable`, '1');
      w(`${dir}/events/sched/sched_wakeup/enable`, '1');
      w(`${dir}/events/irq/enable`, '1');
      w(`${dir}/events/timer/hrtimer_start/enable`, '1');
      w(`${dir}/events/sched/sched_switch/filter`, 'prev_pid != 0 && next_comm ~ "k*"');
      w(`${dir}/events/irq/irq_handler_entry/filter`, 'irq == 1');
      trig('timer/hrtimer_start', 'traceoff');
      trig('irq/softirq_entry', 'stacktrace if vec == 1');
      trig('sched/sched_process_exit', 'traceon:3');
      w(`${dir}/per_cpu/cpu0/buffer_size_kb`, '256');
      w(`${dir}/trace_clock`, 'global');
      w(`${dir}/tracing_cpumask`, '1');
      w(`${dir}/tracing_on`, '0');
      w(`${dir}/set_event_pid`, `${process.pid} 1`);
      w(`${dir}/options/print-parent`, '0');
      w(`${dir}/options/sym-offset`, '1');
    } else if (kind === 'all') {
      w(`${dir}/events/enable`, '1');
      w(`${dir}/buffer_size_kb`, '64');
      w(`${dir}/trace_clock`, 'mono');
      w(`${dir}/events/enable`, '0'); // a frozen buffer, so both tools read the same bytes
    } else if (kind === 'quiet') {
      // no events: turning tracing on records nothing new, so buffers compare after restart
      w(`${dir}/buffer_size_kb`, '48');
      w(`${dir}/trace_clock`, 'counter');
      w(`${dir}/tracing_on`, '0');
    } else if (kind === 'systems') {
      w(`${dir}/events/sched/enable`, '1');
      w(`${dir}/events/irq/enable`, '1');
      w(`${dir}/events/timer/timer_start/enable`, '1');
      w(`${dir}/buffer_size_kb`, '32');
      w(`${dir}/tracing_on`, '0');
    }
  } catch (e) {
    remove();
    throw e;
  }
  function remove() {
    if (!existsSync(dir)) return;
    tryW(`${dir}/tracing_on`, '0');
    tryW(`${dir}/events/enable`, '0');
    for (const [ev, t] of triggers) tryW(`${dir}/events/${ev}/trigger`, `!${t}`);
    rmdirSync(dir);
  }
  return { name, dir, remove };
}

/** The bytes of every tracefs file under DIR that `files` names (for before/after comparisons). */
export function snapshotFiles(dir, files) {
  const out = {};
  for (const f of files) {
    try {
      out[f] = readFileSync(`${dir}/${f}`, 'latin1');
    } catch (e) {
      out[f] = `<${e.code}>`;
    }
  }
  return out;
}
