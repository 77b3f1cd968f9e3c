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
  /** RAW payload (the tracepoint record), a view into the record bytes. */
  raw: Uint8Array | undefined;
  /** The remaining bits, kept as byte ranges into the record (branch stack, regs, stack, …). */
  weight: bigint;
  dataSrc: bigint;
  transaction: bigint;
  physAddr: bigint;
  cgroup: bigint;
}

export function emptySample(): PerfSample {
  return {
    id: -1,
    ip: 0n,
    pid: -1,
    tid: -1,
    time: -1,
    addr: 0n,
    streamId: -1,
    cpu: -1,
    period: 0n,
    read: undefined,
    callchain: undefined,
    raw: undefined,
    weight: 0n,
    dataSrc: 0n,
    transaction: 0n,
    physAddr: 0n,
    cgroup: 0n,
  };
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
  const need = (n: number, what: string): void => {
    if (p + n > end)
      throw new PerfError(PerfErrorCode.BadRecord, `Sample field ${what} runs past the record`, { offset: where + (p - start) });
  };
  if (t & SampleType.Identifier) {
    need(8, 'identifier');
    s.id = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Ip) {
    need(8, 'ip');
    s.ip = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Tid) {
    need(8, 'tid');
    s.pid = dv.getInt32(p, le);
    s.tid = dv.getInt32(p + 4, le);
    p += 8;
  }
  if (t & SampleType.Time) {
    need(8, 'time');
    s.time = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Addr) {
    need(8, 'addr');
    s.addr = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Id) {
    need(8, 'id');
    s.id = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.StreamId) {
    need(8, 'stream_id');
    s.streamId = u64n(dv, p, le);
    p += 8;
  }
  if (t & SampleType.Cpu) {
    need(8, 'cpu');
    s.cpu = dv.getUint32(p, le);
    p += 8;
  }
  if (t & SampleType.Period) {
    need(8, 'period');
    s.period = dv.getBigUint64(p, le);
    p += 8;
  } else s.period = a.samplePeriod; // perf's evsel__parse_sample: the attr's period when samples carry none
  if (t & SampleType.Read) {
    const f = a.readFormat;
    const vals: bigint[] = [];
    const entry = (): void => {
      need(8, 'read value');
      vals.push(dv.getBigUint64(p, le));
      p += 8;
      if (f & ReadFormat.Id) {
        need(8, 'read id');
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
      if (f & ReadFormat.Lost) {
        need(8, 'read lost');
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
    };
    if (f & ReadFormat.Group) {
      need(8, 'read nr');
      const nr = u64n(dv, p, le);
      p += 8;
      if (f & ReadFormat.TotalTimeEnabled) p += 8;
      if (f & ReadFormat.TotalTimeRunning) p += 8;
      need(0, 'read times');
      for (let i = 0; i < nr; i++) entry();
    } else {
      need(8, 'read value');
      vals.push(dv.getBigUint64(p, le));
      p += 8;
      if (f & ReadFormat.TotalTimeEnabled) p += 8;
      if (f & ReadFormat.TotalTimeRunning) p += 8;
      need(0, 'read times');
      if (f & ReadFormat.Id) {
        need(8, 'read id');
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
      if (f & ReadFormat.Lost) {
        need(8, 'read lost');
        vals.push(dv.getBigUint64(p, le));
        p += 8;
      } else vals.push(0n);
    }
    s.read = vals;
  }
  if (t & SampleType.Callchain) {
    need(8, 'callchain nr');
    const nr = u64n(dv, p, le);
    p += 8;
    if (nr > (end - p) / 8)
      throw new PerfError(PerfErrorCode.BadRecord, 'Callchain runs past the record', { offset: where + (p - start), context: { nr } });
    const cc = new BigUint64Array(nr);
    for (let i = 0; i < nr; i++, p += 8) cc[i] = dv.getBigUint64(p, le);
    s.callchain = cc;
  }
  if (t & SampleType.Raw) {
    need(4, 'raw size');
    const n = dv.getUint32(p, le);
    p += 4;
    need(n, 'raw data');
    s.raw = b.subarray(p, p + n);
    p += n;
  }
  if (t & SampleType.BranchStack) {
    need(8, 'branch nr');
    const nr = u64n(dv, p, le);
    p += 8;
    if (a.branchSampleType & (1n << 17n)) p += 8; // PERF_SAMPLE_BRANCH_HW_INDEX
    need(nr * 24, 'branch entries');
    p += nr * 24;
  }
  if (t & SampleType.RegsUser) {
    need(8, 'regs_user abi');
    const abi = u64n(dv, p, le);
    p += 8;
    if (abi) {
      need(a.nrRegsUser * 8, 'regs_user');
      p += a.nrRegsUser * 8;
    }
  }
  if (t & SampleType.StackUser) {
    need(8, 'stack_user size');
    const n = u64n(dv, p, le);
    p += 8;
    if (n) {
      need(n + 8, 'stack_user');
      p += n + 8;
    }
  }
  if (t & (SampleType.Weight | SampleType.WeightStruct)) {
    need(8, 'weight');
    s.weight = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.DataSrc) {
    need(8, 'data_src');
    s.dataSrc = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Transaction) {
    need(8, 'transaction');
    s.transaction = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.RegsIntr) {
    need(8, 'regs_intr abi');
    const abi = u64n(dv, p, le);
    p += 8;
    if (abi) {
      need(a.nrRegsIntr * 8, 'regs_intr');
      p += a.nrRegsIntr * 8;
    }
  }
  if (t & SampleType.PhysAddr) {
    need(8, 'phys_addr');
    s.physAddr = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.Cgroup) {
    need(8, 'cgroup');
    s.cgroup = dv.getBigUint64(p, le);
    p += 8;
  }
  if (t & SampleType.DataPageSize) {
    need(8, 'data_page_size');
    p += 8;
  }
  if (t & SampleType.CodePageSize) {
    need(8, 'code_page_size');
    p += 8;
  }
  if (t & SampleType.Aux) {
    need(8, 'aux size');
    const n = u64n(dv, p, le);
    p += 8;
    need(n, 'aux');
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
