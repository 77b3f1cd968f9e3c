/**
 * Raw reads of tracefs the way trace-cmd's local commands do them: whole files as bytes (latin1
 * strings, so output is byte-for-byte), directory entries in the kernel's readdir order (which
 * is the order trace-cmd prints), and the small C helpers whose quirks the output depends on.
 */
import { opendirSync, readFileSync, statSync, type Dir } from 'node:fs';
import { Instance, tracingDir } from '@utp/tracefs';

/** File text (latin1), or undefined when it cannot be opened/read (trace-cmd skips those). */
export function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * Entries of a directory in readdir(3) order, without "." and ".." ([] when unreadable).
 * (fs.readdirSync sorts, through scandir; fs.opendirSync reads in the kernel's order.)
 */
export function entries(dir: string): string[] {
  let d: Dir;
  try {
    d = opendirSync(dir, { bufferSize: 256 });
  } catch {
    return [];
  }
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e; e = d.readSync()) out.push(e.name);
  } catch {
    /* partly read */
  } finally {
    d.closeSync();
  }
  return out;
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** C's strstrip(): trailing then leading isspace() characters removed. */
export function strstrip(s: string): string {
  return s.replace(/[ \t\n\v\f\r]+$/, '').replace(/^[ \t\n\v\f\r]+/, '');
}

/** glibc's sysconf(_SC_NPROCESSORS_CONF): the cpuN directories of sysfs (tracecmd_count_cpus). */
export function countCpus(): number {
  const n = entries('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length;
  return n > 0 ? n : 1;
}

/**
 * An instance as trace-cmd's allocate_instance() sees it: NAME when it exists, else (tracefs
 * NULL) the top-level directory, still called by the name given (or null).
 */
export interface TcInstance {
  name: string | null;
  dir: string;
  top: boolean;
}

export function tcInstance(name?: string): TcInstance {
  const root = tracingDir();
  if (name === undefined) return { name: null, dir: root, top: true };
  // tracefs_instance_get_name(NULL) of a missing instance prints as "(null)".
  return Instance.exists(name) ? { name, dir: `${root}/instances/${name}`, top: false } : { name: null, dir: root, top: false };
}

/** tracefs_instance_file_read_number(): strtoll of the content, undefined when not a number. */
export function readNumber(path: string): number | undefined {
  const t = readOr(path);
  if (t === undefined) return undefined;
  const m = /^\s*([+-]?\d+)/.exec(t);
  return m ? Number(m[1]) : undefined;
}
