/**
 * Parses the expression part of a `trace-cmd report -F` filter for one event, with the exact
 * (quirky) grammar of libtraceevent 1.7.1's parse-filter.c:
 * - no operator precedence: `&&` / `||` chain left to right, parentheses group;
 * - a comparison is `FIELD op NUMBER` or `FIELD op "string"`; a value on the left, a field on
 *   the right, or arithmetic on either side of a comparison are syntax errors;
 *   `FIELD & 4` (arithmetic alone) is a truth value;
 * - `!` applies to the single comparison or parenthesised group that follows;
 * - unknown field names become FALSE and the tree is simplified (`unknown == 1 || x` → `x`);
 * - strings compare with `==` `!=` (exact) and `=~` `!~` (POSIX basic regex, case-insensitive).
 */
import { UtpError } from '@utp/bytes';
import type { Field } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { FilterTokenizer, type FilterToken } from './filter-tokenizer.js';
import { breToRegExp } from './posix-regex.js';

export const FilterErrorCode = {
  Syntax: 'FILTER_SYNTAX',
  IllegalToken: 'FILTER_ILLEGAL_TOKEN',
  UnknownToken: 'FILTER_UNKNOWN_TOKEN',
  InvalidParen: 'FILTER_INVALID_PAREN',
  UnbalancedParen: 'FILTER_UNBALANCED_PAREN',
  IllegalRvalue: 'FILTER_ILLEGAL_RVALUE',
  IllegalLvalue: 'FILTER_ILLEGAL_LVALUE',
  IllegalStringCmp: 'FILTER_ILLEGAL_STRING_CMP',
  IllegalIntegerCmp: 'FILTER_ILLEGAL_INTEGER_CMP',
  InvalidRegex: 'FILTER_INVALID_REGEX',
  ReparentFailed: 'FILTER_REPARENT_FAILED',
  EventNotFound: 'FILTER_EVENT_NOT_FOUND',
  InvalidEventName: 'FILTER_INVALID_EVENT_NAME',
  FilterNotFound: 'FILTER_NOT_FOUND',
} as const;
export type FilterErrorCode = (typeof FilterErrorCode)[keyof typeof FilterErrorCode];

/** The pseudo fields a filter may name besides the event's fields. */
export type FilterPseudoField = 'COMM' | 'CPU';

export type FilterBoolOp = 'and' | 'or' | 'not';
export type FilterExpOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'rshift' | 'lshift' | 'and' | 'or' | 'xor' | 'not';
export type FilterCmpOp = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'regex' | 'nregex';
export type FilterStrOp = 'match' | 'nmatch' | 'regex' | 'nregex';

/** One node of a filter tree (libtraceevent's tep_filter_arg; mutable while parsing). */
export interface FilterNode {
  type: 'none' | 'bool' | 'op' | 'exp' | 'num' | 'str' | 'value' | 'field';
  /** bool */
  value?: boolean;
  /** op / exp / num */
  op?: FilterBoolOp | FilterExpOp | FilterCmpOp | FilterStrOp;
  left?: FilterNode | undefined;
  right?: FilterNode | undefined;
  /** field / str */
  field?: Field | FilterPseudoField;
  /** value: number / string / char */
  kind?: 'number' | 'string' | 'char';
  num?: bigint;
  str?: string;
  /** str with regex ops */
  re?: RegExp;
}

const enum Val {
  Norm = 0,
  False = 1,
  True = 2,
}

class ParseFail extends Error {
  constructor(
    readonly code: FilterErrorCode,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function resetNode(n: FilterNode): void {
  for (const k of Object.keys(n)) delete (n as unknown as Record<string, unknown>)[k];
  n.type = 'none';
}

function copyNode(dst: FilterNode, src: FilterNode): void {
  resetNode(dst);
  Object.assign(dst, src);
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** strtoull(token, NULL, 0) */
function parseNumber(tok: string): bigint {
  let m: RegExpMatchArray | null;
  let v = 0n;
  if ((m = /^0[xX]([0-9a-fA-F]+)/.exec(tok))) v = BigInt('0x' + m[1]);
  else if (/^0[xX]/.test(tok)) v = 0n;
  else if (tok.startsWith('0')) {
    m = /^0([0-7]*)/.exec(tok);
    v = m?.[1] ? BigInt('0o' + m[1]) : 0n;
  } else if ((m = /^\d+/.exec(tok))) v = BigInt(m[0]);
  const max = (1n << 64n) - 1n;
  return v > max ? max : v;
}

function findAnyField(event: EventFormat, name: string): Field | undefined {
  for (const f of event.commonFields) if (f.name === name) return f;
  return event.field(name);
}

export class FilterParser {
  private readonly tok: FilterTokenizer;

  constructor(
    private readonly event: EventFormat,
    private readonly text: string,
  ) {
    this.tok = new FilterTokenizer(text);
  }

  /** Parses the whole text; throws UtpError (code from FilterErrorCode, offset = input position). */
  parse(): FilterNode {
    try {
      const r = this.processFilter(false);
      if (r.closed) throw new ParseFail(FilterErrorCode.UnbalancedParen, "Unbalanced number of ')'");
      return r.node ?? { type: 'bool', value: false };
    } catch (e) {
      if (e instanceof ParseFail) {
        throw new UtpError(e.code, `Cannot parse filter for ${this.event.system}:${this.event.name}: ${e.detail}`, {
          offset: this.tok.pos,
          context: { filter: this.text },
        });
      }
      throw e;
    }
  }

  private syntax(): never {
    throw new ParseFail(FilterErrorCode.Syntax, 'Syntax error');
  }

  private createItem(t: FilterToken): FilterNode {
    switch (t.type) {
      case 'squote':
      case 'dquote':
        return { type: 'value', kind: t.type === 'dquote' ? 'string' : 'char', str: t.text };
      case 'item': {
        if (isDigit(t.text[0])) return { type: 'value', kind: 'number', num: parseNumber(t.text) };
        const f = findAnyField(this.event, t.text);
        if (f) return { type: 'field', field: f };
        if (t.text === 'COMM' || t.text === 'CPU') return { type: 'field', field: t.text };
        return { type: 'bool', value: false };
      }
      default:
        throw new ParseFail(FilterErrorCode.Syntax, `expected a value but found ${t.text}`);
    }
  }

  private addRight(op: FilterNode, arg: FilterNode): void {
    switch (op.type) {
      case 'exp':
      case 'op':
        if (op.right) this.syntax();
        op.right = arg;
        return;
      case 'num': {
        if (op.right) this.syntax();
        if (arg.type !== 'value' && arg.type !== 'field') throw new ParseFail(FilterErrorCode.IllegalRvalue, 'Illegal rvalue');
        // a field on the right is rejected (libtraceevent reads it as a value of unknown kind)
        if (arg.type === 'field') this.syntax();
        let kind = arg.kind!;
        const cmp = op.op as FilterCmpOp;
        if (kind === 'char' && arg.str!.length === 1 && cmp !== 'regex' && cmp !== 'nregex') {
          arg.kind = 'number';
          arg.num = BigInt(arg.str!.charCodeAt(0));
          kind = 'number';
        }
        if (kind === 'number') {
          if (cmp === 'regex' || cmp === 'nregex') throw new ParseFail(FilterErrorCode.IllegalIntegerCmp, 'Op not allowed with integers');
          op.right = arg;
          return;
        }
        // string comparison: the node becomes a 'str' node
        const left = op.left!;
        const str = arg.str!;
        resetNode(op);
        if (left.type === 'bool') {
          op.type = 'bool';
          op.value = false;
          return;
        }
        if (left.type !== 'field') throw new ParseFail(FilterErrorCode.IllegalLvalue, 'Illegal lvalue for string comparison');
        let sop: FilterStrOp;
        switch (cmp) {
          case 'eq':
            sop = 'match';
            break;
          case 'ne':
            sop = 'nmatch';
            break;
          case 'regex':
          case 'nregex':
            sop = cmp;
            try {
              op.re = breToRegExp(str);
            } catch {
              throw new ParseFail(FilterErrorCode.InvalidRegex, `RegEx '${str}' did not compute`);
            }
            break;
          default:
            throw new ParseFail(FilterErrorCode.IllegalStringCmp, 'Illegal comparison for string');
        }
        op.type = 'str';
        op.op = sop;
        op.field = left.field!;
        op.str = str;
        return;
      }
      default:
        this.syntax();
    }
  }

  /** Returns false for libtraceevent's INVALID_ARG_TYPE. */
  private addLeft(op: FilterNode, arg: FilterNode): boolean {
    switch (op.type) {
      case 'exp':
        if (arg.type === 'op') {
          const r = arg.right;
          arg.right = op;
          arg = r!;
        }
        op.left = arg;
        return true;
      case 'op':
        op.left = arg;
        return true;
      case 'num':
        if (arg.type === 'op') {
          const r = arg.right;
          arg.right = op;
          arg = r!;
        }
        if (arg.type !== 'field' && arg.type !== 'bool') return false;
        op.left = arg;
        return true;
      default:
        return false;
    }
  }

  /** Returns `closed` when a `)` ended this level. */
  private processFilter(not: boolean): { node: FilterNode | undefined; closed: boolean } {
    let currentOp: FilterNode | undefined;
    let currentExp: FilterNode | undefined;
    let leftItem: FilterNode | undefined;
    for (;;) {
      const t = this.tok.next();
      switch (t.type) {
        case 'squote':
        case 'dquote':
        case 'item': {
          const arg = this.createItem(t);
          if (!leftItem) leftItem = arg;
          else if (currentExp) {
            this.addRight(currentExp, arg);
            leftItem = undefined;
            if (not) {
              if (currentOp) this.syntax();
              return { node: currentExp, closed: false };
            }
          } else this.syntax();
          break;
        }
        case 'delim': {
          if (t.text === ',') throw new ParseFail(FilterErrorCode.IllegalToken, "Illegal token ','");
          if (t.text === '(') {
            if (leftItem) throw new ParseFail(FilterErrorCode.InvalidParen, 'Open paren can not come after item');
            if (currentExp) throw new ParseFail(FilterErrorCode.InvalidParen, 'Open paren can not come after expression');
            const sub = this.processFilter(false);
            if (!sub.closed) throw new ParseFail(FilterErrorCode.UnbalancedParen, "Unbalanced number of '('");
            const arg = sub.node!;
            if (not) {
              if (currentOp) this.syntax();
              return { node: arg, closed: false };
            }
            if (currentOp) this.addRight(currentOp, arg);
            else currentExp = arg;
          } else {
            if (!currentOp && !currentExp) this.syntax();
            if (currentExp && !checkOpDone(currentExp)) this.syntax();
            if (currentOp && !checkOpDone(currentOp)) this.syntax();
            return { node: currentOp ?? currentExp, closed: true };
          }
          break;
        }
        case 'op': {
          const kind = classifyOp(t.text);
          switch (kind.k) {
            case 'bool':
              if (!currentExp && !currentOp) this.syntax();
              if (leftItem) this.syntax();
              break;
            case 'not':
              if (leftItem) this.syntax();
              break;
            case 'exp':
            case 'cmp':
              if (!leftItem) this.syntax();
              break;
            default:
              throw new ParseFail(FilterErrorCode.UnknownToken, `Unknown op token ${t.text}`);
          }
          if (kind.k === 'bool') {
            const arg: FilterNode = { type: 'op', op: kind.op };
            this.addLeft(arg, (currentOp ?? currentExp)!);
            currentOp = arg;
            currentExp = undefined;
          } else if (kind.k === 'not') {
            const arg: FilterNode = { type: 'op', op: 'not' };
            if (currentOp) this.addRight(currentOp, arg);
            currentExp = arg;
            const sub = this.processFilter(true);
            if (sub.closed) {
              // a ')' directly inside a `!`: libtraceevent reports it as an unbalanced paren
              throw new ParseFail(FilterErrorCode.UnbalancedParen, "Unbalanced number of ')'");
            }
            this.addRight(currentExp, sub.node ?? { type: 'bool', value: false });
          } else {
            const arg: FilterNode = kind.k === 'exp' ? { type: 'exp', op: kind.op } : { type: 'num', op: kind.op };
            if (currentOp) this.addRight(currentOp, arg);
            if (!this.addLeft(arg, leftItem!)) this.syntax();
            currentExp = arg;
          }
          break;
        }
        case 'none': {
          if (!currentOp && !currentExp) this.syntax();
          const root = (currentOp ?? currentExp)!;
          return { node: collapseTree(root), closed: false };
        }
      }
    }
  }
}

function classifyOp(
  t: string,
): { k: 'bool'; op: FilterBoolOp } | { k: 'not' } | { k: 'exp'; op: FilterExpOp } | { k: 'cmp'; op: FilterCmpOp } | { k: 'none' } {
  switch (t) {
    case '&&':
      return { k: 'bool', op: 'and' };
    case '||':
      return { k: 'bool', op: 'or' };
    case '!':
      return { k: 'not' };
    case '+':
      return { k: 'exp', op: 'add' };
    case '-':
      return { k: 'exp', op: 'sub' };
    case '*':
      return { k: 'exp', op: 'mul' };
    case '/':
      return { k: 'exp', op: 'div' };
    case '%':
      return { k: 'exp', op: 'mod' };
    case '>>':
      return { k: 'exp', op: 'rshift' };
    case '<<':
      return { k: 'exp', op: 'lshift' };
    case '&':
      return { k: 'exp', op: 'and' };
    case '|':
      return { k: 'exp', op: 'or' };
    case '^':
      return { k: 'exp', op: 'xor' };
    case '~':
      return { k: 'exp', op: 'not' };
    case '==':
      return { k: 'cmp', op: 'eq' };
    case '!=':
      return { k: 'cmp', op: 'ne' };
    case '<':
      return { k: 'cmp', op: 'lt' };
    case '>':
      return { k: 'cmp', op: 'gt' };
    case '<=':
      return { k: 'cmp', op: 'le' };
    case '>=':
      return { k: 'cmp', op: 'ge' };
    case '=~':
      return { k: 'cmp', op: 'regex' };
    case '!~':
      return { k: 'cmp', op: 'nregex' };
    default:
      return { k: 'none' };
  }
}

function checkOpDone(n: FilterNode): boolean {
  switch (n.type) {
    case 'exp':
    case 'op':
    case 'num':
      return n.right !== undefined;
    case 'str':
    case 'bool':
      return true;
    default:
      return false;
  }
}

function reparent(parent: FilterNode, oldChild: FilterNode, arg: FilterNode): Val {
  if (parent.type !== 'op' && arg.type !== 'op') throw new ParseFail(FilterErrorCode.ReparentFailed, 'can not reparent other than OP');
  if (oldChild.right === arg) oldChild.right = undefined;
  else if (oldChild.left === arg) oldChild.left = undefined;
  else throw new ParseFail(FilterErrorCode.ReparentFailed, 'Error in reparent op, find other child');
  if (parent === oldChild) {
    copyNode(parent, arg);
    return Val.Norm;
  }
  if (parent.right === oldChild) parent.right = arg;
  else if (parent.left === oldChild) parent.left = arg;
  else throw new ParseFail(FilterErrorCode.ReparentFailed, 'Error in reparent op');
  return Val.Norm;
}

function testArg(parent: FilterNode, arg: FilterNode | undefined): Val {
  if (!arg) throw new ParseFail(FilterErrorCode.Syntax, 'bad arg in filter tree');
  switch (arg.type) {
    case 'bool':
      return arg.value ? Val.True : Val.False;
    case 'str':
    case 'value':
    case 'field':
      return Val.Norm;
    case 'exp':
    case 'num': {
      const l = testArg(arg, arg.left);
      if (l !== Val.Norm) return l;
      const r = testArg(arg, arg.right);
      if (r !== Val.Norm) return r;
      return Val.Norm;
    }
    case 'op': {
      if (arg.op !== 'not') {
        const l = testArg(arg, arg.left);
        if (l === Val.True) {
          if (arg.op === 'or') return Val.True;
          const r = testArg(arg, arg.right);
          if (r !== Val.Norm) return r;
          return reparent(parent, arg, arg.right!);
        }
        if (l === Val.False) {
          if (arg.op === 'and') return Val.False;
          const r = testArg(arg, arg.right);
          if (r !== Val.Norm) return r;
          return reparent(parent, arg, arg.right!);
        }
      }
      const r = testArg(arg, arg.right);
      if (r === Val.True) {
        if (arg.op === 'or') return Val.True;
        if (arg.op === 'not') return Val.False;
        return reparent(parent, arg, arg.left!);
      }
      if (r === Val.False) {
        if (arg.op === 'and') return Val.False;
        if (arg.op === 'not') return Val.True;
        return reparent(parent, arg, arg.left!);
      }
      return r;
    }
    default:
      throw new ParseFail(FilterErrorCode.Syntax, 'bad arg in filter tree');
  }
}

function collapseTree(root: FilterNode): FilterNode {
  const v = testArg(root, root);
  if (v === Val.True || v === Val.False) return { type: 'bool', value: v === Val.True };
  return root;
}
