/**
 * libtraceevent 1.7.1 plugin_kmem: prefixes kmalloc/kmalloc_node/kfree/kmem_cache_alloc/
 * kmem_cache_alloc_node/kmem_cache_free with `(func+0xOFF) ` from call_site, then prints the
 * event's own format.
 */
import type { Tep } from '../tep.js';
import { eventField, hex32, readNum, wrapHandler, type SeqHandler } from './plugin-util.js';

export function registerKmemPlugin(tep: Tep): void {
  // call sites repeat a lot: remember the prefix of each (bounded)
  const prefixes = new Map<bigint, string>();
  const callSite: SeqHandler = (out, record, event, t) => {
    const v = readNum(t, record, eventField(event, 'call_site'));
    if (v === undefined) return true;
    let p = prefixes.get(v);
    if (p === undefined) {
      const sym = t.findFunction(v);
      p = sym ? `(${sym.name}+0x${hex32(v - sym.addr)}) ` : '';
      if (prefixes.size >= 65536) prefixes.clear();
      prefixes.set(v, p);
    }
    out.s += p;
    return true;
  };
  const h = wrapHandler(callSite);
  for (const name of ['kfree', 'kmalloc', 'kmalloc_node', 'kmem_cache_alloc', 'kmem_cache_alloc_node', 'kmem_cache_free']) {
    tep.registerEventHandler('kmem', name, h);
  }
}
