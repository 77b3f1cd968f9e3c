/**
 * A small browser-safe ELF reader over bytes in memory: symbols of .symtab/.dynsym, PT_LOAD
 * segments (virtual address ↔ file offset), the GNU build id and the file type. Used by tracefs
 * (uprobe offsets) and by perf's symbol resolution; callers read the file themselves.
 */
import { UtpError } from './errors.js';

export const ElfErrorCode = { BadElf: 'ELF_BAD_FILE', NotFound: 'ELF_NOT_FOUND' } as const;

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint /** STT_* */;
  type: number /** STB_* */;
  bind: number;
  shndx: number;
}
export interface ElfSegment {
  type: number;
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: number;
}
export interface ElfSection {
  name: string;
  type: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export class ElfFile {
  readonly le: boolean;
  readonly is64: boolean;
  readonly dv: DataView;
  /** e_type: 2 ET_EXEC, 3 ET_DYN. */
  readonly type: number;
  readonly #sections: ElfSection[];

  constructor(
    readonly bytes: Uint8Array,
    readonly name = '<elf>',
  ) {
    if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new UtpError(ElfErrorCode.BadElf, 'Not an ELF file', { context: { file: name } });
    }
    this.le = bytes[5] === 1;
    this.is64 = bytes[4] === 2;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.type = this.dv.getUint16(16, this.le);
    try {
      this.#sections = this.#readSections();
    } catch (e) {
      throw new UtpError(ElfErrorCode.BadElf, 'Cannot read ELF section headers', { cause: e, context: { file: name } });
    }
  }

  #addr(off: number): bigint {
    return this.is64 ? this.dv.getBigUint64(off, this.le) : BigInt(this.dv.getUint32(off, this.le));
  }

  #readSections(): ElfSection[] {
    const shoff = Number(this.#addr(this.is64 ? 0x28 : 0x20));
    const shentsize = this.dv.getUint16(this.is64 ? 0x3a : 0x2e, this.le);
    const shnum = this.dv.getUint16(this.is64 ? 0x3c : 0x30, this.le);
    const shstrndx = this.dv.getUint16(this.is64 ? 0x3e : 0x32, this.le);
    const out: ElfSection[] = [];
    const names: number[] = [];
    if (!shoff) return out;
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      if (o + shentsize > this.bytes.length) break;
      names.push(this.dv.getUint32(o, this.le));
      out.push({
        name: '',
        type: this.dv.getUint32(o + 4, this.le),
        addr: this.#addr(o + (this.is64 ? 0x10 : 0x0c)),
        offset: Number(this.#addr(o + (this.is64 ? 0x18 : 0x10))),
        size: Number(this.#addr(o + (this.is64 ? 0x20 : 0x14))),
        link: this.dv.getUint32(o + (this.is64 ? 0x28 : 0x18), this.le),
        entsize: Number(this.#addr(o + (this.is64 ? 0x38 : 0x24))),
      });
    }
    const strs = out[shstrndx];
    if (strs) for (let i = 0; i < out.length; i++) out[i]!.name = this.cstr(strs.offset + names[i]!);
    return out;
  }

  get sections(): readonly ElfSection[] {
    return this.#sections;
  }

  cstr(off: number): string {
    const b = this.bytes;
    let end = off;
    while (end < b.length && b[end] !== 0) end++;
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }

  /** Defined symbols of one table: 2 = SHT_SYMTAB, 11 = SHT_DYNSYM. */
  symbolsOf(tableType: 2 | 11): ElfSymbol[] {
    const out: ElfSymbol[] = [];
    for (const sh of this.#sections) {
      if (sh.type !== tableType) continue;
      const strtab = this.#sections[sh.link];
      if (!strtab) continue;
      const ent = sh.entsize || (this.is64 ? 24 : 16);
      const end = Math.min(sh.offset + sh.size, this.bytes.length);
      for (let o = sh.offset; o + ent <= end; o += ent) {
        const nameOff = this.dv.getUint32(o, this.le);
        let value: bigint, size: bigint, info: number, shndx: number;
        if (this.is64) {
          info = this.bytes[o + 4]!;
          shndx = this.dv.getUint16(o + 6, this.le);
          value = this.dv.getBigUint64(o + 8, this.le);
          size = this.dv.getBigUint64(o + 16, this.le);
        } else {
          value = BigInt(this.dv.getUint32(o + 4, this.le));
          size = BigInt(this.dv.getUint32(o + 8, this.le));
          info = this.bytes[o + 12]!;
          shndx = this.dv.getUint16(o + 14, this.le);
        }
        if (shndx === 0 || value === 0n) continue; // undefined
        const name = this.cstr(strtab.offset + nameOff);
        if (name) out.push({ name, value, size, type: info & 0xf, bind: info >> 4, shndx });
      }
    }
    return out;
  }

  /** Function and object symbols: .symtab, then .dynsym. */
  symbols(): ElfSymbol[] {
    return [...this.symbolsOf(2), ...this.symbolsOf(11)];
  }

  segments(): ElfSegment[] {
    const phoff = Number(this.#addr(this.is64 ? 0x20 : 0x1c));
    const phentsize = this.dv.getUint16(this.is64 ? 0x36 : 0x2a, this.le);
    const phnum = this.dv.getUint16(this.is64 ? 0x38 : 0x2c, this.le);
    const out: ElfSegment[] = [];
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      if (o + phentsize > this.bytes.length) break;
      const type = this.dv.getUint32(o, this.le);
      if (this.is64) {
        out.push({
          type,
          flags: this.dv.getUint32(o + 4, this.le),
          offset: this.#addr(o + 8),
          vaddr: this.#addr(o + 16),
          filesz: this.#addr(o + 32),
          memsz: this.#addr(o + 40),
        });
      } else {
        out.push({
          type,
          offset: this.#addr(o + 4),
          vaddr: this.#addr(o + 8),
          filesz: this.#addr(o + 16),
          memsz: this.#addr(o + 20),
          flags: this.dv.getUint32(o + 24, this.le),
        });
      }
    }
    return out;
  }

  /** The file offset of a virtual address, through the PT_LOAD segment holding it. */
  vaddrToOffset(vaddr: bigint): bigint {
    for (const s of this.segments()) if (s.type === 1 && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return vaddr - s.vaddr + s.offset;
    throw new UtpError(ElfErrorCode.NotFound, 'Address is not in a loadable segment', {
      context: { file: this.name, vaddr: '0x' + vaddr.toString(16) },
    });
  }

  /** The NT_GNU_BUILD_ID note as lowercase hex ('' when absent). */
  buildId(): string {
    for (const sh of this.#sections) {
      if (sh.type !== 7 /* SHT_NOTE */) continue;
      const id = noteBuildId(this.bytes.subarray(sh.offset, sh.offset + sh.size), this.le);
      if (id) return id;
    }
    return '';
  }
}

/** Finds an NT_GNU_BUILD_ID note in a run of ELF notes (e.g. /sys/kernel/notes). */
export function noteBuildId(b: Uint8Array, le = true): string {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p + 12 <= b.length) {
    const namesz = dv.getUint32(p, le),
      descsz = dv.getUint32(p + 4, le),
      type = dv.getUint32(p + 8, le);
    const nameAt = p + 12,
      descAt = nameAt + ((namesz + 3) & ~3);
    if (descAt + descsz > b.length) break;
    if (type === 3 && namesz === 4 && b[nameAt] === 0x47 && b[nameAt + 1] === 0x4e && b[nameAt + 2] === 0x55) {
      let s = '';
      for (let i = 0; i < descsz; i++) s += b[descAt + i]!.toString(16).padStart(2, '0');
      return s;
    }
    p = descAt + ((descsz + 3) & ~3);
  }
  return '';
}
