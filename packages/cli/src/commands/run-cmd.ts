/**
 * CMD after a setup, as trace-cmd's run_cmd does it for `start` and `set`: held at a gate until
 * `beforeRelease(pid)` has set what must be in place first (the -F pid filter, tracing on), run as
 * --user USER if asked, then waited for — or, with --fork, left running while utp returns.
 * trace-cmd exits 0 either way; a failing CMD is one line on stderr.
 */
import { constants as osConstants } from 'node:os';
import { UsageError } from '../command.js';
import { lookupUser, spawnGated } from './record.js';

export interface RunAfterSetup {
  /** The command's name in messages (`utp set`). */
  who: string;
  cmd: string[];
  fork: boolean;
  user: string | undefined;
  beforeRelease(pid: number): void;
}

export async function runAfterSetup(o: RunAfterSetup): Promise<number> {
  const user = o.user === undefined ? undefined : lookupUser(o.user);
  if (o.user !== undefined && !user) throw new UsageError(`${o.who.replace(/^utp /, '')}: --user: no such user '${o.user}'`);
  const gated = spawnGated(o.cmd, user);
  const child = gated.child;
  o.beforeRelease(child.pid!);
  const exited = new Promise<number>((res) =>
    child.once('exit', (code, sig) => res(code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : 1))),
  );
  child.once('error', (e) => process.stderr.write(`${o.who}: cannot run '${o.cmd[0]}': ${e.message}\n`));
  gated.release();
  if (o.fork) {
    child.unref();
    return 0;
  }
  const status = await exited;
  if (status !== 0) process.stderr.write(`${o.who}: the command exited with status ${status}\n`);
  return 0;
}
