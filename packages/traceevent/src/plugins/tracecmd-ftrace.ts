/**
 * trace-cmd 3.1.6's built-in ftrace overrides (lib/trace-cmd/trace-ftrace.c), registered
 * before the libtraceevent plugins: ftrace:function (`func <-- parent`, replaced by the
 * function plugin when that is loaded), funcgraph_entry / funcgraph_exit (graph layout).
 * Options (`-O fgraph:tailprint`, `-O fgraph:depth`).
 */
import type { Tep } from '../tep/tep.js';
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { eventField, getFieldVal, hex, lld, readNum, wrapHandler, type PluginOut, type SeqHandler } from './plugin-util.js';

/**
 * Lets the funcgraph_entry handler look at the record that follows in the merged stream,
 * as trace-cmd does to print a leaf function on one line: `peek()` returns it without
 * consuming it; `consume(record)` removes it from the stream (it is then not printed).
 */
export interface FgraphLookahead {
  peek(): TraceRecord | undefined;
  consume(record: TraceRecord): void;
}

export interface TraceCmdFtraceOptions {
  tailprint: boolean;
  depth: boolean;
  lookahead: FgraphLookahead | undefined;
}

const NO_DURATION = (1n << 64n) - 1n;

function overhead(out: PluginOut, duration: bigint): void {
  if (duration === NO_DURATION) {
    out.s += '  ';
    return;
  }
  if (duration > 1000000000n) out.s += '$ ';
  else if (duration > 1000000n) out.s += '# ';
  else if (duration > 100000n) out.s += '! ';
  else if (duration > 10000n) out.s += '+ ';
  else out.s += '  ';
}

function durationText(out: PluginOut, duration: bigint): void {
  const usecs = (duration / 1000n).toString();
  const rem = duration % 1000n;
  let txt = usecs;
  if (usecs.length < 7) txt += '.' + rem.toString().padStart(3, '0');
  out.s += txt + ' us ';
  for (let i = txt.length; i < 7; i++) out.s += ' ';
  out.s += '|  ';
}

export function registerTraceCmdFtrace(tep: Tep, opts: TraceCmdFtraceOptions): void {
  const functionHandler: SeqHandler = (out, record, event) => {
    const ip = getFieldVal(out, tep, record, event, 'ip', true);
    if (ip === undefined) {
      out.s += '!';
      return true;
    }
    const f = tep.findFunction(ip);
    out.s += f ? `${f.name} <-- ` : '0x' + hex(ip);
    const pip = getFieldVal(out, tep, record, event, 'parent_ip', true);
    if (pip === undefined) {
      out.s += '!';
      return true;
    }
    const p = tep.findFunction(pip);
    out.s += p ? p.name : '0x' + hex(pip);
    return false;
  };

  let retEvent: EventFormat | undefined | null = null;
  const findRet = (): EventFormat | undefined => {
    if (retEvent === null || retEvent === undefined) retEvent = tep.findEvent('ftrace', 'funcgraph_exit');
    return retEvent;
  };

  const indent = (out: PluginOut, depth: bigint): void => {
    const n = Number(BigInt.asIntN(32, depth * 2n));
    if (n > 0) out.s += ' '.repeat(n);
  };

  const entry: SeqHandler = (out, record, event) => {
    const ret = findRet();
    if (!ret) return true; // C returns -1: the print fmt follows
    const pid = tep.pidOf(record);
    const func = getFieldVal(out, tep, record, event, 'func', true);
    if (func === undefined) {
      out.s += '!';
      return true;
    }
    let leaf: TraceRecord | undefined;
    const next = opts.lookahead?.peek();
    if (next && tep.typeOf(next) === ret.id && tep.pidOf(next) === pid && readNum(tep, next, eventField(ret, 'func')) === func) leaf = next;
    if (leaf) {
      opts.lookahead!.consume(leaf);
      const rettime = getFieldVal(out, tep, leaf, ret, 'rettime', true);
      if (rettime === undefined) {
        out.s += '!';
        return true;
      }
      const calltime = getFieldVal(out, tep, leaf, ret, 'calltime', true);
      if (calltime === undefined) {
        out.s += '!';
        return true;
      }
      const duration = (rettime - calltime) & NO_DURATION;
      overhead(out, duration);
      durationText(out, duration);
      const depth = getFieldVal(out, tep, record, event, 'depth', true);
      if (depth === undefined) {
        out.s += '!';
        return true;
      }
      indent(out, depth);
      const sym = tep.findFunction(func);
      out.s += sym ? `${sym.name}();` : `${hex(func)}();`;
      if (opts.depth) out.s += ` (${lld(depth)})`;
      return false;
    }
    overhead(out, NO_DURATION);
    out.s += '           |  ';
    const depth = getFieldVal(out, tep, record, event, 'depth', true);
    if (depth === undefined) {
      out.s += '!';
      return true;
    }
    indent(out, depth);
    const sym = tep.findFunction(func);
    out.s += sym ? `${sym.name}() {` : `${hex(func)}() {`;
    if (opts.depth) out.s += ` (${lld(depth)})`;
    return false;
  };

  const exit: SeqHandler = (out, record, event) => {
    if (!findRet()) return true;
    const rettime = getFieldVal(out, tep, record, event, 'rettime', true);
    if (rettime === undefined) {
      out.s += '!';
      return true;
    }
    const calltime = getFieldVal(out, tep, record, event, 'calltime', true);
    if (calltime === undefined) {
      out.s += '!';
      return true;
    }
    const duration = (rettime - calltime) & NO_DURATION;
    overhead(out, duration);
    durationText(out, duration);
    const depth = getFieldVal(out, tep, record, event, 'depth', true);
    if (depth === undefined) {
      out.s += '!';
      return true;
    }
    indent(out, depth);
    out.s += '}';
    if (opts.tailprint) {
      const v = getFieldVal(out, tep, record, event, 'func', false);
      if (v === undefined) return false;
      const sym = tep.findFunction(v);
      if (!sym) return false;
      out.s += ` /* ${sym.name} */`;
    }
    if (opts.depth) out.s += ` (${lld(depth)})`;
    return false;
  };

  tep.registerEventHandler('ftrace', 'function', wrapHandler(functionHandler));
  tep.registerEventHandler('ftrace', 'funcgraph_entry', wrapHandler(entry));
  tep.registerEventHandler('ftrace', 'funcgraph_exit', wrapHandler(exit));
}
