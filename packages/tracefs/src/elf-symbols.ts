/**
 * ELF lookups for uprobes: a symbol's file offset (`path:0xOFFSET`). The reading is
 * @utp/bytes's ElfFile (shared with perf's symbol resolution); this file only reads the file.
 */
import { readFileSync } from 'node:fs';
import { ElfFile } from '@utp/bytes';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  type: number;
}

function open(path: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TraceFsError(TraceFsErrorCode.Elf, 'Cannot read ELF file', { file: path, cause: e });
  }
  try {
    return new ElfFile(bytes, path);
  } catch (e) {
    throw new TraceFsError(TraceFsErrorCode.Elf, 'Not an ELF file', { file: path, cause: e });
  }
}

/** Function and object symbols of an ELF file (.symtab, then .dynsym). */
export function elfSymbols(path: string): ElfSymbol[] {
  return open(path)
    .symbols()
    .map((s) => ({ name: s.name, value: s.value, size: s.size, type: s.type }));
}

/** Converts a virtual address of `path` to a file offset using its PT_LOAD program headers. */
export function elfVaddrToOffset(path: string, vaddr: bigint): bigint {
  try {
    return open(path).vaddrToOffset(vaddr);
  } catch (e) {
    if (e instanceof TraceFsError) throw e;
    throw new TraceFsError(TraceFsErrorCode.Elf, 'Address is not in a loadable segment', {
      file: path,
      context: { vaddr: '0x' + vaddr.toString(16) },
    });
  }
}

/** File offset of symbol `name` in `path` (for `path:0xOFFSET` uprobes); `+off` suffixes are allowed. */
export function elfSymbolOffset(path: string, name: string): bigint {
  let extra = 0n;
  const m = /^(.*)\+(0x[0-9a-fA-F]+|\d+)$/.exec(name);
  if (m) {
    name = m[1]!;
    extra = BigInt(m[2]!);
  }
  const e = open(path);
  const sym = e.symbols().find((s) => s.name === name);
  if (!sym) throw new TraceFsError(TraceFsErrorCode.Elf, 'Symbol not found in ELF file', { file: path, context: { symbol: name } });
  return e.vaddrToOffset(sym.value) + extra;
}
