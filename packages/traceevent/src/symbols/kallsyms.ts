/**
 * Kernel symbol table (libtraceevent's func_map): parsed from /proc/kallsyms text with
 * libtraceevent 1.7.1's rules (types A/a and `$` names dropped, `\t[module]` suffix,
 * parsing stops at the first malformed line), ordered like its stable sort of a
 * prepended list, looked up with its bsearch rule: an address matches symbol i when it
 * equals it or lies strictly between it and symbol i+1 — so the last symbol matches
 * only exactly.
 *
 * Storage is a set of parallel typed arrays (address halves, name and module offsets
 * into the source bytes): parsing a 100k-line kallsyms allocates no object per symbol,
 * the text is never decoded as a whole, and names become strings only when a lookup
 * returns them.
 */
import type { FunctionSymbol } from '../core/types.js';
import { glibcBsearch } from '../core/glibc-bsearch.js';
import { bytesToString } from '../core/record-data.js';
import { latin1Bytes } from '../core/out-buffer.js';

function isWsCode(c: number | undefined): boolean {
  return c === 32 || (c !== undefined && c >= 9 && c <= 13);
}
/** Whether bytes[at ..] start with the byte string s. */
function sameText(bytes: Uint8Array, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (bytes[at + k] !== s.charCodeAt(k)) return false;
  return true;
}
function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** modStart of a parsed symbol whose name end and module are not worked out yet. */
const UNRESOLVED = -2;

function growU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export class KallsymsTable {
  // symbols in registration order
  private n = 0;
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private nameStart = new Int32Array(0);
  private nameEnd = new Int32Array(0);
  /** Module name offsets; modStart -1: no module. */
  private modStart = new Int32Array(0);
  private modEnd = new Int32Array(0);
  private textOf = new Int32Array(0);
  /** The source bytes symbols point into (kallsyms files, registered names). */
  private srcTexts: Uint8Array[] = [];
  /** Symbol indices in lookup order, with their addresses (null: to be sorted). */
  private order: Int32Array | null = null;
  private sHi = new Uint32Array(0);
  private sLo = new Uint32Array(0);
  private cache = new Map<bigint, FunctionSymbol | null>();
  /** Changes whenever symbols are added (callers caching lookups check it). */
  version = 0;

  /** Texts (or functions returning them, as a byte string or its bytes) not parsed yet, in load order. */
  private texts: Array<string | Uint8Array | (() => string | Uint8Array)> = [];
  /** Called when a lazily parsed text turns out malformed. */
  onMalformed: (() => void) | undefined;

  get count(): number {
    this.flushTexts();
    return this.n;
  }

  /** Keeps kallsyms text to parse on first use (most reports never look a symbol up). */
  load(text: string): void {
    this.texts.push(text);
  }

  /** Like load(), with the text itself produced on first use (read, decompressed; bytes need no decoding). */
  loadLazy(get: () => string | Uint8Array): void {
    this.texts.push(get);
  }

  private flushTexts(): void {
    if (!this.texts.length) return;
    const texts = this.texts;
    this.texts = [];
    for (const t of texts) if (!this.parse(typeof t === 'function' ? t() : t)) this.onMalformed?.();
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.hi.length) return;
    const cap = Math.max(need, this.hi.length * 2, 64);
    this.hi = growU32(this.hi, cap);
    this.lo = growU32(this.lo, cap);
    this.nameStart = growI32(this.nameStart, cap);
    this.nameEnd = growI32(this.nameEnd, cap);
    this.modStart = growI32(this.modStart, cap);
    this.modEnd = growI32(this.modEnd, cap);
    this.textOf = growI32(this.textOf, cap);
  }

  private push(hi: number, lo: number, text: number, ns: number, ne: number, ms: number, me: number): void {
    if (this.n >= this.hi.length) this.reserve(1);
    const i = this.n++;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.textOf[i] = text;
    this.nameStart[i] = ns;
    this.nameEnd[i] = ne;
    this.modStart[i] = ms;
    this.modEnd[i] = me;
    this.version++;
    if (this.order) {
      this.order = null;
      this.cache.clear();
    }
  }

  /** tep_parse_kallsyms. Returns false when a line could not be parsed (the rest is ignored). */
  parse(source: string | Uint8Array): boolean {
    const text = typeof source === 'string' ? latin1Bytes(source) : source;
    const n = text.length;
    const tid = this.srcTexts.length;
    this.srcTexts.push(text);
    // a guess at the line count, to grow the arrays once
    this.reserve(Math.ceil(n / 32));
    let pos = 0;
    while (pos < n) {
      let eol = text.indexOf(10, pos);
      if (eol < 0) eol = n;
      if (eol === pos) {
        pos++;
        continue;
      }
      let j = pos;
      while (j < eol && isWsCode(text[j])) j++;
      if (text[j] === 48 && (text[j + 1] | 0x20) === 120 && hexVal(text[j + 2]) >= 0) j += 2;
      const hexStart = j;
      let hi = 0;
      let lo = 0;
      while (j < eol && j - hexStart < 16) {
        const d = hexVal(text[j]);
        if (d < 0) break;
        hi = ((hi << 4) | (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | d) >>> 0;
        j++;
      }
      if (j === hexStart) return false;
      while (j < eol && isWsCode(text[j])) j++;
      if (j >= eol) return false;
      const ch = text[j];
      j++;
      while (j < eol && isWsCode(text[j])) j++;
      const fs = j;
      // a name follows (it ends at the next space); where exactly, and the module after
      // it, is worked out when a lookup returns this symbol (see resolve)
      if (fs >= eol) return false;
      // 'A' and 'a' symbols and names starting with '$' are dropped
      if (text[fs] !== 36 && ch !== 65 && ch !== 97) this.push(hi, lo, tid, fs, eol, UNRESOLVED, -1);
      pos = eol + 1;
    }
    return true;
  }

  /** tep_register_function. */
  register(name: string, addr: bigint, module?: string): void {
    this.flushTexts();
    const tid = this.srcTexts.length;
    this.srcTexts.push(latin1Bytes(module === undefined ? name : name + '\n' + module));
    const ms = module === undefined ? -1 : name.length + 1;
    const me = module === undefined ? -1 : name.length + 1 + module.length;
    this.push(Number((addr >> 32n) & 0xffffffffn), Number(addr & 0xffffffffn), tid, 0, name.length, ms, me);
  }

  /**
   * The lookup order: by address; among equal addresses the later registration first
   * (libtraceevent prepends each symbol to a list, then stable-sorts it).
   */
  private table(): Int32Array {
    this.flushTexts();
    let order = this.order;
    if (order) return order;
    const n = this.n;
    const hi = this.hi;
    const lo = this.lo;
    // sorting the registration order (mostly ascending already: long runs for the merge sort)
    const idx: number[] = new Array<number>(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      idx[i] = i;
      if (i && (hi[i - 1]! > hi[i]! || (hi[i - 1] === hi[i] && lo[i - 1]! >= lo[i]!))) sorted = false;
    }
    if (!sorted) idx.sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || b - a);
    order = Int32Array.from(idx);
    const sHi = new Uint32Array(n);
    const sLo = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      sHi[k] = hi[order[k]!]!;
      sLo[k] = lo[order[k]!]!;
    }
    this.sHi = sHi;
    this.sLo = sLo;
    this.order = order;
    return order;
  }

  /** Finds the end of a parsed symbol's name and its `\t[module]` (nameEnd held the line end). */
  private resolve(i: number): void {
    if (this.modStart[i] !== UNRESOLVED) return;
    const text = this.srcTexts[this.textOf[i]!]!;
    const eol = this.nameEnd[i]!;
    let j = this.nameStart[i]!;
    while (j < eol && !isWsCode(text[j])) j++;
    this.nameEnd[i] = j;
    this.modStart[i] = -1;
    if (text[j] === 9 && text[j + 1] === 91) {
      const m0 = j + 2;
      let k = m0;
      while (k < eol && !isWsCode(text[k])) k++;
      if (k > m0) {
        this.modStart[i] = m0;
        this.modEnd[i] = k - 1;
      }
    }
  }

  private nameOf(i: number): string {
    this.resolve(i);
    return bytesToString(this.srcTexts[this.textOf[i]!]!, this.nameStart[i]!, this.nameEnd[i]!);
  }
  private addrOf(i: number): bigint {
    return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
  }

  /** The symbol containing addr (find_func). */
  find(addr: bigint): FunctionSymbol | undefined {
    const c = this.cache.get(addr);
    if (c !== undefined) return c ?? undefined;
    const order = this.table();
    const sHi = this.sHi;
    const sLo = this.sLo;
    const n = order.length;
    const hi = Number(addr >> 32n);
    const lo = Number(addr & 0xffffffffn);
    // key < symbol k
    const before = (k: number): boolean => hi < sHi[k]! || (hi === sHi[k] && lo < sLo[k]!);
    const idx = glibcBsearch(n, (k) => {
      if (sHi[k] === hi && sLo[k] === lo) return 0;
      const below = before(k);
      // the sentinel after the last symbol has address 0: nothing lies below it
      if (!below && k + 1 < n && before(k + 1)) return 0;
      return below ? -1 : 1;
    });
    let res: FunctionSymbol | null = null;
    if (idx >= 0) {
      const i = order[idx]!;
      const name = this.nameOf(i);
      const ms = this.modStart[i]!;
      res =
        ms >= 0
          ? { name, addr: this.addrOf(i), module: bytesToString(this.srcTexts[this.textOf[i]!]!, ms, this.modEnd[i]!) }
          : { name, addr: this.addrOf(i) };
    }
    if (this.cache.size > 100000) this.cache.clear();
    this.cache.set(addr, res);
    return res ?? undefined;
  }

  /** Every symbol in lookup order (tep_print_funcs' order). */
  *symbols(): IterableIterator<FunctionSymbol> {
    const order = this.table();
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const name = this.nameOf(i);
      const ms = this.modStart[i]!;
      yield ms >= 0
        ? { name, addr: this.addrOf(i), module: bytesToString(this.srcTexts[this.textOf[i]!]!, ms, this.modEnd[i]!) }
        : { name, addr: this.addrOf(i) };
    }
  }

  /** test_for_symbol: the address of the first symbol with this name, or 0. */
  addressOf(name: string): bigint {
    const order = this.table();
    const known = this.byName.get(name);
    if (known !== undefined && known[0] === this.version) return known[1];
    let addr = 0n;
    const len = name.length;
    const c0 = name.charCodeAt(0);
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const text = this.srcTexts[this.textOf[i]!]!;
      const ns = this.nameStart[i]!;
      if (text[ns] !== c0) continue;
      this.resolve(i);
      if (this.nameEnd[i]! - ns !== len || !sameText(text, ns, name)) continue;
      addr = this.addrOf(i);
      break;
    }
    if (this.byName.size >= 4096) this.byName.clear();
    this.byName.set(name, [this.version, addr]);
    return addr;
  }
  private byName = new Map<string, [number, bigint]>();
}
