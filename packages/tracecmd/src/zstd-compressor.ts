/** zstd for trace.dat v7 through a WebAssembly build of libzstd (@bokuweb/zstd-wasm). */
import { init, compress } from '@bokuweb/zstd-wasm';
import type { Compressor } from '@utp/tracedat';

let ready: Promise<void> | undefined;

/** A zstd Compressor (level 3, trace-cmd's default). The wasm module is loaded once. */
export async function zstdCompressor(level = 3): Promise<Compressor> {
  ready ??= init();
  await ready;
  // The wasm build does not expose ZSTD_versionString; trace-cmd accepts any zstd version.
  return { name: 'zstd', version: '1.5.5', compress: (d: Uint8Array) => compress(d, level) };
}
