/// <reference types="node" />
/**
 * utp view of a CTF trace directory: which of its files the server lists and serves. Chosen once,
 * when the server starts, from the directory's own entries: `metadata`, the data streams (regular
 * files whose names do not start with '.', as babeltrace2 reads them) and utp's trace.dat skeleton
 * (`.utp-tracedat.dat`, `.utp-tracedat.json`) when present. Symbolic links, subdirectories and other
 * hidden files are left out, so nothing outside the directory is ever reachable; the page asks for
 * a file by its index in this list, never by a path.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The skeleton `utp convert --to ctf` leaves beside its CTF (packages/cli/src/convert/skeleton.ts). */
const SKELETON = ['.utp-tracedat.dat', '.utp-tracedat.json'];

export interface CtfDirFile {
  name: string;
  path: string;
  size: number;
}

/** Whether `dir` (the command line's: a link to a directory is followed) holds a CTF `metadata` file (a regular file, not a link). */
export function isCtfDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && lstatSync(join(dir, 'metadata')).isFile();
  } catch {
    return false;
  }
}

/** The files of the CTF directory `dir` that `utp view` serves: metadata first, then streams and skeleton by name. */
export function ctfDirFiles(dir: string): CtfDirFile[] {
  const out: CtfDirFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') && !SKELETON.includes(name)) continue;
    const path = join(dir, name);
    const st = lstatSync(path);
    if (!st.isFile()) continue;
    out.push({ name, path, size: st.size });
  }
  const m = out.findIndex((f) => f.name === 'metadata');
  if (m < 0) throw new Error(`${dir}: not a CTF trace (no metadata file)`);
  out.unshift(...out.splice(m, 1));
  return out;
}

/** Whether `path` is a regular file itself (not through a link). */
export function isPlainFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
