/// <reference types="node" />
/**
 * `utp report -i CTF` — prints a CTF 1.8 trace (a trace directory, a directory holding one,
 * or its metadata file) as `babeltrace2 TRACE` does. Entered from the top of commands/report.ts
 * when the input is CTF (see `ctfInput`).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeError } from '@utp/bytes';
import { FileSource } from '@utp/bytes/node';
import { CtfTrace } from '@utp/ctf';

/** The input of `report` argv: `-i X`, `-iX`, `--input X` or the first positional; undefined if none. */
function inputArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-i' || a === '--input') return argv[i + 1];
    if (a.startsWith('-i') && a.length > 2 && !a.startsWith('--')) return a.slice(2);
    if (a.startsWith('--input=')) return a.slice(8);
  }
  return argv.find((a) => !a.startsWith('-'));
}

function looksLikeCtfMetadata(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(10);
    const n = readSync(fd, b, 0, 10, 0);
    if (n >= 4 && (b.readUInt32LE(0) === 0x75d11d57 || b.readUInt32BE(0) === 0x75d11d57)) return true;
    return b.subarray(0, n).toString('latin1').startsWith('/* CTF');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The CTF trace directory `argv` names, or undefined when the input is not CTF. */
export function ctfInput(argv: string[]): string | undefined {
  const inp = inputArg(argv);
  if (inp === undefined || !existsSync(inp)) return undefined;
  const st = statSync(inp);
  if (st.isDirectory()) return inp;
  if (st.isFile() && looksLikeCtfMetadata(inp)) return dirname(inp);
  return undefined;
}

/** Directories under `root` (itself included) that hold a `metadata` file, sorted. */
function findTraces(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    if (names.includes('metadata') && statSync(join(d, 'metadata')).isFile()) {
      out.push(d);
      return;
    }
    if (depth > 8) return;
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const p = join(d, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth + 1);
      } catch {
        /* gone */
      }
    }
  };
  walk(root, 0);
  return out;
}

function writeAll(fd: number, b: Uint8Array): void {
  let o = 0;
  while (o < b.length) {
    try {
      o += writeSync(fd, b, o, b.length - o);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}

/** Runs the CTF report; returns the exit status. */
export async function reportCtf(argv: string[], dir: string): Promise<number> {
  const traces = findTraces(dir);
  if (traces.length === 0) {
    process.stderr.write(`utp report: no CTF trace (a directory with a 'metadata' file) found in '${dir}'\n`);
    return 1;
  }
  if (traces.length > 1) {
    process.stderr.write(
      `utp report: ${traces.length} CTF traces found in '${dir}' (${traces.map((t) => basename(t)).join(', ')}); give one of them\n`,
    );
    return 1;
  }
  if (argv.some((a) => a.startsWith('-') && !['-i', '--input'].includes(a) && !a.startsWith('-i'))) {
    process.stderr.write('utp report: options other than -i are not supported for CTF input\n');
    return 2;
  }
  const tdir = traces[0]!;
  // babeltrace2 names streams by their absolute path
  const abs = resolve(tdir);
  const names = readdirSync(tdir).filter((n) => n !== 'metadata' && !n.startsWith('.') && statSync(join(tdir, n)).isFile());
  const sources = names.map((n) => ({ name: n, source: new FileSource(join(tdir, n)) }));
  let status = 0;
  try {
    const tr = CtfTrace.open(readFileSync(join(tdir, 'metadata')), sources, abs);
    await tr.print({
      // the printer's 64 KiB chunks go out as they come (its buffer is reused: written before it returns),
      // so stdout is ahead of every diagnostic on stderr
      write: (bytes) => writeAll(1, bytes),
      onDiagnostic: (d) => {
        if (d.code === 'CTF_DISCARDED') process.stderr.write(d.message + '\n');
        else {
          process.stderr.write(`utp report: ${d.level}: ${d.message}\n`);
          status = 1;
        }
      },
    });
  } catch (e) {
    process.stderr.write(`utp report: ${tdir}: ${describeError(e)}\n`);
    status = 1;
  } finally {
    for (const s of sources) await s.source.close();
  }
  return status;
}
