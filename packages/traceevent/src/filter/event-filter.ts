/**
 * `trace-cmd report -F` filters (libtraceevent 1.7.1 tep_filter_* + trace-cmd 3.1.6's
 * tracecmd_filter_*), compiled once per event into closures evaluated per record.
 *
 * Semantics:
 * - `-F 'EVENTS[:FILTER]'`, EVENTS = comma list of `SYS/EVENT`, `SYS` or `EVENT`; each name is a
 *   POSIX basic regex anchored as `^name$`, case-insensitive; a lone name matches a system or
 *   an event name. Events listed without a filter are accepted as they are.
 * - Every `-F` is a separate filter. A record is shown when some positive filter matches it (or
 *   there is no positive filter) and no negative filter (`-v -F …`) matches it. Records of
 *   events that no positive filter names are dropped.
 * - A kernel/user stack-trace record that a positive filter does not name is still shown when the
 *   previous record that passed the positive filters on its CPU was shown.
 * - Numbers compare as unsigned 64-bit values (signed fields are sign-extended first); a string
 *   comparison on a non-string field compares the kernel symbol of a pointer/long field, else
 *   `0x%llx` of the value; an evaluation error (string in arithmetic, `~`) makes the filter
 *   not apply to that record.
 */
import { UtpError } from '@utp/bytes';
import type { Tep } from '../tep/tep.js';
import type { Field, TraceRecord } from '../core/types.js';
import { FieldFlag } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { breToRegExp } from './posix-regex.js';
import { FilterErrorCode, FilterParser, type FilterNode, type FilterPseudoField } from './filter-parser.js';

/** Result of one filter for one record (tep_filter_match). */
export type FilterMatchResult = 'match' | 'miss' | 'notfound' | 'error';

type Test = (r: TraceRecord) => boolean;
type Value = (r: TraceRecord) => bigint;

const U64 = (1n << 64n) - 1n;
/** Thrown inside compiled closures for libtraceevent's evaluation errors. */
const EVAL_ERROR = Symbol('filter-eval-error');
/** COMM in a numeric context is a (non-zero) pointer in libtraceevent. */
const COMM_AS_NUMBER = 1n;

/** The compiled form of one `-F` argument. */
export class CompiledEventFilter {
  /** event id → test */
  readonly tests = new Map<number, Test>();
  constructor(readonly text: string) {}

  match(record: TraceRecord, eventId: number): FilterMatchResult {
    const t = this.tests.get(eventId);
    if (t === undefined) return 'notfound';
    try {
      return t(record) ? 'match' : 'miss';
    } catch (e) {
      if (e === EVAL_ERROR) return 'error';
      throw e;
    }
  }
}

export class EventFilter {
  private readonly positive: Array<Pick<CompiledEventFilter, 'match'>> = [];
  private readonly negative: Array<Pick<CompiledEventFilter, 'match'>> = [];
  private invert = false;
  private stackIds: number[] | undefined;
  private lastPrinted = new Uint8Array(8);

  constructor(private readonly tep: Tep) {}

  /** `-v`: the filters added after this call remove the records they match. */
  setInvert(v: boolean): void {
    this.invert = v;
  }

  /** True when no filter was added (then every record is accepted). */
  get empty(): boolean {
    return this.positive.length === 0 && this.negative.length === 0;
  }

  /**
   * Adds one `-F` argument. Throws UtpError (FilterErrorCode) for unknown events, bad regexes
   * and syntax errors; `offset` is the position in `text`.
   */
  add(text: string, negate: boolean = this.invert): CompiledEventFilter {
    const compiled = this.compile(text);
    (negate ? this.negative : this.positive).push(compiled);
    return compiled;
  }

  /**
   * Adds a positive filter given as a predicate (e.g. a pid set that would be thousands of `-F` terms), or-ed with
   * the others and under the same stack-trace rule as they are.
   */
  addMatcher(test: (record: TraceRecord, eventId: number) => boolean): void {
    this.positive.push({ match: (record, eventId) => (test(record, eventId) ? 'match' : 'miss') });
  }

  /** Whether trace-cmd report would print this record (tracecmd_filter_match). */
  accepts(record: TraceRecord, event?: EventFormat): boolean {
    if (this.empty) return true;
    const id = event ? event.id : this.tep.typeOf(record);
    if (this.stackIds === undefined) {
      this.stackIds = [];
      const k = this.tep.findEvent('ftrace', 'kernel_stack');
      if (k) this.stackIds.push(k.id);
      const u = this.tep.findEvent('ftrace', 'user_stack');
      if (u) this.stackIds.push(u.id);
    }
    const cpu = record.cpu;
    if (cpu >= this.lastPrinted.length) {
      const n = new Uint8Array(Math.max(cpu + 1, this.lastPrinted.length * 2));
      n.set(this.lastPrinted);
      this.lastPrinted = n;
    }
    if (this.positive.length) {
      let found = false;
      for (const f of this.positive) {
        const r = f.match(record, id);
        if (r === 'match') {
          found = true;
          break;
        }
      }
      if (!found && !(this.stackIds.includes(id) && this.lastPrinted[cpu])) return false;
    }
    let found = false;
    for (const f of this.negative) {
      if (f.match(record, id) === 'match') {
        found = true;
        break;
      }
    }
    this.lastPrinted[cpu] = found ? 0 : 1;
    return !found;
  }

  // ---- compilation ----

  private compile(text: string): CompiledEventFilter {
    const out = new CompiledEventFilter(text);
    const colon = text.indexOf(':');
    const names = colon >= 0 ? text.slice(0, colon) : text;
    const filterText = colon >= 0 ? text.slice(colon + 1) : undefined;
    const events = new Set<EventFormat>();
    let pos = 0;
    for (const part of names.split(',')) {
      const toks = part.split('/').filter((s) => s.length > 0);
      if (toks.length === 0) {
        throw new UtpError(FilterErrorCode.FilterNotFound, 'Filter names no event', { offset: pos, context: { filter: text } });
      }
      let sys: string | undefined = toks[0]!.trim();
      let name: string | undefined = toks[1]?.trim();
      if (name === undefined) {
        name = sys;
        sys = undefined;
      }
      let ereg: RegExp;
      let sreg: RegExp | undefined;
      try {
        ereg = breToRegExp(`^${name}$`);
        if (sys !== undefined) sreg = breToRegExp(`^${sys}$`);
      } catch {
        throw new UtpError(FilterErrorCode.InvalidEventName, 'Invalid event name', { offset: pos, context: { event: part.trim() } });
      }
      let matched = false;
      for (const ev of this.tep.events) {
        const ok = sreg ? sreg.test(ev.system) && ereg.test(ev.name) : ereg.test(ev.system) || ereg.test(ev.name);
        if (ok) {
          events.add(ev);
          matched = true;
        }
      }
      if (!matched) {
        throw new UtpError(FilterErrorCode.EventNotFound, 'No event found for filter', { offset: pos, context: { event: part.trim() } });
      }
      pos += part.length + 1;
    }
    for (const ev of events) {
      let test: Test;
      if (filterText === undefined) test = () => true;
      else {
        let node: FilterNode;
        try {
          node = new FilterParser(ev, filterText).parse();
        } catch (e) {
          if (e instanceof UtpError && e.offset !== undefined) {
            throw new UtpError(e.code, e.message.replace(/: offset=.*$/, ''), {
              offset: e.offset + colon + 1,
              context: { filter: text },
              cause: e,
            });
          }
          throw e;
        }
        test = this.compileTest(node);
      }
      out.tests.set(ev.id, test);
    }
    return out;
  }

  private compileTest(n: FilterNode): Test {
    switch (n.type) {
      case 'bool': {
        const v = n.value === true;
        return () => v;
      }
      case 'op': {
        if (n.op === 'not') {
          const r = this.compileTest(n.right!);
          return (rec) => !r(rec);
        }
        const l = this.compileTest(n.left!);
        const r = this.compileTest(n.right!);
        return n.op === 'and' ? (rec) => l(rec) && r(rec) : (rec) => l(rec) || r(rec);
      }
      case 'num': {
        const l = this.compileValue(n.left!);
        const r = this.compileValue(n.right!);
        switch (n.op) {
          case 'eq':
            return (rec) => {
              const a = l(rec);
              return a === r(rec);
            };
          case 'ne':
            return (rec) => {
              const a = l(rec);
              return a !== r(rec);
            };
          case 'gt':
            return (rec) => {
              const a = l(rec);
              return a > r(rec);
            };
          case 'lt':
            return (rec) => {
              const a = l(rec);
              return a < r(rec);
            };
          case 'ge':
            return (rec) => {
              const a = l(rec);
              return a >= r(rec);
            };
          case 'le':
            return (rec) => {
              const a = l(rec);
              return a <= r(rec);
            };
          default:
            return () => {
              throw EVAL_ERROR;
            };
        }
      }
      case 'str': {
        const get = this.compileString(n.field!);
        const want = n.str!;
        const re = n.re;
        if ((n.op === 'regex' || n.op === 'nregex') && this.isHexText(n.field!)) {
          // libtraceevent hands regexec() a dead stack buffer for the `0x…` text of a
          // non-string field: it never matches (observed with trace-cmd 3.1.6)
          const neg = n.op === 'nregex';
          const f = n.field!;
          const symbolic = typeof f !== 'string' && (f.flags & (FieldFlag.Pointer | FieldFlag.Long)) !== 0;
          if (!symbolic) return () => neg;
          const value = this.compileFieldValue(f);
          const tep = this.tep;
          return (rec) => {
            const sym = tep.findFunction(value(rec));
            return sym ? re!.test(sym.name) !== neg : neg;
          };
        }
        switch (n.op) {
          case 'match':
            return (rec) => get(rec) === want;
          case 'nmatch':
            return (rec) => get(rec) !== want;
          case 'regex':
            return (rec) => re!.test(get(rec));
          case 'nregex':
            return (rec) => !re!.test(get(rec));
          default:
            return () => {
              throw EVAL_ERROR;
            };
        }
      }
      case 'exp':
      case 'value':
      case 'field': {
        const v = this.compileValue(n);
        return (rec) => v(rec) !== 0n;
      }
      default:
        return () => {
          throw EVAL_ERROR;
        };
    }
  }

  private compileValue(n: FilterNode): Value {
    switch (n.type) {
      case 'field':
        return this.compileFieldValue(n.field!);
      case 'value': {
        if (n.kind !== 'number')
          return () => {
            throw EVAL_ERROR;
          };
        const v = n.num!;
        return () => v;
      }
      case 'exp': {
        const l = this.compileValue(n.left!);
        const r = this.compileValue(n.right!);
        switch (n.op) {
          case 'add':
            return (rec) => (l(rec) + r(rec)) & U64;
          case 'sub':
            return (rec) => (l(rec) - r(rec)) & U64;
          case 'mul':
            return (rec) => (l(rec) * r(rec)) & U64;
          case 'div':
            return (rec) => {
              const a = l(rec);
              const b = r(rec);
              return b === 0n ? 0n : a / b;
            };
          case 'mod':
            return (rec) => {
              const a = l(rec);
              const b = r(rec);
              return b === 0n ? 0n : a % b;
            };
          case 'rshift':
            return (rec) => {
              const a = l(rec);
              return a >> (r(rec) & 63n);
            };
          case 'lshift':
            return (rec) => {
              const a = l(rec);
              return (a << (r(rec) & 63n)) & U64;
            };
          case 'and':
            return (rec) => l(rec) & r(rec);
          case 'or':
            return (rec) => l(rec) | r(rec);
          case 'xor':
            return (rec) => l(rec) ^ r(rec);
          default:
            return (rec) => {
              l(rec);
              r(rec);
              throw EVAL_ERROR;
            };
        }
      }
      default:
        return () => {
          throw EVAL_ERROR;
        };
    }
  }

  private compileFieldValue(f: Field | FilterPseudoField): Value {
    const tep = this.tep;
    if (f === 'COMM') return () => COMM_AS_NUMBER;
    if (f === 'CPU') return (rec) => BigInt(rec.cpu);
    const size = f.size;
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return () => 0n;
    if (!(f.flags & FieldFlag.Signed)) return (rec) => tep.readField(rec, f);
    const bits = size * 8;
    return (rec) => BigInt.asUintN(64, BigInt.asIntN(bits, tep.readField(rec, f)));
  }

  /** True when a string comparison on this field uses the `0x%llx` / symbol fallback. */
  private isHexText(f: Field | FilterPseudoField): boolean {
    if (f === 'COMM') return false;
    if (f === 'CPU') return true;
    return (f.flags & FieldFlag.String) === 0;
  }

  private compileString(f: Field | FilterPseudoField): (r: TraceRecord) => string {
    const tep = this.tep;
    if (f === 'COMM') return (rec) => tep.commOf(tep.pidOf(rec));
    if (f === 'CPU') return (rec) => '0x' + rec.cpu.toString(16);
    if (f.flags & FieldFlag.String) {
      if (!(f.flags & FieldFlag.Dynamic)) return (rec) => tep.readString(rec, f);
      const fieldSize = f.size;
      return (rec) => {
        const b = tep.readBytes(rec, f);
        if (b.length > 0 && b[b.length - 1] !== 0) {
          // libtraceevent copies only the field's own size (4) when the string is not NUL-terminated
          let s = '';
          for (let i = 0; i < fieldSize && i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
          return s;
        }
        return tep.readString(rec, f);
      };
    }
    const value = this.compileFieldValue(f);
    const symbolic = (f.flags & (FieldFlag.Pointer | FieldFlag.Long)) !== 0;
    return (rec) => {
      const v = value(rec);
      if (symbolic) {
        const sym = tep.findFunction(v);
        if (sym) return sym.name;
      }
      return '0x' + v.toString(16);
    };
  }
}
