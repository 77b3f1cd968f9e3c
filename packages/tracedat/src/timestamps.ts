/**
 * Timestamp maths of a file: TSC2NSEC (trace-cmd's mul_u64_u32_shr with its int mult/shift and
 * 64-bit wrap-around), DATE/OFFSET and --ts-offset shifts, --ts2secs scaling in doubles.
 */
import type { TsAdjust } from './cpu-stream.js';

export interface TimeInput {
  /** DATE + OFFSET options in ns. */
  fileOffset: bigint;
  /** --ts-offset. */
  extraOffset: bigint;
  rawTs: boolean;
  tsc2nsec: { mult: number; shift: number; offset: bigint } | undefined;
  ts2secsHz: bigint;
}

/** The timestamp adjustment of a file (undefined when there is none). */
export function makeAdjust(i: TimeInput): TsAdjust | undefined {
  const off = i.fileOffset + i.extraOffset;
  const t = i.rawTs ? undefined : i.tsc2nsec;
  const mask = (1n << 64n) - 1n;
  if (i.ts2secsHz > 0n && !i.rawTs) {
    // trace-cmd: ts *= (double)NSEC_PER_SEC / hz, in double precision, truncated
    const factor = 1e9 / Number(i.ts2secsHz);
    return (rec) => {
      const v = Math.trunc(Number(rec.ts) * factor);
      // out of range of u64, x86-64's double→u64 conversion gives 0
      rec.ts = ((Number.isFinite(v) && v >= 0 && v < 2 ** 64 ? BigInt(v) : 0n) + off) & mask;
    };
  }
  if (!t && off === 0n) return undefined;
  const offNum = Number(off);
  if (!t) {
    return (rec) => {
      if (rec.tsBig === undefined) {
        const s = rec.tsNum + offNum;
        if (s >= 0 && s <= Number.MAX_SAFE_INTEGER) {
          rec.tsNum = s;
          return;
        }
      }
      rec.ts = (rec.ts + off) & mask;
    };
  }
  // trace-cmd's mul_u64_u32_shr with its `int` mult/shift (sign-extended) and 64-bit wrap-around
  const mult = BigInt.asUintN(64, BigInt(t.mult | 0));
  const shift = BigInt(t.shift | 0);
  const back = 32n - shift;
  return (rec) => {
    const a = rec.ts;
    const al = a & 0xffffffffn;
    const ah = a >> 32n;
    let r = ((al * mult) & mask) >> shift;
    if (ah) r = (r + ((((ah * mult) & mask) << back) & mask)) & mask;
    rec.ts = (r + off) & mask;
  };
}
