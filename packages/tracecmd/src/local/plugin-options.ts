/**
 * `trace-cmd options` / `trace-cmd list -O`: the event-plugin options and their defaults, in
 * libtraceevent's tep_plugin_print_options() layout. utp's built-in plugins have the same five
 * options as libtraceevent's ftrace and fgraph plugins; the defaults shown are utp's own
 * (DEFAULT_PLUGIN_OPTIONS), so the table says what `utp report -O` starts from.
 */
import { DEFAULT_PLUGIN_OPTIONS, type PluginOptions } from '@utp/traceevent';

const OPTIONS: Array<{ plugin: string; name: string; desc: string; key: keyof PluginOptions }> = [
  { plugin: 'ftrace', name: 'parent', desc: 'Print parent of functions for function events', key: 'functionParent' },
  { plugin: 'ftrace', name: 'indent', desc: 'Try to show function call indents, based on parents', key: 'functionIndent' },
  { plugin: 'ftrace', name: 'offset', desc: 'Show function names as well as their offsets', key: 'functionOffset' },
  { plugin: 'fgraph', name: 'tailprint', desc: 'Print function name at function exit in function graph', key: 'fgraphTailprint' },
  { plugin: 'fgraph', name: 'depth', desc: 'Show the depth of each entry', key: 'fgraphDepth' },
];

/** The plugin options table: "------------" between options of a plugin, "============" between plugins. */
export function pluginOptionsReport(): string {
  let out = '',
    prev: string | undefined;
  for (const o of OPTIONS) {
    if (prev !== undefined) out += prev === o.plugin ? '------------\n' : '============\n';
    out += `  plugin:\t${o.plugin}\n  option:\t${o.name}\n    desc:\t${o.desc}\n     set:\t${DEFAULT_PLUGIN_OPTIONS[o.key] ? 1 : 0}\n`;
    prev = o.plugin;
  }
  return out;
}
