/**
 * libtraceevent 1.7.1 plugin_kmem: prefixes kmalloc/kmalloc_node/kfree/kmem_cache_alloc/
 * kmem_cache_alloc_node/kmem_cache_free with `(func+0xOFF) ` from call_site, then prints the
 * event's own format.
 */
import type { Field, TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import type { EventHandler, Tep } from '../tep/tep.js';
import { makeChunk, type Chunk, type OutBuffer } from '../core/out-buffer.js';
import { eventField, hex32, readNum, wrapHandler, type SeqHandler } from './plugin-util.js';

export function registerKmemPlugin(tep: Tep): void {
  // call sites repeat a lot: remember the prefix of each (bounded)
  const prefixes = new Map<bigint, string>();
  const prefixOf = (t: Tep, v: bigint): string => {
    let p = prefixes.get(v);
    if (p === undefined) {
      const sym = t.findFunction(v);
      p = sym ? `(${sym.name}+0x${hex32(v - sym.addr)}) ` : '';
      if (prefixes.size >= 65536) prefixes.clear();
      prefixes.set(v, p);
    }
    return p;
  };
  const callSite: SeqHandler = (out, record, event, t) => {
    const v = readNum(t, record, eventField(event, 'call_site'));
    if (v === undefined) return true;
    out.s += prefixOf(t, v);
    return true;
  };
  const h: EventHandler = wrapHandler(callSite);

  // the byte form: an 8-byte call_site is looked up by its two 32-bit halves, and the
  // prefix kept as bytes (low word → high word and prefix)
  const fields = new Map<EventFormat, Field | null>();
  const chunks = new Map<number, { hi: number; chunk: Chunk; kallsyms: number }>();
  h.emit = (record: TraceRecord, event: EventFormat, t: Tep, o: OutBuffer): void => {
    let f = fields.get(event);
    if (f === undefined) {
      f = eventField(event, 'call_site') ?? null;
      fields.set(event, f);
    }
    if (f !== null && f.size === 8) {
      let hi = 0,
        lo = 0;
      if (f.offset + 8 <= record.size) {
        const le = t.littleEndian;
        const at = record.offset + f.offset;
        lo = record.view.getUint32(at + (le ? 0 : 4), le);
        hi = record.view.getUint32(at + (le ? 4 : 0), le);
      }
      let e = chunks.get(lo);
      if (e === undefined || e.hi !== hi || e.kallsyms !== t.kallsyms.version) {
        const text = prefixOf(t, (BigInt(hi) << 32n) | BigInt(lo));
        if (chunks.size >= 65536) chunks.clear();
        e = { hi, chunk: makeChunk(text), kallsyms: t.kallsyms.version };
        chunks.set(lo, e);
      }
      if (e.chunk.length) o.chunk(e.chunk);
    } else {
      const v = readNum(t, record, f ?? undefined);
      if (v !== undefined) o.latin1(prefixOf(t, v));
    }
    t.emitInfo(record, event, 'noplugins', o);
  };
  for (const name of ['kfree', 'kmalloc', 'kmalloc_node', 'kmem_cache_alloc', 'kmem_cache_alloc_node', 'kmem_cache_free']) {
    tep.registerEventHandler('kmem', name, h);
  }
}
