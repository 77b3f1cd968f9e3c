/**
 * Parse-time evaluation of print arguments, as libtraceevent does it: the values of
 * __print_flags/__print_symbolic table entries (arg_eval / arg_num_eval, signed 64-bit,
 * only | & < > == != + - ~ and shifts), constant folding of operations between two
 * constants (consolidate_op_arg), and the masking casts (eval_type_str).
 */
import { PrintArg } from './print-arg.js';
import { U64_MASK, strtoull } from '../../core/c-number.js';

function toSigned(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** eval_type_str: casts only mask (never sign-extend). */
export function castMask(val: bigint, type: string, pointer: boolean): bigint {
  const len = type.length;
  if (len < 2) return val;
  if (pointer) {
    if (type[len - 1] !== '*') return val;
    return castMask(val, type.slice(0, len - 2), false);
  }
  if (type[len - 1] === '*') return val;
  if (type.startsWith('struct')) return val;
  switch (type) {
    case 'u8':
    case 's8':
      return val & 0xffn;
    case 'u16':
    case 's16':
      return val & 0xffffn;
    case 'u32':
    case 's32':
      return val & 0xffffffffn;
    case 'u64':
    case 's64':
      return val;
  }
  const t = type.startsWith('unsigned ') ? type.slice(9) : type;
  if (t === 'char') return val & 0xffn;
  if (t === 'short') return val & 0xffffn;
  if (t === 'int') return val & 0xffffffffn;
  return val;
}

/** arg_num_eval (signed long long semantics); null when not evaluable. */
function argNumEval(arg: PrintArg): bigint | null {
  switch (arg.kind) {
    case 'atom':
      return strtollBig(arg.atom);
    case 'type': {
      const v = argNumEval(arg.item!);
      if (v === null) return null;
      return toSigned(castMask(BigInt.asUintN(64, v), arg.typeName, false));
    }
    case 'op': {
      const op = arg.op;
      const c0 = op[0];
      if (c0 === '~') {
        const r = argNumEval(arg.right!);
        return r === null ? null : toSigned(~r);
      }
      let l: bigint | null;
      if ((c0 === '-' || c0 === '+') && arg.left!.kind === 'null') l = 0n;
      else l = argNumEval(arg.left!);
      if (l === null) return null;
      const r = argNumEval(arg.right!);
      if (r === null) return null;
      switch (op) {
        case '|':
          return l | r;
        case '||':
          return l || r ? 1n : 0n;
        case '&':
          return l & r;
        case '&&':
          return l && r ? 1n : 0n;
        case '<':
          return l < r ? 1n : 0n;
        case '<<':
          return toSigned(l << (r & 63n));
        case '<=':
          return l <= r ? 1n : 0n;
        case '>':
          return l > r ? 1n : 0n;
        case '>>':
          return l >> (r & 63n);
        case '>=':
          return l >= r ? 1n : 0n;
        case '==':
          return l === r ? 1n : 0n;
        case '!=':
          return l !== r ? 1n : 0n;
        case '-':
          return toSigned(l - r);
        case '+':
          return toSigned(l + r);
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

function strtollBig(s: string): bigint {
  // strtoll semantics: signed, saturating
  let i = 0;
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n')) i++;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') {
    neg = s[i] === '-';
    i++;
  }
  const rest = s.slice(i);
  if (rest[0] === '-' || rest[0] === '+') return 0n;
  const u = strtoullRaw(rest);
  if (u === null) return 0n;
  if (neg) return u > 0x8000000000000000n ? -0x8000000000000000n : -u;
  return u > 0x7fffffffffffffffn ? 0x7fffffffffffffffn : u;
}
function strtoullRaw(s: string): bigint | null {
  const v = strtoull(s);
  // strtoull already saturates at 2^64-1 which is > LLONG_MAX either way
  return v;
}

/** arg_eval: the string libtraceevent stores as a flag/symbol table value or name. */
export function argEval(arg: PrintArg): string | null {
  switch (arg.kind) {
    case 'atom':
      return arg.atom;
    case 'type':
      return argEval(arg.item!);
    case 'op': {
      const v = argNumEval(arg);
      return v === null ? null : v.toString();
    }
    default:
      return null;
  }
}

/** consolidate_op_arg: folds operations whose both sides are atoms. */
export function consolidate(arg: PrintArg): void {
  if (arg.kind !== 'op') return;
  if (arg.left) consolidate(arg.left);
  if (arg.right) consolidate(arg.right);
  if (!arg.left || !arg.right) return;
  if (arg.left.kind !== 'atom' || arg.right.kind !== 'atom') return;
  const l = strtoull(arg.left.atom);
  const r = strtoull(arg.right.atom);
  let v: bigint;
  const op = arg.op;
  switch (op[0]) {
    case '>':
      v = op[1] === '>' ? l >> (r & 63n) : op[1] === '=' ? b(l >= r) : b(l > r);
      break;
    case '<':
      v = op[1] === '<' ? (l << (r & 63n)) & U64_MASK : op[1] === '=' ? b(l <= r) : b(l < r);
      break;
    case '&':
      v = op[1] === '&' ? b(l !== 0n && r !== 0n) : l & r;
      break;
    case '|':
      v = op[1] === '|' ? b(l !== 0n || r !== 0n) : l | r;
      break;
    case '-':
      v = (l - r) & U64_MASK;
      break;
    case '+':
      v = (l + r) & U64_MASK;
      break;
    case '*':
      v = (l * r) & U64_MASK;
      break;
    case '^':
      v = l ^ r;
      break;
    case '/':
      v = r === 0n ? 0n : l / r;
      break;
    case '%':
      v = r === 0n ? 0n : l % r;
      break;
    case '=':
      v = b(l === r);
      break;
    case '!':
      v = b(l !== r);
      break;
    default:
      return;
  }
  const folded = new PrintArg();
  folded.kind = 'atom';
  folded.atom = toSigned(v).toString();
  arg.assign(folded);
}
function b(x: boolean): bigint {
  return x ? 1n : 0n;
}
