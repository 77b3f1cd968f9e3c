/// <reference types="node" />
/**
 * Symbol resolution as perf script does it: the kernel from kallsyms (live /proc/kallsyms when the
 * recorded kernel's build id is this kernel's), user space from the ELF .symtab and .dynsym, and the
 * synthesized PLT entries, of the files MMAP/MMAP2 records name (perfSymTree), when the file's build
 * id matches the one recorded.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ElfFile, noteBuildId } from '@utp/bytes';
import { demangle } from '@utp/perf';
import { SymTree } from './sym-tree.js';

export interface Sym {
  start: bigint;
  end: bigint;
  name: string;
}

/** A sorted symbol table with perf's choice among symbols at one address. */
export class SymTable {
  readonly syms: Sym[];
  /** `lastWins`: keep the last of the symbols at one address (perf script keeps kallsyms aliases, and
   *  the zero-length ones before the last are never found), else perf's choose_best_symbol. */
  constructor(list: Array<Sym & { bind?: number }>, fixEndToNext: boolean, lastWins = false) {
    list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const out: Array<Sym & { bind?: number }> = [];
    for (const s of list) {
      const last = out[out.length - 1];
      if (last && last.start === s.start) {
        if (lastWins || better(s, last)) out[out.length - 1] = s;
        continue;
      }
      out.push(s);
    }
    if (fixEndToNext)
      for (let i = 0; i < out.length; i++) {
        const s = out[i]!;
        if (s.end <= s.start) s.end = i + 1 < out.length ? out[i + 1]!.start : s.start + 4096n;
      }
    this.syms = out;
  }
  find(addr: bigint): Sym | undefined {
    const a = this.syms;
    let lo = 0,
      hi = a.length - 1,
      best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.start <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const s = a[best]!;
    return addr < s.end ? s : undefined;
  }
}

const STB_GLOBAL = 1,
  STB_WEAK = 2;
function underscores(n: string): number {
  let i = 0;
  while (n[i] === '_') i++;
  return i;
}
/** perf's choose_best_symbol: non-weak, then global, then fewer leading underscores, then the longer name. */
function better(a: Sym & { bind?: number }, b: Sym & { bind?: number }): boolean {
  const aw = a.bind === STB_WEAK,
    bw = b.bind === STB_WEAK;
  if (aw !== bw) return bw;
  const ag = a.bind === STB_GLOBAL,
    bg = b.bind === STB_GLOBAL;
  if (ag !== bg) return ag;
  const ua = underscores(a.name),
    ub = underscores(b.name);
  if (ua !== ub) return ua < ub;
  return a.name.length > b.name.length;
}

/** Parses kallsyms text: text symbols (t/T/w/W) of the kernel proper. */
export function kallsymsTable(text: string): SymTable {
  const list: Array<Sym & { bind: number }> = [];
  let p = 0;
  while (p < text.length) {
    let nl = text.indexOf('\n', p);
    if (nl < 0) nl = text.length;
    const sp1 = text.indexOf(' ', p);
    if (sp1 > 0 && sp1 < nl) {
      const type = text[sp1 + 1]!;
      const up = type.toUpperCase();
      if (up === 'T' || up === 'W') {
        const rest = text.slice(sp1 + 3, nl);
        if (!rest.includes('\t')) {
          // module symbols are "name\t[module]": kept out of [kernel.kallsyms]
          list.push({
            start: BigInt('0x' + text.slice(p, sp1)),
            end: 0n,
            name: rest,
            bind: up === 'W' ? STB_WEAK : type === 'T' ? STB_GLOBAL : 0,
          });
        }
      }
    }
    p = nl + 1;
  }
  return new SymTable(list, true, true);
}

/** Build id of the running kernel (/sys/kernel/notes), '' when unknown. */
export function liveKernelBuildId(): string {
  try {
    return noteBuildId(readFileSync('/sys/kernel/notes'));
  } catch {
    return '';
  }
}

export interface Dso {
  name: string;
  kernel: boolean;
  syms: SymTree | undefined;
  adjust: Array<{ addr: bigint; offset: bigint }> | undefined;
}

const SHN_UNDEF = 0,
  SHN_ABS = 0xfff1,
  SHF_ALLOC = 2,
  SHT_NOBITS = 8,
  STT_NOTYPE = 0,
  STT_OBJECT = 1,
  STT_FUNC = 2,
  STT_GNU_IFUNC = 10,
  STV_INTERNAL = 1,
  STV_HIDDEN = 2,
  PT_LOAD = 1;

/** One candidate file, with the tables perf would use from it. */
interface SymSrc {
  elf: ElfFile;
  symtab: number | undefined;
  dynsym: number | undefined;
}
function symSrc(elf: ElfFile): SymSrc {
  const st = elf.sectionByName('.symtab'),
    ds = elf.sectionByName('.dynsym');
  return {
    elf,
    symtab: st && st.section.type === 2 ? st.index : undefined,
    dynsym: ds && ds.section.type === 11 ? ds.index : undefined,
  };
}

/**
 * One pass of perf's dso__load_sym_internal over one table of `syms` (its .symtab or .dynsym):
 * functions, objects and text/data labels, moved from addresses to file offsets through the
 * runtime file's PT_LOAD headers. Returns the count inserted, or -1 where perf gives up (a
 * symbol in a section that does not exist), leaving what it inserted and no fixups.
 */
function loadTable(tree: SymTree, syms: SymSrc, runtime: SymSrc, table: number): number {
  const elf = syms.elf;
  const secs = elf.sections;
  const machine = elf.machine;
  const loads = runtime.elf.segments().filter((p) => p.type === PT_LOAD);
  let nr = 0;
  for (const s of elf.symbolEntries(table)) {
    const named = s.nameOff !== 0 && s.shndx !== SHN_UNDEF;
    const isLabel = s.type === STT_NOTYPE && named && s.shndx !== SHN_ABS && s.visibility !== STV_HIDDEN && s.visibility !== STV_INTERNAL;
    if (!isLabel && !(named && (s.type === STT_FUNC || s.type === STT_GNU_IFUNC || s.type === STT_OBJECT))) continue;
    if ((machine === 40 || machine === 183) && /^\$[adtx](\.|$)/.test(s.name)) continue; // ARM mapping symbols
    if (s.shndx === SHN_ABS) continue;
    let sh = secs[s.shndx];
    if (!sh) return -1;
    if (!(sh.flags & SHF_ALLOC)) continue;
    if (sh.type === SHT_NOBITS) {
      sh = runtime.elf.sections[s.shndx];
      if (!sh) return -1;
    }
    if (isLabel && !sh.name.includes('text') && !sh.name.includes('data')) continue;
    let value = s.value;
    if (machine === 40 && s.type === STT_FUNC && value & 1n) value--; // ARM thumb bit
    const ph = loads.find((p) => {
      // biome-ignore lint/complexity/useMathMinMax: bigint operands (Math.max takes numbers)
      const sz = p.memsz > p.filesz ? p.memsz : p.filesz;
      return sz !== 0n && value >= p.vaddr && value < p.vaddr + sz;
    });
    value = BigInt.asUintN(64, ph ? value - (ph.vaddr - ph.offset) : value - (sh.addr - BigInt(sh.offset)));
    // perf keeps the demangled name (its duplicate choice then compares those)
    tree.insert({ start: value, end: s.size ? value + s.size : value, name: demangle(s.name) ?? s.name, bind: s.bind });
    nr++;
  }
  if (nr > 0) {
    tree.fixupEnd();
    tree.fixupDuplicate();
  }
  return nr;
}

/**
 * A DSO's symbol tree as perf 6.1's dso__load builds it: the .symtab of the first candidate that
 * has one (syms), the .dynsym of the first that has one (runtime); syms' .symtab then its .dynsym
 * go in, each pass followed by the end and duplicate fixups; then, when any symbol went in, the
 * PLT entries of the runtime file (ElfFile.pltSymbols), which a lookup finds only where the tree
 * walk meets them before a regular symbol holding the same address.
 */
export function perfSymTree(symsSrc: ElfFile, runtimeSrc: ElfFile): SymTree {
  const syms = symSrc(symsSrc),
    runtime = runtimeSrc === symsSrc ? syms : symSrc(runtimeSrc);
  const tree = new SymTree();
  let nr = 0;
  if (syms.symtab !== undefined) {
    const n = loadTable(tree, syms, runtime, syms.symtab);
    if (n < 0) return tree;
    nr = n;
  }
  if (syms.dynsym !== undefined) {
    const n = loadTable(tree, syms, runtime, syms.dynsym);
    if (n < 0) return tree;
    nr += n;
  }
  if (nr > 0 && runtime.dynsym !== undefined)
    for (const p of runtime.elf.pltSymbols())
      tree.insert({
        start: p.start,
        end: p.size ? p.start + p.size : p.start,
        // perf names the entry after the demangled target (in its 1024-byte buffer)
        name: p.target.startsWith('_Z') ? `${demangle(p.target) ?? p.target}@plt`.slice(0, 1023) : p.name,
        bind: 1,
      });
  return tree;
}

/** User-space DSOs, loaded once by path. */
export class DsoCache {
  readonly #dsos = new Map<string, Dso>();
  /** `symfs`: perf's --symfs, a directory the binaries' paths (and /usr/lib/debug) are looked up under. */
  constructor(
    private readonly buildIds: Map<string, string>,
    private readonly symfs = '',
  ) {}
  get(name: string): Dso {
    let d = this.#dsos.get(name);
    if (d) return d;
    d = { name, kernel: false, syms: undefined, adjust: undefined };
    this.#dsos.set(name, d);
    let want = this.buildIds.get(name);
    if (!want) {
      // perf reads the build id of the file itself when the recording has none for it
      try {
        want = new ElfFile(readFileSync(this.symfs + name), name).buildId() || undefined;
      } catch {
        want = undefined;
      }
    }
    const tries: string[] = [];
    if (want) {
      // perf record saves the vDSO image it sampled in the build-id cache as .../vdso (other files as .../elf)
      if (/^\[vdso/.test(name)) tries.push(`${homedir()}/.debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}/vdso`);
      tries.push(`${homedir()}/.debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}/elf`);
      tries.push(`${homedir()}/.debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}/debug`);
    }
    const fs = this.symfs;
    tries.push(`${fs}/usr/lib/debug${name}.debug`, `${fs}/usr/lib/debug${name}`);
    if (want) tries.push(`${fs}/usr/lib/debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}.debug`);
    tries.push(fs + name);
    // perf: the first candidate with a .symtab gives the symbols, the first with a .dynsym is the runtime image
    let symsElf: ElfFile | undefined;
    let runtimeElf: ElfFile | undefined;
    for (const path of tries) {
      let elf: ElfFile;
      try {
        elf = new ElfFile(readFileSync(path), path);
      } catch {
        continue;
      }
      // images with another (or no) build id are rejected
      if (want && elf.buildId() !== want) continue;
      const src = symSrc(elf);
      if (!symsElf && src.symtab !== undefined) symsElf = elf;
      if (!runtimeElf && src.dynsym !== undefined) runtimeElf = elf;
      if (symsElf && runtimeElf) break;
    }
    symsElf ??= runtimeElf;
    runtimeElf ??= symsElf;
    if (symsElf && runtimeElf) d.syms = perfSymTree(symsElf, runtimeElf);
    return d;
  }
}
