/**
 * `utp convert` to trace.dat (trace-cmd convert): `--file-version 6|7`, `--compression
 * none|zlib|zstd|any`, `-i IN -o OUT` (or trace-cmd's `-i IN OUT`, or utp's `IN -o OUT`). convert.ts
 * hands the arguments here when they ask for a trace.dat output; the work is @utp/tracecmd's
 * convertTraceDat.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { describeError } from '@utp/bytes';
import { convertTraceDat, type CompressionName } from '@utp/tracecmd';
import { UsageError } from '../command.js';
import { getoptLong } from '../getopt.js';
import { wasmZstd } from '../zstd-wasm.js';

export const CONVERT_DAT_HELP = `  trace.dat output (trace-cmd convert):
  utp convert [-i] INPUT -o OUTPUT.dat [--file-version 6|7] [--compression C]
  --file-version N   6 or 7 (default 7)
  --compression C    none, zlib, zstd or any (default any: zstd; v6 is never compressed)
  (chosen by --file-version, --compression, --to dat or an OUTPUT ending in .dat;
   trace-cmd's form "-i INPUT OUTPUT" works too)
`;

const LONGS = [
  { name: 'file-version', arg: 'required' as const },
  { name: 'compression', arg: 'required' as const },
  { name: 'to', arg: 'required' as const },
  { name: 'quiet', arg: 'none' as const, key: 'q' },
  { name: 'help', arg: 'none' as const, key: 'h' },
];

function parse(argv: string[]): { opts: Array<{ key: string; value?: string }>; operands: string[] } {
  return getoptLong('convert', argv, 'hi:o:q', LONGS);
}

function isTraceDat(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(10);
      readSync(fd, b, 0, 10, 0);
      return b[0] === 0x17 && b[1] === 0x08 && b[2] === 0x44 && b.subarray(3, 10).toString('latin1') === 'tracing';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** True when these convert arguments ask for a trace.dat written from a trace.dat. */
export function wantsDatOutput(argv: string[]): boolean {
  let p;
  try {
    p = parse(argv);
  } catch {
    return argv.some((a) => a.startsWith('--file-version') || a.startsWith('--compression'));
  }
  const { input, output } = inOut(p);
  if (input === undefined || !isTraceDat(input)) return false;
  if (p.opts.some((o) => o.key === 'file-version' || o.key === 'compression')) return true;
  const to = p.opts.find((o) => o.key === 'to')?.value;
  if (to !== undefined) return to === 'dat' || to === 'trace.dat';
  return output?.endsWith('.dat') === true;
}

function inOut(p: { opts: Array<{ key: string; value?: string }>; operands: string[] }): { input?: string; output?: string } {
  const i = p.opts.find((o) => o.key === 'i')?.value;
  const o = p.opts.find((x) => x.key === 'o')?.value;
  if (i !== undefined) return { input: i, output: o ?? p.operands[0] };
  return { input: p.operands[0], output: o ?? p.operands[1] };
}

export async function convertDat(argv: string[]): Promise<number> {
  const p = parse(argv);
  let fileVersion: 6 | 7 = 7,
    compression: CompressionName = 'any';
  for (const o of p.opts) {
    if (o.key === 'file-version') {
      if (o.value !== '6' && o.value !== '7')
        throw new UsageError(`convert: Unsupported file version ${o.value}, supported versions are from 6 to 7`);
      fileVersion = Number(o.value) as 6 | 7;
    } else if (o.key === 'compression') {
      if (!['none', 'zlib', 'zstd', 'any'].includes(o.value!))
        throw new UsageError(`convert: Compression algorithm ${o.value} is not supported (none, zlib, zstd, any)`);
      compression = o.value as CompressionName;
    } else if (o.key === 'to') {
      if (o.value !== 'dat' && o.value !== 'trace.dat')
        throw new UsageError(`convert: --to ${o.value} cannot be combined with --file-version/--compression`);
    }
  }
  if (fileVersion === 6 && compression !== 'none' && compression !== 'any')
    throw new UsageError(`convert: a version 6 file cannot be compressed (--compression ${compression})`);
  const { input, output } = inOut(p);
  if (p.operands.length > (p.opts.some((o) => o.key === 'i') ? 1 : 2))
    throw new UsageError(`convert: unexpected argument '${p.operands.at(-1)}'`);
  if (input === undefined) throw new UsageError('convert: no input given (-i INPUT)');
  if (output === undefined) throw new UsageError('convert: no output given (-o OUTPUT)');
  const zstd = await wasmZstd();
  try {
    await convertTraceDat({ input, output, fileVersion, compression, decompressors: zstd ? { zstd } : {} });
  } catch (e) {
    process.stderr.write(`utp convert: ${input}: ${describeError(e)}\n`);
    return 1;
  }
  return 0;
}
