/**
 * Minimal ELF reader for uprobes: finds a symbol in .symtab/.dynsym and converts its virtual
 * address to the file offset the kernel wants (`path:0xOFFSET`), through the PT_LOAD segment
 * that contains it.
 */
import { readFileSync } from 'node:fs';
import { TraceFsError, TraceFsErrorCode } from './errors.js';

export interface ElfSymbol { name: string; value: bigint; size: bigint; type: number }

interface Elf { le: boolean; is64: boolean; dv: DataView; bytes: Uint8Array }

function open(path: string): Elf {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) {
    throw new TraceFsError(TraceFsErrorCode.Elf, 'Cannot read ELF file', { file: path, cause: e });
  }
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new TraceFsError(TraceFsErrorCode.Elf, 'Not an ELF file', { file: path });
  }
  return { le: bytes[5] === 1, is64: bytes[4] === 2, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes };
}

function addr(e: Elf, off: number): bigint { return e.is64 ? e.dv.getBigUint64(off, e.le) : BigInt(e.dv.getUint32(off, e.le)); }

interface Shdr { type: number; offset: number; size: number; link: number; entsize: number }

function sections(e: Elf): Shdr[] {
  const shoff = Number(addr(e, e.is64 ? 0x28 : 0x20));
  const shentsize = e.dv.getUint16(e.is64 ? 0x3a : 0x2e, e.le);
  const shnum = e.dv.getUint16(e.is64 ? 0x3c : 0x30, e.le);
  const out: Shdr[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    out.push({
      type: e.dv.getUint32(o + 4, e.le),
      offset: Number(addr(e, o + (e.is64 ? 0x18 : 0x10))),
      size: Number(addr(e, o + (e.is64 ? 0x20 : 0x14))),
      link: e.dv.getUint32(o + (e.is64 ? 0x28 : 0x18), e.le),
      entsize: Number(addr(e, o + (e.is64 ? 0x38 : 0x24))),
    });
  }
  return out;
}

function cstr(b: Uint8Array, off: number): string {
  let end = off;
  while (end < b.length && b[end] !== 0) end++;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Function and object symbols of an ELF file (.symtab, then .dynsym). */
export function elfSymbols(path: string): ElfSymbol[] {
  const e = open(path);
  const shs = sections(e);
  const out: ElfSymbol[] = [];
  for (const want of [2 /* SHT_SYMTAB */, 11 /* SHT_DYNSYM */]) {
    for (const sh of shs) {
      if (sh.type !== want) continue;
      const strtab = shs[sh.link];
      if (!strtab) continue;
      const ent = sh.entsize || (e.is64 ? 24 : 16);
      for (let o = sh.offset; o + ent <= sh.offset + sh.size; o += ent) {
        const nameOff = e.dv.getUint32(o, e.le);
        let value: bigint, size: bigint, info: number, shndx: number;
        if (e.is64) { info = e.bytes[o + 4]!; shndx = e.dv.getUint16(o + 6, e.le); value = e.dv.getBigUint64(o + 8, e.le); size = e.dv.getBigUint64(o + 16, e.le); }
        else { value = BigInt(e.dv.getUint32(o + 4, e.le)); size = BigInt(e.dv.getUint32(o + 8, e.le)); info = e.bytes[o + 12]!; shndx = e.dv.getUint16(o + 14, e.le); }
        if (shndx === 0 || value === 0n) continue; // undefined
        const name = cstr(e.bytes, strtab.offset + nameOff);
        if (name) out.push({ name, value, size, type: info & 0xf });
      }
    }
  }
  return out;
}

/** Converts a virtual address of `path` to a file offset using its PT_LOAD program headers. */
export function elfVaddrToOffset(path: string, vaddr: bigint): bigint {
  const e = open(path);
  const phoff = Number(addr(e, e.is64 ? 0x20 : 0x1c));
  const phentsize = e.dv.getUint16(e.is64 ? 0x36 : 0x2a, e.le);
  const phnum = e.dv.getUint16(e.is64 ? 0x38 : 0x2c, e.le);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (e.dv.getUint32(o, e.le) !== 1 /* PT_LOAD */) continue;
    const off = addr(e, o + (e.is64 ? 8 : 4));
    const va = addr(e, o + (e.is64 ? 16 : 8));
    const filesz = addr(e, o + (e.is64 ? 32 : 16));
    if (vaddr >= va && vaddr < va + filesz) return vaddr - va + off;
  }
  throw new TraceFsError(TraceFsErrorCode.Elf, 'Address is not in a loadable segment', { file: path, context: { vaddr: '0x' + vaddr.toString(16) } });
}

/** File offset of symbol `name` in `path` (for `path:0xOFFSET` uprobes); `+off` suffixes are allowed. */
export function elfSymbolOffset(path: string, name: string): bigint {
  let extra = 0n;
  const m = /^(.*)\+(0x[0-9a-fA-F]+|\d+)$/.exec(name);
  if (m) { name = m[1]!; extra = BigInt(m[2]!); }
  const sym = elfSymbols(path).find((s) => s.name === name);
  if (!sym) throw new TraceFsError(TraceFsErrorCode.Elf, 'Symbol not found in ELF file', { file: path, context: { symbol: name } });
  return elfVaddrToOffset(path, sym.value) + extra;
}
