/** trace.dat option ids (TRACECMD_OPTION_* order) – also v7 section ids. */
export const OptionId = {
  Done: 0,
  Date: 1,
  CpuStat: 2,
  Buffer: 3,
  TraceClock: 4,
  Uname: 5,
  Hook: 6,
  Offset: 7,
  CpuCount: 8,
  Version: 9,
  ProcMaps: 10,
  TraceId: 11,
  TimeShift: 12,
  Guest: 13,
  Tsc2Nsec: 14,
  Strings: 15,
  HeaderInfo: 16,
  FtraceEvents: 17,
  EventFormats: 18,
  Kallsyms: 19,
  Printk: 20,
  Cmdlines: 21,
  BufferText: 22,
  BtfFile: 23,
  LastBootInfo: 24,
  ModulesFile: 25,
} as const;

/** An option as stored: id and raw payload (file endianness). */
export interface RawOption {
  id: number;
  data: Uint8Array;
  /** File offset of the option record. */
  offset: number;
}

/** C-string payload up to the first NUL (latin1). */
export function optionString(data: Uint8Array): string {
  const z = data.indexOf(0);
  let s = '';
  const end = z < 0 ? data.length : z;
  for (let i = 0; i < end; i++) s += String.fromCharCode(data[i]!);
  return s;
}

/** strtoll(s, NULL, 0) as C does: leading space, sign, 0x hex, 0 octal, decimal; stops at the first bad char. */
export function strtoll(s: string): bigint {
  let i = 0;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') base = 8;
  let v = 0n;
  const B = BigInt(base);
  for (; i < s.length; i++) {
    const d = parseInt(s[i]!, base);
    if (Number.isNaN(d)) break;
    v = v * B + BigInt(d);
  }
  v = neg ? -v : v;
  return BigInt.asIntN(64, v);
}
