/**
 * `trace-cmd dump`: the metadata of a trace.dat (v6 and v7, compressed or not) printed exactly as
 * trace-cmd 3.1.6's trace-dump.c prints it, section by section, with its flags as a bit set. The
 * reader mirrors trace-cmd's: a file position plus, inside a compressed block, a position in the
 * decompressed block (reads go there, seeks of the file do not), so its quirks are kept too.
 * Browser-safe: the file comes through a synchronous random-access `DumpInput`.
 */
import { decompressorFor, type Decompressor } from './decompress.js';
import { TraceDatError, TraceDatErrorCode } from './errors.js';

/** Random access to the file's bytes (short at the end of the file). */
export interface DumpInput {
  read(pos: number, len: number): Uint8Array;
}

export const DumpItem = {
  Summary: 1 << 0,
  HeadPage: 1 << 1,
  HeadEvent: 1 << 2,
  FtraceFormat: 1 << 3,
  EventSystems: 1 << 4,
  EventFormat: 1 << 5,
  Kallsyms: 1 << 6,
  TracePrintk: 1 << 7,
  Cmdlines: 1 << 8,
  Options: 1 << 9,
  Flyrecord: 1 << 10,
  Clock: 1 << 11,
  Sections: 1 << 12,
  Strings: 1 << 13,
  All: 0xffffffff,
} as const;

export interface DumpOptions {
  /** Bit set of DumpItem (0: summary). */
  items: number;
  /** The file name printed in the summary's first line. */
  name: string;
  /** Decompressors by name (defaults: zstd, zlib). */
  decompressors?: Partial<Record<string, Decompressor>>;
}

const DUMP_SIZE = 1024;
const O = {
  DONE: 0,
  DATE: 1,
  CPUSTAT: 2,
  BUFFER: 3,
  TRACECLOCK: 4,
  UNAME: 5,
  HOOK: 6,
  OFFSET: 7,
  CPUCOUNT: 8,
  VERSION: 9,
  PROCMAPS: 10,
  TRACEID: 11,
  TIME_SHIFT: 12,
  GUEST: 13,
  TSC2NSEC: 14,
  STRINGS: 15,
  HEADER_INFO: 16,
  FTRACE_EVENTS: 17,
  EVENT_FORMATS: 18,
  KALLSYMS: 19,
  PRINTK: 20,
  CMDLINES: 21,
  BUFFER_TEXT: 22,
  MAX: 23,
} as const;
const SEC_FL_COMPRESS = 1;

class DumpError extends TraceDatError {}
const die = (msg: string, pos: number): never => {
  throw new DumpError(TraceDatErrorCode.Truncated, msg, { offset: pos });
};

/** C printf's %lld / %d of a BigInt or number. */
const d = (v: bigint | number): string => String(v);
const hexU = (v: bigint): string => (v < 0n ? v + (1n << 64n) : v).toString(16).toUpperCase();
/** "%10.lld": width 10, precision 0 (a zero prints no digits). */
const w10p0 = (v: bigint): string => (v === 0n ? '' : String(v)).padStart(10);
const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};
/** printf("%s", buf): up to the first NUL. */
const cstr = (b: Uint8Array): string => {
  const z = b.indexOf(0);
  return latin1(z >= 0 ? b.subarray(0, z) : b);
};

/** What `trace-cmd dump [flags] -i FILE` prints (stdout). Throws (with the text so far in `partial`) where trace-cmd dies. */
export function dumpTraceDat(input: DumpInput, opts: DumpOptions): string {
  const verbosity = opts.items || DumpItem.Summary;
  const out: string[] = [];
  const p = (ids: number, s: string): void => {
    if (!ids || verbosity & ids) out.push(s);
  };
  let pos = 0; // the file descriptor's offset
  let big = false;
  let block: Uint8Array | undefined,
    bpos = 0,
    readCompress = false;
  let decomp: Decompressor | undefined;
  let fileVersion = 0,
    traceCpus = 0,
    hasClock = false;
  let metaStrings = new Uint8Array(0);
  const sections: Array<{ id: number; offset: bigint; v: number }> = [];

  const readFd = (len: number): Uint8Array | undefined => {
    const b = input.read(pos, len);
    pos += b.length;
    return b.length === len ? b : undefined;
  };
  const readC = (len: number): Uint8Array | undefined => {
    if (!readCompress) return readFd(len);
    const b = block!.subarray(bpos, bpos + len);
    bpos += b.length;
    return b.length === len ? b : undefined;
  };
  const bytes = (len: number, what: string): Uint8Array => readC(len) ?? die(what, pos);
  const num = (size: 1 | 2 | 4 | 8, what: string, signed = false): bigint => {
    const b = readC(size);
    if (!b) return die(what, pos);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[big ? i : size - 1 - i]!);
    return signed ? BigInt.asIntN(size * 8, v) : v;
  };
  const n32 = (what: string): number => Number(num(4, what, true));
  const fileString = (what: string): string => {
    const chars: number[] = [];
    for (let i = 0; i < DUMP_SIZE; i++) {
      const b = readC(1);
      if (!b) break;
      if (b[0] === 0) return latin1(Uint8Array.from(chars));
      chars.push(b[0]!);
    }
    return die(what, pos);
  };
  const dumpString = (size: number, id: number): void => {
    while (size) {
      const l = size < DUMP_SIZE ? size : DUMP_SIZE - 1;
      const b = readC(l);
      if (!b) die(`cannot read ${l} bytes`, pos);
      p(id, cstr(b!));
      size -= l;
    }
    p(id, '\n');
  };
  const uncompressBlock = (): void => {
    if (!decomp || fileVersion < 7) return;
    const csize = Number(num(4, 'cannot uncompress section block'));
    const rsize = Number(num(4, 'cannot uncompress section block'));
    const data = readFd(csize) ?? die('cannot uncompress section block', pos);
    try {
      block = decomp(data, rsize);
    } catch {
      die('cannot uncompress section block', pos);
    }
    bpos = 0;
    readCompress = true;
  };
  const uncompressReset = (): void => {
    if (decomp && fileVersion >= 7) {
      readCompress = false;
      block = undefined;
    }
  };
  const metaString = (off: number): string | undefined => {
    if (off < 0 || off >= metaStrings.length) return undefined;
    return cstr(metaStrings.subarray(off));
  };

  const sectionHeader = (v: number): number => {
    const offset = pos;
    const id = Number(num(2, 'cannot read the section id'));
    const fl = Number(num(2, 'cannot read the section flags'));
    const descId = n32('no section description');
    const desc = metaString(descId) ?? 'Unknown';
    const size = num(8, 'cannot read section size', true);
    p(v, `\t[Section ${id} @ ${offset}: "${desc}", flags 0x${fl.toString(16).toUpperCase()}, ${d(size)} bytes]\n`);
    return fl;
  };

  const headerPage = (): void => {
    p(DumpItem.Summary | DumpItem.HeadPage, '\t[Header page, ');
    const s = bytes('header_page'.length + 1, 'cannot read 11 bytes header string');
    if (latin1(s.subarray(0, 11)) !== 'header_page') die(`wrong header string: ${cstr(s)}`, pos);
    const size = num(8, 'cannot read the size of the page header information', true);
    p(DumpItem.Summary | DumpItem.HeadPage, `${d(size)} bytes]\n`);
    dumpString(Number(size), DumpItem.HeadPage);
  };
  const headerEvent = (): void => {
    p(DumpItem.Summary | DumpItem.HeadEvent, '\t[Header event, ');
    const s = bytes('header_event'.length + 1, 'cannot read 12 bytes header string');
    if (latin1(s.subarray(0, 12)) !== 'header_event') die(`wrong header string: ${cstr(s)}`, pos);
    const size = num(8, 'cannot read the size of the page header information', true);
    p(DumpItem.Summary | DumpItem.HeadEvent, `${d(size)} bytes]\n`);
    dumpString(Number(size), DumpItem.HeadEvent);
  };
  const ftraceEvents = (): void => {
    p(DumpItem.Summary | DumpItem.FtraceFormat, '\t[Ftrace format, ');
    let count = Number(num(4, 'cannot read the count of the ftrace events'));
    p(DumpItem.Summary | DumpItem.FtraceFormat, `${count | 0} events]\n`);
    while (count) {
      const size = num(8, `cannot read the size of the ${count} ftrace event`, true);
      dumpString(Number(size), DumpItem.FtraceFormat);
      count--;
    }
  };
  const eventsFormat = (): void => {
    const V = DumpItem.Summary | DumpItem.EventFormat | DumpItem.EventSystems;
    p(V, '\t[Events format, ');
    let systems = Number(num(4, 'cannot read the count of the event systems'));
    p(V, `${systems | 0} systems]\n`);
    while (systems) {
      const name = fileString(`cannot read the name of the ${systems}th system`);
      let events = Number(num(4, `cannot read the count of the events in system ${name}`));
      p(DumpItem.EventSystems, `\t\t${name} ${events | 0} [system, events]\n`);
      while (events) {
        const size = num(8, `cannot read the format size of the ${events}th event from system ${name}`, true);
        dumpString(Number(size), DumpItem.EventFormat);
        events--;
      }
      systems--;
    }
  };
  const sized = (title: string, item: number, w: 4 | 8, what: string): void => {
    p(DumpItem.Summary | item, `\t[${title}, `);
    const size = w === 4 ? BigInt(n32(what)) : num(8, what, true);
    p(DumpItem.Summary | item, `${w === 4 ? d(size) : d(BigInt.asIntN(32, size))} bytes]\n`);
    dumpString(Number(size), item);
  };
  const kallsyms = (): void => sized('Kallsyms', DumpItem.Kallsyms, 4, 'cannot read the size of the kallsyms');
  const printk = (): void => sized('Trace printk', DumpItem.TracePrintk, 4, 'cannot read the size of the trace printk');
  const cmdlines = (): void => {
    // "%d bytes" of an unsigned long long: the low 32 bits as int.
    p(DumpItem.Summary | DumpItem.Cmdlines, '\t[Saved command lines, ');
    const size = num(8, 'cannot read the size of the saved command lines', true);
    p(DumpItem.Summary | DumpItem.Cmdlines, `${d(BigInt.asIntN(32, size))} bytes]\n`);
    dumpString(Number(size), DumpItem.Cmdlines);
  };

  const optString = (size: number, desc: string): void => {
    p(DumpItem.Options, `\t\t[Option ${desc}, ${size} bytes]\n`);
    if (size) dumpString(size, DumpItem.Options);
  };
  const OF = DumpItem.Options | DumpItem.Flyrecord;
  const optBuffer = (option: number, size: number): void => {
    if (size < 8) die(`broken buffer option with size ${size}`, pos);
    let offset = num(8, 'cannot read the offset of the buffer option', true);
    const name = fileString('cannot read the name of the buffer option');
    if (fileVersion < 7) {
      p(OF, `\t\t[Option BUFFER, ${size} bytes]\n`);
      p(OF, `${d(offset)} [offset]\n`);
      p(OF, `"${name}" [name]\n`);
      return;
    }
    const current = pos;
    pos = Number(offset);
    sectionHeader(DumpItem.Flyrecord);
    pos = current;
    p(OF, `\t\t[Option BUFFER, ${size} bytes]\n`);
    p(OF, `${d(offset)} [offset]\n`);
    p(OF, `"${name}" [name]\n`);
    const clock = fileString('cannot read clock of the buffer option');
    p(OF, `"${clock}" [clock]\n`);
    if (option === O.BUFFER) {
      const pageSize = n32('cannot read the page size of the buffer option');
      p(OF, `${pageSize} [Page size, bytes]\n`);
      const cpus = n32('cannot read the cpu count of the buffer option');
      p(OF, `${cpus} [CPUs]:\n`);
      let total = 0n;
      for (let i = 0; i < cpus; i++) {
        const id = n32(`cannot read the id of cpu ${i} from the buffer option`);
        offset = num(8, `cannot read the offset of cpu ${i} from the buffer option`, true);
        const ds = num(8, `cannot read the data size of cpu ${i} from the buffer option`, true);
        total += ds;
        p(OF, `   ${id} ${d(offset)}\t${d(ds)}\t[id, data offset and size]\n`);
      }
      p(
        DumpItem.Summary,
        `\t[buffer "${name}", "${clock}" clock, ${pageSize} page size, ${cpus} cpus, ${d(BigInt.asIntN(64, total))} bytes flyrecord data]\n`,
      );
    } else {
      p(DumpItem.Summary, `\t[buffer "${name}", "${clock}" clock, latency data]\n`);
    }
  };
  const optInt = (size: number, desc: string): void => {
    p(DumpItem.Options, `\t\t[Option ${desc}, ${size} bytes]\n`);
    const v = size === 1 || size === 2 || size === 4 || size === 8 ? num(size, '', true) : 0n;
    p(DumpItem.Options, `${d(BigInt.asIntN(32, v))}\n`);
  };
  const optXlong = (size: number, desc: string): void => {
    p(DumpItem.Options, `\t\t[Option ${desc}, ${size} bytes]\n`);
    const v = size === 1 || size === 2 || size === 4 || size === 8 ? num(size, '') : 0n;
    p(DumpItem.Options, `0x${hexU(v)}\n`);
  };
  const optTimeshift = (size: number): void => {
    if (size < 12) {
      p(DumpItem.Options, `Broken time shift option, size ${size}`);
      return;
    }
    p(DumpItem.Options, `\t\t[Option TimeShift, ${size} bytes]\n`);
    const traceId = num(8, '');
    size -= 8;
    p(DumpItem.Options, `0x${hexU(traceId)} [peer's trace id]\n`);
    const flags = num(4, '');
    size -= 4;
    p(DumpItem.Options, `0x${hexU(flags)} [peer's protocol flags]\n`);
    const cpus = Number(num(4, ''));
    size -= 4;
    p(DumpItem.Options, `0x${cpus.toString(16).toUpperCase()} [peer's CPU count]\n`);
    const data: Array<{ times: bigint[]; offsets: bigint[]; scalings: bigint[]; frac: bigint[] }> = [];
    let j = 0;
    const body = (): boolean => {
      for (j = 0; j < cpus; j++) {
        if (size < 4) return false;
        const count = Number(num(4, ''));
        size -= 4;
        p(DumpItem.Options, `${count} [samples count for CPU ${j}]\n`);
        const c = { times: [] as bigint[], offsets: [] as bigint[], scalings: [] as bigint[], frac: new Array<bigint>(count).fill(0n) };
        data.push(c);
        for (const arr of [c.times, c.offsets, c.scalings]) {
          for (let i = 0; i < count; i++) {
            if (size < 8) return false;
            arr.push(num(8, '', true));
            size -= 8;
          }
        }
      }
      if (size > 0) {
        for (let k = 0; k < cpus; k++) {
          for (let i = 0; i < data[k]!.times.length; i++) {
            if (size < 8) {
              j = k;
              return false;
            }
            data[k]!.frac[i] = num(8, '', true);
            size -= 8;
          }
        }
      }
      for (const c of data) {
        for (let i = 0; i < c.times.length; i++) {
          const u = (v: bigint): string => String(BigInt.asUintN(64, v));
          p(
            DumpItem.Options,
            `\t${d(c.offsets[i]!)} ${d(c.scalings[i]!)} ${u(c.frac[i]!)} ${u(c.times[i]!)}[offset * scaling >> fraction @ time]\n`,
          );
        }
      }
      return true;
    };
    if (!body() && j < cpus) p(DumpItem.Options, 'Broken time shift option\n');
  };
  const optGuest = (size: number): void => {
    p(DumpItem.Options, `\t\t[Option GUEST, ${size} bytes]\n`);
    const buf = readC(size);
    if (!buf) return;
    let off = 0;
    const name = cstr(buf);
    p(DumpItem.Options, `${name} [Guest name]\n`);
    size -= name.length + 1;
    off += name.length + 1;
    const rd = (n: number): bigint => {
      let v = 0n;
      for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[off + (big ? i : n - 1 - i)]!);
      off += n;
      size -= n;
      return v;
    };
    if (size < 8) return;
    p(DumpItem.Options, `0x${hexU(rd(8))} [trace id]\n`);
    if (size < 4) return;
    const cpus = Number(BigInt.asIntN(32, rd(4)));
    p(DumpItem.Options, `${cpus} [Guest CPUs]\n`);
    for (let i = 0; i < cpus; i++) {
      if (size < 8) return;
      const cpu = Number(BigInt.asIntN(32, rd(4))),
        pid = Number(BigInt.asIntN(32, rd(4)));
      p(DumpItem.Options, `  ${cpu} ${pid} [guest cpu, host pid]\n`);
    }
  };
  const optTsc2nsec = (size: number): void => {
    p(DumpItem.Options, `\n\t\t[Option TSC2NSEC, ${size} bytes]\n`);
    const mult = n32('cannot read tsc2nsec multiplier');
    const shift = n32('cannot read tsc2nsec shift');
    const offset = num(8, 'cannot read tsc2nsec offset');
    p(DumpItem.Options, `${mult} ${shift} ${offset} [multiplier, shift, offset]\n`);
  };
  const optSection = (size: number, id: number, desc: string, v: number): void => {
    const offset = num(8, `cannot read the option ${id} offset`, true);
    sections.unshift({ id, offset, v });
    p(DumpItem.Options, `\t\t[Option ${desc}, ${size} bytes] @ ${d(offset)}\n`);
  };

  const optionsRead = (): number => {
    let flags = 0,
      count = 0;
    if (fileVersion >= 7) flags = sectionHeader(DumpItem.Options);
    if (flags & SEC_FL_COMPRESS) uncompressBlock();
    for (;;) {
      const option = Number(num(2, 'cannot read the option id'));
      if (option === O.DONE && fileVersion < 7) break;
      const size = Number(num(4, 'cannot read the option size'));
      count++;
      switch (option) {
        case O.DATE:
          optString(size, 'DATE');
          break;
        case O.CPUSTAT:
          optString(size, 'CPUSTAT');
          break;
        case O.BUFFER:
        case O.BUFFER_TEXT:
          optBuffer(option, size);
          break;
        case O.TRACECLOCK:
          p(DumpItem.Options, `\t\t[Option TRACECLOCK, ${size} bytes]\n`);
          dumpString(size, DumpItem.Options | DumpItem.Clock);
          hasClock = true;
          break;
        case O.UNAME:
          optString(size, 'UNAME');
          break;
        case O.HOOK:
          optString(size, 'HOOK');
          break;
        case O.OFFSET:
          optString(size, 'OFFSET');
          break;
        case O.CPUCOUNT:
          optInt(size, 'CPUCOUNT');
          break;
        case O.VERSION:
          optString(size, 'VERSION');
          break;
        case O.PROCMAPS:
          optString(size, 'PROCMAPS');
          break;
        case O.TRACEID:
          optXlong(size, 'TRACEID');
          break;
        case O.TIME_SHIFT:
          optTimeshift(size);
          break;
        case O.GUEST:
          optGuest(size);
          break;
        case O.TSC2NSEC:
          optTsc2nsec(size);
          break;
        case O.HEADER_INFO:
          optSection(size, option, 'HEADERS', DumpItem.HeadPage | DumpItem.HeadEvent);
          break;
        case O.FTRACE_EVENTS:
          optSection(size, option, 'FTRACE EVENTS', DumpItem.FtraceFormat);
          break;
        case O.EVENT_FORMATS:
          optSection(size, option, 'EVENT FORMATS', DumpItem.EventSystems | DumpItem.EventFormat);
          break;
        case O.KALLSYMS:
          optSection(size, option, 'KALLSYMS', DumpItem.Kallsyms);
          break;
        case O.PRINTK:
          optSection(size, option, 'PRINTK', DumpItem.TracePrintk);
          break;
        case O.CMDLINES:
          optSection(size, option, 'CMDLINES', DumpItem.Cmdlines);
          break;
        case O.DONE: {
          uncompressReset();
          p(DumpItem.Options, `\t\t[Option DONE, ${size} bytes]\n`);
          if (fileVersion < 7 || size < 8) return count;
          const next = num(8, 'cannot read the next options offset', true);
          p(DumpItem.Options, `${d(next)}\n`);
          if (!next) return count;
          pos = Number(next);
          p(DumpItem.Options, '\n\n');
          return count + optionsRead();
        }
        default:
          p(DumpItem.Options, ` ${option} ${size}\t[Unknown option, size - skipping]\n`);
          if (readCompress) bpos += size;
          else pos += size;
      }
    }
    uncompressReset();
    return count;
  };
  const options = (): void => {
    const c = optionsRead();
    p(DumpItem.Summary | DumpItem.Options, `\t[${c} options]\n`);
  };

  const clock = (): void => {
    p(DumpItem.Summary | DumpItem.Clock, '\t[Tracing clock]\n');
    if (!hasClock) {
      p(DumpItem.Summary | DumpItem.Clock, '\t\t No tracing clock saved in the file\n');
      return;
    }
    const size = Number(num(8, 'cannot read clock size', true));
    const b = bytes(size, `cannot read clock ${size} bytes`);
    p(DumpItem.Summary | DumpItem.Clock, `\t\t${cstr(b)}\n`);
  };
  const flyrecord = (): void => {
    p(DumpItem.Summary | DumpItem.Flyrecord, '\t[Flyrecord tracing data]\n');
    for (let i = 0; i < traceCpus; i++) {
      const off = num(8, `cannot read the cpu ${i} offset`, true);
      const size = num(8, `cannot read the cpu ${i} size`, true);
      p(DumpItem.Flyrecord, `\t ${w10p0(off)} ${w10p0(size)}\t[offset, size of cpu ${i}]\n`);
    }
    clock();
  };
  const theRest = (): void => {
    for (;;) {
      const b = readC(10) ?? die('cannot read the rest of the header', pos);
      const s = latin1(b!);
      if (s === 'options  \0') options();
      else if (s === 'latency  \0') p(DumpItem.Summary, '\t[Latency tracing data]\n');
      else if (s === 'flyrecord\0') flyrecord();
      else {
        pos -= 10;
        break;
      }
    }
  };

  const metaStringsRead = (): void => {
    const start = pos;
    for (;;) {
      const idB = readFd(2);
      if (!idB) break;
      pos -= 2;
      const id = Number(num(2, ''));
      const fl = Number(num(2, 'cannot read section flags'));
      n32('cannot read section description');
      const size = Number(num(8, 'cannot read section size', true));
      if (id === O.STRINGS) {
        let rsize = size;
        if (fl & SEC_FL_COMPRESS) {
          num(4, '');
          rsize = Number(num(4, ''));
          pos -= 8;
          uncompressBlock();
        }
        const b = readC(rsize);
        if (!b) break;
        p(DumpItem.Strings, '\t[String @ offset]\n');
        let q = 0;
        while (q < rsize) {
          const z = b.indexOf(0, q);
          const str = latin1(b.subarray(q, z < 0 ? rsize : z));
          p(DumpItem.Strings, `\t\t"${str}" @ ${metaStrings.length + q}\n`);
          q += str.length + 1;
        }
        const m = new Uint8Array(metaStrings.length + rsize);
        m.set(metaStrings);
        m.set(b, metaStrings.length);
        metaStrings = m;
        uncompressReset();
      } else pos += size;
    }
    pos = start;
  };
  const walkSections = (): number => {
    const start = pos;
    let count = 0;
    for (;;) {
      const soffset = pos;
      const idB = readFd(2);
      if (!idB) break;
      pos -= 2;
      const id = Number(num(2, ''));
      const fl = Number(num(2, 'cannot read section flags'));
      const desc = metaString(n32('cannot read section description')) ?? 'Unknown';
      let size = num(8, 'cannot read section size', true);
      if (id >= O.MAX) p(DumpItem.Sections, `Unknown section id ${id}: ${desc}`);
      count++;
      const head = `\t[Section ${String(id).padStart(2)} @ ${String(soffset).padEnd(16)}\t"${desc}", flags 0x${fl.toString(16).toUpperCase()}, `;
      if (fl & SEC_FL_COMPRESS) {
        if (id === O.BUFFER || id === O.BUFFER_TEXT) p(DumpItem.Sections, `${head}${d(size)} compressed bytes]\n`);
        else {
          const csize = n32('cannot read section size'),
            rsize = n32('cannot read section size');
          p(DumpItem.Sections, `${head}${csize} compressed, ${rsize} uncompressed]\n`);
          size -= 8n;
        }
      } else p(DumpItem.Sections, `${head}${d(size)} bytes]\n`);
      pos += Number(size);
    }
    pos = start;
    return count;
  };
  const dumpSections = (count: number): void => {
    for (const sec of sections) {
      pos = Number(sec.offset);
      const fl = sectionHeader(sec.v);
      if (fl & SEC_FL_COMPRESS) uncompressBlock();
      switch (sec.id) {
        case O.HEADER_INFO:
          headerPage();
          headerEvent();
          break;
        case O.FTRACE_EVENTS:
          ftraceEvents();
          break;
        case O.EVENT_FORMATS:
          eventsFormat();
          break;
        case O.KALLSYMS:
          kallsyms();
          break;
        case O.PRINTK:
          printk();
          break;
        case O.CMDLINES:
          cmdlines();
          break;
      }
      uncompressReset();
    }
    p(DumpItem.Summary | DumpItem.Sections, `\t[${count} sections]\n`);
  };

  try {
    p(DumpItem.Summary, `\n Tracing meta data in file ${opts.name}:\n`);
    p(DumpItem.Summary, '\t[Initial format]\n');
    const magic = readFd(3) ?? die('cannot read 3 bytes magic', pos);
    if (magic![0] !== 0x17 || magic![1] !== 0x08 || magic![2] !== 0x44) die('wrong file magic', 0);
    const tracing = readFd(7) ?? die('cannot read 7 bytes tracing string', pos);
    if (latin1(tracing!) !== 'tracing') die(`wrong tracing string: ${latin1(tracing!)}`, 3);
    const version = fileString('no version string');
    p(DumpItem.Summary, `\t\t${version}\t[Version]\n`);
    fileVersion = parseInt(version, 10) || 0;
    if (fileVersion < 6 || fileVersion > 7) die(`Unsupported file version ${fileVersion}`, 10);
    const endian = readFd(1) ?? die('cannot read file endianness', pos);
    const e = (endian![0]! << 24) >> 24;
    p(DumpItem.Summary, `\t\t${e}\t[${e ? 'Big' : 'Little'} endian]\n`);
    big = e !== 0;
    const lb = readFd(1) ?? die('cannot read file bytes per long', pos);
    p(DumpItem.Summary, `\t\t${(lb![0]! << 24) >> 24}\t[Bytes in a long]\n`);
    const ps = n32('cannot read file page size');
    p(DumpItem.Summary, `\t\t${ps}\t[Page size, bytes]\n`);
    if (fileVersion >= 7) {
      const zname = fileString('no compression header');
      const zver = fileString('no compression version');
      p(DumpItem.Summary, `\t\t${zname}\t[Compression algorithm]\n`);
      p(DumpItem.Summary, `\t\t${zver}\t[Compression version]\n`);
      if (zname !== 'none') {
        try {
          decomp = decompressorFor(zname, opts.decompressors ?? {});
        } catch {
          die('cannot uncompress the file', pos);
        }
      }
    }
    if (fileVersion < 7) {
      headerPage();
      headerEvent();
      ftraceEvents();
      eventsFormat();
      kallsyms();
      printk();
      cmdlines();
      traceCpus = n32('cannot read the cpu count');
      p(DumpItem.Summary, `\t${traceCpus} [CPUs with tracing data]\n`);
      theRest();
    } else {
      const first = num(8, 'cannot read offset of the first option section', true);
      metaStringsRead();
      const count = walkSections();
      pos = Number(first);
      options();
      dumpSections(count);
    }
  } catch (err) {
    (err as { partial?: string }).partial = out.join('');
    throw err;
  }
  return out.join('');
}
