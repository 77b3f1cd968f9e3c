/**
 * trace-cmd record --proc-map for a command: trace-cmd ptraces the command and reads each traced
 * task's /proc/PID/maps when it exits. ProcMapTracer does the same from a helper process
 * (procmap-tracer-main.ts): attach() seizes the command while it waits at its gate, finish()
 * returns the maps gathered (newest first, as trace-cmd lists them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcAddrMaps } from './proc-maps.js';
import { TraceCmdError, TraceCmdErrorCode } from './errors.js';

export class ProcMapTracer {
  private readonly maps = new Map<number, ProcAddrMaps>();
  private ended: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.line(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.ended = new Promise((res) => child.once('close', () => res()));
  }

  private ready?: (err?: string) => void;

  private line(l: string): void {
    if (l === 'ready') this.ready?.();
    else if (l.startsWith('error ')) this.ready?.(l.slice(6));
    else if (l.startsWith('{')) {
      const j = JSON.parse(l) as { pid: number; exe: string; maps: [string, string, string][] };
      // a pid seen again (reused) replaces its older maps and becomes the newest
      this.maps.delete(j.pid);
      this.maps.set(j.pid, {
        pid: j.pid,
        exe: j.exe,
        maps: j.maps.map(([s, e, name]) => ({ start: BigInt('0x' + s), end: BigInt('0x' + e), name })),
      });
    }
  }

  /** Seizes `pid` (which must not have run yet, e.g. held at a gate); resolves once it is traced. */
  static attach(pid: number): Promise<ProcMapTracer> {
    const main = fileURLToPath(new URL('./procmap-tracer-main.js', import.meta.url));
    const child = spawn(process.execPath, [main, String(pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const t = new ProcMapTracer(child);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void =>
        reject(new TraceCmdError(TraceCmdErrorCode.BadOption, `Cannot trace the command for --proc-map: ${why}`, { context: { pid } }));
      t.ready = (err) => (err ? fail(err) : resolve(t));
      child.once('error', (e) => fail(e.message));
      void t.ended.then(() => fail('the tracer process ended'));
    });
  }

  /**
   * Waits until every traced task exited (the tracer ends then), at most `timeoutMs`, and returns
   * the maps, newest first. A tracer still running after that is stopped (its tasks run on untraced).
   */
  async finish(timeoutMs = 5000): Promise<ProcAddrMaps[]> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await this.ended;
    }
    return [...this.maps.values()].reverse();
  }

  /** Stops the tracer at once (error paths). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
