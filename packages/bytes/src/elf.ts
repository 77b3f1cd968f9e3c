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
  /** sh_flags (low 32 bits): 2 SHF_ALLOC, 4 SHF_EXECINSTR. */
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/** One entry of a symbol table, as stored (undefined and unnamed entries included). */
export interface ElfSymbolEntry {
  /** st_name: 0 for an unnamed entry. */
  nameOff: number;
  name: string;
  value: bigint;
  size: bigint;
  /** STT_* */
  type: number;
  /** STB_* */
  bind: number;
  /** STV_* (st_other & 3) */
  visibility: number;
  shndx: number;
}

/**
 * A PLT entry named after the symbol its .rela.plt/.rel.plt relocation points at (`target@plt`;
 * `@plt` when the relocation has no symbol, as IRELATIVE ones). `start` is a file offset.
 */
export interface ElfPltSymbol {
  target: string;
  name: string;
  start: bigint;
  size: bigint;
}

const EM_SPARC = 2,
  EM_SPARCV9 = 43,
  EM_ARM = 40,
  EM_AARCH64 = 183;

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
        flags: this.dv.getUint32(o + 8, this.le),
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

  /** e_machine: 62 EM_X86_64, 3 EM_386, 183 EM_AARCH64 ... */
  get machine(): number {
    return this.dv.getUint16(18, this.le);
  }

  /** The first section of that name (section 0 is never one) and its index, as libelf's lookups find it. */
  sectionByName(name: string): { index: number; section: ElfSection } | undefined {
    for (let i = 1; i < this.#sections.length; i++) if (this.#sections[i]!.name === name) return { index: i, section: this.#sections[i]! };
    return undefined;
  }

  /** Every entry of a symbol table section (by its index), in table order. */
  symbolEntries(sectionIndex: number): ElfSymbolEntry[] {
    const sh = this.#sections[sectionIndex];
    const out: ElfSymbolEntry[] = [];
    if (!sh || sh.type === 8 /* SHT_NOBITS */) return out;
    const strtab = this.#sections[sh.link];
    const ent = sh.entsize || (this.is64 ? 24 : 16);
    const end = Math.min(sh.offset + sh.size, this.bytes.length);
    for (let o = sh.offset; o + ent <= end; o += ent) {
      const nameOff = this.dv.getUint32(o, this.le);
      let value: bigint, size: bigint, info: number, other: number, shndx: number;
      if (this.is64) {
        info = this.bytes[o + 4]!;
        other = this.bytes[o + 5]!;
        shndx = this.dv.getUint16(o + 6, this.le);
        value = this.dv.getBigUint64(o + 8, this.le);
        size = this.dv.getBigUint64(o + 16, this.le);
      } else {
        value = BigInt(this.dv.getUint32(o + 4, this.le));
        size = BigInt(this.dv.getUint32(o + 8, this.le));
        info = this.bytes[o + 12]!;
        other = this.bytes[o + 13]!;
        shndx = this.dv.getUint16(o + 14, this.le);
      }
      const name = strtab && nameOff < strtab.size ? this.cstr(strtab.offset + nameOff) : '';
      out.push({ nameOff, name, value, size, type: info & 0xf, bind: info >> 4, visibility: other & 3, shndx });
    }
    return out;
  }

  /**
   * PLT entries as perf 6.1 synthesizes them (dso__synthesize_plt_symbols): one per .rela.plt (else
   * .rel.plt) relocation, in relocation order, over the .plt section after its first entry (PLT0),
   * each of the architecture's entry size (.plt's sh_entsize on x86). The relocations must link to
   * .dynsym. A .plt.sec (x86 IBT) is not consulted: perf 6.1 names the lazy .plt stubs only.
   */
  pltSymbols(): ElfPltSymbol[] {
    const out: ElfPltSymbol[] = [];
    const dyn = this.sectionByName('.dynsym');
    if (dyn?.section.type !== 11) return out;
    const rel = this.sectionByName('.rela.plt') ?? this.sectionByName('.rel.plt');
    if (!rel || rel.section.link !== dyn.index) return out;
    const plt = this.sectionByName('.plt');
    if (!plt) return out;
    const strtab = this.#sections[dyn.section.link];
    if (!strtab || strtab.size === 0 || strtab.type === 8) return out;
    const relType = rel.section.type;
    if (relType !== 4 /* SHT_RELA */ && relType !== 9 /* SHT_REL */) return out;
    if (!rel.section.entsize) return out;
    let header: number, entry: number;
    switch (this.machine) {
      case EM_ARM:
        [header, entry] = [20, 12];
        break;
      case EM_AARCH64:
        [header, entry] = [32, 16];
        break;
      case EM_SPARC:
        [header, entry] = [48, 12];
        break;
      case EM_SPARCV9:
        [header, entry] = [128, 32];
        break;
      default:
        header = entry = plt.section.entsize;
    }
    const syms = this.symbolEntries(dyn.index);
    const count = Math.floor(rel.section.size / rel.section.entsize);
    const relEnt = relType === 4 ? (this.is64 ? 24 : 12) : this.is64 ? 16 : 8;
    let start = BigInt(plt.section.offset + header);
    const size = BigInt(entry);
    for (let i = 0; i < count; i++) {
      const o = rel.section.offset + i * relEnt;
      if (o + relEnt > this.bytes.length) break;
      const info = this.is64 ? this.dv.getBigUint64(o + 8, this.le) : BigInt(this.dv.getUint32(o + 4, this.le));
      const symIdx = Number(this.is64 ? info >> 32n : info >> 8n);
      const target = syms[symIdx]?.name ?? '';
      // perf formats the name into a 1024-byte buffer
      out.push({ target, name: (target + '@plt').slice(0, 1023), start, size });
      start += size;
    }
    return out;
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
