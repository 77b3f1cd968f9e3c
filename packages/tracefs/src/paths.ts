/** Finding (and mounting) tracefs: libtracefs' tracefs_tracing_dir(). */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

let cached: string | undefined;

/** Mount points of tracefs (and debugfs) from /proc/mounts. */
function mountsOf(type: string): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[2] === type && f[1]) out.push(f[1].replace(/\\040/g, ' '));
  }
  return out;
}

export interface FindTracefsOptions {
  /** Mount tracefs at /sys/kernel/tracing when it is not mounted (needs root). Default true. */
  mount: boolean;
}

/**
 * The tracefs directory (usually /sys/kernel/tracing). When it is not mounted and we are root,
 * mounts it (tracefs_tracing_dir does the same). The answer is cached for the process;
 * `UTP_TRACEFS` overrides it (for tests).
 */
export function tracingDir(opts: Partial<FindTracefsOptions> = {}): string {
  if (cached !== undefined) return cached;
  const env = process.env['UTP_TRACEFS'];
  if (env) return (cached = env);
  const t = mountsOf('tracefs');
  const pick = t.find((p) => p === '/sys/kernel/tracing') ?? t[0];
  if (pick !== undefined) return (cached = pick);
  for (const d of mountsOf('debugfs')) {
    if (existsSync(`${d}/tracing/trace`)) return (cached = `${d}/tracing`);
  }
  if (opts.mount !== false && typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/sys/kernel/tracing')) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'pipe' });
      return (cached = '/sys/kernel/tracing');
    } catch (e) {
      throw new TraceFsError(TraceFsErrorCode.NotMounted, 'Cannot mount tracefs', { cause: e, file: '/sys/kernel/tracing' });
    }
  }
  throw new TraceFsError(TraceFsErrorCode.NotMounted, 'tracefs is not mounted (and utp is not root to mount it)', {});
}

/** Why live tracing cannot run here, or undefined when it can (used by tests to skip with a reason). */
export function tracingUnavailableReason(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  try {
    tracingDir();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
