import { decodeLatin1 } from '@utp/bytes';
import { Feature } from './constants.js';
import { parseAttr } from './attr.js';
import type { PerfEventAttr } from './attr.js';
import { PerfError, PerfErrorCode } from './errors.js';

export interface EventDesc {
  attr: PerfEventAttr;
  name: string;
  ids: number[];
}
export interface BuildIdEntry {
  pid: number;
  buildId: string;
  filename: string;
  misc: number;
}
export interface NrCpus {
  available: number;
  online: number;
}
export interface NumaNode {
  node: number;
  memTotal: bigint;
  memFree: bigint;
  cpus: string;
}
export interface CacheLevel {
  level: number;
  lineSize: number;
  sets: number;
  ways: number;
  type: string;
  size: string;
  map: string;
}
export interface CompressedInfo {
  version: number;
  type: number;
  level: number;
  ratio: number;
  mmapLen: number;
}
export interface ClockData {
  version: number;
  clockid: number;
  wallClockNs: bigint;
  clockidNs: bigint;
}

/** Everything the feature sections told us; a feature not understood keeps only its bytes in `raw`. */
export interface PerfFeatures {
  raw: Map<number, Uint8Array>;
  buildIds: BuildIdEntry[];
  hostname?: string;
  osRelease?: string;
  version?: string;
  arch?: string;
  cpuDesc?: string;
  cpuId?: string;
  nrCpus?: NrCpus;
  /** kB */
  totalMem?: bigint;
  cmdline?: string[];
  eventDesc?: EventDesc[];
  cpuTopology?: { coreSiblings: string[]; threadSiblings: string[]; cpus: Array<{ coreId: number; socketId: number }> };
  numa?: NumaNode[];
  pmuMappings?: Array<{ type: number; name: string }>;
  groupDesc?: Array<{ name: string; leader: number; members: number }>;
  cache?: CacheLevel[];
  sampleTime?: { first: bigint; last: bigint };
  clockId?: bigint;
  compressed?: CompressedInfo;
  clockData?: ClockData;
  cpuPmuCaps?: Array<{ name: string; value: string }>;
}

export function emptyFeatures(): PerfFeatures {
  return { raw: new Map(), buildIds: [] };
}

class FeatReader {
  p = 0;
  readonly dv: DataView;
  constructor(
    readonly b: Uint8Array,
    readonly le: boolean,
    readonly base: number,
    readonly what: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number): void {
    if (n < 0 || this.p + n > this.b.length)
      throw new PerfError(PerfErrorCode.BadFeature, `Feature ${this.what} is truncated`, { offset: this.base + this.p });
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.p, this.le);
    this.p += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.p, this.le);
    this.p += 8;
    return v;
  }
  /** perf_header_string: u32 len (incl. NUL and padding), bytes. */
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.b.subarray(this.p, this.p + n);
    this.p += n;
    const z = s.indexOf(0);
    return decodeLatin1(z >= 0 ? s.subarray(0, z) : s);
  }
  strList(): string[] {
    const n = this.u32();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  get left(): number {
    return this.b.length - this.p;
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Parses build_id_event records (BUILD_ID feature / HEADER_BUILD_ID). */
export function parseBuildIds(b: Uint8Array, le: boolean, out: BuildIdEntry[]): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p + 8 <= b.length) {
    const misc = dv.getUint16(p + 4, le),
      size = dv.getUint16(p + 6, le);
    if (size < 36 || p + size > b.length) break;
    const pid = dv.getInt32(p + 8, le);
    const idLen = misc & 0x8000 ? b[p + 12 + 20]! : 20;
    const id = b.subarray(p + 12, p + 12 + Math.min(idLen, 20));
    const name = b.subarray(p + 36, p + size);
    const z = name.indexOf(0);
    out.push({ pid, buildId: hex(id), filename: decodeLatin1(z >= 0 ? name.subarray(0, z) : name), misc });
    p += size;
  }
}

/** Parses one feature payload into `f` (bytes always kept in f.raw). Errors name the feature. */
export function parseFeature(id: number, b: Uint8Array, le: boolean, base: number, f: PerfFeatures, name: string): void {
  f.raw.set(id, b);
  const r = new FeatReader(b, le, base, name);
  switch (id) {
    case Feature.BuildId:
      parseBuildIds(b, le, f.buildIds);
      return;
    case Feature.Hostname:
      f.hostname = r.str();
      return;
    case Feature.OsRelease:
      f.osRelease = r.str();
      return;
    case Feature.Version:
      f.version = r.str();
      return;
    case Feature.Arch:
      f.arch = r.str();
      return;
    case Feature.CpuDesc:
      f.cpuDesc = r.str();
      return;
    case Feature.CpuId:
      f.cpuId = r.str();
      return;
    case Feature.NrCpus: {
      const avail = r.u32();
      const online = r.u32();
      f.nrCpus = { available: avail, online };
      return;
    }
    case Feature.TotalMem:
      f.totalMem = r.u64();
      return;
    case Feature.Cmdline:
      f.cmdline = r.strList();
      return;
    case Feature.EventDesc: {
      const nr = r.u32(),
        attrSize = r.u32();
      const list: EventDesc[] = [];
      for (let i = 0; i < nr; i++) {
        r.need(attrSize);
        const attr = parseAttr(r.dv, r.p, attrSize, le, base + r.p);
        r.p += attrSize;
        const nrIds = r.u32();
        const nm = r.str();
        const ids: number[] = [];
        for (let k = 0; k < nrIds; k++) ids.push(Number(r.u64()));
        list.push({ attr, name: nm, ids });
      }
      f.eventDesc = list;
      return;
    }
    case Feature.CpuTopology: {
      const coreSiblings = r.strList(),
        threadSiblings = r.strList();
      const cpus: Array<{ coreId: number; socketId: number }> = [];
      const n = f.nrCpus?.available ?? 0;
      if (r.left >= n * 8) for (let i = 0; i < n; i++) cpus.push({ coreId: r.u32(), socketId: r.u32() });
      f.cpuTopology = { coreSiblings, threadSiblings, cpus };
      return;
    }
    case Feature.NumaTopology: {
      const n = r.u32();
      const nodes: NumaNode[] = [];
      for (let i = 0; i < n; i++) nodes.push({ node: r.u32(), memTotal: r.u64(), memFree: r.u64(), cpus: r.str() });
      f.numa = nodes;
      return;
    }
    case Feature.PmuMappings: {
      const n = r.u32();
      const m: Array<{ type: number; name: string }> = [];
      for (let i = 0; i < n; i++) m.push({ type: r.u32(), name: r.str() });
      f.pmuMappings = m;
      return;
    }
    case Feature.GroupDesc: {
      const n = r.u32();
      const g: Array<{ name: string; leader: number; members: number }> = [];
      for (let i = 0; i < n; i++) g.push({ name: r.str(), leader: r.u32(), members: r.u32() });
      f.groupDesc = g;
      return;
    }
    case Feature.Cache: {
      r.u32(); // version
      const n = r.u32();
      const c: CacheLevel[] = [];
      for (let i = 0; i < n; i++)
        c.push({ level: r.u32(), lineSize: r.u32(), sets: r.u32(), ways: r.u32(), type: r.str(), size: r.str(), map: r.str() });
      f.cache = c;
      return;
    }
    case Feature.SampleTime:
      f.sampleTime = { first: r.u64(), last: r.u64() };
      return;
    case Feature.ClockId:
      f.clockId = r.u64();
      return;
    case Feature.Compressed:
      f.compressed = { version: r.u32(), type: r.u32(), level: r.u32(), ratio: r.u32(), mmapLen: r.u32() };
      return;
    case Feature.ClockData:
      f.clockData = { version: r.u32(), clockid: r.u32(), wallClockNs: r.u64(), clockidNs: r.u64() };
      return;
    case Feature.CpuPmuCaps: {
      const n = r.u32();
      const caps: Array<{ name: string; value: string }> = [];
      for (let i = 0; i < n; i++) caps.push({ name: r.str(), value: r.str() });
      f.cpuPmuCaps = caps;
      return;
    }
    default:
      return; // TRACING_DATA is read by the caller; the others keep their bytes
  }
}
