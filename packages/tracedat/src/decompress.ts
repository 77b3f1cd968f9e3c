import { decompress as zstdDecompress } from 'fzstd';
import { unzlibSync } from 'fflate';
import { TraceDatError, TraceDatErrorCode } from './errors.js';

/**
 * Decompresses one block into exactly `usize` bytes. `into`, when given (at least `usize` bytes),
 * may receive the output (a reader recycling its buffers); the result is what to read either way.
 */
export type Decompressor = (data: Uint8Array, usize: number, into?: Uint8Array) => Uint8Array;

export const zstdDecompressor: Decompressor = (data, usize, into) => {
  // fzstd compares its output-buffer argument with `== 1`, which would stringify a plain
  // Uint8Array (very slow): give the buffer a cheap primitive value.
  const buf = into && into.length >= usize ? into.subarray(0, usize) : new Uint8Array(usize);
  Object.defineProperty(buf, Symbol.toPrimitive, { value: primitiveZero });
  const out = zstdDecompress(data, buf);
  return out.length === usize ? out : out.length > usize ? out.subarray(0, usize) : padTo(out, usize);
};

function primitiveZero(): number {
  return 0;
}

function padTo(b: Uint8Array, n: number): Uint8Array {
  const o = new Uint8Array(n);
  o.set(b);
  return o;
}

export const zlibDecompressor: Decompressor = (data, usize, into) => {
  const out = unzlibSync(data, { out: into && into.length >= usize ? into.subarray(0, usize) : new Uint8Array(usize) });
  return out.length === usize ? out : out.subarray(0, usize);
};

/** The decompressor for a trace.dat compression name ('none' → undefined). */
export function decompressorFor(name: string, custom: Partial<Record<string, Decompressor>> = {}): Decompressor | undefined {
  if (name === 'none' || name === '') return undefined;
  const c = custom[name];
  if (c) return c;
  if (name === 'zstd') return zstdDecompressor;
  if (name === 'zlib') return zlibDecompressor;
  throw new TraceDatError(TraceDatErrorCode.BadCompression, 'Unsupported compression algorithm', { context: { algorithm: name } });
}
