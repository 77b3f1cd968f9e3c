import { decodeLatin1 } from '@utp/bytes';
import type { Tep } from '@utp/traceevent';
import { PerfError, PerfErrorCode } from './errors.js';

export interface TracingDataInfo {
  version: string;
  littleEndian: boolean;
  longSize: number;
  pageSize: number;
  formats: number;
}

/**
 * Loads a perf TRACING_DATA blob (trace-cmd's initial format, version "0.6"): header_page,
 * header_event, ftrace and event formats, kallsyms, printk formats, saved cmdlines — into `tep`.
 * `onBadFormat` hears about a format file the Tep cannot parse (the event is then unknown).
 */
export function loadTracingData(
  b: Uint8Array,
  tep: Tep,
  base: number,
  onBadFormat?: (system: string, err: unknown, offset: number) => void,
): TracingDataInfo {
  let p = 0;
  const fail = (what: string): never => {
    throw new PerfError(PerfErrorCode.BadTracingData, `Tracing data is truncated reading ${what}`, { offset: base + p });
  };
  const need = (n: number, what: string): void => {
    if (n < 0 || p + n > b.length) fail(what);
  };
  if (b.length < 10 || b[0] !== 0x17 || b[1] !== 0x08 || b[2] !== 0x44 || decodeLatin1(b.subarray(3, 10)) !== 'tracing') {
    throw new PerfError(PerfErrorCode.BadTracingData, 'Tracing data has no "tracing" magic', { offset: base });
  }
  p = 10;
  const z = b.indexOf(0, p);
  if (z < 0) fail('version');
  const version = decodeLatin1(b.subarray(p, z));
  p = z + 1;
  need(6, 'endianness');
  const le = b[p] === 0;
  const longSize = b[p + 1]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pageSize = dv.getUint32(p + 2, le);
  p += 6;
  tep.littleEndian = le;
  tep.longSize = longSize;
  const u32 = (what: string): number => {
    need(4, what);
    const v = dv.getUint32(p, le);
    p += 4;
    return v;
  };
  const u64 = (what: string): number => {
    need(8, what);
    const v = Number(dv.getBigUint64(p, le));
    p += 8;
    return v;
  };
  const tagged = (tag: string): void => {
    need(tag.length + 1, tag);
    if (decodeLatin1(b.subarray(p, p + tag.length)) !== tag)
      throw new PerfError(PerfErrorCode.BadTracingData, `Tracing data: expected "${tag}"`, { offset: base + p });
    p += tag.length + 1;
  };
  tagged('header_page');
  let n = u64('header_page size');
  need(n, 'header_page');
  p += n; // perf.data's samples carry whole records: header_page matters to ring-buffer readers only
  tagged('header_event');
  n = u64('header_event size');
  need(n, 'header_event');
  p += n;
  let formats = 0;
  const format = (system: string): void => {
    const size = u64('format size');
    need(size, 'format');
    const at = p;
    const text = decodeLatin1(b.subarray(p, p + size));
    p += size;
    try {
      tep.addEventFormat(text, system);
      formats++;
    } catch (e) {
      onBadFormat?.(system, e, base + at);
    }
  };
  const nf = u32('ftrace format count');
  for (let i = 0; i < nf; i++) format('ftrace');
  const systems = u32('system count');
  for (let s = 0; s < systems; s++) {
    const e = b.indexOf(0, p);
    if (e < 0) fail('system name');
    const sys = decodeLatin1(b.subarray(p, e));
    p = e + 1;
    const cnt = u32('event count');
    for (let i = 0; i < cnt; i++) format(sys);
  }
  n = u32('kallsyms size');
  need(n, 'kallsyms');
  if (n) tep.loadKallsyms(decodeLatin1(b.subarray(p, p + n)));
  p += n;
  n = u32('printk size');
  need(n, 'printk');
  if (n) tep.loadPrintk(decodeLatin1(b.subarray(p, p + n)));
  p += n;
  if (p + 8 <= b.length && (version === '0.6' || Number(version) <= 6)) {
    n = u64('cmdlines size');
    need(n, 'cmdlines');
    if (n) tep.loadCmdlines(decodeLatin1(b.subarray(p, p + n)));
    p += n;
  }
  return { version, littleEndian: le, longSize, pageSize, formats };
}
