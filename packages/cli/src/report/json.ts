/**
 * `utp report --json`: one JSON object per record per line (NDJSON), written as bytes into the
 * report's OutBuffer. The schema is in docs/report-json.md. Each event's field writers are
 * built once, on its first record; integers are written from the record bytes (64-bit values
 * exactly, as bigint literals when they pass 2^53), strings as UTF-8 with every byte that is
 * not part of valid UTF-8 written as the lone surrogate \udcXX (lossless, Python's
 * "surrogateescape").
 */
import { FieldFlag, latencyFlags, makeChunk } from '@utp/traceevent';
import type { Chunk, EventFormat, Field, KRecord, OutBuffer, Tep, TraceRecord } from '@utp/traceevent';

type FieldWriter = (rec: TraceRecord, ob: OutBuffer) => void;

interface EventWriter {
  /** `,"event":"NAME","system":"SYS"` */
  names: Chunk;
  fields: FieldWriter[];
}

const HEX = '0123456789abcdef';
const TWO32 = 4294967296;

/** Appends `s` (a byte string: one char per byte, 0..255) as a JSON string literal. */
export function jsonStringOfBytes(s: string): string {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  let out = '"';
  let i = 0;
  while (i < b.length) {
    const n = utf8Len(b, i, b.length);
    if (n === 0) {
      out += '\\udc' + HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
      i++;
      continue;
    }
    if (n > 1) {
      out += s.slice(i, i + n);
      i += n;
      continue;
    }
    const c = b[i]!;
    out += c === 34 ? '\\"' : c === 92 ? '\\\\' : c < 0x20 ? escCtl(c) : s[i]!;
    i++;
  }
  return out + '"';
}

function escCtl(c: number): string {
  switch (c) {
    case 8:
      return '\\b';
    case 9:
      return '\\t';
    case 10:
      return '\\n';
    case 12:
      return '\\f';
    case 13:
      return '\\r';
    default:
      return '\\u00' + HEX[c >> 4]! + HEX[c & 15]!;
  }
}

/** Length of the valid UTF-8 sequence at b[i] (1 for ASCII), or 0 when it is not one. */
function utf8Len(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  if (c < 0xc2) return 0;
  const cont = (k: number): boolean => i + k < end && (b[i + k]! & 0xc0) === 0x80;
  if (c < 0xe0) return cont(1) ? 2 : 0;
  if (c < 0xf0) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // surrogates
    return 3;
  }
  if (c < 0xf5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

/** Writes bytes [start, end) of `b` (up to the first NUL) as a JSON string literal. */
function putJsonBytes(ob: OutBuffer, b: Uint8Array, start: number, end: number): void {
  // worst case: 6 output bytes per input byte
  const out = ob.room((end - start) * 6 + 2);
  let p = ob.pos;
  out[p++] = 34;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c === 0) break;
    if (c >= 0x20 && c < 0x80 && c !== 34 && c !== 92) {
      out[p++] = c;
      i++;
      continue;
    }
    if (c < 0x80) {
      out[p++] = 92;
      if (c === 34 || c === 92) out[p++] = c;
      else if (c === 10) out[p++] = 110;
      else if (c === 9) out[p++] = 116;
      else if (c === 13) out[p++] = 114;
      else if (c === 8) out[p++] = 98;
      else if (c === 12) out[p++] = 102;
      else {
        out[p++] = 117;
        out[p++] = 48;
        out[p++] = 48;
        out[p++] = HEX.charCodeAt(c >> 4);
        out[p++] = HEX.charCodeAt(c & 15);
      }
      i++;
      continue;
    }
    const n = utf8Len(b, i, end);
    if (n === 0) {
      out[p++] = 92;
      out[p++] = 117;
      out[p++] = 100;
      out[p++] = 99;
      out[p++] = HEX.charCodeAt(c >> 4);
      out[p++] = HEX.charCodeAt(c & 15);
      i++;
      continue;
    }
    for (let k = 0; k < n; k++) out[p++] = b[i + k]!;
    i += n;
  }
  out[p++] = 34;
  ob.pos = p;
}

/** An unsigned or signed integer of `size` bytes at payload offset `off`, exact. */
function putInt(ob: OutBuffer, rec: TraceRecord, off: number, size: number, signed: boolean, le: boolean): void {
  const at = rec.offset + off;
  const dv = rec.view;
  if (off < 0 || off + size > rec.size || at + size > rec.page.length) {
    ob.byte(48);
    return;
  }
  switch (size) {
    case 1: {
      const v = rec.page[at]!;
      if (signed && v > 127) ob.sdec(v - 256);
      else ob.dec(v);
      return;
    }
    case 2: {
      if (signed) ob.sdec(dv.getInt16(at, le));
      else ob.dec(dv.getUint16(at, le));
      return;
    }
    case 4: {
      if (signed) ob.sdec(dv.getInt32(at, le));
      else ob.dec(dv.getUint32(at, le));
      return;
    }
    case 8: {
      const lo = dv.getUint32(at + (le ? 0 : 4), le);
      const hi = dv.getUint32(at + (le ? 4 : 0), le);
      if (hi < 0x200000) {
        ob.dec(hi * TWO32 + lo);
        return;
      }
      if (signed && hi >= 0xffe00001) {
        ob.sdec((hi - TWO32) * TWO32 + lo);
        return;
      }
      ob.latin1(String(signed ? dv.getBigInt64(at, le) : dv.getBigUint64(at, le)));
      return;
    }
    default: {
      // libtraceevent reads other sizes as 0; we give the bytes as an array
      ob.byte(91);
      for (let k = 0; k < size; k++) {
        if (k) ob.byte(44);
        ob.dec(rec.page[at + k]!);
      }
      ob.byte(93);
    }
  }
}

function fieldWriter(tep: Tep, f: Field, first: boolean, le: boolean): FieldWriter {
  const key = makeChunk((first ? '' : ',') + jsonStringOfBytes(f.name) + ':');
  const signed = (f.flags & FieldFlag.Signed) !== 0;
  if (f.flags & FieldFlag.Array) {
    if (f.flags & FieldFlag.String) {
      return (rec, ob) => {
        ob.chunk(key);
        const [off, len] = tep.fieldExtent(rec, f);
        const s = Math.min(rec.page.length, rec.offset + off);
        putJsonBytes(ob, rec.page, s, Math.min(rec.page.length, s + len, rec.offset + rec.size));
      };
    }
    const es = f.elementsize === 1 || f.elementsize === 2 || f.elementsize === 4 || f.elementsize === 8 ? f.elementsize : 1;
    return (rec, ob) => {
      ob.chunk(key);
      const [off, len] = tep.fieldExtent(rec, f);
      ob.byte(91);
      for (let k = 0; k + es <= len; k += es) {
        if (k) ob.byte(44);
        putInt(ob, rec, off + k, es, signed, le);
      }
      ob.byte(93);
    };
  }
  const off = f.offset,
    size = f.size;
  return (rec, ob) => {
    ob.chunk(key);
    putInt(ob, rec, off, size, signed, le);
  };
}

/** Writes records of one Tep (one input) as JSON lines. */
export class JsonWriter {
  private readonly events = new Map<number, EventWriter>();
  private readonly flagChunks = new Map<number, Chunk>();
  private readonly comms = new Map<number, Chunk>();
  private commVersion = -1;
  private readonly md: Field | undefined;
  private readonly ld: Field | undefined;

  constructor(
    private readonly tep: Tep,
    private readonly le: boolean,
  ) {
    const first = tep.events[0];
    this.md = first?.commonFields.find((x) => x.name === 'common_migrate_disable');
    this.ld = first?.commonFields.find((x) => x.name === 'common_lock_depth');
  }

  private eventWriter(ev: EventFormat): EventWriter {
    let w = this.events.get(ev.id);
    if (w) return w;
    w = {
      names: makeChunk(',"event":' + jsonStringOfBytes(ev.name) + ',"system":' + jsonStringOfBytes(ev.system)),
      fields: ev.fields.map((f, i) => fieldWriter(this.tep, f, i === 0, this.le)),
    };
    this.events.set(ev.id, w);
    return w;
  }

  private comm(pid: number): Chunk {
    const v = this.tep.cmdlines.version;
    if (v !== this.commVersion) {
      this.comms.clear();
      this.commVersion = v;
    }
    let c = this.comms.get(pid);
    if (!c) {
      c = makeChunk(',"comm":' + jsonStringOfBytes(this.tep.commOf(pid)));
      this.comms.set(pid, c);
    }
    return c;
  }

  private flags(rec: TraceRecord): Chunk {
    const fl = this.tep.flagsOf(rec);
    const pc = this.tep.preemptCountOf(rec);
    const md = this.md ? Number(this.tep.readFieldSigned(rec, this.md)) : -1;
    const ld = this.ld ? Number(this.tep.readFieldSigned(rec, this.ld)) : -1;
    const key = ((fl & 0xffff) * 65536 + (pc & 0xffff)) * 1024 + ((md + 1) & 0x1f) * 32 + ((ld + 1) & 0x1f);
    let c = this.flagChunks.get(key);
    if (!c) {
      c = makeChunk(
        ',"flags":' + jsonStringOfBytes(fl < 0 ? '' : latencyFlags(fl, pc, this.md ? md : undefined, this.ld ? ld : undefined)),
      );
      this.flagChunks.set(key, c);
    }
    return c;
  }

  /** `{"lost":N,"cpu":C...}` for the events lost before `rec` (N null when unknown). */
  lost(rec: TraceRecord, tail: Chunk | null, ob: OutBuffer): void {
    ob.latin1('{"lost":');
    if (rec.missedEvents < 0) ob.latin1('null');
    else ob.dec(rec.missedEvents);
    ob.latin1(',"cpu":');
    ob.dec(rec.cpu);
    if (tail) ob.chunk(tail);
    ob.latin1('}\n');
  }

  /** One record's line. `tail`: `,"buffer":…` / `,"file":…` members, or null. */
  write(rec: KRecord, tail: Chunk | null, ob: OutBuffer): void {
    if (rec.missedEvents !== 0) this.lost(rec, tail, ob);
    const tep = this.tep;
    ob.latin1('{"ts":');
    if (rec.tsBig === undefined) ob.dec(rec.tsNum);
    else ob.latin1(String(rec.tsBig));
    ob.latin1(',"cpu":');
    ob.dec(rec.cpu);
    const pid = tep.pidOf(rec);
    ob.latin1(',"pid":');
    ob.sdec(pid);
    ob.chunk(this.comm(pid));
    const id = tep.typeOf(rec);
    const ev = id < 0 ? undefined : tep.findEventById(id);
    if (!ev) {
      ob.latin1(',"event":null,"system":null,"id":');
      ob.sdec(id);
      ob.chunk(this.flags(rec));
      if (tail) ob.chunk(tail);
      ob.latin1(',"fields":{}}\n');
      return;
    }
    const w = this.eventWriter(ev);
    ob.chunk(w.names);
    ob.chunk(this.flags(rec));
    if (tail) ob.chunk(tail);
    ob.latin1(',"fields":{');
    const fs = w.fields;
    for (let i = 0; i < fs.length; i++) fs[i]!(rec, ob);
    ob.latin1('}}\n');
  }
}

/** The `,"buffer":…` / `,"file":…` members of a handle (null when neither applies). */
export function handleTail(buffer: string | undefined, file: string | undefined): Chunk | null {
  let s = '';
  if (buffer) s += ',"buffer":' + jsonStringOfBytes(buffer);
  if (file !== undefined) s += ',"file":' + jsonStringOfBytes(file);
  return s ? makeChunk(s) : null;
}
