/**
 * One node of a print argument tree (libtraceevent's struct tep_print_arg) and the
 * types around it. Nodes are mutable on purpose: the parser rewrites them in place the
 * way libtraceevent does (copying a node into its own left child, rotating operators).
 */
import type { TepField } from '../../core/event-format.js';

export type ArgKind =
  | 'null'
  | 'atom'
  | 'field'
  | 'flags'
  | 'symbol'
  | 'hex'
  | 'hexstr'
  | 'intarray'
  | 'type'
  | 'string'
  | 'bstring'
  | 'bitmask'
  | 'cpumask'
  | 'op'
  | 'func'
  | 'dynarray'
  | 'dynarraylen';

export interface FlagSym {
  value: string;
  str: string;
}

/** Parameter kinds of a registered print function (tep_func_arg_type). */
export type PrintFunctionParam = 'int' | 'long' | 'ptr' | 'string';

export interface ParserFunction {
  name: string;
  params?: readonly PrintFunctionParam[];
}

/** One node of a print argument tree (libtraceevent's struct tep_print_arg). Mutable on purpose. */
export class PrintArg {
  kind: ArgKind = 'null';
  atom = '';
  fieldName = '';
  field: TepField | null = null;
  op = '';
  left: PrintArg | null = null;
  right: PrintArg | null = null;
  prio = 0;
  typeName = '';
  item: PrintArg | null = null;
  /** flags/symbol: the value expression; hex/intarray: the data; */
  sub: PrintArg | null = null;
  delim: string | null = null;
  table: FlagSym[] = [];
  /** hex: length; intarray: count */
  size: PrintArg | null = null;
  elSize: PrintArg | null = null;
  /** string/bitmask/cpumask: field name */
  strName = '';
  fn: ParserFunction | null = null;
  fnArgs: PrintArg[] = [];

  assign(o: PrintArg): void {
    Object.assign(this, o);
  }
  clone(): PrintArg {
    const a = new PrintArg();
    a.assign(this);
    return a;
  }
}
