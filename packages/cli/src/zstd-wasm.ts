/// <reference types="node" />
/**
 * zstd decompression at native speed for Node: the WebAssembly build of libzstd that
 * @foxglove/wasm-zstd ships, called directly. Its own `decompress` copies every output out of
 * the WebAssembly heap through Buffer#copy (a quarter of a report's start on a v7 file) and
 * mallocs twice per chunk; here the heap buffers are kept between chunks and the output is one
 * TypedArray copy. Undefined when the module cannot be loaded (fzstd is the fallback then).
 */
import { createRequire } from 'node:module';

interface ZstdModule {
  HEAPU8: Uint8Array;
  ready: Promise<unknown>;
  _malloc(n: number): number;
  _free(p: number): void;
  _decompress(dst: number, dstSize: number, src: number, srcSize: number): number;
}

export type ZstdDecompress = (data: Uint8Array, usize: number, into?: Uint8Array) => Uint8Array;

let loading: Promise<ZstdDecompress | undefined> | undefined;

export function wasmZstd(): Promise<ZstdDecompress | undefined> {
  loading ??= load().catch(() => undefined);
  return loading;
}

async function load(): Promise<ZstdDecompress> {
  const factory = createRequire(import.meta.url)('@foxglove/wasm-zstd/dist/wasm-zstd.js') as () => Promise<ZstdModule>;
  const m = await factory();
  await m.ready;
  let src = 0;
  let srcCap = 0;
  let dst = 0;
  let dstCap = 0;
  return (data, usize, into) => {
    if (data.length > srcCap) {
      if (src) m._free(src);
      srcCap = Math.max(data.length, 1 << 16);
      src = m._malloc(srcCap);
    }
    if (usize > dstCap) {
      if (dst) m._free(dst);
      dstCap = Math.max(usize, 1 << 18);
      dst = m._malloc(dstCap);
    }
    if (!src || !dst) throw new Error('zstd: out of WebAssembly memory');
    // the heap view is replaced when the memory grows: read it after the mallocs
    m.HEAPU8.set(data, src);
    const n = m._decompress(dst, usize, src, data.length);
    if (n < 0) throw new Error('zstd: the chunk does not decompress');
    // (slice() on a view of WebAssembly memory takes V8's slow path: ~6x a new array and set())
    const out = into && into.length >= n ? into.subarray(0, n) : new Uint8Array(n);
    out.set(m.HEAPU8.subarray(dst, dst + n));
    return out;
  };
}
