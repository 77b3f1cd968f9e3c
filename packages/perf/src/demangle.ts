/**
 * Itanium C++ ABI demangling as Debian's perf 6.1 shows user-space symbols: perf (built without
 * libbfd) calls libiberty's cplus_demangle with no options unless -v, so a function prints as its
 * qualified name with template arguments and without parameters, return type or clone suffix
 * (`ns::Box<double>::spin` for `_ZN2ns3BoxIdE4spinEi.cold`). Names nested in a local name or a
 * special name (`vtable for`, thunks) print in full, parameters included, as libiberty does.
 * Our own parser and printer, written from the ABI's grammar; a name it cannot parse stays mangled.
 */

type Node =
  | { k: 'name'; s: string; full?: string }
  | { k: 'nested'; l: Node; r: Node }
  | { k: 'tmpl'; n: Node; args: Node[] }
  | { k: 'mod'; m: string; t: Node; fnq?: boolean } // '*', '&', '&&', ' const', ' volatile', ' restrict'
  | { k: 'fn'; ret: Node | undefined; params: Node[]; quals: string }
  | { k: 'arr'; dim: string; t: Node }
  | { k: 'ptm'; cls: Node; t: Node }
  | { k: 'pack'; items: Node[] }
  | { k: 'encoding'; name: Node; fn: Node | undefined }
  | { k: 'special'; pre: string; inner: Node; post?: string };

class Fail extends Error {}

const BUILTIN: Record<string, string> = {
  v: 'void',
  w: 'wchar_t',
  b: 'bool',
  c: 'char',
  a: 'signed char',
  h: 'unsigned char',
  s: 'short',
  t: 'unsigned short',
  i: 'int',
  j: 'unsigned int',
  l: 'long',
  m: 'unsigned long',
  x: 'long long',
  y: 'unsigned long long',
  n: '__int128',
  o: 'unsigned __int128',
  f: 'float',
  d: 'double',
  e: 'long double',
  g: '__float128',
  z: '...',
};
const DBUILTIN: Record<string, string> = {
  d: 'decimal64',
  e: 'decimal128',
  f: 'decimal32',
  h: 'half',
  i: 'char32_t',
  s: 'char16_t',
  u: 'char8_t',
  a: 'auto',
  c: 'decltype(auto)',
  n: 'decltype(nullptr)',
};
const OPS: Record<string, string> = {
  nw: 'new',
  na: 'new[]',
  dl: 'delete',
  da: 'delete[]',
  ps: '+',
  ng: '-',
  ad: '&',
  de: '*',
  co: '~',
  pl: '+',
  mi: '-',
  ml: '*',
  dv: '/',
  rm: '%',
  an: '&',
  or: '|',
  eo: '^',
  aS: '=',
  pL: '+=',
  mI: '-=',
  mL: '*=',
  dV: '/=',
  rM: '%=',
  aN: '&=',
  oR: '|=',
  eO: '^=',
  ls: '<<',
  rs: '>>',
  lS: '<<=',
  rS: '>>=',
  eq: '==',
  ne: '!=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
  ss: '<=>',
  nt: '!',
  aa: '&&',
  oo: '||',
  pp: '++',
  mm: '--',
  cm: ',',
  pm: '->*',
  pt: '->',
  cl: '()',
  ix: '[]',
  qu: '?',
  aw: 'co_await',
};
const STD_SUBS: Record<string, Node> = {
  t: { k: 'name', s: 'std' },
  a: { k: 'name', s: 'std::allocator' },
  b: { k: 'name', s: 'std::basic_string' },
  s: { k: 'name', s: 'std::string' },
  i: { k: 'name', s: 'std::istream' },
  o: { k: 'name', s: 'std::ostream' },
  d: { k: 'name', s: 'std::iostream' },
};
// the full names libiberty prints for Ss/Si/So/Sd when they are the prefix of a ctor/dtor
const STD_FULL: Record<string, string> = {
  s: 'basic_string',
  i: 'basic_istream',
  o: 'basic_ostream',
  d: 'basic_iostream',
};

const VERBOSE: Record<string, string> = {
  s: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
  i: 'std::basic_istream<char, std::char_traits<char> >',
  o: 'std::basic_ostream<char, std::char_traits<char> >',
  d: 'std::basic_iostream<char, std::char_traits<char> >',
};

class Parser {
  i = 0;
  subs: Node[] = [];
  tmplArgs: Node[] | undefined;
  inLambda = false;
  /** types being parsed: template arguments inside a type do not become the T_ of the encoding */
  typeDepth = 0;
  constructor(
    readonly s: string,
    readonly verbose = false,
  ) {}
  peek(o = 0): string {
    return this.s[this.i + o] ?? '';
  }
  eat(c: string): boolean {
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  need(c: string): void {
    if (!this.eat(c)) throw new Fail();
  }
  num(): number {
    const neg = this.eat('n');
    const m = /^\d+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    this.i += m[0].length;
    return neg ? -Number(m[0]) : Number(m[0]);
  }
  /** seq-id in base 36, then `_`: S_ is 0, S0_ is 1 */
  seq(): number {
    if (this.eat('_')) return 0;
    const m = /^[0-9A-Z]+/.exec(this.s.slice(this.i));
    if (!m) throw new Fail();
    this.i += m[0].length;
    this.need('_');
    return Number.parseInt(m[0], 36) + 1;
  }
  source(): Node {
    const n = this.num();
    if (n <= 0 || this.i + n > this.s.length) throw new Fail();
    const id = this.s.slice(this.i, this.i + n);
    this.i += n;
    return { k: 'name', s: id.startsWith('_GLOBAL_') && /^_GLOBAL_[._$]N/.test(id) ? '(anonymous namespace)' : id };
  }

  /** <encoding>; top: the symbol itself (perf prints only its name) */
  encoding(top: boolean): Node {
    const depth = this.typeDepth;
    this.typeDepth = 0;
    try {
      return this.encoding1(top);
    } finally {
      this.typeDepth = depth;
    }
  }
  encoding1(top: boolean): Node {
    const c = this.peek();
    if (c === 'G' || (c === 'T' && this.peek(1) !== '_' && !/\d/.test(this.peek(1)))) return this.special();
    const name = this.name();
    if (top || this.i >= this.s.length || this.peek() === 'E' || this.peek() === '.') return { k: 'encoding', name, fn: undefined };
    const hasRet = isTemplate(name) && !isCtorDtor(name);
    const ret = hasRet ? this.type() : undefined;
    const params = this.params();
    return { k: 'encoding', name, fn: { k: 'fn', ret, params, quals: '' } };
  }
  params(): Node[] {
    const ps: Node[] = [];
    while (this.i < this.s.length && this.peek() !== 'E' && this.peek() !== '.') ps.push(this.type());
    if (ps.length === 0) throw new Fail();
    return ps;
  }
  special(): Node {
    const two = this.s.slice(this.i, this.i + 2);
    this.i += 2;
    switch (two) {
      case 'TV':
        return { k: 'special', pre: 'vtable for ', inner: this.type() };
      case 'TT':
        return { k: 'special', pre: 'VTT for ', inner: this.type() };
      case 'TI':
        return { k: 'special', pre: 'typeinfo for ', inner: this.type() };
      case 'TS':
        return { k: 'special', pre: 'typeinfo name for ', inner: this.type() };
      case 'TH':
        return { k: 'special', pre: 'TLS init function for ', inner: this.name() };
      case 'TW':
        return { k: 'special', pre: 'TLS wrapper function for ', inner: this.name() };
      case 'Th':
        this.num();
        this.need('_');
        return { k: 'special', pre: 'non-virtual thunk to ', inner: this.encoding(false) };
      case 'Tv':
        this.num();
        this.need('_');
        this.num();
        this.need('_');
        return { k: 'special', pre: 'virtual thunk to ', inner: this.encoding(false) };
      case 'Tc':
        for (let j = 0; j < 2; j++) {
          if (this.eat('h')) {
            this.num();
            this.need('_');
          } else if (this.eat('v')) {
            this.num();
            this.need('_');
            this.num();
            this.need('_');
          } else throw new Fail();
        }
        return { k: 'special', pre: 'covariant return thunk to ', inner: this.encoding(false) };
      case 'TC': {
        const derived = this.type();
        this.num();
        this.need('_');
        const base = this.type();
        return { k: 'special', pre: 'construction vtable for ', inner: base, post: `-in-${print(derived)}` };
      }
      case 'GV':
        return { k: 'special', pre: 'guard variable for ', inner: this.name() };
      case 'GR': {
        const n = this.name();
        let idx = 0;
        if (!this.eat('_')) idx = this.seq();
        return { k: 'special', pre: `reference temporary #${idx} for `, inner: n };
      }
      case 'GA':
        return { k: 'special', pre: 'hidden alias for ', inner: this.encoding(false) };
      case 'GT':
        if (this.eat('n')) return { k: 'special', pre: 'non-transaction clone for ', inner: this.encoding(false) };
        this.eat('t');
        return { k: 'special', pre: 'transaction clone for ', inner: this.encoding(false) };
      default:
        throw new Fail();
    }
  }

  name(): Node {
    const c = this.peek();
    if (c === 'N') return this.nested();
    if (c === 'Z') return this.local();
    let n: Node;
    if (c === 'S' && this.peek(1) === 't') {
      this.i += 2;
      n = { k: 'nested', l: { k: 'name', s: 'std' }, r: this.unqualified(undefined) };
    } else if (c === 'S') {
      n = this.substitution();
      if (this.peek() !== 'I') throw new Fail();
      this.i++;
      return { k: 'tmpl', n, args: this.templateArgs() };
    } else n = this.unqualified(undefined);
    if (this.peek() === 'I') {
      this.subs.push(n);
      this.i++;
      n = { k: 'tmpl', n, args: this.templateArgs() };
    }
    return n;
  }
  local(): Node {
    this.need('Z');
    const saved = this.tmplArgs;
    const fn = this.encoding(false);
    this.tmplArgs = saved;
    // libiberty leaves out the return type of the function a local name is in
    if (fn.k === 'encoding' && fn.fn?.k === 'fn') fn.fn.ret = undefined;
    this.need('E');
    if (this.eat('s')) {
      this.discriminator();
      return { k: 'nested', l: fn, r: { k: 'name', s: 'string literal' } };
    }
    if (this.eat('d')) {
      const idx = this.peek() === '_' ? 1 : this.num() + 2;
      this.need('_');
      const ent = this.name();
      return { k: 'nested', l: { k: 'nested', l: fn, r: { k: 'name', s: `{default arg#${idx}}` } }, r: ent };
    }
    const ent = this.name();
    this.discriminator();
    return { k: 'nested', l: fn, r: ent };
  }
  discriminator(): void {
    if (this.peek() !== '_' || !/[\d_]/.test(this.peek(1))) return;
    this.i++;
    if (this.eat('_')) {
      this.num();
      this.need('_');
    } else this.num();
  }
  nested(): Node {
    this.need('N');
    const quals = this.cvQuals();
    let ref = '';
    if (this.eat('R')) ref = ' &';
    else if (this.eat('O')) ref = ' &&';
    let cur: Node | undefined;
    while (!this.eat('E')) {
      const c = this.peek();
      let next: Node;
      if (c === 'S' && this.peek(1) === 't' && cur === undefined) {
        this.i += 2;
        cur = { k: 'name', s: 'std' };
        continue;
      }
      if (c === 'S' && cur === undefined) {
        cur = this.substitution(true);
        continue;
      }
      if (c === 'T' && cur === undefined) {
        cur = this.templateParam();
        this.subs.push(cur);
        continue;
      }
      if (c === 'I') {
        if (!cur) throw new Fail();
        this.i++;
        next = { k: 'tmpl', n: cur, args: this.templateArgs() };
        cur = next;
      } else if (c === 'M') {
        this.i++;
        continue;
      } else {
        const u = this.unqualified(cur);
        cur = cur ? { k: 'nested', l: cur, r: u } : u;
      }
      if (this.peek() !== 'E') this.subs.push(cur);
    }
    if (!cur) throw new Fail();
    if (quals || ref) return { k: 'mod', m: `${quals}${ref}`, t: cur, fnq: true };
    return cur;
  }
  cvQuals(): string {
    let q = '';
    if (this.eat('r')) q += ' restrict';
    if (this.eat('V')) q += ' volatile';
    if (this.eat('K')) q += ' const';
    return q;
  }
  unqualified(scope: Node | undefined): Node {
    const c = this.peek();
    let n: Node;
    if (/\d/.test(c)) n = this.source();
    else if (c === 'L') {
      this.i++;
      n = this.source();
      this.discriminator();
    } else if (c === 'C' && /[1-5I]/.test(this.peek(1))) {
      this.i += 2;
      if (this.s[this.i - 1] === 'I') this.type();
      n = { k: 'name', s: lastName(scope) };
    } else if (c === 'D' && /[0-5]/.test(this.peek(1))) {
      this.i += 2;
      n = { k: 'name', s: `~${lastName(scope)}` };
    } else if (c === 'U' && this.peek(1) === 't') {
      this.i += 2;
      const idx = this.peek() === '_' ? 1 : this.num() + 2;
      this.need('_');
      n = { k: 'name', s: `{unnamed type#${idx}}` };
    } else if (c === 'U' && this.peek(1) === 'l') {
      this.i += 2;
      const ps: Node[] = [];
      const wasLambda = this.inLambda;
      this.inLambda = true;
      while (!this.eat('E')) ps.push(this.type());
      this.inLambda = wasLambda;
      const idx = this.peek() === '_' ? 1 : this.num() + 2;
      this.need('_');
      const list =
        ps.length === 1 && ps[0]!.k === 'name' && (ps[0] as { s: string }).s === 'void' ? '' : ps.map((x) => print(x)).join(', ');
      n = { k: 'name', s: `{lambda(${list})#${idx}}` };
    } else if (c === 'c' && this.peek(1) === 'v') {
      this.i += 2;
      n = { k: 'name', s: `operator ${print(this.type())}` };
    } else if (c === 'l' && this.peek(1) === 'i') {
      this.i += 2;
      n = { k: 'name', s: `operator"" ${(this.source() as { s: string }).s}` };
    } else {
      const op = OPS[this.s.slice(this.i, this.i + 2)];
      if (!op) throw new Fail();
      this.i += 2;
      n = { k: 'name', s: /^[a-z]/.test(op) ? `operator ${op}` : `operator${op}` };
    }
    while (this.peek() === 'B') {
      this.i++;
      const tag = this.source() as { s: string };
      n = { k: 'name', s: `${(n as { s: string }).s}[abi:${tag.s}]` };
    }
    return n;
  }
  /** prefix: in a nested name, where Ss/Si/So/Sd before a ctor/dtor print in full (libiberty's rule) */
  substitution(prefix = false): Node {
    this.need('S');
    const c = this.peek();
    if (c in STD_SUBS && c !== '_' && !/[0-9A-Z]/.test(c)) {
      this.i++;
      // a ctor/dtor right after Ss/Si/So/Sd in a prefix: the full template name, and its simple name for the ctor/dtor
      if (prefix && STD_FULL[c] && /^(C[1-5]|D[0-5])/.test(this.s.slice(this.i))) return { k: 'name', s: VERBOSE[c]!, full: STD_FULL[c] };
      return this.verbose && VERBOSE[c] ? { k: 'name', s: VERBOSE[c]! } : STD_SUBS[c]!;
    }
    const id = this.seq();
    const n = this.subs[id];
    if (!n) throw new Fail();
    return n;
  }
  templateParam(): Node {
    this.need('T');
    const id = this.seq();
    if (this.inLambda) return { k: 'name', s: `auto:${id + 1}` };
    const a = this.tmplArgs?.[id];
    if (!a) throw new Fail();
    return a;
  }
  templateArgs(): Node[] {
    const args: Node[] = [];
    while (!this.eat('E')) args.push(this.templateArg());
    if (this.typeDepth === 0) this.tmplArgs = args;
    return args;
  }
  templateArg(): Node {
    const c = this.peek();
    if (c === 'L') return this.literal();
    if (c === 'J') {
      this.i++;
      const items: Node[] = [];
      while (!this.eat('E')) items.push(this.templateArg());
      return { k: 'pack', items };
    }
    if (c === 'X') {
      // only `&function` (XadL_Z…EE): libiberty prints the function's name without its parameters
      this.i++;
      this.need('ad');
      const e = this.literal();
      this.need('E');
      if (e.k !== 'encoding') throw new Fail();
      // a plain qualified name prints bare; a template or a cv-qualified method in parentheses, in full
      const bare = e.name.k === 'nested' || (e.name.k === 'name' && !e.fn);
      return { k: 'name', s: bare ? `&${print(e.name)}` : `&(${print(e)})` };
    }
    return this.type();
  }
  literal(): Node {
    this.need('L');
    if (this.peek() === '_' && this.peek(1) === 'Z') {
      this.i += 2;
      const saved = this.tmplArgs;
      const e = this.encoding(false);
      this.tmplArgs = saved;
      this.need('E');
      return e;
    }
    const t = this.type();
    const neg = this.eat('n');
    const m = /^[0-9a-f.]*/.exec(this.s.slice(this.i))!;
    this.i += m[0].length;
    this.need('E');
    const v = (neg ? '-' : '') + m[0];
    const tn = t.k === 'name' ? t.s : '';
    switch (tn) {
      case 'int':
        return { k: 'name', s: v };
      case 'unsigned int':
        return { k: 'name', s: `${v}u` };
      case 'long':
        return { k: 'name', s: `${v}l` };
      case 'unsigned long':
        return { k: 'name', s: `${v}ul` };
      case 'long long':
        return { k: 'name', s: `${v}ll` };
      case 'unsigned long long':
        return { k: 'name', s: `${v}ull` };
      case 'bool':
        if (v === '0') return { k: 'name', s: 'false' };
        if (v === '1') return { k: 'name', s: 'true' };
    }
    return { k: 'name', s: `(${print(t)})${v}` };
  }

  type(): Node {
    this.typeDepth++;
    try {
      return this.type1();
    } finally {
      this.typeDepth--;
    }
  }
  type1(): Node {
    const c = this.peek();
    if (c in BUILTIN) {
      this.i++;
      return { k: 'name', s: BUILTIN[c]! };
    }
    let t: Node;
    switch (c) {
      case 'u':
        this.i++;
        return this.source();
      case 'D': {
        const d = this.peek(1);
        if (d in DBUILTIN) {
          this.i += 2;
          return { k: 'name', s: DBUILTIN[d]! };
        }
        if (d === 'F') {
          this.i += 2;
          const bits = this.num();
          this.need('_');
          return { k: 'name', s: `_Float${bits}` };
        }
        if (d === 'o' && this.peek(2) === 'F') {
          this.i += 2;
          const f = this.type1();
          if (f.k !== 'fn') throw new Fail();
          f.quals += ' noexcept';
          return f;
        }
        if (d === 'p') {
          this.i += 2;
          t = expand(this.type());
          break;
        }
        throw new Fail();
      }
      case 'r':
      case 'V':
      case 'K': {
        const q = this.cvQuals();
        const inner = this.type();
        t = inner.k === 'fn' ? { ...inner, quals: inner.quals + q } : { k: 'mod', m: q, t: inner };
        break;
      }
      case 'P':
        this.i++;
        t = { k: 'mod', m: '*', t: this.type() };
        break;
      case 'R':
        this.i++;
        t = { k: 'mod', m: '&', t: this.type() };
        break;
      case 'O':
        this.i++;
        t = { k: 'mod', m: '&&', t: this.type() };
        break;
      case 'F': {
        this.i++;
        this.eat('Y');
        const ret = this.type();
        const ps: Node[] = [];
        while (!this.eat('E')) {
          if ((this.peek() === 'R' || this.peek() === 'O') && this.peek(1) === 'E') {
            this.i++;
            continue;
          }
          ps.push(this.type());
        }
        t = { k: 'fn', ret, params: ps, quals: '' };
        break;
      }
      case 'A': {
        this.i++;
        let dim = '';
        if (/\d/.test(this.peek())) dim = String(this.num());
        else if (this.peek() !== '_') throw new Fail();
        this.need('_');
        t = { k: 'arr', dim, t: this.type() };
        break;
      }
      case 'M': {
        this.i++;
        const cls = this.type();
        t = { k: 'ptm', cls, t: this.type() };
        break;
      }
      case 'T':
        t = this.templateParam();
        this.subs.push(t);
        if (this.peek() === 'I') {
          this.i++;
          t = { k: 'tmpl', n: t, args: this.templateArgs() };
          this.subs.push(t);
        }
        return t;
      case 'S': {
        if (this.peek(1) === 't') {
          t = this.name();
          break;
        }
        const sub = this.substitution();
        if (this.peek() === 'I') {
          this.i++;
          t = { k: 'tmpl', n: sub, args: this.templateArgs() };
          break;
        }
        return sub;
      }
      case 'N':
      case 'Z':
        t = this.name();
        break;
      default:
        if (/\d/.test(c)) {
          t = this.name();
          break;
        }
        throw new Fail();
    }
    this.subs.push(t);
    return t;
  }
}

/** A pack expansion (Dp): the pattern repeated over the pack it holds, or `T...` when it holds none. */
function expand(n: Node): Node {
  const mods: string[] = [];
  let t = n;
  while (t.k === 'mod' && !t.fnq) {
    mods.push(t.m);
    t = t.t;
  }
  if (t.k !== 'pack') return { k: 'mod', m: '...', t: n };
  return {
    k: 'pack',
    items: t.items.map((it) => mods.reduceRight<Node>((acc, m) => ({ k: 'mod', m, t: acc }), it)),
  };
}

function lastName(n: Node | undefined): string {
  if (!n) throw new Fail();
  const full = (n as { full?: string }).full;
  if (full) return full;
  if (n.k === 'name') return n.s.replace(/^.*::/, '').replace(/\[abi:[^\]]*\]$/, '');
  if (n.k === 'nested') return lastName(n.r);
  if (n.k === 'tmpl') return lastName(n.n);
  throw new Fail();
}
function isTemplate(n: Node): boolean {
  if (n.k === 'tmpl') return true;
  if (n.k === 'mod') return isTemplate(n.t);
  return false;
}
function isCtorDtor(n: Node): boolean {
  if (n.k === 'mod') return isCtorDtor(n.t);
  if (n.k !== 'tmpl') return false;
  const inner = n.n;
  const last = inner.k === 'nested' ? inner.r : inner;
  if (last.k !== 'name') return false;
  const scope = inner.k === 'nested' ? inner.l : undefined;
  if (!scope) return false;
  try {
    const ln = lastName(scope);
    return last.s === ln || last.s === `~${ln}`;
  } catch {
    return false;
  }
}

/**
 * An argument list as libiberty prints it: `, ` before each argument after the first, taken back
 * when that argument prints nothing (an empty pack) while its space still counts as the last
 * character printed (which decides `> >`). Returns the text and that last character.
 */
function joinArgs(strs: string[]): [string, string] {
  let text = strs[0] ?? '',
    last = text.slice(-1);
  for (let i = 1; i < strs.length; i++) {
    if (strs[i] === '') last = ' ';
    else {
      text += `, ${strs[i]}`;
      last = text.slice(-1);
    }
  }
  return [text, last];
}
function params(ps: Node[]): string {
  if (ps.length === 1 && ps[0]!.k === 'name' && ps[0]!.s === 'void') return '()';
  return `(${joinArgs(ps.map((x) => print(x)))[0]})`;
}
/** a declarator type: its printing wraps what is declared (function, array, pointer to member) */
function wraps(n: Node): boolean {
  while (n.k === 'mod' && !n.fnq) n = n.t;
  return n.k === 'fn' || n.k === 'arr' || n.k === 'ptm';
}
/** the cv/ref qualifiers of a method, from its name or from the entity of a local name */
function fnQuals(n: Node): string {
  if (n.k === 'mod' && n.fnq) return n.m;
  if (n.k === 'nested' && n.r.k === 'mod' && n.r.fnq) return n.r.m;
  return '';
}

/** A type printed around a declarator (`inner`): `char const*`, `void (*)(int)`, `int (&) [3]`. */
function print(n: Node, inner = ''): string {
  switch (n.k) {
    case 'name':
      return n.s + inner;
    case 'nested':
      return `${print(n.l)}::${print(n.r.k === 'mod' && n.r.fnq ? n.r.t : n.r)}${inner}`;
    case 'tmpl': {
      const base = print(n.n);
      const [args, last] = joinArgs(n.args.map((a) => print(a)));
      const open = base.endsWith('<') ? ' <' : '<';
      return `${base}${open}${args}${last === '>' ? ' >' : '>'}${inner}`;
    }
    case 'mod':
      if ((n as { fnq?: boolean }).fnq) return print(n.t) + inner;
      if (n.m === '...') return `${print(n.t)}...${inner}`;
      if ((n.m === '&' || n.m === '&&') && n.t.k === 'mod' && (n.t.m === '&' || n.t.m === '&&'))
        return print({ k: 'mod', m: n.m === '&' || n.t.m === '&' ? '&' : '&&', t: n.t.t }, inner);
      return print(n.t, n.m + inner);
    case 'fn': {
      if (n.ret && wraps(n.ret)) return print(n.ret, `${inner ? `(${inner.replace(/^ /, '')})` : ''}${params(n.params)}${n.quals}`);
      const ret = n.ret ? print(n.ret) : '';
      const decl = inner ? ` (${inner.replace(/^ /, '')})` : ' ';
      return `${ret}${decl}${params(n.params)}${n.quals}`;
    }
    case 'arr':
      return inner ? `${print(n.t)} (${inner}) [${n.dim}]` : `${print(n.t)} [${n.dim}]`;
    case 'ptm': {
      const cls = `${print(n.cls)}::*${inner}`;
      if (n.t.k === 'fn') return `${n.t.ret ? print(n.t.ret) : ''} (${cls})${params(n.t.params)}${n.t.quals}`;
      return print(n.t, ` ${cls}`);
    }
    case 'pack':
      return n.items.map((a) => print(a)).join(', ') + inner;
    case 'encoding': {
      if (n.fn?.k !== 'fn') return print(n.name) + inner;
      const q = fnQuals(n.name);
      const ret = n.fn.ret ? `${print(n.fn.ret)} ` : '';
      return `${ret}${print(n.name)}${params(n.fn.params)}${q}${inner}`;
    }
    case 'special':
      return n.pre + print(n.inner) + (n.post ?? '') + inner;
  }
}

/**
 * `verbose`: the full names of std::string/istream/ostream/iostream (libiberty's DMGL_VERBOSE, which
 * c++filt sets and perf does not).
 * The name perf 6.1 prints for a mangled symbol, or undefined when it prints the symbol unchanged
 * (not an Itanium name, or one this demangler does not parse).
 */
export function demangle(sym: string, opts: { verbose?: boolean } = {}): string | undefined {
  if (!sym.startsWith('_Z')) return undefined;
  const p = new Parser(sym, opts.verbose);
  p.i = 2;
  try {
    const n = p.encoding(true);
    if (n.k === 'encoding') return print(n.name.k === 'mod' && (n.name as { fnq?: boolean }).fnq ? n.name.t : n.name);
    return print(n);
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return undefined;
    throw e;
  }
}
