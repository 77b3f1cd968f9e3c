/**
 * Named instances (`utp record -B NAME`) that several recorders may share. The first recorder that
 * finds NAME missing creates it; every recorder registers as a user; the instance is removed only
 * when the last live user leaves (or, after a crash, by the stale sweep once all users are dead). An
 * instance utp did not create is never removed. The bookkeeping lives outside tracefs (which holds
 * no files of ours): `<rundir>/NAME.users/` with one file per user (`<pid>.<start>`) and a `created`
 * marker, guarded by a mkdir lock `<rundir>/NAME.lock`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Instance } from './instance.js';
import { TraceFsError, TraceFsErrorCode } from './errors.js';
import { destroyInstance, ownerToken, pidAlive } from './private-instance.js';

/** Where the user lists live: $UTP_RUNDIR, else /run/utp (tmpfs, cleared at boot like tracefs), else $TMPDIR/utp-run. */
export function runDir(): string {
  const env = process.env['UTP_RUNDIR'];
  const dir = env || (existsSync('/run') ? '/run/utp' : `${tmpdir()}/utp-run`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

const enc = (name: string): string => encodeURIComponent(name);
const tokenAlive = (tok: string): boolean => {
  const m = /^(\d+)\.(\d+)$/.exec(tok);
  return !!m && pidAlive(Number(m[1]), Number(m[2]));
};

/** Runs `f` holding the lock of NAME (a mkdir lock whose holder's token is inside; a dead holder's lock is broken). */
function withLock<T>(name: string, f: (users: string) => T): T {
  const dir = runDir();
  const lock = `${dir}/${enc(name)}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(`${lock}/owner`, ownerToken());
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new TraceFsError(TraceFsErrorCode.KernelRefused, 'Cannot take the instance lock', {
          file: lock,
          errno: (e as NodeJS.ErrnoException).code,
          cause: e,
        });
      let holder = '';
      try {
        holder = readFileSync(`${lock}/owner`, 'latin1');
      } catch {
        /* being written or removed */
      }
      if (holder && !tokenAlive(holder)) {
        try {
          rmSync(lock, { recursive: true, force: true });
        } catch {
          /* raced */
        }
        continue;
      }
      if (Date.now() > deadline)
        throw new TraceFsError(TraceFsErrorCode.Exists, `Instance '${name}' is locked by ${holder || 'another recorder'}`, { file: lock });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    const users = `${dir}/${enc(name)}.users`;
    return f(users);
  } finally {
    try {
      rmSync(lock, { recursive: true, force: true });
    } catch {
      /* */
    }
  }
}

/** Live users' tokens (dead ones' files are removed). */
function liveUsers(users: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(users);
  } catch {
    return [];
  }
  const live: string[] = [];
  for (const n of names) {
    if (n === 'created') continue;
    if (tokenAlive(n)) live.push(n);
    else {
      try {
        unlinkSync(`${users}/${n}`);
      } catch {
        /* */
      }
    }
  }
  return live;
}

export interface SharedInstance {
  instance: Instance;
  /** True when this call created the instance (it was missing). */
  created: boolean;
  /** True when utp created it (now or earlier) and it goes away with its last user. */
  utpCreated: boolean;
  /**
   * Leaves the instance: removes it when we were its last live user and utp created it. Returns true
   * when the caller is the last user (its own restores are then all that remains to do).
   */
  release(): boolean;
}

/** Opens instance NAME, creating it when missing, and registers this process as one of its users. */
export function acquireSharedInstance(name: string): SharedInstance {
  return withLock(name, (users) => {
    mkdirSync(users, { recursive: true });
    let created = false;
    let inst: Instance;
    if (Instance.exists(name)) {
      inst = Instance.open(name);
      // A 'created' marker whose users are all dead belongs to an instance someone else recreated since.
      if (existsSync(`${users}/created`) && !liveUsers(users).length) {
        try {
          unlinkSync(`${users}/created`);
        } catch {
          /* */
        }
      }
    } else {
      inst = Instance.create(name);
      created = true;
      writeFileSync(`${users}/created`, ownerToken());
    }
    writeFileSync(`${users}/${ownerToken()}`, '');
    const utpCreated = existsSync(`${users}/created`);
    let released = false;
    return {
      instance: inst,
      created,
      utpCreated,
      release(): boolean {
        if (released) return true;
        released = true;
        return withLock(name, (u) => {
          try {
            unlinkSync(`${u}/${ownerToken()}`);
          } catch {
            /* */
          }
          if (liveUsers(u).length) return false;
          if (existsSync(`${u}/created`)) destroyInstance(inst);
          try {
            rmSync(u, { recursive: true, force: true });
          } catch {
            /* */
          }
          return true;
        });
      },
    };
  });
}

/** Live users of a shared instance (for tests and `utp stat`). */
export function sharedInstanceUsers(name: string): string[] {
  return liveUsers(`${runDir()}/${enc(name)}.users`);
}

/** Removes utp-created shared instances whose users all died (part of sweepStale). */
export function sweepSharedInstances(res: { instances: string[]; errors: string[] }): void {
  let dir: string;
  try {
    dir = runDir();
  } catch {
    return;
  }
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.endsWith('.users')) continue;
    const name = decodeURIComponent(n.slice(0, -'.users'.length));
    try {
      withLock(name, (u) => {
        if (liveUsers(u).length) return;
        if (existsSync(`${u}/created`) && Instance.exists(name)) {
          destroyInstance(Instance.open(name));
          res.instances.push(name);
        }
        rmSync(u, { recursive: true, force: true });
      });
    } catch (e) {
      res.errors.push(`${name}: ${(e as Error).message}`);
    }
  }
}
