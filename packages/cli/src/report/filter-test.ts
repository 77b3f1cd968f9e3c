/**
 * `utp report -T` (--filter-test): trace-cmd 3.1.6 adds each -F filter with libtraceevent's test
 * mode on, which prints, for every event the filter names, the filter as it was rewritten
 * (tep_filter_make_string: unknown fields folded to FALSE, TRUE/FALSE collapsed, parentheses
 * around both sides of && and ||) as ` 'EVENT: STRING'`; then trace-cmd exits 0.
 */
import { FilterParser, breToRegExp } from '@utp/traceevent';
import type { EventFormat, FilterNode, Tep } from '@utp/traceevent';

const CMP: Record<string, string> = { eq: '==', ne: '!=', gt: '>', lt: '<', ge: '>=', le: '<=' };
const STR: Record<string, string> = { match: '==', nmatch: '!=', regex: '=~', nregex: '!~' };
const EXP: Record<string, string> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  mod: '%',
  rshift: '>>',
  lshift: '<<',
  and: '&',
  or: '|',
  xor: '^',
};

/** A filter form whose -T text utp does not reproduce. */
export class UnshownForm extends Error {}

function fieldName(n: FilterNode): string {
  const f = n.field;
  return typeof f === 'string' ? f : (f?.name ?? '');
}

/** libtraceevent's arg_to_str (undefined where it gives NULL). */
export function filterString(n: FilterNode | undefined): string | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'bool':
      return n.value ? 'TRUE' : 'FALSE';
    case 'op': {
      if (n.op === 'not') {
        const r = filterString(n.right);
        if (r === undefined) return undefined;
        if (r === 'TRUE') return 'FALSE';
        if (r === 'FALSE') return 'TRUE';
        return `!(${r})`;
      }
      const and = n.op === 'and';
      const l = filterString(n.left);
      const r = filterString(n.right);
      if (l === undefined || r === undefined) return undefined;
      const lv = l === 'TRUE' ? 1 : l === 'FALSE' ? 0 : -1;
      const rv = r === 'TRUE' ? 1 : r === 'FALSE' ? 0 : -1;
      if (lv >= 0) {
        if ((and && !lv) || (!and && lv)) return l;
        if (rv >= 0) return (and ? lv && rv : lv || rv) ? 'TRUE' : 'FALSE';
      }
      if (rv >= 0) {
        if ((and && !rv) || (!and && rv)) return r;
        return l;
      }
      return `(${l}) ${and ? '&&' : '||'} (${r})`;
    }
    case 'num': {
      const l = filterString(n.left);
      const r = filterString(n.right);
      const op = CMP[n.op ?? ''];
      if (l === undefined || r === undefined || op === undefined) return undefined;
      return `${l} ${op} ${r}`;
    }
    case 'str': {
      const op = STR[n.op ?? ''];
      return op === undefined ? undefined : `${fieldName(n)} ${op} "${n.str ?? ''}"`;
    }
    case 'value':
      // a string operand of arithmetic (e.g. `~`): libtraceevent prints the string's address
      if (n.kind !== 'number')
        throw new UnshownForm(
          `-T cannot show a string used as a number (here "${n.str ?? ''}", e.g. with ~): trace-cmd prints its memory address`,
        );
      return BigInt.asIntN(64, n.num ?? 0n).toString();
    case 'field':
      return fieldName(n);
    case 'exp': {
      const l = filterString(n.left);
      const r = filterString(n.right);
      if (l === undefined || r === undefined) return undefined;
      return `${l} ${EXP[n.op ?? ''] ?? '[ERROR IN EXPRESSION TYPE]'} ${r}`;
    }
    default:
      return undefined;
  }
}

/**
 * The lines trace-cmd -T prints for one -F argument: libtraceevent collects the events of each
 * comma-separated name (case-insensitive `^NAME$`, SYSTEM/EVENT or either), each match put in
 * front of the list (so the last match comes first, and an event named twice is printed twice).
 * Throws (the parser's error) when the filter does not parse for one of them.
 */
export function filterTestLines(tep: Tep, text: string): string {
  const colon = text.indexOf(':');
  const names = colon >= 0 ? text.slice(0, colon) : text;
  const body = colon >= 0 ? text.slice(colon + 1) : undefined;
  const byId = [...tep.events].sort((a, b) => a.id - b.id);
  const list: EventFormat[] = [];
  for (const part of names.split(',')) {
    const toks = part.split('/').filter((s) => s.length > 0);
    if (toks.length === 0) throw new Error('Filter names no event');
    let sys: string | undefined = toks[0]!.trim();
    let name = toks[1]?.trim();
    if (name === undefined) {
      name = sys;
      sys = undefined;
    }
    const ereg = breToRegExp(`^${name}$`, 'i');
    const sreg = sys !== undefined ? breToRegExp(`^${sys}$`, 'i') : undefined;
    let matched = false;
    for (const ev of byId) {
      if (sreg ? sreg.test(ev.system) && ereg.test(ev.name) : ereg.test(ev.system) || ereg.test(ev.name)) {
        list.unshift(ev);
        matched = true;
      }
    }
    if (!matched) throw new Error(`No event found for filter: ${part.trim()}`);
  }
  let out = '';
  for (const ev of list) {
    const s = body === undefined ? 'TRUE' : filterString(new FilterParser(ev, body).parse());
    if (s !== undefined) out += ` '${ev.name}: ${s}'\n`;
  }
  return out;
}
