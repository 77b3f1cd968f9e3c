/**
 * libtraceevent 1.7.1 plugin_kmem: prefixes kmalloc/kmalloc_node/kfree/kmem_cache_alloc/
 * kmem_cache_alloc_node/kmem_cache_free with `(func+0xOFF) ` from call_site, then prints the
 * event's own format.
 */
import type { Tep } from '../tep.js';
import { eventField, hex32, readNum, wrapHandler, type SeqHandler } from './plugin-util.js';

const callSite: SeqHandler = (out, record, event, tep) => {
  const v = readNum(tep, record, eventField(event, 'call_site'));
  if (v === undefined) return true;
  const sym = tep.findFunction(v);
  if (!sym) return true;
  out.s += `(${sym.name}+0x${hex32(v - sym.addr)}) `;
  return true;
};

export function registerKmemPlugin(tep: Tep): void {
  const h = wrapHandler(callSite);
  for (const name of ['kfree', 'kmalloc', 'kmalloc_node', 'kmem_cache_alloc', 'kmem_cache_alloc_node', 'kmem_cache_free']) {
    tep.registerEventHandler('kmem', name, h);
  }
}
