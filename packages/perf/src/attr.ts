import { SampleType, ReadFormat } from './constants.js';
import { PerfError, PerfErrorCode } from './errors.js';

/** perf_event_attr, the fields a reader needs (linux/perf_event.h). */
export interface PerfEventAttr {
  type: number;
  /** attr.size as stored (64 = VER0 … 136 = VER8). */
  size: number;
  config: bigint;
  /** sample_period, or sample_freq when `freq`. */
  samplePeriod: bigint;
  sampleType: number;
  readFormat: number;
  /** The flag bitfield (disabled, inherit, … sample_id_all = bit 18 …). */
  flags: bigint;
  wakeupEvents: number;
  bpType: number;
  config1: bigint;
  config2: bigint;
  branchSampleType: bigint;
  sampleRegsUser: bigint;
  sampleStackUser: number;
  clockid: number;
  sampleRegsIntr: bigint;
  auxWatermark: number;
  sampleMaxStack: number;
  freq: boolean;
  sampleIdAll: boolean;
  /** Set bit count of sample_regs_user / sample_regs_intr (u64 words per regs block). */
  nrRegsUser: number;
  nrRegsIntr: number;
}

export const AttrFlag = {
  Disabled: 0,
  Inherit: 1,
  ExcludeUser: 4,
  ExcludeKernel: 5,
  ExcludeHv: 6,
  Mmap: 8,
  Comm: 9,
  Freq: 10,
  Task: 13,
  SampleIdAll: 18,
  ExcludeHost: 19,
  ExcludeGuest: 20,
  Mmap2: 23,
  CommExec: 24,
  UseClockid: 25,
  ContextSwitch: 26,
  /** The kernel writes the ring backward (perf record --overwrite's flight-recorder rings). */
  WriteBackward: 27,
} as const;

function popcount64(v: bigint): number {
  let n = 0;
  while (v) {
    n += Number(v & 1n);
    v >>= 1n;
  }
  return n;
}

/** Reads one perf_event_attr of `size` bytes at `off` (missing tail fields read as 0). */
export function parseAttr(dv: DataView, off: number, avail: number, le: boolean, where: number): PerfEventAttr {
  if (avail < 8) throw new PerfError(PerfErrorCode.BadAttr, 'Truncated perf_event_attr', { offset: where });
  const size = dv.getUint32(off + 4, le);
  if (size < 64 || size > avail)
    throw new PerfError(PerfErrorCode.BadAttr, 'Bad perf_event_attr size', { offset: where, context: { size } });
  const u64 = (o: number): bigint => (o + 8 <= size ? dv.getBigUint64(off + o, le) : 0n);
  const u32 = (o: number): number => (o + 4 <= size ? dv.getUint32(off + o, le) : 0);
  const flags = u64(40);
  const regsUser = u64(80),
    regsIntr = u64(96);
  const sampleType = Number(u64(24) & 0xffffffffn);
  return {
    type: u32(0),
    size,
    config: u64(8),
    samplePeriod: u64(16),
    sampleType,
    readFormat: Number(u64(32) & 0xffn),
    flags,
    wakeupEvents: u32(48),
    bpType: u32(52),
    config1: u64(56),
    config2: u64(64),
    branchSampleType: u64(72),
    sampleRegsUser: regsUser,
    sampleStackUser: u32(88),
    clockid: size >= 96 ? dv.getInt32(off + 92, le) : 0,
    sampleRegsIntr: regsIntr,
    auxWatermark: u32(104),
    sampleMaxStack: size >= 110 ? dv.getUint16(off + 108, le) : 0,
    freq: ((flags >> BigInt(AttrFlag.Freq)) & 1n) === 1n,
    sampleIdAll: ((flags >> BigInt(AttrFlag.SampleIdAll)) & 1n) === 1n,
    nrRegsUser: popcount64(regsUser),
    nrRegsIntr: popcount64(regsIntr),
  };
}

/** True when the attr's flag bit is set. */
export function attrFlag(a: PerfEventAttr, bit: number): boolean {
  return ((a.flags >> BigInt(bit)) & 1n) === 1n;
}

/** Size in bytes of the sample_id trailer of non-sample records (0 without sample_id_all). */
export function sampleIdSize(a: PerfEventAttr): number {
  if (!a.sampleIdAll) return 0;
  const t = a.sampleType;
  let n = 0;
  if (t & SampleType.Tid) n += 8;
  if (t & SampleType.Time) n += 8;
  if (t & SampleType.Id) n += 8;
  if (t & SampleType.StreamId) n += 8;
  if (t & SampleType.Cpu) n += 8;
  if (t & SampleType.Identifier) n += 8;
  return n;
}

/** Where the event id sits: u64 index from the start of a SAMPLE body (-1: none). perf's id_pos. */
export function sampleIdPos(a: PerfEventAttr): number {
  const t = a.sampleType;
  if (t & SampleType.Identifier) return 0;
  if (!(t & SampleType.Id)) return -1;
  let n = 0;
  if (t & SampleType.Ip) n++;
  if (t & SampleType.Tid) n++;
  if (t & SampleType.Time) n++;
  if (t & SampleType.Addr) n++;
  return n;
}

/** u64 index of the id counted back from the end of a non-sample record (1 = last). perf's is_pos. */
export function trailerIdPos(a: PerfEventAttr): number {
  const t = a.sampleType;
  if (t & SampleType.Identifier) return 1;
  if (!(t & SampleType.Id)) return -1;
  let n = 1;
  if (t & SampleType.Cpu) n++;
  if (t & SampleType.StreamId) n++;
  return n;
}

/** Bytes of one read_format value block. */
export function readSize(a: PerfEventAttr, nr = 1): number {
  const f = a.readFormat;
  const entry = 8 + (f & ReadFormat.Id ? 8 : 0) + (f & ReadFormat.Lost ? 8 : 0);
  const times = (f & ReadFormat.TotalTimeEnabled ? 8 : 0) + (f & ReadFormat.TotalTimeRunning ? 8 : 0);
  return f & ReadFormat.Group ? 8 + times + nr * entry : entry + times;
}
