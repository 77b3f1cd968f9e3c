/** zstd for trace.dat v7 through a WebAssembly build of libzstd (@bokuweb/zstd-wasm). */
import { init, createCCtx, compressUsingDict } from '@bokuweb/zstd-wasm';
import type { Compressor } from '@utp/tracedat';

let ready: Promise<void> | undefined;
let cctx: number | undefined;
const NO_DICT = new Uint8Array(0);

/**
 * A zstd Compressor (level 3, trace-cmd's default). The wasm module is loaded once, and one
 * compression context serves every chunk: ZSTD_compress would build and free a context per
 * 10-page chunk, which costs more than the compression itself. The frames are the same bytes
 * (ZSTD_compress is ZSTD_compress_usingDict without a dictionary).
 */
export async function zstdCompressor(level = 3): Promise<Compressor> {
  ready ??= init();
  await ready;
  cctx ??= createCCtx();
  const ctx = cctx;
  // The wasm build does not expose ZSTD_versionString; trace-cmd accepts any zstd version.
  return { name: 'zstd', version: '1.5.5', compress: (d: Uint8Array) => compressUsingDict(ctx, d, NO_DICT, level) };
}
