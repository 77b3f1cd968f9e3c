/**
 * TSDL (CTF 1.8 metadata) parser: turns the text into a resolved trace class — the types of
 * the packet header, of every stream class and event class, the clocks and the env. Type
 * aliases, typedefs, named structs/enums/variants are resolved while parsing.
 * Also de-packetizes LTTng-style packetized metadata.
 */
import { CtfError, CtfErrorCode } from './errors.js';
import { Tok, tokenize } from './tsdl-lexer.js';
import type { Token } from './tsdl-lexer.js';

export interface IntT {
  k: 'int';
  size: number;
  align: number;
  signed: boolean;
  le: boolean;
  base: number;
  encoding: boolean;
  clock: string | undefined;
}
export interface FloatT {
  k: 'float';
  size: number;
  align: number;
  le: boolean;
}
export interface StringT {
  k: 'string';
  align: 8;
}
export interface EnumMapping {
  label: string;
  lo: bigint;
  hi: bigint;
}
export interface EnumT {
  k: 'enum';
  int: IntT;
  mappings: EnumMapping[];
  align: number;
}
export interface StructT {
  k: 'struct';
  fields: Member[];
  align: number;
}
export interface VariantT {
  k: 'variant';
  tag: string[];
  options: Member[];
  align: 1;
}
export interface ArrayT {
  k: 'array';
  elem: CtfType;
  len: number;
  align: number;
}
export interface SeqT {
  k: 'seq';
  elem: CtfType;
  lenPath: string[];
  align: number;
}
export type CtfType = IntT | FloatT | StringT | EnumT | StructT | VariantT | ArrayT | SeqT;
export interface Member {
  name: string;
  type: CtfType;
}

export interface ClockClass {
  name: string;
  freq: bigint;
  offsetS: bigint;
  offset: bigint;
  uuid?: string;
  description?: string;
  absolute: boolean;
}
export interface EventClassT {
  id: number;
  name: string;
  streamId: number;
  loglevel?: number;
  emfUri?: string;
  context?: StructT;
  fields?: StructT;
}
export interface StreamClassT {
  id: number;
  packetContext?: StructT;
  eventHeader?: StructT;
  eventContext?: StructT;
  events: Map<number, EventClassT>;
}
export interface TraceClass {
  major: number;
  minor: number;
  uuid?: string;
  le: boolean;
  packetHeader?: StructT;
  env: Map<string, string | bigint>;
  clocks: Map<string, ClockClass>;
  streams: Map<number, StreamClassT>;
}

const PACKET_MAGIC = 0x75d11d57;

/** Metadata bytes → TSDL text (plain or packetized). */
export function metadataText(bytes: Uint8Array): string {
  if (bytes.length >= 4) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = dv.getUint32(0, true) === PACKET_MAGIC;
    const be = dv.getUint32(0, false) === PACKET_MAGIC;
    if (le || be) {
      let off = 0,
        text = '';
      const dec = new TextDecoder('utf-8');
      while (off + 37 <= bytes.length) {
        if (dv.getUint32(off, le) !== PACKET_MAGIC)
          throw new CtfError(CtfErrorCode.BadMetadata, 'Bad magic in a metadata packet', { offset: off });
        const content = dv.getUint32(off + 24, le) / 8,
          size = dv.getUint32(off + 28, le) / 8;
        if (dv.getUint8(off + 32) || dv.getUint8(off + 33) || dv.getUint8(off + 34))
          throw new CtfError(CtfErrorCode.BadMetadata, 'Compressed, encrypted or checksummed metadata packets are not supported', {
            offset: off,
          });
        if (content < 37 || size < content)
          throw new CtfError(CtfErrorCode.BadMetadata, 'Bad metadata packet sizes', { offset: off, context: { content, size } });
        text += dec.decode(bytes.subarray(off + 37, Math.min(bytes.length, off + content)), { stream: true });
        off += size;
      }
      return text;
    }
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  if (!text.startsWith('/* CTF 1.8'))
    throw new CtfError(CtfErrorCode.BadMetadata, "Metadata is neither packetized nor plain text starting with '/* CTF 1.8'");
  return text;
}

const intDefaults = (le: boolean): IntT => ({
  k: 'int',
  size: 32,
  align: 8,
  signed: false,
  le,
  base: 10,
  encoding: false,
  clock: undefined,
});

function structAlign(fields: Member[], explicit: number): number {
  let a = explicit;
  for (const f of fields) a = Math.max(a, alignOf(f.type));
  return a;
}
export function alignOf(t: CtfType): number {
  return t.k === 'variant' ? 1 : t.align;
}

class Parser {
  private p = 0;
  private readonly aliases: Array<Map<string, CtfType>> = [new Map()];
  private readonly structs = new Map<string, StructT>();
  private readonly enums = new Map<string, EnumT>();
  private readonly variants = new Map<string, VariantT>();
  le = true;
  readonly tc: TraceClass = { major: 0, minor: 0, le: true, env: new Map(), clocks: new Map(), streams: new Map() };
  private readonly pendingEvents: EventClassT[] = [];

  constructor(private readonly toks: Token[]) {}

  private get tok(): Token {
    return this.toks[this.p]!;
  }
  private fail(msg: string): never {
    throw new CtfError(CtfErrorCode.BadMetadata, `${msg} in metadata`, { context: { line: this.tok.line, near: this.tok.v || 'end' } });
  }
  private is(v: string): boolean {
    const t = this.tok;
    return (t.t === Tok.Punct || t.t === Tok.Ident) && t.v === v;
  }
  private eat(v: string): boolean {
    if (this.is(v)) {
      this.p++;
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    if (!this.eat(v)) this.fail(`Expected '${v}'`);
  }
  private ident(): string {
    const t = this.tok;
    if (t.t !== Tok.Ident) this.fail('Expected a name');
    this.p++;
    return t.v;
  }

  parse(): TraceClass {
    while (this.tok.t !== Tok.End) this.topLevel();
    for (const ev of this.pendingEvents) {
      let sc = this.tc.streams.get(ev.streamId);
      if (!sc) {
        if (this.tc.streams.size === 0 && ev.streamId === 0) {
          sc = { id: 0, events: new Map() };
          this.tc.streams.set(0, sc);
        } else this.fail(`Event '${ev.name}' refers to unknown stream ${ev.streamId}`);
      }
      sc.events.set(ev.id, ev);
    }
    return this.tc;
  }

  private lookupAlias(name: string): CtfType | undefined {
    for (let i = this.aliases.length - 1; i >= 0; i--) {
      const t = this.aliases[i]!.get(name);
      if (t) return t;
    }
    return undefined;
  }

  private topLevel(): void {
    const t = this.tok;
    if (t.t === Tok.Punct && t.v === ';') {
      this.p++;
      return;
    }
    switch (t.v) {
      case 'typealias':
        this.p++;
        this.typealias();
        return;
      case 'typedef':
        this.p++;
        this.typedef();
        return;
      case 'trace':
        this.p++;
        this.block(
          (k, v) => this.traceAttr(k, v),
          (k, ty) => {
            if (k === 'packet.header') this.tc.packetHeader = this.asStruct(ty, k);
          },
        );
        return;
      case 'env':
        this.p++;
        this.block((k, v) => {
          this.tc.env.set(k, v.t === Tok.String ? v.v : this.num(v));
        });
        return;
      case 'clock':
        this.p++;
        this.clock();
        return;
      case 'stream':
        this.p++;
        this.stream();
        return;
      case 'event':
        this.p++;
        this.event();
        return;
      case 'callsite':
        this.p++;
        this.block(() => undefined);
        return;
      default: {
        // a named struct/enum/variant declaration: `struct x { ... } align(8);`
        this.typeSpec();
        this.expect(';');
      }
    }
  }

  private num(t: Token): bigint {
    if (t.t !== Tok.Number) this.fail('Expected a number');
    return BigInt(/^0[0-7]+$/.test(t.v) ? '0o' + t.v.slice(1) : t.v);
  }

  /** A signed integer literal. */
  private literal(): bigint {
    const neg = this.eat('-');
    if (!neg) this.eat('+');
    const v = this.num(this.tok);
    this.p++;
    return neg ? -v : v;
  }

  /**
   * `{ name = value; name.x := type; ... };` — calls `attr` with each simple assignment
   * (value: the first token, dotted identifiers joined) and `typeAttr` with `:=` ones.
   */
  private block(attr: (k: string, v: Token) => void, typeAttr?: (k: string, t: CtfType) => void, semi = true): void {
    this.expect('{');
    while (!this.eat('}')) {
      if (this.eat(';')) continue;
      if (this.is('typealias')) {
        this.p++;
        this.typealias();
        continue;
      }
      if (this.is('typedef')) {
        this.p++;
        this.typedef();
        continue;
      }
      let key = this.ident();
      while (this.eat('.')) key += '.' + this.ident();
      if (this.eat(':=')) {
        const ty = this.typeSpec();
        if (!typeAttr) this.fail(`Unexpected type assignment '${key}'`);
        typeAttr(key, ty);
      } else {
        this.expect('=');
        let v = this.tok;
        if (v.t === Tok.Punct && (v.v === '-' || v.v === '+')) {
          const neg = v.v === '-';
          this.p++;
          const x = this.num(this.tok);
          this.p++;
          v = { t: Tok.Number, v: String(neg ? -x : x), line: v.line };
        } else if (v.t === Tok.Ident) {
          this.p++;
          let s = v.v;
          while (this.eat('.')) s += '.' + this.ident();
          v = { t: Tok.Ident, v: s, line: v.line };
        } else {
          if (v.t !== Tok.Number && v.t !== Tok.String) this.fail(`Bad value for '${key}'`);
          this.p++;
        }
        attr(key, v);
      }
      this.expect(';');
    }
    if (semi) this.expect(';');
  }

  private traceAttr(k: string, v: Token): void {
    if (k === 'major') this.tc.major = Number(this.num(v));
    else if (k === 'minor') this.tc.minor = Number(this.num(v));
    else if (k === 'uuid') this.tc.uuid = v.v;
    else if (k === 'byte_order') {
      this.le = v.v === 'le' || (v.v === 'native' && this.le);
      if (!['le', 'be', 'network', 'native'].includes(v.v)) this.fail(`Bad byte_order '${v.v}'`);
      if (v.v === 'network') this.le = false;
      this.tc.le = this.le;
    }
  }

  private clock(): void {
    const c: ClockClass = { name: '', freq: 1000000000n, offsetS: 0n, offset: 0n, absolute: false };
    this.block((k, v) => {
      if (k === 'name') c.name = v.v;
      else if (k === 'freq') c.freq = this.num(v);
      else if (k === 'offset_s') c.offsetS = this.num(v);
      else if (k === 'offset') c.offset = this.num(v);
      else if (k === 'uuid') c.uuid = v.v;
      else if (k === 'description') c.description = v.v;
      else if (k === 'absolute') c.absolute = v.v === 'true' || v.v === 'TRUE' || v.v === '1';
    });
    this.tc.clocks.set(c.name, c);
  }

  private asStruct(t: CtfType, what: string): StructT {
    if (t.k !== 'struct') this.fail(`${what} must be a structure`);
    return t;
  }

  private stream(): void {
    const sc: StreamClassT = { id: 0, events: new Map() };
    this.block(
      (k, v) => {
        if (k === 'id') sc.id = Number(this.num(v));
      },
      (k, t) => {
        if (k === 'packet.context') sc.packetContext = this.asStruct(t, k);
        else if (k === 'event.header') sc.eventHeader = this.asStruct(t, k);
        else if (k === 'event.context') sc.eventContext = this.asStruct(t, k);
      },
    );
    this.tc.streams.set(sc.id, sc);
  }

  private event(): void {
    const ev: EventClassT = { id: 0, name: '', streamId: 0 };
    this.block(
      (k, v) => {
        if (k === 'name') ev.name = v.v;
        else if (k === 'id') ev.id = Number(this.num(v));
        else if (k === 'stream_id') ev.streamId = Number(this.num(v));
        else if (k === 'loglevel') ev.loglevel = Number(this.num(v));
        else if (k === 'model.emf.uri') ev.emfUri = v.v;
      },
      (k, t) => {
        if (k === 'context') ev.context = this.asStruct(t, k);
        else if (k === 'fields') ev.fields = this.asStruct(t, k);
      },
    );
    this.pendingEvents.push(ev);
  }

  private typealias(): void {
    const t = this.typeSpec();
    const d = this.declarator(t, true);
    this.expect(':=');
    const names: string[] = [];
    while (!this.is(';')) {
      const x = this.tok;
      if (x.t === Tok.Punct && x.v === '*') {
        names.push('*');
        this.p++;
        continue;
      }
      names.push(this.ident());
    }
    this.expect(';');
    this.aliases[this.aliases.length - 1]!.set(names.join(' '), d.type);
  }

  private typedef(): void {
    const t = this.typeSpec();
    for (;;) {
      const d = this.declarator(t, false);
      this.aliases[this.aliases.length - 1]!.set(d.name, d.type);
      if (!this.eat(',')) break;
    }
    this.expect(';');
  }

  private intAttrs(): IntT {
    const it = intDefaults(this.le);
    let alignSet = false;
    this.block(
      (k, v) => {
        switch (k) {
          case 'size':
            it.size = Number(this.num(v));
            break;
          case 'align':
            it.align = Number(this.num(v));
            alignSet = true;
            break;
          case 'signed':
            it.signed = v.v === 'true' || v.v === 'TRUE' || v.v === '1';
            break;
          case 'byte_order':
            it.le = v.v === 'le' ? true : v.v === 'be' || v.v === 'network' ? false : this.le;
            break;
          case 'base':
            it.base =
              (
                {
                  decimal: 10,
                  dec: 10,
                  d: 10,
                  i: 10,
                  u: 10,
                  hexadecimal: 16,
                  hex: 16,
                  x: 16,
                  X: 16,
                  p: 16,
                  octal: 8,
                  oct: 8,
                  o: 8,
                  binary: 2,
                  b: 2,
                } as Record<string, number>
              )[v.v] ?? Number(this.num(v));
            break;
          case 'encoding':
            it.encoding = v.v === 'UTF8' || v.v === 'ASCII' || v.v === 'utf8' || v.v === 'ascii';
            break;
          case 'map': {
            const m = /^clock\.([^.]+)\.value$/.exec(v.v);
            if (m) it.clock = m[1];
            break;
          }
        }
      },
      undefined,
      false,
    );
    if (!alignSet) it.align = it.size % 8 === 0 ? 8 : 1;
    if (it.size < 1 || it.size > 64) this.fail(`Integer size ${it.size} is not between 1 and 64`);
    return it;
  }

  private floatAttrs(): FloatT {
    let exp = 8,
      mant = 24,
      align = 8,
      le = this.le;
    this.block(
      (k, v) => {
        if (k === 'exp_dig') exp = Number(this.num(v));
        else if (k === 'mant_dig') mant = Number(this.num(v));
        else if (k === 'align') align = Number(this.num(v));
        else if (k === 'byte_order') le = v.v === 'le' ? true : v.v === 'be' || v.v === 'network' ? false : this.le;
      },
      undefined,
      false,
    );
    const size = exp + mant;
    if (size !== 32 && size !== 64) this.fail(`Unsupported floating point size ${size}`);
    return { k: 'float', size, align, le };
  }

  /** A type specifier (no declarator). */
  private typeSpec(): CtfType {
    this.eat('const');
    const t = this.tok;
    if (t.t !== Tok.Ident) this.fail('Expected a type');
    switch (t.v) {
      case 'integer':
        this.p++;
        this.expectPeek('{');
        return this.intAttrs();
      case 'floating_point':
        this.p++;
        this.expectPeek('{');
        return this.floatAttrs();
      case 'string': {
        this.p++;
        if (this.is('{')) this.block(() => undefined, undefined, false);
        return { k: 'string', align: 8 };
      }
      case 'struct': {
        this.p++;
        return this.structSpec();
      }
      case 'enum': {
        this.p++;
        return this.enumSpec();
      }
      case 'variant': {
        this.p++;
        return this.variantSpec();
      }
    }
    // a type name: the longest run of identifiers that names an alias
    let best: CtfType | undefined,
      bestEnd = this.p;
    const words: string[] = [];
    for (let q = this.p; this.toks[q]!.t === Tok.Ident || (this.toks[q]!.t === Tok.Punct && this.toks[q]!.v === '*' && words.length); q++) {
      words.push(this.toks[q]!.v);
      const a = this.lookupAlias(words.join(' '));
      if (a) {
        best = a;
        bestEnd = q + 1;
      }
    }
    if (!best) this.fail(`Unknown type '${words.slice(0, 3).join(' ')}'`);
    this.p = bestEnd;
    return best;
  }

  private expectPeek(v: string): void {
    if (!this.is(v)) this.fail(`Expected '${v}'`);
  }

  private structSpec(): StructT {
    let name: string | undefined;
    if (this.tok.t === Tok.Ident) name = this.ident();
    let st: StructT;
    if (this.is('{')) {
      this.p++;
      this.aliases.push(new Map());
      const fields: Member[] = [];
      while (!this.eat('}')) this.memberDecls(fields);
      this.aliases.pop();
      st = { k: 'struct', fields, align: 1 };
      let explicit = 1;
      if (this.eat('align')) {
        this.expect('(');
        explicit = Number(this.literal());
        this.expect(')');
      }
      st.align = structAlign(fields, explicit);
      if (name) this.structs.set(name, st);
    } else {
      const s = name ? this.structs.get(name) : undefined;
      if (!s) this.fail(`Unknown struct '${name ?? ''}'`);
      st = s;
      if (this.eat('align')) {
        this.expect('(');
        const a = Number(this.literal());
        this.expect(')');
        st = { ...st, align: Math.max(st.align, a) };
      }
    }
    return st;
  }

  private enumSpec(): EnumT {
    let name: string | undefined;
    if (this.tok.t === Tok.Ident) name = this.ident();
    let int: IntT | undefined;
    if (this.eat(':')) {
      const t = this.typeSpec();
      if (t.k !== 'int') this.fail('An enumeration container must be an integer');
      int = t;
    }
    if (!this.is('{')) {
      const e = name ? this.enums.get(name) : undefined;
      if (!e) this.fail(`Unknown enum '${name ?? ''}'`);
      return e;
    }
    if (!int) {
      const a = this.lookupAlias('int');
      if (a?.k !== 'int') this.fail("An enumeration without a container type needs an 'int' typealias");
      int = a;
    }
    this.p++;
    const mappings: EnumMapping[] = [];
    let next = 0n;
    while (!this.eat('}')) {
      const t = this.tok;
      if (t.t !== Tok.Ident && t.t !== Tok.String) this.fail('Expected an enumerator');
      this.p++;
      let lo = next,
        hi = next;
      if (this.eat('=')) {
        lo = this.literal();
        hi = lo;
        if (this.eat('...')) hi = this.literal();
      }
      mappings.push({ label: t.v, lo, hi });
      next = hi + 1n;
      if (!this.eat(',')) {
        this.expect('}');
        break;
      }
    }
    const e: EnumT = { k: 'enum', int, mappings, align: int.align };
    if (name) this.enums.set(name, e);
    return e;
  }

  private variantSpec(): VariantT {
    let name: string | undefined;
    if (this.tok.t === Tok.Ident) name = this.ident();
    let tag: string[] | undefined;
    if (this.eat('<')) {
      tag = [this.ident()];
      while (this.eat('.')) tag.push(this.ident());
      this.expect('>');
    }
    if (!this.is('{')) {
      const v = name ? this.variants.get(name) : undefined;
      if (!v) this.fail(`Unknown variant '${name ?? ''}'`);
      return tag ? { ...v, tag } : v;
    }
    this.p++;
    this.aliases.push(new Map());
    const options: Member[] = [];
    while (!this.eat('}')) this.memberDecls(options);
    this.aliases.pop();
    const v: VariantT = { k: 'variant', tag: tag ?? [], options, align: 1 };
    if (name) this.variants.set(name, v);
    return v;
  }

  /** `TYPE a, b[3], c[len];` inside a struct or variant (or a local typealias/typedef). */
  private memberDecls(out: Member[]): void {
    if (this.eat(';')) return;
    if (this.eat('typealias')) {
      this.typealias();
      return;
    }
    if (this.eat('typedef')) {
      this.typedef();
      return;
    }
    const t = this.typeSpec();
    for (;;) {
      const d = this.declarator(t, false);
      out.push({ name: d.name, type: d.type });
      if (!this.eat(',')) break;
    }
    this.expect(';');
  }

  /** `name[N][len]` after a type. `optional`: the name may be absent (typealias source). */
  private declarator(base: CtfType, optional: boolean): { name: string; type: CtfType } {
    while (this.eat('*')) {
      /* pointers are not CTF types; ignore */
    }
    let name = '';
    if (this.tok.t === Tok.Ident) name = this.ident();
    else if (!optional) this.fail('Expected a field name');
    const dims: Array<number | string[]> = [];
    while (this.eat('[')) {
      if (this.tok.t === Tok.Number) {
        dims.push(Number(this.literal()));
      } else {
        const path = [this.ident()];
        while (this.eat('.')) path.push(this.ident());
        // a constant through a typealias is not supported; a name is a sequence length
        dims.push(path);
      }
      this.expect(']');
    }
    let t = base;
    for (let i = dims.length - 1; i >= 0; i--) {
      const d = dims[i]!;
      t = typeof d === 'number' ? { k: 'array', elem: t, len: d, align: alignOf(t) } : { k: 'seq', elem: t, lenPath: d, align: alignOf(t) };
    }
    return { name, type: t };
  }
}

/** Parses TSDL text into a trace class. Throws CtfError(BadMetadata) on anything it cannot read. */
export function parseMetadata(text: string): TraceClass {
  const p = new Parser(tokenize(text));
  // types declared before the trace block take the trace's byte order
  const m = /\btrace\s*\{[^}]*?\bbyte_order\s*=\s*(\w+)/.exec(text);
  if (m) p.le = m[1] !== 'be' && m[1] !== 'network';
  const tc = p.parse();
  if (tc.major !== 1 || tc.minor !== 8) {
    throw new CtfError(CtfErrorCode.BadMetadata, 'Only CTF 1.8 is supported', { context: { version: `${tc.major}.${tc.minor}` } });
  }
  return tc;
}
