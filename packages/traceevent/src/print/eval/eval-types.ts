/**
 * The types shared by the argument compilers: what evaluation needs from the Tep, the
 * closure shapes compiled arguments take, and the part of ArgCompiler the number-only
 * compiler of print-safe.ts uses (so that the two depend one way).
 */
import type { TraceRecord } from '../../core/types.js';
import type { KallsymsTable } from '../../symbols/kallsyms.js';
import type { PrintkTable } from '../../symbols/printk.js';
import type { PrintArg } from '../parse/print-arg.js';
import type { ParserContext } from '../parse/context.js';

/** What evaluation needs from the Tep. */
export interface EvalHost {
  readonly littleEndian: boolean;
  readonly longSize: number;
  readonly kallsyms: KallsymsTable;
  readonly printk: PrintkTable;
  /** Calls a plugin print function (tep_register_print_function). */
  callFunction(name: string, args: Array<bigint | string>): bigint | string;
  functionReturns(name: string): 'number' | 'string';
}

export type BigFn = (r: TraceRecord) => bigint;
export type SmallFn = (r: TraceRecord) => number;
export type NumFn = (r: TraceRecord) => number | bigint;
export type StrFn = (r: TraceRecord, star: number) => string;

/** What compileSafe needs of the argument compiler (ArgCompiler implements it). */
export interface NumberCompiler {
  readonly host: EvalHost;
  readonly ctx: ParserContext;
  small(arg: PrintArg): SmallFn | null;
  big(arg: PrintArg): BigFn;
}
