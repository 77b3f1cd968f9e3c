import type { ByteSource } from '@utp/bytes';

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads `length` bytes at `offset`, looping over short reads; fewer only at the end of input. */
export function readFullySync(src: ByteSource, offset: number, length: number): Uint8Array {
  const first = src.readSync!(offset, length);
  if (first.length >= length || first.length === 0) return first;
  const parts = [first];
  let got = first.length;
  while (got < length) {
    const b = src.readSync!(offset + got, length - got);
    if (b.length === 0) break;
    parts.push(b);
    got += b.length;
  }
  return join(parts, got);
}

export async function readFully(src: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  if (src.readSync) return readFullySync(src, offset, length);
  const first = await src.read(offset, length);
  if (first.length >= length || first.length === 0) return first;
  const parts = [first];
  let got = first.length;
  while (got < length) {
    const b = await src.read(offset + got, length - got);
    if (b.length === 0) break;
    parts.push(b);
    got += b.length;
  }
  return join(parts, got);
}
