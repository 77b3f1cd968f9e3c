/**
 * The plugins trace-cmd 3.1.6 loads by default (libtraceevent 1.7.1's plugins/ and
 * trace-cmd's own ftrace overrides). `loadPlugins` must run before the event formats are
 * parsed, as in trace-cmd, so that plugin print functions (jiffies_to_msecs, …) are known
 * when the formats that call them are parsed. `trace-cmd report -N` = do not call it.
 */
import type { Tep } from '../tep/tep.js';
import { registerSchedSwitchPlugin } from './sched-switch.js';
import { registerKmemPlugin } from './kmem.js';
import { registerHrtimerPlugin } from './hrtimer.js';
import { registerFunctionPlugin, type FuncRepeatTimeFormat } from './function.js';
import { registerTraceCmdFtrace, type FgraphLookahead } from './tracecmd-ftrace.js';
import { registerFutexPlugin } from './futex.js';
import { registerTlbPlugin } from './tlb.js';
import { registerKvmPlugin } from './kvm.js';
import { registerMac80211Plugin } from './mac80211.js';
import { registerPrintFunctions } from './print-functions.js';

export type { FuncRepeatTimeFormat } from './function.js';
export { formatFuncRepeatTime } from './function.js';
export type { FgraphLookahead } from './tracecmd-ftrace.js';

export interface PluginOptions {
  /** ftrace:parent — function events print ` <-- parent` (default off). */
  functionParent: boolean;
  /** ftrace:indent — indent function events by guessed call depth (default on). */
  functionIndent: boolean;
  /** ftrace:offset — print `+0xOFF ` after function names (default off). */
  functionOffset: boolean;
  /** How func_repeats prints `last_ts:`: trace-cmd uses 'usecs' by default, 'nsecs' with -t,
   *  'counter' for non-time clocks, 'raw' with --raw-ts; or a function asked at print time. */
  funcRepeatTime: FuncRepeatTimeFormat | (() => FuncRepeatTimeFormat);
  /** fgraph:tailprint — ` /* func *\/` after a funcgraph_exit brace. */
  fgraphTailprint: boolean;
  /** fgraph:depth — ` (depth)` after funcgraph lines. */
  fgraphDepth: boolean;
  /** Access to the next record of the merged stream, for funcgraph leaf detection. */
  fgraphLookahead: FgraphLookahead | undefined;
}

export const DEFAULT_PLUGIN_OPTIONS: Readonly<PluginOptions> = Object.freeze({
  functionParent: false,
  functionIndent: true,
  functionOffset: false,
  funcRepeatTime: 'usecs',
  fgraphTailprint: false,
  fgraphDepth: false,
  fgraphLookahead: undefined,
});

const OPTION_KEYS: Record<string, { plugin: string; key: keyof PluginOptions }> = {
  parent: { plugin: 'ftrace', key: 'functionParent' },
  indent: { plugin: 'ftrace', key: 'functionIndent' },
  offset: { plugin: 'ftrace', key: 'functionOffset' },
  tailprint: { plugin: 'fgraph', key: 'fgraphTailprint' },
  depth: { plugin: 'fgraph', key: 'fgraphDepth' },
};

/**
 * Applies one trace-cmd `-O [plugin:]option[=value]` to `opts` (libtraceevent rules: no value
 * toggles the boolean; `1`/`true` set it, `0`/`false` clear it, anything else leaves it).
 * Returns false when no known option has that name. For a whole command line use
 * `pluginOptionsFromArgs`, which also reproduces how repeated options combine.
 */
export function applyPluginOption(opts: PluginOptions, text: string): boolean {
  let name = text;
  let value: string | undefined;
  const eq = name.indexOf('=');
  if (eq >= 0) {
    value = name.slice(eq + 1);
    name = name.slice(0, eq);
  }
  let plugin: string | undefined;
  const colon = name.indexOf(':');
  if (colon >= 0) {
    plugin = name.slice(0, colon);
    name = name.slice(colon + 1);
  }
  const o = OPTION_KEYS[name];
  if (!o || (plugin !== undefined && plugin !== o.plugin)) return false;
  const cur = opts[o.key] as boolean;
  let next = cur;
  if (value === undefined) next = !cur;
  else if (value === '1' || value === 'true') next = true;
  else if (value === '0' || value === 'false') next = false;
  (opts as unknown as Record<string, unknown>)[o.key] = next;
  return true;
}

/**
 * The plugin options of a whole command line of trace-cmd `-O` arguments, with libtraceevent's
 * storage rules: each `[plugin:]option` keeps only its last value; when the plugins load, the
 * `plugin:option` form is applied first, then the bare `option` form, each once (no value
 * toggles). E.g. `-O parent -O parent` → parent on; `-O parent -O ftrace:parent` → off.
 * Unknown options are returned in `unknown`.
 */
export function pluginOptionsFromArgs(texts: readonly string[], base: Partial<PluginOptions> = {}): PluginOptions & { unknown: string[] } {
  const stored = new Map<string, { plugin: string | undefined; option: string; value: string | undefined }>();
  const unknown: string[] = [];
  for (const text of texts) {
    let name = text;
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let plugin: string | undefined;
    const colon = name.indexOf(':');
    if (colon >= 0) {
      plugin = name.slice(0, colon);
      name = name.slice(colon + 1);
    }
    stored.set(`${plugin ?? ''}\u0000${name}`, { plugin, option: name, value });
    const o = OPTION_KEYS[name];
    if (!o || (plugin !== undefined && plugin !== o.plugin)) unknown.push(text);
  }
  const opts: PluginOptions = { ...DEFAULT_PLUGIN_OPTIONS, ...base };
  const update = (key: keyof PluginOptions, value: string | undefined): void => {
    const cur = opts[key] as boolean;
    let next = cur;
    if (value === undefined) next = !cur;
    else if (value === '1' || value === 'true') next = true;
    else if (value === '0' || value === 'false') next = false;
    (opts as unknown as Record<string, unknown>)[key] = next;
  };
  for (const [name, o] of Object.entries(OPTION_KEYS)) {
    const named = stored.get(`${o.plugin}\u0000${name}`);
    if (named) update(o.key, named.value);
    const bare = stored.get(`\u0000${name}`);
    if (bare) update(o.key, bare.value);
  }
  return { ...opts, unknown };
}

/** Registers every plugin handler and print function trace-cmd report uses by default. */
export function loadPlugins(tep: Tep, options: Partial<PluginOptions> = {}): void {
  const o: PluginOptions = { ...DEFAULT_PLUGIN_OPTIONS, ...options };
  // trace-cmd registers its ftrace overrides first; plugin_function then replaces ftrace:function
  registerTraceCmdFtrace(tep, { tailprint: o.fgraphTailprint, depth: o.fgraphDepth, lookahead: o.fgraphLookahead });
  registerPrintFunctions(tep);
  registerFunctionPlugin(tep, {
    parent: o.functionParent,
    indent: o.functionIndent,
    offset: o.functionOffset,
    funcRepeatTime: o.funcRepeatTime,
  });
  registerFutexPlugin(tep);
  registerHrtimerPlugin(tep);
  registerKmemPlugin(tep);
  registerKvmPlugin(tep);
  registerMac80211Plugin(tep);
  registerSchedSwitchPlugin(tep);
  registerTlbPlugin(tep);
}
