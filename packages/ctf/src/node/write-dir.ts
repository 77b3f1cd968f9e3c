/// <reference types="node" />
/**
 * Node adapter of the CTF writer: streams go to files in a temporary directory next to
 * the output, the metadata is written last, then the directory is renamed into place.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CtfError, CtfErrorCode } from '../errors.js';

export interface CtfDirSink {
  /** Pass as the writer's `sink`. */
  sink: (stream: string, bytes: Uint8Array) => void;
  /** Writes the metadata and renames the directory into place. */
  commit(metadata: string): void;
  /** Removes the temporary directory (on error). */
  abort(): void;
}

/** True when `dir` is a CTF trace directory we may replace (it holds a `metadata` file). */
export function isCtfDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'metadata'));
  } catch {
    return false;
  }
}

/**
 * A sink writing into `outDir`. An existing `outDir` is replaced only when it is a CTF trace
 * directory (or empty); anything else is refused.
 */
export function ctfDirSink(outDir: string): CtfDirSink {
  const out = resolve(outDir);
  if (existsSync(out)) {
    const st = statSync(out);
    if (!st.isDirectory()) throw new CtfError(CtfErrorCode.BadInput, `Output '${outDir}' exists and is not a directory`);
    if (!isCtfDir(out) && readdirSync(out).length)
      throw new CtfError(CtfErrorCode.BadInput, `Output directory '${outDir}' is not empty and holds no CTF trace`);
  }
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const fds = new Map<string, number>();
  const writeAll = (fd: number, b: Uint8Array): void => {
    let o = 0;
    while (o < b.length) o += writeSync(fd, b, o, b.length - o);
  };
  const closeAll = (): void => {
    for (const fd of fds.values()) closeSync(fd);
    fds.clear();
  };
  return {
    sink(stream, bytes) {
      let fd = fds.get(stream);
      if (fd === undefined) {
        fd = openSync(join(tmp, stream), 'w');
        fds.set(stream, fd);
      }
      writeAll(fd, bytes);
    },
    commit(metadata) {
      closeAll();
      const fd = openSync(join(tmp, 'metadata'), 'w');
      writeAll(fd, new TextEncoder().encode(metadata));
      closeSync(fd);
      if (existsSync(out)) {
        const old = `${tmp}.old`;
        renameSync(out, old);
        renameSync(tmp, out);
        rmSync(old, { recursive: true, force: true });
      } else renameSync(tmp, out);
    },
    abort() {
      closeAll();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
