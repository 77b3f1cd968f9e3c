/**
 * The trace.dat writer (libtracecmd's trace-output.c role), v6 and v7, universal code.
 * Layouts follow what trace-cmd 3.1.6 `extract`/`record` write (docs: tracedat.md §2–4):
 * v7 = header, metadata sections 16–21, an OPTIONS section, then per buffer a BUFFER section
 * and an OPTIONS section holding its BUFFER option, then STRINGS.
 */
import { UtpError } from '@utp/bytes';
import type { WriteSink } from './write-sink.js';
import type { Compressor } from './compressor.js';

export const WriterErrorCode = { BadInput: 'TRACEDAT_WRITE_BAD_INPUT' } as const;

/** Option / section ids (TRACECMD_OPTION_* order). */
const Opt = {
  Done: 0,
  Date: 1,
  CpuStat: 2,
  Buffer: 3,
  TraceClock: 4,
  Uname: 5,
  Offset: 7,
  CpuCount: 8,
  Version: 9,
  TraceId: 11,
  Strings: 15,
  HeaderInfo: 16,
  FtraceEvents: 17,
  EventFormats: 18,
  Kallsyms: 19,
  Printk: 20,
  Cmdlines: 21,
} as const;

export type Text = string | Uint8Array;

/** Everything that describes how to decode the data. */
export interface TraceDatMetadata {
  headerPage: Text;
  headerEvent: Text;
  /** Formats of the `ftrace` system events. */
  ftraceFormats: Text[];
  /** Other systems and their event formats. */
  systems: Array<{ name: string; formats: Text[] }>;
  kallsyms: Text;
  printk: Text;
  cmdlines: Text;
}

export interface TraceDatCpuInput {
  cpu: number;
  /** Raw sub-buffers (trace_pipe_raw pages), in order; each chunk a multiple of the page size. */
  data: Iterable<Uint8Array>;
}

export interface TraceDatBufferInput {
  /** '' for the top buffer (the first in the list must be the top one). */
  name: string;
  clock: string;
  /** Sub-buffer size of this buffer (defaults to the file page size). */
  pageSize?: number;
  cpus: TraceDatCpuInput[];
  /** Per-CPU stats texts (`CPU: N\n` + stats file); stored as CPUSTAT options. */
  cpuStats?: string[];
}

export interface TraceDatWriteOptions {
  version: 6 | 7;
  /** v7 only; null = "none". */
  compression: Compressor | null;
  littleEndian: boolean;
  /** User-space sizeof(long). */
  longSize: number;
  /** Sub-buffer size (from header_page). */
  pageSize: number;
  /**
   * CPUs of the recording (trace-cmd: sysconf(_SC_NPROCESSORS_CONF)); every CPU id of the
   * buffers must be below it. v6 writes a table slot per CPU (empty ones with size 0), v7
   * stores it in the CPUCOUNT option and omits CPUs without data from BUFFER options.
   */
  cpuCount: number;
  /** Whole trace_clock file text (TRACECLOCK option). */
  traceClock?: string;
  uname?: string;
  /** VERSION option, e.g. "3.1.6 not-a-git-repo". */
  versionString?: string;
  traceId?: bigint;
  /** DATE option (hex microseconds string). */
  date?: string;
  /** OFFSET option (ns, decimal). */
  tsOffset?: string;
  /** Pages per compressed chunk (trace-cmd: 10). */
  chunkPages?: number;
  /** Options copied verbatim from another file (convert), written after the ones above. */
  extraOptions?: ReadonlyArray<{ id: number; data: Uint8Array }>;
  /**
   * A partial file (trace-cmd restore -c): the metadata up to the saved cmdlines and nothing
   * after (v6), or only the metadata sections' options and the strings (v7); `buffers` is empty.
   */
  partial?: boolean;
}

const enc = (t: Text): Uint8Array => {
  if (typeof t !== 'string') return t;
  const b = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) b[i] = t.charCodeAt(i) & 0xff;
  return b;
};

/** A little builder of byte blocks in the file's endianness. */
class Block {
  private parts: Uint8Array[] = [];
  length = 0;
  constructor(private le: boolean) {}
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    return this.bytes(b);
  }
  u64(v: number | bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), this.le);
    return this.bytes(b);
  }
  cstr(s: string): this {
    return this.bytes(enc(s + '\0'));
  }
  text(t: Text): this {
    return this.bytes(enc(t));
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Streams a trace.dat into `sink`. Returns the number of bytes written. */
export function writeTraceDat(sink: WriteSink, meta: TraceDatMetadata, buffers: TraceDatBufferInput[], opts: TraceDatWriteOptions): number {
  if (opts.partial ? buffers.length > 0 : !buffers.length || buffers[0]!.name !== '')
    throw new UtpError(WriterErrorCode.BadInput, 'The first buffer must be the top buffer (name "")');
  if (opts.version !== 6 && opts.version !== 7)
    throw new UtpError(WriterErrorCode.BadInput, 'Unsupported file version', { context: { version: opts.version } });
  if (opts.version === 6 && opts.compression) throw new UtpError(WriterErrorCode.BadInput, 'trace.dat v6 cannot be compressed');
  for (const b of buffers) {
    for (const c of b.cpus) {
      if (!Number.isInteger(c.cpu) || c.cpu < 0 || c.cpu >= opts.cpuCount) {
        throw new UtpError(WriterErrorCode.BadInput, 'CPU id outside the CPU count', {
          context: { buffer: b.name, cpu: c.cpu, cpuCount: opts.cpuCount },
        });
      }
    }
  }
  return new Writer(sink, meta, buffers, opts).run();
}

class Writer {
  pos = 0;
  readonly le: boolean;
  private strings: Uint8Array[] = [];
  private stringsLen = 0;
  private readonly chunkPages: number;

  constructor(
    private sink: WriteSink,
    private meta: TraceDatMetadata,
    private buffers: TraceDatBufferInput[],
    private o: TraceDatWriteOptions,
  ) {
    this.le = o.littleEndian;
    this.chunkPages = o.chunkPages ?? 10;
  }

  private blk(): Block {
    return new Block(this.le);
  }
  private put(b: Uint8Array): void {
    this.sink.write(b);
    this.pos += b.length;
  }
  private patch64(at: number, v: number | bigint): void {
    this.sink.patch(at, this.blk().u64(v).done());
  }
  private patch32(at: number, v: number): void {
    this.sink.patch(at, this.blk().u32(v).done());
  }
  private padTo(align: number): void {
    const r = this.pos % align;
    if (r) this.put(new Uint8Array(align - r));
  }
  private addString(s: string): number {
    const off = this.stringsLen;
    const b = enc(s + '\0');
    this.strings.push(b);
    this.stringsLen += b.length;
    return off;
  }

  // ---- metadata blocks (identical bodies in v6 and v7) ----
  private headerInfo(): Uint8Array {
    const hp = enc(this.meta.headerPage),
      he = enc(this.meta.headerEvent);
    return this.blk().cstr('header_page').u64(hp.length).bytes(hp).cstr('header_event').u64(he.length).bytes(he).done();
  }
  private ftraceEvents(): Uint8Array {
    const b = this.blk().u32(this.meta.ftraceFormats.length);
    for (const f of this.meta.ftraceFormats) {
      const t = enc(f);
      b.u64(t.length).bytes(t);
    }
    return b.done();
  }
  private eventFormats(): Uint8Array {
    const b = this.blk().u32(this.meta.systems.length);
    for (const s of this.meta.systems) {
      b.cstr(s.name).u32(s.formats.length);
      for (const f of s.formats) {
        const t = enc(f);
        b.u64(t.length).bytes(t);
      }
    }
    return b.done();
  }
  private kallsyms(): Uint8Array {
    const t = enc(this.meta.kallsyms);
    return this.blk().u32(t.length).bytes(t).done();
  }
  private printk(): Uint8Array {
    const t = enc(this.meta.printk);
    return this.blk().u32(t.length).bytes(t).done();
  }
  private cmdlines(): Uint8Array {
    const t = enc(this.meta.cmdlines);
    return this.blk().u64(t.length).bytes(t).done();
  }

  /** Metadata options (both versions), without section pointers. */
  private infoOptions(b: Block): void {
    const o = this.o;
    if (o.date !== undefined) this.option(b, Opt.Date, this.blk().cstr(o.date).done());
    if (o.tsOffset !== undefined) this.option(b, Opt.Offset, this.blk().cstr(o.tsOffset).done());
    if (o.traceClock !== undefined) this.option(b, Opt.TraceClock, this.blk().cstr(o.traceClock).done());
    if (o.uname !== undefined) this.option(b, Opt.Uname, this.blk().cstr(o.uname).done());
    if (o.versionString !== undefined) this.option(b, Opt.Version, this.blk().cstr(o.versionString).done());
    if (o.traceId !== undefined) this.option(b, Opt.TraceId, this.blk().u64(o.traceId).done());
    for (const [i, buf] of this.buffers.entries()) {
      if (i > 0 && buf.cpuStats?.length) this.option(b, Opt.CpuStat, this.blk().cstr(`\nBuffer: ${buf.name}\n\n`).done());
      for (const s of buf.cpuStats ?? []) this.option(b, Opt.CpuStat, this.blk().cstr(s).done());
    }
    for (const x of o.extraOptions ?? []) this.option(b, x.id, x.data);
  }
  private option(b: Block, id: number, data: Uint8Array): void {
    b.u16(id).u32(data.length).bytes(data);
  }

  run(): number {
    this.fileHeader();
    if (this.o.version === 6) this.runV6();
    else this.runV7();
    return this.pos;
  }

  private fileHeader(): void {
    const b = this.blk()
      .bytes(new Uint8Array([0x17, 0x08, 0x44]))
      .text('tracing')
      .cstr(String(this.o.version));
    b.bytes(new Uint8Array([this.le ? 0 : 1, this.o.longSize])).u32(this.o.pageSize);
    this.put(b.done());
  }

  // ---------------- v6 ----------------
  private runV6(): void {
    this.put(this.headerInfo());
    this.put(this.ftraceEvents());
    this.put(this.eventFormats());
    this.put(this.kallsyms());
    this.put(this.printk());
    this.put(this.cmdlines());
    if (this.o.partial) return;
    this.put(this.blk().u32(this.o.cpuCount).done());
    // options: BUFFER (instances, offsets patched later), metadata, CPUCOUNT, bare DONE
    const b = this.blk().text('options  \0');
    const bufferOptAt: number[] = [];
    const start = this.pos;
    for (const buf of this.buffers.slice(1)) {
      bufferOptAt.push(start + b.length + 6);
      this.option(b, Opt.Buffer, this.blk().u64(0).cstr(buf.name).done());
    }
    this.infoOptions(b);
    this.option(b, Opt.CpuCount, this.blk().u32(this.o.cpuCount).done());
    b.u16(Opt.Done);
    this.put(b.done());
    for (const [i, buf] of this.buffers.entries()) {
      if (i > 0) this.patch64(bufferOptAt[i - 1]!, this.pos);
      this.flyrecordV6(buf);
    }
  }

  /**
   * One v6 flyrecord block: a {offset, size} slot for every CPU id below cpuCount. As trace-cmd
   * does (it lseeks to each CPU's page-aligned start and writes only data), a CPU without data
   * gets size 0 and the aligned offset where its data would start, and padding bytes are only
   * written in front of data: a buffer ending in empty CPUs ends right after the last data.
   */
  private flyrecordV6(buf: TraceDatBufferInput): void {
    const page = buf.pageSize ?? this.o.pageSize;
    this.put(enc('flyrecord\0'));
    const table = this.pos;
    const n = this.o.cpuCount;
    this.put(new Uint8Array(16 * n));
    const clock = enc(`[${buf.clock}]`);
    this.put(this.blk().u64(clock.length).bytes(clock).done());
    const byCpu = new Map(buf.cpus.map((c) => [c.cpu, c]));
    let cursor = this.pos;
    for (let cpu = 0; cpu < n; cpu++) {
      const off = Math.ceil(cursor / page) * page;
      const c = byCpu.get(cpu);
      if (c) {
        for (const chunk of c.data) {
          if (!chunk.length) continue;
          if (this.pos < off) this.put(new Uint8Array(off - this.pos));
          this.put(chunk);
        }
      }
      const size = this.pos > off ? this.pos - off : 0;
      this.patch64(table + cpu * 16, off);
      this.patch64(table + cpu * 16 + 8, size);
      cursor = off + size;
    }
  }

  // ---------------- v7 ----------------
  private section(id: number, desc: string, body: Uint8Array, compressible: boolean): number {
    const at = this.pos;
    const c = compressible ? this.o.compression : null;
    let payload = body;
    if (c) {
      const z = c.compress(body);
      payload = this.blk().u32(z.length).u32(body.length).bytes(z).done();
    }
    this.put(
      this.blk()
        .u16(id)
        .u16(c ? 1 : 0)
        .u32(this.addString(desc))
        .u64(payload.length)
        .done(),
    );
    this.put(payload);
    return at;
  }

  private runV7(): void {
    const comp = this.o.compression;
    this.put(
      this.blk()
        .cstr(comp ? comp.name : 'none')
        .cstr(comp ? comp.version : '')
        .done(),
    );
    const firstOptionsAt = this.pos;
    this.put(new Uint8Array(8));
    const sec = {
      headers: this.section(Opt.HeaderInfo, 'headers', this.headerInfo(), true),
      ftrace: this.section(Opt.FtraceEvents, 'ftrace events', this.ftraceEvents(), true),
      events: this.section(Opt.EventFormats, 'events format', this.eventFormats(), true),
      kallsyms: this.section(Opt.Kallsyms, 'kallsyms', this.kallsyms(), true),
      printk: this.section(Opt.Printk, 'printk', this.printk(), true),
      cmdlines: this.section(Opt.Cmdlines, 'command lines', this.cmdlines(), true),
    };
    const u64 = (v: number): Uint8Array => this.blk().u64(v).done();
    const b = this.blk();
    this.option(b, Opt.HeaderInfo, u64(sec.headers));
    this.option(b, Opt.FtraceEvents, u64(sec.ftrace));
    this.option(b, Opt.EventFormats, u64(sec.events));
    this.option(b, Opt.Kallsyms, u64(sec.kallsyms));
    this.option(b, Opt.Printk, u64(sec.printk));
    if (!this.o.partial) this.infoOptions(b);
    this.option(b, Opt.Cmdlines, u64(sec.cmdlines));
    if (!this.o.partial) this.option(b, Opt.CpuCount, this.blk().u32(this.o.cpuCount).done());
    let doneAt = this.optionsSection(b, firstOptionsAt);
    for (const buf of this.buffers) {
      const { secAt, table } = this.bufferSectionV7(buf);
      this.patch64(doneAt, this.pos);
      const ob = this.blk()
        .u64(secAt)
        .cstr(buf.name)
        .cstr(buf.clock)
        .u32(buf.pageSize ?? this.o.pageSize)
        .u32(table.length);
      for (const t of table) ob.u32(t.cpu).u64(t.offset).u64(t.size);
      const opts = this.blk();
      this.option(opts, Opt.Buffer, ob.done());
      doneAt = this.optionsSection(opts, undefined);
    }
    // STRINGS: its own description is inside it.
    const descOff = this.addString('strings');
    const body = (() => {
      const s = this.blk();
      for (const p of this.strings) s.bytes(p);
      return s.done();
    })();
    const c = comp;
    let payload = body;
    if (c) {
      const z = c.compress(body);
      payload = this.blk().u32(z.length).u32(body.length).bytes(z).done();
    }
    this.put(
      this.blk()
        .u16(Opt.Strings)
        .u16(c ? 1 : 0)
        .u32(descOff)
        .u64(payload.length)
        .done(),
    );
    this.put(payload);
  }

  /** Writes an OPTIONS section ending in DONE; returns where DONE's "next" u64 sits. */
  private optionsSection(b: Block, patchPointerAt: number | undefined): number {
    const at = this.pos;
    if (patchPointerAt !== undefined) this.patch64(patchPointerAt, at);
    b.u16(Opt.Done).u32(8).u64(0);
    const body = b.done();
    this.put(this.blk().u16(0).u16(0).u32(this.addString('options')).u64(body.length).done());
    this.put(body);
    return this.pos - 8;
  }

  private bufferSectionV7(buf: TraceDatBufferInput): { secAt: number; table: Array<{ cpu: number; offset: number; size: number }> } {
    const page = buf.pageSize ?? this.o.pageSize;
    const comp = this.o.compression;
    const secAt = this.pos;
    this.put(
      this.blk()
        .u16(Opt.Buffer)
        .u16(comp ? 1 : 0)
        .u32(this.addString(`buffer flyrecord ${buf.name}`))
        .u64(0)
        .done(),
    );
    const bodyStart = this.pos;
    const table: Array<{ cpu: number; offset: number; size: number }> = [];
    for (const c of [...buf.cpus].sort((a, b) => a.cpu - b.cpu)) {
      const it = c.data[Symbol.iterator]();
      let first = it.next();
      while (!first.done && first.value.length === 0) first = it.next();
      if (first.done) continue; // CPUs without data are omitted (3.1.6)
      this.padTo(page);
      const off = this.pos;
      if (!comp) {
        this.put(first.value);
        for (let r = it.next(); !r.done; r = it.next()) this.put(r.value);
        table.push({ cpu: c.cpu, offset: off, size: this.pos - off });
      } else {
        this.put(new Uint8Array(4));
        let chunks = 0;
        const chunkSize = page * this.chunkPages;
        const pending = new Uint8Array(chunkSize);
        let fill = 0;
        const flush = (): void => {
          if (!fill) return;
          const raw = pending.subarray(0, fill);
          const z = comp.compress(raw);
          this.put(this.blk().u32(z.length).u32(fill).done());
          this.put(z);
          chunks++;
          fill = 0;
        };
        const feed = (d: Uint8Array): void => {
          let i = 0;
          while (i < d.length) {
            const n = Math.min(chunkSize - fill, d.length - i);
            pending.set(d.subarray(i, i + n), fill);
            fill += n;
            i += n;
            if (fill === chunkSize) flush();
          }
        };
        feed(first.value);
        for (let r = it.next(); !r.done; r = it.next()) feed(r.value);
        flush();
        this.patch32(off, chunks);
        // 3.1.x convention: the size excludes the 4-byte chunk count.
        table.push({ cpu: c.cpu, offset: off, size: this.pos - off - 4 });
      }
    }
    this.patch64(secAt + 8, this.pos - bodyStart);
    return { secAt, table };
  }
}
