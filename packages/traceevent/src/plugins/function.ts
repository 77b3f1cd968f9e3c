/**
 * libtraceevent 1.7.1 plugin_function: ftrace:function (call-depth indentation guessed from
 * parents, per CPU), ftrace:kernel_stack, ftrace:raw_data, ftrace:func_repeats.
 * Options (trace-cmd `-O`): parent (` <-- parent`), indent (default on), offset (`+0xOFF `).
 */
import type { Tep } from '../tep/tep.js';
import { anyField, getFieldVal, hex, hex32, lld, lluPad, wrapHandler, type PluginOut, type SeqHandler } from './plugin-util.js';

/** How func_repeats prints its `last_ts:` (trace-cmd's tep_func_repeat_format). */
export type FuncRepeatTimeFormat = 'usecs' | 'nsecs' | 'counter' | 'raw';

export interface FunctionPluginOptions {
  parent: boolean;
  indent: boolean;
  offset: boolean;
  /** A format, or a function giving it at print time (the CLI learns the clock after the plugins are loaded). */
  funcRepeatTime: FuncRepeatTimeFormat | (() => FuncRepeatTimeFormat);
}

/** print_event_time with trace-cmd's func_repeat format. */
export function formatFuncRepeatTime(ts: bigint, fmt: FuncRepeatTimeFormat): string {
  const t = ts & ((1n << 64n) - 1n);
  if (fmt === 'usecs') {
    const us = (t + 500n) / 1000n;
    return pad5(us / 1000000n) + '.' + lluPad(us % 1000000n, 6);
  }
  if (fmt === 'nsecs') return pad5(t / 1000000000n) + '.' + lluPad(t % 1000000000n, 9);
  const s = t.toString(); // %12llu
  return s.length >= 12 ? s : ' '.repeat(12 - s.length) + s;
}

function pad5(v: bigint): string {
  const s = v.toString();
  return s.length >= 5 ? s : ' '.repeat(5 - s.length) + s;
}

export function registerFunctionPlugin(tep: Tep, opts: FunctionPluginOptions): void {
  // per-CPU stacks of function names (add_and_get_index)
  const stacks: Array<Array<string>> = [];

  const addAndGetIndex = (parent: string, child: string | undefined, cpu: number): number => {
    if (cpu < 0) return 0;
    let st = stacks[cpu];
    if (!st) {
      st = [];
      stacks[cpu] = st;
    }
    for (let i = 0; i < st.length; i++) {
      if (st[i] === parent) {
        if (child !== undefined) st[i + 1] = child;
        return i;
      }
    }
    st[0] = parent;
    if (child !== undefined) st[1] = child;
    return 0;
  };

  const showFunction = (out: PluginOut, name: string, addr: bigint): void => {
    out.s += name;
    if (opts.offset) {
      const sym = tep.findFunction(addr);
      out.s += '+0x' + hex32(addr - (sym ? sym.addr : 0n)) + ' ';
    }
  };

  const functionHandler: SeqHandler = (out, record, event) => {
    const ip = getFieldVal(out, tep, record, event, 'ip', true);
    if (ip === undefined) {
      out.s += '!';
      return true;
    }
    const func = tep.findFunction(ip)?.name;
    const pip = getFieldVal(out, tep, record, event, 'parent_ip', true);
    if (pip === undefined) {
      out.s += '!';
      return true;
    }
    const parent = tep.findFunction(pip)?.name;
    let index = 0;
    if (parent !== undefined && opts.indent) index = addAndGetIndex(parent, func, record.cpu);
    if (index) out.s += ' '.repeat(index * 3);
    if (func !== undefined) showFunction(out, func, ip);
    else out.s += '0x' + hex(ip);
    if (opts.parent) {
      out.s += ' <-- ';
      if (parent !== undefined) showFunction(out, parent, pip);
      else out.s += '0x' + hex(pip);
    }
    return false;
  };

  const funcRepeats: SeqHandler = (out, record, event, t) => {
    const o2: PluginOut = { s: '' };
    if (functionHandler(o2, record, event, t)) {
      // the C code ignores the handler's return value here
    }
    out.s += o2.s;
    const count = getFieldVal(out, tep, record, event, 'count', true);
    if (count === undefined) {
      out.s += '!';
      return true;
    }
    const top = getFieldVal(out, tep, record, event, 'top_delta_ts', true);
    if (top === undefined) {
      out.s += '!';
      return true;
    }
    const bottom = getFieldVal(out, tep, record, event, 'bottom_delta_ts', true);
    if (bottom === undefined) {
      out.s += '!';
      return true;
    }
    out.s += ` (count: ${lld(count)}  last_ts: `;
    const fmt = opts.funcRepeatTime;
    out.s += formatFuncRepeatTime(record.ts - ((top << 32n) | bottom), typeof fmt === 'function' ? fmt() : fmt);
    out.s += ')';
    return false;
  };

  const kernelStack: SeqHandler = (out, record, event) => {
    const f = anyField(event, 'caller');
    if (!f) {
      out.s += '<CANT FIND FIELD caller>';
      return false;
    }
    out.s += '<stack trace >\n';
    const ls = tep.longSize;
    const end = record.offset + record.size;
    const v = record.view;
    for (let p = record.offset + f.offset; p < end; p += ls) {
      if (p + ls > record.page.length) break;
      let addr: bigint;
      if (ls === 8) addr = v.getBigUint64(p, tep.littleEndian);
      else addr = BigInt(v.getUint32(p, tep.littleEndian));
      if ((ls === 8 && addr === 0xffffffffffffffffn) || (addr & 0xffffffffn) === 0xffffffffn) break;
      const sym = tep.findFunction(addr);
      if (sym) {
        out.s += '=> ';
        showFunction(out, sym.name, addr);
        out.s += ` (${hex(addr)})\n`;
      } else out.s += `=> ${hex(addr)}\n`;
    }
    return false;
  };

  const rawData: SeqHandler = (out, record, event) => {
    const id = getFieldVal(out, tep, record, event, 'id', true);
    if (id === undefined) {
      out.s += '!';
      return true;
    }
    out.s += '# ' + hex(id);
    const f = anyField(event, 'buf');
    if (!f) {
      out.s += '<CANT FIND FIELD buf>';
      return false;
    }
    const b = record.page;
    const end = Math.min(record.offset + record.size, b.length);
    for (let p = record.offset + f.offset; p < end; p++) {
      const x = b[p]!;
      out.s += (x < 16 ? ' 0' : ' ') + x.toString(16);
    }
    return false;
  };

  tep.registerEventHandler('ftrace', 'function', wrapHandler(functionHandler));
  tep.registerEventHandler('ftrace', 'kernel_stack', wrapHandler(kernelStack));
  tep.registerEventHandler('ftrace', 'raw_data', wrapHandler(rawData));
  tep.registerEventHandler('ftrace', 'func_repeats', wrapHandler(funcRepeats));
}
