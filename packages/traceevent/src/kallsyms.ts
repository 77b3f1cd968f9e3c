/**
 * Kernel symbol table (libtraceevent's func_map): parsed from /proc/kallsyms text with
 * libtraceevent 1.7.1's rules (types A/a and `$` names dropped, `\t[module]` suffix,
 * parsing stops at the first malformed line), ordered like its stable sort of a
 * prepended list, looked up with its bsearch rule: an address matches symbol i when it
 * equals it or lies strictly between it and symbol i+1 — so the last symbol matches
 * only exactly.
 */
import type { FunctionSymbol } from './tep.js';
import { glibcBsearch } from './glibc-bsearch.js';

interface Sym { addr: bigint | undefined; hi: number; lo: number; name: string; module: string | undefined }
function symAddr(s: Sym): bigint { return (s.addr ??= (BigInt(s.hi) << 32n) | BigInt(s.lo)); }

function isWsCode(c: number): boolean { return c === 32 || (c >= 9 && c <= 13); }
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

export class KallsymsTable {
  /** In registration order (libtraceevent prepends; we reverse when sorting). */
  private pending: Sym[] = [];
  private sorted: Sym[] | null = null;
  private cache = new Map<bigint, FunctionSymbol | null>();

  private texts: string[] = [];
  /** Called when a lazily parsed text turns out malformed. */
  onMalformed: (() => void) | undefined;

  get count(): number { this.flushTexts(); return this.pending.length + (this.sorted?.length ?? 0); }

  /** Keeps kallsyms text to parse on first use (most reports never look a symbol up). */
  load(text: string): void { this.texts.push(text); }

  private flushTexts(): void {
    if (!this.texts.length) return;
    const texts = this.texts;
    this.texts = [];
    for (const t of texts) if (!this.parse(t)) this.onMalformed?.();
  }

  /** tep_parse_kallsyms. Returns false when a line could not be parsed (the rest is ignored). */
  parse(text: string): boolean {
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = n;
      if (eol === pos) { pos++; continue; }
      let j = pos;
      while (j < eol && isWsCode(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 48 && (text.charCodeAt(j + 1) | 0x20) === 120 && hexVal(text.charCodeAt(j + 2)) >= 0) j += 2;
      const hexStart = j;
      let hi = 0;
      let lo = 0;
      while (j < eol && j - hexStart < 16) {
        const d = hexVal(text.charCodeAt(j));
        if (d < 0) break;
        hi = ((hi << 4) | (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | d) >>> 0;
        j++;
      }
      if (j === hexStart) return false;
      while (j < eol && isWsCode(text.charCodeAt(j))) j++;
      if (j >= eol) return false;
      const ch = text[j]!;
      j++;
      while (j < eol && isWsCode(text.charCodeAt(j))) j++;
      const fs = j;
      while (j < eol && !isWsCode(text.charCodeAt(j))) j++;
      if (j === fs) return false;
      let module: string | undefined;
      if (text.charCodeAt(j) === 9 && text.charCodeAt(j + 1) === 91) {
        const ms = j + 2;
        let k = ms;
        while (k < eol && !isWsCode(text.charCodeAt(k))) k++;
        if (k > ms) module = text.slice(ms, k - 1);
      }
      if (text.charCodeAt(fs) !== 36 && ch !== 'A' && ch !== 'a') {
        this.pushSym(text.slice(fs, j), hi, lo, module);
      }
      pos = eol + 1;
    }
    return true;
  }

  /** tep_register_function. */
  register(name: string, addr: bigint, module?: string): void {
    this.flushTexts();
    this.pushSym(name, Number((addr >> 32n) & 0xffffffffn), Number(addr & 0xffffffffn), module);
  }

  private pushSym(name: string, hi: number, lo: number, module: string | undefined): void {
    if (this.sorted) { this.pending = this.sorted.slice().reverse(); this.sorted = null; this.cache.clear(); }
    this.pending.push({ addr: undefined, hi, lo, name, module });
  }

  private table(): Sym[] {
    this.flushTexts();
    if (!this.sorted) {
      const list = this.pending.slice().reverse();
      list.sort((a, b) => (a.hi - b.hi) || (a.lo - b.lo));
      this.sorted = list;
      this.pending = [];
    }
    return this.sorted;
  }

  /** The symbol containing addr (find_func). */
  find(addr: bigint): FunctionSymbol | undefined {
    const c = this.cache.get(addr);
    if (c !== undefined) return c ?? undefined;
    const t = this.table();
    const n = t.length;
    const hi = Number(addr >> 32n);
    const lo = Number(addr & 0xffffffffn);
    const lt = (ahi: number, alo: number, s: Sym): boolean => ahi < s.hi || (ahi === s.hi && alo < s.lo);
    const eq = (s: Sym): boolean => s.hi === hi && s.lo === lo;
    const idx = glibcBsearch(n, (i) => {
      const s = t[i]!;
      if (eq(s)) return 0;
      const next = i + 1 < n ? t[i + 1]! : undefined;
      // the sentinel after the last symbol has address 0
      if (!lt(hi, lo, s) && next !== undefined && lt(hi, lo, next)) return 0;
      return lt(hi, lo, s) ? -1 : 1;
    });
    let res: FunctionSymbol | null = null;
    if (idx >= 0) {
      const s = t[idx]!;
      res = s.module !== undefined ? { name: s.name, addr: symAddr(s), module: s.module } : { name: s.name, addr: symAddr(s) };
    }
    if (this.cache.size > 100000) this.cache.clear();
    this.cache.set(addr, res);
    return res ?? undefined;
  }

  /** test_for_symbol: the address of the first symbol with this name, or 0. */
  addressOf(name: string): bigint {
    for (const s of this.table()) if (s.name === name) return symAddr(s);
    return 0n;
  }
}
