import type { PerfEventAttr } from './attr.js';
import { ReadFormat, SampleType } from './constants.js';
import { PerfError, PerfErrorCode } from './errors.js';

/** The decoded fields of a SAMPLE (or the sample_id trailer of another record). Absent fields are -1 / undefined. */
export interface PerfSample {
  /** Event id (IDENTIFIER or ID), -1 when the record carries none. */
  id: number;
  ip: bigint;
  pid: number;
  tid: number;
  /** Nanoseconds (exact below 2^53, i.e. 104 days of uptime); -1 when the record has no time. */
  time: number;
  addr: bigint;
  streamId: number;
  cpu: number;
  period: bigint;
  /** READ values: [value, id, lost] triples flattened (group reads: one triple per member). */
  read: bigint[] | undefined;
  /** CALLCHAIN entries including PERF_CONTEXT_* markers. */
  callchain: BigUint64Array | undefined;
  /**
   * Where those entries lie in the record, for readers that want them without a BigInt each:
   * `callchainView.getUint32(callchainPos + 8 * i (+ 4), le)` while the record is being delivered.
   */
  callchainView: DataView | undefined;
  callchainPos: number;
  /** RAW payload (the tracepoint record), a view into the record bytes. */
  raw: Uint8Array | undefined;
  /** Where RAW lies without making that view: `rawBytes` (the record's bytes as parsed) at [rawPos, rawPos + rawLen); rawLen -1: none. */
  rawBytes: Uint8Array | undefined;
  rawPos: number;
  rawLen: number;
  /** The remaining bits, kept as byte ranges into the record (branch stack, regs, stack, …). */
  weight: bigint;
  dataSrc: bigint;
  transaction: bigint;
  physAddr: bigint;
  cgroup: bigint;
}

/**
 * A sample whose 64-bit and array fields (ip, period, callchain, raw) are read from the record
 * when first asked for: most consumers print a few fields, and a BigInt or a view per field and
 * per sample was a good part of reading a perf.data. The record's bytes must still be there then
 * (during the delivery of the record, as for every view the reader hands out).
 */
class LazySample implements PerfSample {
  id = -1;
  pid = -1;
  tid = -1;
  time = -1;
  addr = 0n;
  streamId = -1;
  cpu = -1;
  read: bigint[] | undefined = undefined;
  callchainView: DataView | undefined = undefined;
  callchainPos = 0;
  rawBytes: Uint8Array | undefined = undefined;
  rawPos = 0;
  rawLen = -1;
  weight = 0n;
  dataSrc = 0n;
  transaction = 0n;
  physAddr = 0n;
  cgroup = 0n;
  #dv: DataView | undefined = undefined;
  #le = true;
  #ipPos = -1;
  #ip = 0n;
  #periodPos = -1;
  #period = 0n;
  #ccNr = -1;
  #cc: BigUint64Array | undefined = undefined;
  #raw: Uint8Array | undefined = undefined;

  /** The record these lazy fields come from. */
  from(dv: DataView, le: boolean): void {
    this.#dv = dv;
    this.#le = le;
  }
  get ip(): bigint {
    if (this.#ipPos >= 0) {
      this.#ip = this.#dv!.getBigUint64(this.#ipPos, this.#le);
      this.#ipPos = -1;
    }
    return this.#ip;
  }
  set ip(v: bigint) {
    this.#ipPos = -1;
    this.#ip = v;
  }
  ipAt(p: number): void {
    this.#ipPos = p;
  }
  get period(): bigint {
    if (this.#periodPos >= 0) {
      this.#period = this.#dv!.getBigUint64(this.#periodPos, this.#le);
      this.#periodPos = -1;
    }
    return this.#period;
  }
  set period(v: bigint) {
    this.#periodPos = -1;
    this.#period = v;
  }
  periodAt(p: number): void {
    this.#periodPos = p;
  }
  get callchain(): BigUint64Array | undefined {
    if (this.#ccNr >= 0) {
      const nr = this.#ccNr;
      const cc = new BigUint64Array(nr);
      const dv = this.#dv!,
        le = this.#le;
      for (let i = 0, p = this.callchainPos; i < nr; i++, p += 8) cc[i] = dv.getBigUint64(p, le);
      this.#cc = cc;
      this.#ccNr = -1;
    }
    return this.#cc;
  }
  set callchain(v: BigUint64Array | undefined) {
    this.#ccNr = -1;
    this.#cc = v;
    if (v === undefined) this.callchainView = undefined;
  }
  callchainAt(dv: DataView, p: number, nr: number): void {
    this.callchainView = dv;
    this.callchainPos = p;
    this.#ccNr = nr;
    this.#cc = undefined;
  }
  get raw(): Uint8Array | undefined {
    if (this.#raw === undefined && this.rawLen >= 0 && this.rawBytes)
      this.#raw = this.rawBytes.subarray(this.rawPos, this.rawPos + this.rawLen);
    return this.#raw;
  }
  set raw(v: Uint8Array | undefined) {
    this.#raw = v;
    this.rawBytes = v;
    this.rawPos = 0;
    this.rawLen = v ? v.length : -1;
  }
  rawAt(b: Uint8Array, p: number, n: number): void {
    this.#raw = undefined;
    this.rawBytes = b;
    this.rawPos = p;
    this.rawLen = n;
  }
}

export function emptySample(): PerfSample {
  return new LazySample();
}

/** Sets every field of `s` back to emptySample()'s values. */
export function resetSample(s: PerfSample): void {
  s.id = -1;
  s.ip = 0n;
  s.pid = -1;
  s.tid = -1;
  s.time = -1;
  s.addr = 0n;
  s.streamId = -1;
  s.cpu = -1;
  s.period = 0n;
  s.read = undefined;
  s.callchain = undefined;
  s.callchainView = undefined;
  s.callchainPos = 0;
  s.raw = undefined;
  s.weight = 0n;
  s.dataSrc = 0n;
  s.transaction = 0n;
  s.physAddr = 0n;
  s.cgroup = 0n;
}

const TWO32 = 4294967296;
function u64n(dv: DataView, p: number, le: boolean): number {
  const lo = dv.getUint32(p + (le ? 0 : 4), le),
    hi = dv.getUint32(p + (le ? 4 : 0), le);
  return hi * TWO32 + lo;
}
function isAllOnes(dv: DataView, p: number): boolean {
  return dv.getUint32(p, true) === 0xffffffff && dv.getUint32(p + 4, true) === 0xffffffff;
}

/** One group member's READ triple at p (value, id, lost; 0 for those the format lacks); returns the next p. */
function readEntry(dv: DataView, p: number, end: number, le: boolean, f: number, vals: bigint[], base: number): number {
  if (p + 8 > end) runsPast('read value', base + p);
  vals.push(dv.getBigUint64(p, le));
  p += 8;
  if (f & ReadFormat.Id) {
    if (p + 8 > end) runsPast('read id', base + p);
    vals.push(dv.getBigUint64(p, le));
    p += 8;
  } else vals.push(0n);
  if (f & ReadFormat.Lost) {
    if (p + 8 > end) runsPast('read lost', base + p);
    vals.push(dv.getBigUint64(p, le));
    p += 8;
  } else vals.push(0n);
  return p;
}

function runsPast(what: string, offset: number): never {
  throw new PerfError(PerfErrorCode.BadRecord, `Sample field ${what} runs past the record`, { offset });
}

/**
 * Parses a SAMPLE body at [start, end) of `b` by the attr's sample_type, in the kernel's order
 * (perf_output_sample). Throws PERF_BAD_RECORD when a field runs past the record.
 */
export function parseSample(
  b: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
  a: PerfEventAttr,
  le: boolean,
  s: PerfSample,
  where: number,
): void {
  const t = a.sampleType;
  let p = start;
  const lazy = s instanceof LazySample ? s : undefined;
  lazy?.from(dv, le);
  if (t & SampleType.Identifier) {
    if (p + 8 > end) runsPast('identifier', where + (p - start));
    s.id = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Ip) {
    if (p + 8 > end) runsPast('ip', where + (p - start));
    if (lazy) lazy.ipAt(p);
    else s.ip = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Tid) {
    if (p + 8 > end) runsPast('tid', where + (p - start));
    s.pid = dv.getInt32(p, le);
    s.tid = dv.getInt32(p + 4, le);
    p += 8;
  }
  if (t & SampleType.Time) {
    if (p + 8 > end) runsPast('time', where + (p - start));
    s.time = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Addr) {
    if (p + 8 > end) runsPast('addr', where + (p - start));
    s.addr = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Id) {
    if (p + 8 > end) runsPast('id', where + (p - start));
    s.id = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.StreamId) {
    if (p + 8 > end) runsPast('stream_id', where + (p - start));
    s.streamId = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Cpu) {
    if (p + 8 > end) runsPast('cpu', where + (p - start));
    s.cpu = dv.getUint32(p, le);
    p += 8;
  }
  if (t & SampleType.Period) {
    if (p + 8 > end) runsPast('period', where + (p - start));
    if (lazy) lazy.periodAt(p);
    else s.period = dv.getBigUint64(p, le);
    p += 8;
  } else s.period = a.samplePeriod; // perf's evsel__parse_sample: the attr's period when samples carry none
  if (t & SampleType.Read) {
    const f = a.readFormat;
    const vals: bigint[] = [];
    if (f & ReadFormat.Group) {
      if (p + 8 > end) runsPast('read nr', where + (p - start));
      const nr = u64n(dv, p, le);
      p += 8;
      if (f & ReadFormat.TotalTimeEnabled) p += 8;
      if (f & ReadFormat.TotalTimeRunning) p += 8;
      if (p + 0 > end) runsPast('read times', where + (p - start));
      for (let i = 0; i < nr; i++) p = readEntry(dv, p, end, le, f, vals, where - start);
    } else {
      if (p + 8 > end) runsPast('read value', where + (p - start));
      vals.push(dv.getBigUint64(p, le));
      p += 8;
      if (f & ReadFormat.TotalTimeEnabled) p += 8;
      if (f & ReadFormat.TotalTimeRunning) p += 8;
      if (p + 0 > end) runsPast('read times', where + (p - start));
      if (f & ReadFormat.Id) {
        if (p + 8 > end) runsPast('read id', where + (p - start));
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
      if (f & ReadFormat.Lost) {
        if (p + 8 > end) runsPast('read lost', where + (p - start));
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
    }
    s.read = vals;
  }
  if (t & SampleType.Callchain) {
    if (p + 8 > end) runsPast('callchain nr', where + (p - start));
    const nr = u64n(dv, p, le);
    p += 8;
    if (nr > (end - p) / 8)
      throw new PerfError(PerfErrorCode.BadRecord, 'Callchain runs past the record', { offset: where + (p - start), context: { nr } });
    if (lazy) {
      lazy.callchainAt(dv, p, nr);
      p += nr * 8;
    } else {
      s.callchainView = dv;
      s.callchainPos = p;
      const cc = new BigUint64Array(nr);
      for (let i = 0; i < nr; i++, p += 8) cc[i] = dv.getBigUint64(p, le);
      s.callchain = cc;
    }
  }
  if (t & SampleType.Raw) {
    if (p + 4 > end) runsPast('raw size', where + (p - start));
    const n = dv.getUint32(p, le);
    p += 4;
    if (p + n > end) runsPast('raw data', where + (p - start));
    if (lazy) lazy.rawAt(b, p, n);
    else s.raw = b.subarray(p, p + n);
    p += n;
  }
  if (t & SampleType.BranchStack) {
    if (p + 8 > end) runsPast('branch nr', where + (p - start));
    const nr = u64n(dv, p, le);
    p += 8;
    if (a.branchSampleType & (1n << 17n)) p += 8; // PERF_SAMPLE_BRANCH_HW_INDEX
    if (p + nr * 24 > end) runsPast('branch entries', where + (p - start));
    p += nr * 24;
  }
  if (t & SampleType.RegsUser) {
    if (p + 8 > end) runsPast('regs_user abi', where + (p - start));
    const abi = u64n(dv, p, le);
    p += 8;
    if (abi) {
      if (p + a.nrRegsUser * 8 > end) runsPast('regs_user', where + (p - start));
      p += a.nrRegsUser * 8;
    }
  }
  if (t & SampleType.StackUser) {
    if (p + 8 > end) runsPast('stack_user size', where + (p - start));
    const n = u64n(dv, p, le);
    p += 8;
    if (n) {
      if (p + n + 8 > end) runsPast('stack_user', where + (p - start));
      p += n + 8;
    }
  }
  if (t & (SampleType.Weight | SampleType.WeightStruct)) {
    if (p + 8 > end) runsPast('weight', where + (p - start));
    s.weight = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.DataSrc) {
    if (p + 8 > end) runsPast('data_src', where + (p - start));
    s.dataSrc = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Transaction) {
    if (p + 8 > end) runsPast('transaction', where + (p - start));
    s.transaction = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.RegsIntr) {
    if (p + 8 > end) runsPast('regs_intr abi', where + (p - start));
    const abi = u64n(dv, p, le);
    p += 8;
    if (abi) {
      if (p + a.nrRegsIntr * 8 > end) runsPast('regs_intr', where + (p - start));
      p += a.nrRegsIntr * 8;
    }
  }
  if (t & SampleType.PhysAddr) {
    if (p + 8 > end) runsPast('phys_addr', where + (p - start));
    s.physAddr = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Cgroup) {
    if (p + 8 > end) runsPast('cgroup', where + (p - start));
    s.cgroup = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.DataPageSize) {
    if (p + 8 > end) runsPast('data_page_size', where + (p - start));
    p += 8;
  }
  if (t & SampleType.CodePageSize) {
    if (p + 8 > end) runsPast('code_page_size', where + (p - start));
    p += 8;
  }
  if (t & SampleType.Aux) {
    if (p + 8 > end) runsPast('aux size', where + (p - start));
    const n = u64n(dv, p, le);
    p += 8;
    if (p + n > end) runsPast('aux', where + (p - start));
    p += n;
  }
}

/** Parses the sample_id trailer that ends a non-sample record at `end` (sample_id_all). */
export function parseSampleId(dv: DataView, end: number, a: PerfEventAttr, le: boolean, s: PerfSample, bodyStart: number): void {
  if (!a.sampleIdAll) return;
  const t = a.sampleType;
  let p = end;
  if (t & SampleType.Identifier) {
    p -= 8;
    if (p < bodyStart) return;
    s.id = u64n(dv, p, le);
  }
  if (t & SampleType.Cpu) {
    p -= 8;
    if (p < bodyStart) return;
    s.cpu = dv.getUint32(p, le);
  }
  if (t & SampleType.StreamId) {
    p -= 8;
    if (p < bodyStart) return;
    s.streamId = u64n(dv, p, le);
  }
  if (t & SampleType.Id) {
    p -= 8;
    if (p < bodyStart) return;
    s.id = u64n(dv, p, le);
  }
  if (t & SampleType.Time) {
    p -= 8;
    if (p < bodyStart) return;
    s.time = isAllOnes(dv, p) ? -1 : u64n(dv, p, le);
  }
  if (t & SampleType.Tid) {
    p -= 8;
    if (p < bodyStart) return;
    s.pid = dv.getInt32(p, le);
    s.tid = dv.getInt32(p + 4, le);
  }
}
