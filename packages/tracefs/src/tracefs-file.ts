/**
 * Reading and writing tracefs files, turning kernel refusals into TraceFsError with the
 * error_log entry the refusal produced (libtracefs' tracefs_instance_file_write + error_log).
 */
import { openSync, closeSync, writeSync, readFileSync, readSync, constants } from 'node:fs';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

/** Reads a tracefs file as text. */
export function readTraceFile(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceFsError(code === 'ENOENT' ? TraceFsErrorCode.NotFound : TraceFsErrorCode.ReadFailed, 'Cannot read tracefs file', {
      file: path,
      errno: code,
      cause: e,
    });
  }
}

/** Reads a file that may be large or unseekable (kallsyms, trace) chunk by chunk. */
export function readWholeFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new TraceFsError(TraceFsErrorCode.ReadFailed, 'Cannot open file', {
      file: path,
      errno: (e as NodeJS.ErrnoException).code,
      cause: e,
    });
  }
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const b = new Uint8Array(1 << 20);
      let n = 0;
      while (n < b.length) {
        const r = readSync(fd, b, n, b.length - n, null);
        if (r === 0) break;
        n += r;
      }
      if (n > 0) {
        parts.push(b.subarray(0, n));
        total += n;
      }
      if (n < b.length) break;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The last entry of an error_log text (entries start with "[timestamp]"). */
export function lastErrorLogEntry(text: string): string | undefined {
  const lines = text.split('\n');
  let start = -1;
  for (let i = 0; i < lines.length; i++) if (/^\[\s*\d+\.\d+\]/.test(lines[i]!)) start = i;
  if (start < 0) return undefined;
  return lines.slice(start).join('\n').replace(/\s+$/, '');
}

export interface WriteOptions {
  /** Append (O_APPEND, like `>>`) instead of truncating. Needed for *_events and set_event additions. */
  append?: boolean;
  /** error_log file to consult when the kernel refuses the write. */
  errorLog?: string;
}

/**
 * Writes `data` to a tracefs file in one write() (the kernel parses each write as one command).
 * On refusal throws KernelRefused with errno, the file and the new error_log entry.
 */
export function writeTraceFile(path: string, data: string | Uint8Array, opts: WriteOptions = {}): void {
  let before: string | undefined;
  if (opts.errorLog) {
    try {
      before = readFileSync(opts.errorLog, 'latin1');
    } catch {
      before = undefined;
    }
  }
  let fd: number;
  const flags = constants.O_WRONLY | (opts.append ? constants.O_APPEND : constants.O_TRUNC);
  try {
    fd = openSync(path, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TraceFsError(
      code === 'ENOENT' ? TraceFsErrorCode.NotFound : TraceFsErrorCode.KernelRefused,
      'Cannot open tracefs file for writing',
      { file: path, errno: code, cause: e },
    );
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (buf.length > 0) writeSync(fd, buf, 0, buf.length);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let entry: string | undefined;
    if (opts.errorLog) {
      try {
        const after = readFileSync(opts.errorLog, 'latin1');
        if (after !== before) entry = lastErrorLogEntry(after);
      } catch {
        /* no error_log */
      }
    }
    const shown = typeof data === 'string' ? data.trim().slice(0, 200) : `${data.length} bytes`;
    throw new TraceFsError(TraceFsErrorCode.KernelRefused, `The kernel refused '${shown}'`, {
      file: path,
      errno: code,
      errorLog: entry,
      cause: e,
    });
  } finally {
    try {
      closeSync(fd);
    } catch {
      /* ignore */
    }
  }
}
