/**
 * Parser of the `print fmt:` line into libtraceevent's argument tree. The tree shape
 * (including libtraceevent's own operator-priority rotation, constant folding of atom
 * pairs and its list of supported helpers) is reproduced because evaluation results
 * and parse failures must match libtraceevent 1.7.1 exactly.
 */
import type { TepField } from '../../core/event-format.js';
import { PrintArg, type FlagSym, type ParserFunction } from './print-arg.js';
import { FormatTokenizer, TokType } from '../../format/format-tokenizer.js';
import { argEval, consolidate } from './print-arg-const.js';
import { findAnyField, type ParserContext } from './context.js';
export type { ParserContext } from './context.js';
export { castMask } from './print-arg-const.js';

export { PrintArg } from './print-arg.js';
export type { ArgKind, FlagSym, PrintFunctionParam, ParserFunction } from './print-arg.js';

export interface ParsedPrintFmt {
  format: string;
  args: PrintArg[];
  failed: boolean;
}

class ParseFail extends Error {}
const ERR = TokType.Error;

function findField(ctx: ParserContext, name: string): TepField | null {
  for (const f of ctx.fields) if (f.name === name) return f;
  return null;
}

export function getOpPrio(op: string): number {
  if (op.length === 1) {
    switch (op) {
      case '~':
      case '!':
        return 4;
      case '*':
      case '/':
      case '%':
        return 6;
      case '+':
      case '-':
        return 7;
      case '<':
      case '>':
        return 9;
      case '&':
        return 11;
      case '^':
        return 12;
      case '|':
        return 13;
      case '?':
        return 16;
      default:
        return -1;
    }
  }
  switch (op) {
    case '++':
    case '--':
      return 3;
    case '>>':
    case '<<':
      return 8;
    case '>=':
    case '<=':
      return 9;
    case '==':
    case '!=':
      return 10;
    case '&&':
      return 14;
    case '||':
      return 15;
    default:
      return -1;
  }
}

const BINARY_OPS = new Set(['>>', '<<', '&', '|', '&&', '||', '-', '+', '*', '^', '/', '%', '<', '>', '<=', '>=', '==', '!=']);

/** Parses the print fmt at `pos` of `text` (right after the field lists). */
export function parsePrintFmt(text: string, pos: number, ctx: ParserContext): ParsedPrintFmt {
  const p = new Parser(new FormatTokenizer(text, pos), ctx);
  return p.run();
}

class Parser {
  failed = false;
  constructor(
    private readonly t: FormatTokenizer,
    private readonly ctx: ParserContext,
  ) {}

  run(): ParsedPrintFmt {
    const t = this.t;
    const res: ParsedPrintFmt = { format: '', args: [], failed: false };
    const is = (ty: TokType, text?: string): boolean => {
      const g = t.token();
      return g === ty && (text === undefined || t.tok === text);
    };
    const first = t.tokenItem() === TokType.Item && t.tok === 'print';
    if (!first || !is(TokType.Item, 'fmt') || !is(TokType.Op, ':') || !is(TokType.DQuote)) {
      res.failed = true;
      return res;
    }
    let format = t.tok;
    for (;;) {
      const type = t.tokenItem() as TokType;
      if (type === TokType.None) {
        res.format = format;
        return res;
      }
      if (type === TokType.DQuote) {
        format += t.tok;
        continue;
      }
      res.format = format;
      if (!(type === TokType.Delim && t.tok === ',')) {
        res.failed = true;
        return res;
      }
      break;
    }
    try {
      this.readArgs(res.args);
    } catch (e) {
      if (!(e instanceof ParseFail)) throw e;
      res.failed = true;
    }
    if (this.failed) res.failed = true;
    return res;
  }

  private readArgs(list: PrintArg[]): void {
    let type: TokType = ERR;
    let tok: string;
    do {
      if (type === TokType.Newline) {
        type = this.t.tokenItem();
        continue;
      }
      const arg = new PrintArg();
      [type, tok] = this.processArg(arg);
      if (type === ERR) throw new ParseFail();
      list.push(arg);
      if (type === TokType.Op) {
        [type, tok] = this.processOp(arg, tok);
        consolidate(arg);
        if (type === ERR) throw new ParseFail();
        continue;
      }
      if (type === TokType.Delim && tok === ',') continue;
      break;
    } while (type !== TokType.None);
  }

  private next(): [TokType, string] {
    const ty = this.t.token();
    return [ty, this.t.tok];
  }
  private nextItem(): [TokType, string] {
    const ty = this.t.tokenItem();
    return [ty, this.t.tok];
  }

  private processArg(arg: PrintArg): [TokType, string] {
    const [type, tok] = this.next();
    return this.processArgToken(arg, tok, type);
  }

  private processArgToken(arg: PrintArg, token: string, type: TokType): [TokType, string] {
    switch (type) {
      case TokType.Item: {
        if (token === 'REC') return this.processEntry(arg);
        let atom = token;
        let [ty, tok] = this.nextItem();
        if (ty === TokType.Delim && tok === '(') return this.processFunction(arg, atom);
        while (ty === TokType.Item) {
          atom += ' ' + tok;
          [ty, tok] = this.nextItem();
        }
        arg.kind = 'atom';
        arg.atom = atom;
        return [ty, tok];
      }
      case TokType.DQuote:
      case TokType.SQuote: {
        arg.kind = 'atom';
        arg.atom = token;
        return this.nextItem();
      }
      case TokType.Delim:
      case TokType.Op: {
        if (type === TokType.Delim && token === '(') return this.processParen(arg);
        arg.kind = 'op';
        arg.op = token;
        arg.left = null;
        return this.processOp(arg, token);
      }
      default:
        return [ERR, ''];
    }
  }

  private processEntry(arg: PrintArg): [TokType, string] {
    let [ty, tok] = this.nextItem();
    if (ty === TokType.Delim && tok === ')') return [TokType.Item, tok];
    if (!(ty === TokType.Op && tok === '->')) return [ERR, ''];
    [ty, tok] = this.next();
    if (ty !== TokType.Item) return [ERR, ''];
    arg.kind = 'field';
    arg.fieldName = tok;
    arg.field = findAnyField(this.ctx, tok);
    return this.next();
  }

  private processOp(arg: PrintArg, token: string): [TokType, string] {
    let right: PrintArg | null = null;
    let ty: TokType;
    let tok: string;
    if (arg.kind === 'op' && !arg.left) {
      // unary
      if (!'~!+-'.includes(token[0]!) || token.length !== 1) return [ERR, ''];
      const left = new PrintArg();
      left.kind = 'null';
      arg.left = left;
      right = new PrintArg();
      arg.right = right;
      [ty, tok] = this.processArg(right);
    } else if (token === '?') {
      becomeOp(arg, token);
      arg.prio = 0;
      [ty, tok] = this.processCond(arg);
    } else if (BINARY_OPS.has(token)) {
      const left = becomeOp(arg, token);
      arg.prio = left.kind === 'null' ? 0 : getOpPrio(token);
      if (arg.prio === -1) {
        this.failed = true;
        return [ERR, ''];
      }
      [ty, tok] = this.nextItem();
      if (arg.op === '*' && ty === TokType.Delim && tok === ')') {
        // "(type *)"
        if (left.kind !== 'atom') return [ERR, ''];
        left.atom += ' *';
        arg.assign(left);
        return [ty, tok];
      }
      right = new PrintArg();
      [ty, tok] = this.processArgToken(right, tok, ty);
      if (ty === ERR) return [ERR, ''];
      if (right.kind === 'op' && getOpPrio(arg.op) < getOpPrio(right.op)) {
        arg.right = right.left;
        const tmp = arg.clone();
        arg.assign(right);
        right.assign(tmp);
        arg.left = right;
      } else {
        arg.right = right;
      }
    } else if (token === '[') {
      becomeOp(arg, token);
      arg.prio = 0;
      [ty, tok] = this.processArray(arg);
    } else {
      this.failed = true;
      return [ERR, ''];
    }
    if (ty === TokType.Op && tok !== ':') {
      const prio = getOpPrio(tok);
      if (prio > arg.prio) return this.processOp(arg, tok);
      if (!right) return [ERR, ''];
      return this.processOp(right, tok);
    }
    return [ty, tok];
  }

  private processCond(top: PrintArg): [TokType, string] {
    const arg = new PrintArg();
    const left = new PrintArg();
    const right = new PrintArg();
    arg.kind = 'op';
    arg.left = left;
    arg.right = right;
    let [ty, tok] = this.processArg(left);
    for (;;) {
      if (ty === ERR) {
        top.right = null;
        return [ERR, ''];
      }
      if (ty === TokType.Op && tok !== ':') {
        [ty, tok] = this.processOp(left, tok);
        continue;
      }
      break;
    }
    if (!(ty === TokType.Op && tok === ':')) {
      top.right = null;
      return [ERR, ''];
    }
    arg.op = tok;
    [ty, tok] = this.processArg(right);
    top.right = arg;
    return [ty, tok];
  }

  private processArray(top: PrintArg): [TokType, string] {
    const arg = new PrintArg();
    const [ty, tok] = this.processArg(arg);
    if (!(ty === TokType.Op && tok === ']')) return [ERR, ''];
    top.right = arg;
    return this.nextItem();
  }

  private processParen(arg: PrintArg): [TokType, string] {
    let [ty, tok] = this.processArg(arg);
    if (ty === ERR) return [ERR, ''];
    if (ty === TokType.Op) [ty, tok] = this.processOp(arg, tok);
    if (ty === ERR) return [ERR, ''];
    if (ty === TokType.Item && tok === ')') return this.processEntry(arg);
    if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
    [ty, tok] = this.nextItem();
    if (isItemType(ty) || (ty === TokType.Delim && tok === '(')) {
      if (arg.kind !== 'atom') return [ERR, ''];
      const item = new PrintArg();
      arg.kind = 'type';
      arg.typeName = arg.atom;
      arg.item = item;
      [ty, tok] = this.processArgToken(item, tok, ty);
    }
    return [ty, tok];
  }

  /** alloc_and_process_delim: one argument (operators allowed) that must end with `delim`. */
  private delimArg(delim: string): PrintArg {
    const field = new PrintArg();
    let [ty, tok] = this.processArg(field);
    if (ty === TokType.Op) {
      [ty, tok] = this.processOp(field, tok);
      consolidate(field);
      if (ty === ERR) throw new ParseFail();
    }
    if (!(ty === TokType.Delim && tok === delim)) throw new ParseFail();
    return field;
  }

  private processFunction(arg: PrintArg, name: string): [TokType, string] {
    switch (name) {
      case '__print_flags':
        return this.processFlags(arg);
      case '__print_symbolic':
        return this.processSymbols(arg);
      case '__print_hex':
      case '__print_hex_str': {
        arg.assign(new PrintArg());
        arg.kind = name === '__print_hex' ? 'hex' : 'hexstr';
        arg.sub = this.delimArg(',');
        arg.size = this.delimArg(')');
        return this.nextItem();
      }
      case '__print_array': {
        arg.assign(new PrintArg());
        arg.kind = 'intarray';
        arg.sub = this.delimArg(',');
        arg.size = this.delimArg(',');
        arg.elSize = this.delimArg(')');
        return this.nextItem();
      }
      case '__get_str':
      case '__get_rel_str':
      case '__get_bitmask':
      case '__get_rel_bitmask':
      case '__get_cpumask':
      case '__get_rel_cpumask': {
        let [ty, tok] = this.next();
        if (ty !== TokType.Item) return [ERR, ''];
        arg.kind = name.endsWith('str') ? 'string' : name.endsWith('bitmask') ? 'bitmask' : 'cpumask';
        arg.strName = tok;
        arg.field = null;
        [ty, tok] = this.next();
        if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
        return this.next();
      }
      case '__get_dynamic_array':
      case '__get_rel_dynamic_array':
      case '__get_sockaddr':
      case '__get_sockaddr_rel': {
        arg.assign(new PrintArg());
        arg.kind = 'dynarray';
        let [ty, tok] = this.next();
        if (ty !== TokType.Item) return [ERR, ''];
        const f = findField(this.ctx, tok);
        if (!f) return [ERR, ''];
        arg.field = f;
        [ty, tok] = this.next();
        if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
        [ty, tok] = this.nextItem();
        if (!(ty === TokType.Op && tok === '[')) return [ty, tok];
        // libtraceevent 1.7.1 rejects an index written right after the helper
        const idx = new PrintArg();
        [ty, tok] = this.processArg(idx);
        if (ty === ERR) return [ERR, ''];
        if (ty === TokType.Op && tok === ']') return [ERR, ''];
        return this.nextItem();
      }
      case '__get_dynamic_array_len':
      case '__get_rel_dynamic_array_len': {
        let [ty, tok] = this.next();
        if (ty !== TokType.Item) return [ERR, ''];
        arg.kind = 'dynarraylen';
        const f = findField(this.ctx, tok);
        if (!f) return [ERR, ''];
        arg.field = f;
        [ty, tok] = this.next();
        if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
        return this.next();
      }
      case '__builtin_expect': {
        let [ty, tok] = this.processArg(arg);
        if (!(ty === TokType.Delim && tok[0] === ',')) return [ERR, ''];
        [ty, tok] = this.next();
        if (ty !== TokType.Item) return [ERR, ''];
        [ty, tok] = this.next();
        if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
        return this.nextItem();
      }
      case 'sizeof':
        return this.processSizeof(arg);
      default: {
        const fn = this.ctx.findFunction(name);
        if (!fn) return [ERR, ''];
        return this.processFuncHandler(arg, fn);
      }
    }
  }

  private processFuncHandler(arg: PrintArg, fn: ParserFunction): [TokType, string] {
    arg.kind = 'func';
    arg.fn = fn;
    arg.fnArgs = [];
    if (fn.params) {
      const n = fn.params.length;
      for (let i = 0; i < n; i++) {
        const farg = new PrintArg();
        const [ty, tok] = this.processArg(farg);
        const want = i < n - 1 ? ',' : ')';
        if (!(ty === TokType.Delim && tok === want)) return [ERR, ''];
        arg.fnArgs.push(farg);
      }
    } else {
      // unknown arity: take arguments up to the closing parenthesis
      for (;;) {
        const farg = new PrintArg();
        const [ty, tok] = this.processArg(farg);
        if (ty !== TokType.Delim || (tok !== ',' && tok !== ')')) return [ERR, ''];
        arg.fnArgs.push(farg);
        if (tok === ')') break;
      }
    }
    return this.next();
  }

  private processSizeof(arg: PrintArg): [TokType, string] {
    let [ty, tok] = this.nextItem();
    arg.kind = 'atom';
    let ok = false;
    if (tok === 'unsigned') {
      [ty, tok] = this.nextItem();
      if (ty === ERR) return [ERR, ''];
      if (ty !== TokType.Item) ok = true;
    }
    if (ok || tok === 'int') {
      arg.atom = '4';
    } else if (tok === 'long') {
      [ty, tok] = this.nextItem();
      if (tok === 'long') {
        arg.atom = '8';
      } else {
        if (this.ctx.longSize !== 4 && this.ctx.longSize !== 8) return [ERR, ''];
        arg.atom = String(this.ctx.longSize);
        ok = true;
      }
    } else if (tok === 'REC') {
      [ty, tok] = this.nextItem();
      if (!(ty === TokType.Op && tok === '->')) return [ERR, ''];
      [ty, tok] = this.next();
      if (ty !== TokType.Item) return [ERR, ''];
      const f = findAnyField(this.ctx, tok);
      if (!f || f.flags & 1 /* array */) return [ERR, ''];
      arg.atom = String(f.size);
    } else if (!ok) {
      return [ERR, ''];
    }
    if (!ok) [ty, tok] = this.nextItem();
    if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
    return this.nextItem();
  }

  private processFieldArg(arg: PrintArg): [TokType, string] {
    let [ty, tok] = this.processArg(arg);
    while (ty === TokType.Op) [ty, tok] = this.processOp(arg, tok);
    return [ty, tok];
  }

  private processFlags(arg: PrintArg): [TokType, string] {
    arg.assign(new PrintArg());
    arg.kind = 'flags';
    const field = new PrintArg();
    let [ty, tok] = this.processFieldArg(field);
    while (ty === TokType.Op) [ty, tok] = this.processOp(field, tok);
    if (!(ty === TokType.Delim && tok === ',')) return [ERR, ''];
    arg.sub = field;
    [ty, tok] = this.nextItem();
    if (isItemType(ty)) {
      arg.delim = tok;
      [ty, tok] = this.nextItem();
    }
    if (!(ty === TokType.Delim && tok === ',')) return [ERR, ''];
    [ty, tok] = this.processFields(arg.table);
    if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
    return this.nextItem();
  }

  private processSymbols(arg: PrintArg): [TokType, string] {
    arg.assign(new PrintArg());
    arg.kind = 'symbol';
    const field = new PrintArg();
    let [ty, tok] = this.processFieldArg(field);
    if (!(ty === TokType.Delim && tok === ',')) return [ERR, ''];
    arg.sub = field;
    [ty, tok] = this.processFields(arg.table);
    if (!(ty === TokType.Delim && tok === ')')) return [ERR, ''];
    return this.nextItem();
  }

  private processFields(list: FlagSym[]): [TokType, string] {
    let ty: TokType;
    let tok: string;
    do {
      [ty, tok] = this.nextItem();
      if (!(ty === TokType.Op && tok === '{')) break;
      let arg = new PrintArg();
      [ty, tok] = this.processArg(arg);
      if (ty === TokType.Op) [ty, tok] = this.processOp(arg, tok);
      if (ty === ERR) return [ERR, ''];
      if (!(ty === TokType.Delim && tok === ',')) return [ERR, ''];
      const value = argEval(arg);
      if (value === null) return [ERR, ''];
      arg = new PrintArg();
      [ty, tok] = this.processArg(arg);
      if (!(ty === TokType.Op && tok === '}')) return [ERR, ''];
      const str = argEval(arg);
      if (str === null) return [ERR, ''];
      list.push({ value, str });
      [ty, tok] = this.nextItem();
    } while (ty === TokType.Delim && tok === ',');
    return [ty, tok];
  }
}

function isItemType(t: TokType): boolean {
  return t === TokType.Item || t === TokType.SQuote || t === TokType.DQuote;
}

/** Turns `arg` into an operator node `op` whose left operand is what `arg` was; returns that operand. */
function becomeOp(arg: PrintArg, op: string): PrintArg {
  const left = arg.clone();
  arg.assign(new PrintArg());
  arg.kind = 'op';
  arg.op = op;
  arg.left = left;
  arg.right = null;
  return left;
}
