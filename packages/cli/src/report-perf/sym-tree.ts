/**
 * A DSO's symbols the way perf 6.1 keeps them: one red-black tree ordered by start address, where
 * symbols may overlap (a zero-size symbol stretched to the next one, the PLT entries synthesized
 * after the ELF tables). A lookup walks down from the root and takes the first symbol on its path
 * that holds the address, so which of two overlapping symbols wins depends on the tree's shape:
 * this tree is built by the same insertions and removals, with the classic red-black rebalancing
 * (the one the kernel's lib/rbtree.c implements), to come out the same shape.
 */

export interface TreeSym {
  start: bigint;
  end: bigint;
  name: string;
  bind: number;
}

const NIL = -1;
const STB_GLOBAL = 1,
  STB_WEAK = 2;

export class SymTree {
  readonly #sym: TreeSym[] = [];
  readonly #left: number[] = [];
  readonly #right: number[] = [];
  readonly #parent: number[] = [];
  readonly #red: boolean[] = [];
  #root = NIL;

  get size(): number {
    let n = 0;
    for (let x = this.#first(); x !== NIL; x = this.#next(x)) n++;
    return n;
  }

  /** Symbols in address order. */
  list(): TreeSym[] {
    const out: TreeSym[] = [];
    for (let x = this.#first(); x !== NIL; x = this.#next(x)) out.push(this.#sym[x]!);
    return out;
  }

  /** Adds a symbol; one with the same start goes after the ones already there. */
  insert(s: TreeSym): void {
    const n = this.#sym.length;
    this.#sym.push(s);
    this.#left.push(NIL);
    this.#right.push(NIL);
    this.#red.push(true);
    let p = NIL,
      x = this.#root,
      goLeft = false;
    while (x !== NIL) {
      p = x;
      goLeft = s.start < this.#sym[x]!.start;
      x = goLeft ? this.#left[x]! : this.#right[x]!;
    }
    this.#parent.push(p);
    if (p === NIL) this.#root = n;
    else if (goLeft) this.#left[p] = n;
    else this.#right[p] = n;
    this.#insertFixup(n);
  }

  /** perf's symbols__find: the first symbol on the search path holding `addr`. */
  find(addr: bigint): TreeSym | undefined {
    let x = this.#root;
    while (x !== NIL) {
      const s = this.#sym[x]!;
      if (addr < s.start) x = this.#left[x]!;
      else if (addr > s.end || (addr === s.end && addr !== s.start)) x = this.#right[x]!;
      else return s;
    }
    return undefined;
  }

  /** perf's symbols__fixup_end: a zero-size symbol ends where the next one starts (the last: a page on). */
  fixupEnd(): void {
    let cur = this.#first();
    if (cur === NIL) return;
    for (let nx = this.#next(cur); nx !== NIL; nx = this.#next(nx)) {
      const prev = this.#sym[cur]!;
      cur = nx;
      if (prev.end === prev.start) prev.end = this.#sym[cur]!.start;
    }
    const last = this.#sym[cur]!;
    if (last.end === last.start) last.end = ((last.start + 4095n) / 4096n) * 4096n + 4096n;
  }

  /** perf's symbols__fixup_duplicate: of the symbols at one address, keeps choose_best_symbol's. */
  fixupDuplicate(): void {
    let nd = this.#first();
    while (nd !== NIL) {
      const cur = nd;
      for (;;) {
        nd = this.#next(cur);
        if (nd === NIL) return;
        if (this.#sym[cur]!.start !== this.#sym[nd]!.start) break;
        if (preferFirst(this.#sym[cur]!, this.#sym[nd]!)) {
          this.#erase(nd);
          continue;
        }
        nd = this.#next(cur);
        this.#erase(cur);
        break;
      }
    }
  }

  #first(): number {
    let x = this.#root;
    if (x === NIL) return NIL;
    while (this.#left[x] !== NIL) x = this.#left[x]!;
    return x;
  }

  #next(x: number): number {
    if (this.#right[x] !== NIL) {
      x = this.#right[x]!;
      while (this.#left[x] !== NIL) x = this.#left[x]!;
      return x;
    }
    let p = this.#parent[x]!;
    while (p !== NIL && x === this.#right[p]) {
      x = p;
      p = this.#parent[p]!;
    }
    return p;
  }

  #isRed(x: number): boolean {
    return x !== NIL && this.#red[x]!;
  }

  /** Puts `to` where `from` hangs under `from`'s parent. */
  #replaceChild(from: number, to: number): void {
    const p = this.#parent[from]!;
    if (p === NIL) this.#root = to;
    else if (this.#left[p] === from) this.#left[p] = to;
    else this.#right[p] = to;
    if (to !== NIL) this.#parent[to] = p;
  }

  #rotateLeft(x: number): void {
    const y = this.#right[x]!;
    const b = this.#left[y]!;
    this.#right[x] = b;
    if (b !== NIL) this.#parent[b] = x;
    this.#replaceChild(x, y);
    this.#left[y] = x;
    this.#parent[x] = y;
  }

  #rotateRight(x: number): void {
    const y = this.#left[x]!;
    const b = this.#right[y]!;
    this.#left[x] = b;
    if (b !== NIL) this.#parent[b] = x;
    this.#replaceChild(x, y);
    this.#right[y] = x;
    this.#parent[x] = y;
  }

  #insertFixup(n: number): void {
    for (;;) {
      const p = this.#parent[n]!;
      if (p === NIL) {
        this.#red[n] = false;
        return;
      }
      if (!this.#red[p]) return;
      const g = this.#parent[p]!;
      if (p === this.#left[g]) {
        const u = this.#right[g]!;
        if (this.#isRed(u)) {
          this.#red[u] = false;
          this.#red[p] = false;
          this.#red[g] = true;
          n = g;
          continue;
        }
        let top = p;
        if (n === this.#right[p]) {
          this.#rotateLeft(p);
          top = n;
        }
        this.#rotateRight(g);
        this.#red[top] = false;
        this.#red[g] = true;
        return;
      }
      const u = this.#left[g]!;
      if (this.#isRed(u)) {
        this.#red[u] = false;
        this.#red[p] = false;
        this.#red[g] = true;
        n = g;
        continue;
      }
      let top = p;
      if (n === this.#left[p]) {
        this.#rotateRight(p);
        top = n;
      }
      this.#rotateLeft(g);
      this.#red[top] = false;
      this.#red[g] = true;
      return;
    }
  }

  /** Removes node `z`: a node with two children gives its place (and colour) to its successor. */
  #erase(z: number): void {
    const zl = this.#left[z]!,
      zr = this.#right[z]!;
    let rebalance = NIL; // the parent of the place that lost a black node
    if (zl === NIL || zr === NIL) {
      const child = zl === NIL ? zr : zl;
      const p = this.#parent[z]!;
      this.#replaceChild(z, child);
      if (child !== NIL)
        this.#red[child] = false; // a lone child is red under a black node
      else if (!this.#red[z]) rebalance = p;
    } else {
      let y = zr;
      while (this.#left[y] !== NIL) y = this.#left[y]!;
      const child2 = this.#right[y]!;
      let p: number;
      if (y === zr) p = y;
      else {
        p = this.#parent[y]!;
        this.#left[p] = child2;
        if (child2 !== NIL) this.#parent[child2] = p;
        this.#right[y] = zr;
        this.#parent[zr] = y;
      }
      this.#left[y] = zl;
      this.#parent[zl] = y;
      const yWasRed = this.#red[y]!;
      this.#replaceChild(z, y);
      this.#red[y] = this.#red[z]!;
      if (child2 !== NIL) this.#red[child2] = false;
      else if (!yWasRed) rebalance = p;
    }
    this.#left[z] = this.#right[z] = this.#parent[z] = NIL;
    if (rebalance !== NIL) this.#eraseFixup(rebalance);
  }

  /** Restores the black height below `parent`, one of whose sides (`node`, maybe empty) is a black short. */
  #eraseFixup(parent: number): void {
    let node = NIL;
    for (;;) {
      let sib = this.#right[parent]!;
      if (node !== sib) {
        // node is the left child
        if (this.#isRed(sib)) {
          this.#rotateLeft(parent);
          this.#red[sib] = false;
          this.#red[parent] = true;
          sib = this.#right[parent]!;
        }
        if (!this.#isRed(this.#right[sib]!)) {
          if (!this.#isRed(this.#left[sib]!)) {
            this.#red[sib] = true;
            if (this.#red[parent]) this.#red[parent] = false;
            else {
              node = parent;
              parent = this.#parent[node]!;
              if (parent !== NIL) continue;
            }
            return;
          }
          const t = this.#left[sib]!;
          this.#rotateRight(sib);
          this.#red[t] = false;
          this.#red[sib] = true;
          sib = t;
        }
        const far = this.#right[sib]!;
        this.#rotateLeft(parent);
        this.#red[sib] = this.#red[parent]!;
        this.#red[parent] = false;
        this.#red[far] = false;
        return;
      }
      sib = this.#left[parent]!;
      if (this.#isRed(sib)) {
        this.#rotateRight(parent);
        this.#red[sib] = false;
        this.#red[parent] = true;
        sib = this.#left[parent]!;
      }
      if (!this.#isRed(this.#left[sib]!)) {
        if (!this.#isRed(this.#right[sib]!)) {
          this.#red[sib] = true;
          if (this.#red[parent]) this.#red[parent] = false;
          else {
            node = parent;
            parent = this.#parent[node]!;
            if (parent !== NIL) continue;
          }
          return;
        }
        const t = this.#right[sib]!;
        this.#rotateLeft(sib);
        this.#red[t] = false;
        this.#red[sib] = true;
        sib = t;
      }
      const far = this.#left[sib]!;
      this.#rotateRight(parent);
      this.#red[sib] = this.#red[parent]!;
      this.#red[parent] = false;
      this.#red[far] = false;
      return;
    }
  }

  /** Checks the red-black invariants and the order (tests). Returns the black height. */
  check(): number {
    const walk = (x: number): number => {
      if (x === NIL) return 1;
      const l = this.#left[x]!,
        r = this.#right[x]!;
      if (l !== NIL && this.#parent[l] !== x) throw new Error('bad parent link');
      if (r !== NIL && this.#parent[r] !== x) throw new Error('bad parent link');
      if (this.#red[x] && (this.#isRed(l) || this.#isRed(r))) throw new Error('red node with a red child');
      if (l !== NIL && this.#sym[l]!.start > this.#sym[x]!.start) throw new Error('order');
      if (r !== NIL && this.#sym[r]!.start < this.#sym[x]!.start) throw new Error('order');
      const hl = walk(l),
        hr = walk(r);
      if (hl !== hr) throw new Error('black height');
      return hl + (this.#red[x] ? 0 : 1);
    };
    if (this.#isRed(this.#root)) throw new Error('red root');
    return walk(this.#root);
  }
}

function underscores(n: string): number {
  let i = 0;
  while (n[i] === '_') i++;
  return i;
}

/** perf's choose_best_symbol: true when `a` stays and `b` goes. */
export function preferFirst(a: TreeSym, b: TreeSym): boolean {
  const la = a.end - a.start,
    lb = b.end - b.start;
  if (lb === 0n && la > 0n) return true;
  if (la === 0n && lb > 0n) return false;
  const aw = a.bind === STB_WEAK,
    bw = b.bind === STB_WEAK;
  if (bw && !aw) return true;
  if (aw && !bw) return false;
  const ag = a.bind === STB_GLOBAL,
    bg = b.bind === STB_GLOBAL;
  if (ag && !bg) return true;
  if (bg && !ag) return false;
  const ua = underscores(a.name),
    ub = underscores(b.name);
  if (ub > ua) return true;
  if (ua > ub) return false;
  if (a.name.length !== b.name.length) return a.name.length > b.name.length;
  // arch__choose_best_symbol: avoid the kernel's "SyS" syscall aliases
  return !(a.name.startsWith('SyS') || a.name.startsWith('compat_SyS'));
}
