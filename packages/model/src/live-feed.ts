/**
 * LiveFeed: a recording in progress (utp view --live) fed to a model page by page. The source is a
 * TraceDatSource opened on the recording's head (a trace.dat without data: formats, header_page,
 * cmdlines); `add` takes whole sub-buffers of one CPU as the drain wrote them, `pass` says a CPU
 * has no data before a time; `drain` merges the CPUs' records in time order (ties to the lower
 * slot, as mergeRecords does) into a sink, up to the smallest time every CPU has passed (all of
 * them with `final`). Each page is kept as it came for the lazy decoding of its events.
 */
import { KBuffer, KRecord } from '@utp/traceevent';
import type { EventSink, StreamEvent } from './event-stream.js';
import type { TraceDatSource } from './tracedat-source.js';

interface Cpu {
  slot: number;
  cpu: number;
  /** Pages not read to their end yet: page ids and bytes. */
  ids: number[];
  pages: Uint8Array[];
  kb: KBuffer;
  rec: KRecord;
  /** `rec` holds the CPU's next record (of page `page`). */
  has: boolean;
  page: number;
  /** The newest record time received on this CPU, and the time it is known to have passed without data. */
  last: number;
  passed: number;
}

export class LiveFeed {
  readonly pageSize: number;
  private readonly cpus = new Map<number, Cpu>();
  private readonly order: Cpu[] = [];
  private readonly cur = { rec: undefined as KRecord | undefined };
  private readonly ev: StreamEvent;
  private readonly scan: KBuffer;
  private readonly scanRec = new KRecord();
  private readonly adjust: ((rec: KRecord) => void) | undefined;
  /** Pages and events handed over so far. */
  pages = 0;
  events = 0;

  constructor(readonly source: TraceDatSource) {
    const s = source.liveSlots();
    this.pageSize = s.pageSize;
    const kb = () => new KBuffer({ littleEndian: s.littleEndian, longSize: s.longSize });
    for (const [cpu, slot] of s.slotOf) {
      const c: Cpu = {
        slot,
        cpu,
        ids: [],
        pages: [],
        kb: kb(),
        rec: new KRecord(),
        has: false,
        page: -1,
        last: -Infinity,
        passed: -Infinity,
      };
      c.rec.cpu = cpu;
      this.cpus.set(cpu, c);
      this.order.push(c);
    }
    this.order.sort((a, b) => a.slot - b.slot);
    this.scan = kb();
    this.ev = source.liveEvent(this.cur);
    this.adjust = source.td.makeAdjust();
  }

  /** Whole sub-buffers of `cpu` (a multiple of the page size; a short tail is ignored). */
  add(cpu: number, bytes: Uint8Array): void {
    const c = this.cpus.get(cpu);
    if (!c) throw new Error(`live pages: cpu ${cpu} is not in the recording's head`);
    const ps = this.pageSize;
    for (let o = 0; o + ps <= bytes.length; o += ps) {
      // to the end of the batch: a missed-events count stored past `ps` (a file whose header says less
      // than its real sub-buffers) is still read
      const page = bytes.subarray(o);
      c.ids.push(this.source.addPage(c.slot, page));
      c.pages.push(page);
      this.pages++;
      // the page's last record time: how far this CPU has got
      this.scan.load(page, 0, ps);
      const r = this.scanRec;
      while (this.scan.nextRecord(r)) {
        this.adjust?.(r);
        c.last = r.tsBig !== undefined ? Number(r.tsBig) : r.tsNum;
      }
    }
    if (!c.has) this.advance(c);
  }

  /**
   * `cpu` had nothing to read before time `ts` (the kernel's clock): its next records come after it.
   * Ignored when the file adjusts its times (TSC2NSEC, offsets): the kernel's clock is not theirs.
   */
  pass(cpu: number, ts: number): void {
    if (this.adjust) return;
    const c = this.cpus.get(cpu);
    if (c && ts > c.passed) c.passed = ts;
  }

  /** The time every CPU has passed: records before it can be merged for good. */
  get safe(): number {
    let t = Infinity;
    for (const c of this.order) t = Math.min(t, Math.max(c.last, c.passed));
    return t;
  }

  private advance(c: Cpu): void {
    for (;;) {
      if (c.page >= 0 && c.kb.nextRecord(c.rec)) {
        this.adjust?.(c.rec);
        c.has = true;
        return;
      }
      // the next page, if any
      if (c.page >= 0) {
        c.ids.shift();
        c.pages.shift();
      }
      if (!c.pages.length) {
        c.page = -1;
        c.has = false;
        return;
      }
      c.page = c.ids[0]!;
      c.kb.load(c.pages[0]!, 0, this.pageSize);
    }
  }

  /** Merges what can be merged into `sink` (everything with `final`); returns the events handed over. */
  drain(sink: EventSink, final = false): number {
    const limit = final ? Infinity : this.safe;
    const order = this.order;
    const ev = this.ev;
    let n = 0;
    for (;;) {
      let best: Cpu | undefined;
      let bt = Infinity;
      for (const c of order) {
        if (!c.has) continue;
        const t = c.rec.tsBig !== undefined ? Number(c.rec.tsBig) : c.rec.tsNum;
        if (t < bt) {
          bt = t;
          best = c;
        }
      }
      if (!best || (!final && bt >= limit)) break;
      const rec = best.rec;
      this.source.fillLive(ev, rec, best.slot, best.page);
      this.cur.rec = rec;
      if (rec.missedEvents !== 0 && sink.lost) sink.lost({ ts: ev.ts, cpu: rec.cpu, buffer: ev.buffer, count: rec.missedEvents });
      sink.event(ev);
      n++;
      this.advance(best);
    }
    this.events += n;
    return n;
  }
}
