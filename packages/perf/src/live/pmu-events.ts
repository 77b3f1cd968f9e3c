/// <reference types="node" />
/**
 * The event spellings of `perf list` beyond the named hardware/software events and tracepoints:
 * hardware cache events (`L1-dcache-load-misses`), raw events (`r003c`), breakpoints
 * (`mem:ADDR[/LEN][:rwx]`) and PMU events from sysfs (`msr/tsc/`, `PMU/event=0x3c,umask=1/`,
 * with the PMU's format bit ranges and event aliases). Spelled, named and configured as perf 6.1
 * does (checked with `perf stat -vv`, which prints the attrs it opens); nothing is opened here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AttrType } from '../constants.js';
import { LiveError, LiveErrorCode } from './errors.js';
import type { EventSpec } from './events.js';

/** PERF_TYPE_HW_CACHE: cache id | op << 8 | result << 16. Aliases as perf spells them (case matters). */
const CACHES: readonly (readonly string[])[] = [
  ['L1-dcache', 'l1-d', 'l1d', 'L1-data'],
  ['L1-icache', 'l1-i', 'l1i', 'L1-instruction'],
  ['LLC', 'L2'],
  ['dTLB', 'd-tlb', 'Data-TLB'],
  ['iTLB', 'i-tlb', 'Instruction-TLB'],
  ['branch', 'branches', 'bpu', 'btb', 'bpc'],
  ['node'],
];
const OPS: readonly (readonly string[])[] = [
  ['load', 'loads', 'read'],
  ['store', 'stores', 'write'],
  ['prefetch', 'prefetches', 'speculative-read', 'speculative-load'],
];
const RESULTS: readonly (readonly string[])[] = [
  ['refs', 'Reference', 'ops', 'access'],
  ['misses', 'miss'],
];
/** Which ops each cache has (bit per op: read 1, write 2, prefetch 4); perf refuses the others. */
const CACHE_OPS = [7, 5, 7, 7, 1, 1, 7];

const CACHE_RE = (() => {
  const alt = (t: readonly (readonly string[])[]): string =>
    t
      .flat()
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[-]/g, '\\-'))
      .join('|');
  return new RegExp(`^(${alt(CACHES)})(?:-(${alt(OPS)}))?(?:-(${alt(RESULTS)}))?$`);
})();

const indexIn = (t: readonly (readonly string[])[], s: string): number => t.findIndex((a) => a.includes(s));

export interface Modifiers {
  excludeUser: boolean;
  excludeKernel: boolean;
}
/** `u`, `k`, `h` letters: count only what they name (none: everything). */
export function modifiers(mod: string): Modifiers {
  return { excludeUser: mod !== '' && !mod.includes('u'), excludeKernel: mod !== '' && !mod.includes('k') };
}

function spec(name: string, type: number, config: bigint, mod: string, extra: Partial<EventSpec> = {}): EventSpec {
  return { name, type, config, ...modifiers(mod), unit: '', scale: 1, ...extra };
}

/**
 * A hardware cache event (`CACHE[-OP][-RESULT]`, op read and result access by default), or
 * undefined when the text is not one. perf shows it without its modifier.
 */
export function hwCacheEvent(text: string, mod: string): EventSpec | undefined {
  const m = CACHE_RE.exec(text);
  if (!m) return undefined;
  const cache = indexIn(CACHES, m[1]!);
  const op = m[2] ? indexIn(OPS, m[2]) : 0;
  const result = m[3] ? indexIn(RESULTS, m[3]) : 0;
  if (!(CACHE_OPS[cache]! & (1 << op)))
    throw new LiveError(LiveErrorCode.UnknownEvent, `Invalid cache event ${text}: ${m[1]} has no ${m[2]} op`, {});
  return spec(text, AttrType.HwCache, BigInt(cache | (op << 8) | (result << 16)), mod);
}

/** `rNNN`: a raw PMU config in hex. */
export function rawEvent(text: string, mod: string, shown: string): EventSpec | undefined {
  const m = /^r([0-9a-fA-F]+)$/.exec(text);
  return m ? spec(shown, AttrType.Raw, BigInt(`0x${m[1]}`), mod) : undefined;
}

/**
 * `mem:ADDR[/LEN][:ACCESS][:MODS]`: a hardware breakpoint on ADDR (hex 0x… or decimal), ACCESS of
 * r, w, x (default rw), LEN bytes (default 4 for data, sizeof(long) for x). Named as typed, but
 * without the length and access when a length is given (as perf does).
 */
export function breakpointEvent(text: string): EventSpec | undefined {
  const m = /^mem:(0x[0-9a-fA-F]+|\d+)(?:\/(\d+))?(?::([rwx]+))?(?::([ukh]+))?$/.exec(text);
  if (!m) {
    if (text.startsWith('mem:')) throw new LiveError(LiveErrorCode.UnknownEvent, `Bad breakpoint event ${text} (mem:ADDR[/LEN][:rwx])`, {});
    return undefined;
  }
  const access = m[3] ?? 'rw';
  const bpType = (access.includes('r') ? 1 : 0) | (access.includes('w') ? 2 : 0) | (access.includes('x') ? 4 : 0);
  const len = m[2] !== undefined ? BigInt(m[2]) : bpType & 4 ? 8n : 4n;
  // perf 6.1 names a breakpoint with a length by its address alone (`mem:0x404018/8:w` is `mem:0x404018`)
  const name = m[2] !== undefined ? `mem:${m[1]}` : text;
  return spec(name, AttrType.Breakpoint, 0n, m[4] ?? '', { bpType, config1: BigInt(m[1]!), config2: len });
}

const PMU_DIR = '/sys/bus/event_source/devices';
/** Terms every PMU takes beside its format's (perf's list in its error message). */
const COMMON_TERMS = ['config', 'config1', 'config2', 'name', 'period', 'percore', 'metric-id'];

interface Pmu {
  type: number;
  /** term -> [attr field, bit ranges [lo, hi]] */
  format: Map<string, { field: 'config' | 'config1' | 'config2'; ranges: Array<[number, number]> }>;
  dir: string;
}

function readText(f: string): string | undefined {
  try {
    return readFileSync(f, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function loadPmu(name: string): Pmu | undefined {
  const dir = join(PMU_DIR, name);
  const type = readText(join(dir, 'type'));
  if (type === undefined || !/^\d+$/.test(type)) return undefined;
  const format = new Map<string, { field: 'config' | 'config1' | 'config2'; ranges: Array<[number, number]> }>();
  let terms: string[] = [];
  try {
    terms = readdirSync(join(dir, 'format'));
  } catch {
    /* a PMU without format terms */
  }
  for (const t of terms) {
    const m = /^(config|config1|config2):([\d,-]+)$/.exec(readText(join(dir, 'format', t)) ?? '');
    if (!m) continue;
    const ranges = m[2]!.split(',').map((r) => {
      const [lo, hi] = r.split('-').map(Number) as [number, number | undefined];
      return [lo, hi ?? lo] as [number, number];
    });
    format.set(t, { field: m[1] as 'config' | 'config1' | 'config2', ranges });
  }
  return { type: Number(type), format, dir };
}

/** Puts `value`'s low bits into the format's bit ranges, lowest range first. */
function placeBits(value: bigint, ranges: ReadonlyArray<[number, number]>): bigint {
  let out = 0n;
  let v = value;
  for (const [lo, hi] of ranges) {
    const w = BigInt(hi - lo + 1);
    out |= (v & ((1n << w) - 1n)) << BigInt(lo);
    v >>= w;
  }
  return out;
}

function parseValue(s: string, text: string): bigint {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(s)) throw new LiveError(LiveErrorCode.UnknownEvent, `Bad value '${s}' in ${text}`, {});
  return BigInt(s);
}

/**
 * `PMU/TERM[=VALUE],…/[MODS]`: a PMU of /sys/bus/event_source/devices with its format terms
 * (`event=0x3c`), event aliases of its events/ directory (`tsc`, with their unit and scale),
 * config/config1/config2, name=, period=. Named as typed (or by name=).
 */
export function pmuEvent(text: string): EventSpec | undefined {
  const m = /^([A-Za-z0-9_.-]+)\/([^/]*)\/([ukh]*)$/.exec(text);
  if (!m) return undefined;
  const [, pmuName, body, mod] = m as unknown as [string, string, string, string];
  const pmu = loadPmu(pmuName);
  if (!pmu)
    throw new LiveError(
      LiveErrorCode.UnknownEvent,
      `Cannot find PMU \`${pmuName}' (no ${join(PMU_DIR, pmuName)}): missing kernel support?`,
      {},
    );
  const cfg = { config: 0n, config1: 0n, config2: 0n };
  let name = text,
    unit = '',
    scale = 1,
    period: bigint | undefined;
  const apply = (term: string, value: string | undefined, depth: number): void => {
    const f = pmu.format.get(term);
    if (f) {
      cfg[f.field] |= placeBits(value === undefined ? 1n : parseValue(value, text), f.ranges);
      return;
    }
    if (term === 'config' || term === 'config1' || term === 'config2') {
      cfg[term] |= parseValue(value ?? '1', text);
      return;
    }
    if (term === 'name' && value !== undefined) {
      name = value;
      return;
    }
    if (term === 'period' && value !== undefined) {
      period = parseValue(value, text);
      return;
    }
    if (term === 'percore' || term === 'metric-id') return;
    const alias = value === undefined && depth === 0 ? readText(join(pmu.dir, 'events', term)) : undefined;
    if (alias !== undefined) {
      for (const t of alias.split(',')) {
        const [k, v] = t.split('=') as [string, string | undefined];
        apply(k.trim(), v?.trim(), depth + 1);
      }
      unit = readText(join(pmu.dir, 'events', `${term}.unit`)) ?? unit;
      const s = Number(readText(join(pmu.dir, 'events', `${term}.scale`)));
      if (Number.isFinite(s) && s > 0) scale = s;
      return;
    }
    throw new LiveError(
      LiveErrorCode.UnknownEvent,
      `Unknown term '${term}' for PMU '${pmuName}' in ${text} (valid terms: ${[...pmu.format.keys(), ...COMMON_TERMS].join(',')})`,
      {},
    );
  };
  for (const t of body.split(',')) {
    if (!t) continue;
    const eq = t.indexOf('=');
    apply(eq < 0 ? t : t.slice(0, eq), eq < 0 ? undefined : t.slice(eq + 1), 0);
  }
  return spec(name, pmu.type, cfg.config, mod, {
    config1: cfg.config1,
    config2: cfg.config2,
    unit,
    scale,
    ...(period !== undefined ? { period } : {}),
  });
}

/** Splits a `-e` list at the commas outside `PMU/…/` terms. */
export function splitEventList(arg: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inTerms = false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if (c === '/') {
      // `PMU/` (a PMU of sysfs) opens the terms, the next `/` closes them; `SYS/EVENT` is a tracepoint
      if (inTerms) inTerms = false;
      else if (/^[A-Za-z0-9_.-]+$/.test(cur) && loadPmu(cur)) inTerms = true;
    }
    if (c === ',' && !inTerms) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
