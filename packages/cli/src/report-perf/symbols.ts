/// <reference types="node" />
/**
 * Symbol resolution as perf script does it: the kernel from kallsyms (live /proc/kallsyms when the
 * recorded kernel's build id is this kernel's), user space from the ELF .symtab (else .dynsym) of
 * the files MMAP/MMAP2 records name, when the file's build id matches the one recorded.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { ElfFile, noteBuildId } from '@utp/bytes';

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
  syms: SymTable | undefined;
  adjust: Array<{ addr: bigint; offset: bigint }> | undefined;
}

/** User-space DSOs, loaded once by path. */
export class DsoCache {
  readonly #dsos = new Map<string, Dso>();
  constructor(private readonly buildIds: Map<string, string>) {}
  get(name: string): Dso {
    let d = this.#dsos.get(name);
    if (d) return d;
    d = { name, kernel: false, syms: undefined, adjust: undefined };
    this.#dsos.set(name, d);
    const want = this.buildIds.get(name);
    const tries: string[] = [];
    if (want) {
      tries.push(`/usr/lib/debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}.debug`);
      tries.push(`${homedir()}/.debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}/debug`);
      tries.push(`${homedir()}/.debug/.build-id/${want.slice(0, 2)}/${want.slice(2)}/elf`);
    }
    tries.push(name);
    // perf takes the first candidate with a .symtab; else the .dynsym of the first readable one
    let dynOnly: ElfFile | undefined;
    let chosen: ElfFile | undefined;
    for (const path of tries) {
      let elf: ElfFile;
      try {
        elf = new ElfFile(readFileSync(path), path);
      } catch {
        continue;
      }
      const id = elf.buildId();
      if (want && id && id !== want) continue;
      if (elf.sections.some((x) => x.type === 2)) {
        chosen = elf;
        break;
      }
      dynOnly ??= elf;
    }
    const elf = chosen ?? dynOnly;
    if (elf) {
      const list = chosen ? elf.symbolsOf(2) : elf.symbolsOf(11);
      const exec = elf.type === 2;
      const secs = elf.sections;
      const syms: Array<Sym & { bind: number }> = [];
      for (const s of list) {
        // STT_FUNC, STT_GNU_IFUNC, and labels (STT_NOTYPE) in text sections, as perf keeps them
        if (s.type !== 2 && s.type !== 10 && !(s.type === 0 && secs[s.shndx]?.name.startsWith('.text'))) continue;
        let start = s.value;
        if (exec) {
          const sh = secs[s.shndx];
          if (sh) start = start - sh.addr + BigInt(sh.offset);
        }
        syms.push({ start, end: start + s.size, name: s.name, bind: s.bind });
      }
      d.syms = new SymTable(syms, true);
    }
    return d;
  }
}
