/**
 * The option reducer: folds each trace.dat option (v6 option list, v7 OPTIONS sections) into the
 * parse state — DATE/OFFSET/TSC2NSEC time shifts, TRACECLOCK and the µs display, BUFFER options
 * (v6 instance offsets, v7 buffers with their CPU tables), metadata section offsets, strings.
 */
import { decodeLatin1 as latin1 } from '@utp/bytes';
import { TraceDatDiagnostic, TraceDatError, TraceDatErrorCode } from './errors.js';
import { OptionId, optionString, strtoll } from './options.js';
import type { RawOption } from './options.js';
import type { ParseState } from './parse-state.js';
import type { TraceDatBuffer, TraceDatCpu } from './types.js';

const USEC_CLOCKS = ['local', 'global', 'uptime', 'perf', 'tai', 'x86-tsc-nsec'];

export function applyOption(s: ParseState, o: RawOption): void {
  s.options.push(o);
  const d = o.data;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const le = s.littleEndian;
  switch (o.id) {
    case OptionId.Date:
      if (s.opts.ignoreDate || s.opts.rawTs) break;
      s.tsOffset += strtoll(optionString(d)) * 1000n;
      break;
    case OptionId.Offset:
      if (s.opts.rawTs) break;
      s.tsOffset += strtoll(optionString(d));
      break;
    case OptionId.CpuStat:
      // trace-cmd turns the final byte (the NUL) into '\n' and concatenates
      if (d.length) s.cpustats = (s.cpustats ?? '') + latin1(d.subarray(0, d.length - 1)) + '\n';
      break;
    case OptionId.Buffer:
    case OptionId.BufferText:
      bufferOption(s, o);
      break;
    case OptionId.TraceClock:
      parseTraceClock(s, latin1(d));
      if (s.opts.ts2secsHz === 0n) s.useTraceClock = true;
      break;
    case OptionId.Uname:
      s.uname = optionString(d);
      break;
    case OptionId.Version:
      s.versionString = optionString(d);
      break;
    case OptionId.CpuCount:
      if (d.length >= 4) s.cpuCount = dv.getUint32(0, le);
      break;
    case OptionId.TraceId:
      if (d.length >= 8) s.traceId = dv.getBigUint64(0, le);
      break;
    case OptionId.Tsc2Nsec:
      if (d.length < 16 || s.opts.rawTs) break;
      s.tsc2nsec = { mult: dv.getUint32(0, le), shift: dv.getUint32(4, le), offset: dv.getBigUint64(8, le) };
      s.usecs = true;
      break;
    case OptionId.HeaderInfo:
    case OptionId.FtraceEvents:
    case OptionId.EventFormats:
    case OptionId.Kallsyms:
    case OptionId.Printk:
    case OptionId.Cmdlines:
      if (d.length < 8) break;
      addPendingSection(s, o.id, Number(dv.getBigUint64(0, le)));
      break;
    case OptionId.Hook:
    case OptionId.ProcMaps:
    case OptionId.TimeShift:
    case OptionId.Guest:
      break;
    default:
      s.diag('warning', TraceDatDiagnostic.UnknownOption, `unknown option ${o.id}`, o.offset);
  }
}

function addPendingSection(s: ParseState, id: number, offset: number): void {
  const e = s.pendingSections.find((s) => s.id === id);
  if (e) e.offset = offset;
  else s.pendingSections.push({ id, offset });
}

function bufferOption(s: ParseState, o: RawOption): void {
  const d = o.data;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const le = s.littleEndian;
  const bad = (): never => {
    throw new TraceDatError(TraceDatErrorCode.BadOption, 'Malformed BUFFER option', { offset: o.offset });
  };
  if (d.length < 9) bad();
  const offset = Number(dv.getBigUint64(0, le));
  let p = 8;
  const str = (): string => {
    const z = d.indexOf(0, p);
    if (z < 0) bad();
    const s = latin1(d.subarray(p, z));
    p = z + 1;
    return s;
  };
  const name = str();
  if (s.version === 6) {
    s.v6InstanceOffsets.push({ name, offset });
    return;
  }
  const clock = str();
  if (name === '' && s.traceClock === undefined) s.traceClock = clock;
  const buf: TraceDatBuffer = {
    name,
    clock,
    pageSize: s.pageSize,
    cpus: [],
    compressed: false,
    latency: o.id === OptionId.BufferText,
    sectionOffset: offset,
    maxCpu: 0,
  };
  if (o.id === OptionId.Buffer) {
    if (p + 8 > d.length) bad();
    buf.pageSize = dv.getUint32(p, le);
    p += 4;
    const n = dv.getUint32(p, le);
    p += 4;
    const list: TraceDatCpu[] = [];
    let maxId = -1;
    for (let i = 0; i < n; i++) {
      if (p + 20 > d.length) bad();
      const cpu = dv.getUint32(p, le);
      const off = Number(dv.getBigUint64(p + 4, le));
      const size = Number(dv.getBigUint64(p + 12, le));
      p += 20;
      list.push({ cpu, offset: off, size });
      if (cpu > maxId) maxId = cpu;
    }
    if (maxId > 65535) bad();
    for (let i = 0; i <= maxId; i++) buf.cpus.push({ cpu: i, offset: 0, size: 0 });
    for (const e of list) buf.cpus[e.cpu] = e;
    if (buf.pageSize < 64) buf.pageSize = s.pageSize;
  } else {
    s.latencyOffset = offset;
  }
  if (name === '') s.v7Top = buf;
  else s.v7Instances.push(buf);
}

/** tracecmd_parse_trace_clock + extract_trace_clock (including how they clear the µs display). */
export function parseTraceClock(s: ParseState, text: string): void {
  for (const w of text.split(' ')) {
    if (!w.startsWith('[')) continue;
    const m = /^\[*([^\][\s]+)/.exec(w);
    if (!m) return;
    const c = m[1]!;
    s.traceClock = c;
    if (s.opts.rawTs) s.usecs = false;
    if (s.tsc2nsec) return;
    if (!USEC_CLOCKS.includes(c) && !c.startsWith('mono')) s.usecs = false;
    return;
  }
}

export function finishClock(s: ParseState): void {
  s.inUsecs = s.usecs;
  for (const b of s.buffers) if (!b.clock) b.clock = s.traceClock ?? '';
}
