/** Block compressors for trace.dat v7 (the file names the algorithm and its version). */
import { zlibSync } from 'fflate';

export interface Compressor {
  /** Name stored in the file header: "zstd", "zlib". */
  readonly name: string;
  /** Version stored in the file header (e.g. "1.5.5"; trace-cmd accepts any zstd version). */
  readonly version: string;
  /** Compresses one block (a metadata section or a chunk of pages). */
  compress(data: Uint8Array): Uint8Array;
}

/** zlib (RFC 1950) at best compression, as trace-cmd's compress2(Z_BEST_COMPRESSION). */
export function zlibCompressor(): Compressor {
  return { name: 'zlib', version: '1.2.13', compress: (d) => zlibSync(d, { level: 9 }) };
}
