/**
 * Address maps of traced processes, as trace-cmd record --proc-map stores them: one PROCMAPS
 * option per process, a NUL-terminated text
 *   "<pid hex> <count hex> <exe>\n" then per mapping "<start hex> <end hex> <name>\n"
 * listing the /proc/PID/maps lines that name something (a path, [heap], [stack], [vdso], ...),
 * the name cut at its first blank as trace-cmd's scan does.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcAddrMap {
  start: bigint;
  end: bigint;
  name: string;
}

export interface ProcAddrMaps {
  pid: number;
  /** /proc/PID/exe. */
  exe: string;
  maps: ProcAddrMap[];
}

/** The named mappings of a /proc/PID/maps text. */
export function parseProcMaps(text: string): ProcAddrMap[] {
  const out: ProcAddrMap[] = [];
  for (const line of text.split('\n')) {
    // start-end perms offset dev inode [name]
    const m = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+\S+\s+[0-9a-fA-F]+\s+\S+\s+\d+\s+(\S+)/.exec(line);
    if (m) out.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), name: m[3]! });
  }
  return out;
}

/** Reads PID's exe and maps now; undefined when the process is gone (or a kernel thread). */
export function readProcAddrMaps(pid: number): ProcAddrMaps | undefined {
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`, 'latin1');
    const maps = parseProcMaps(readFileSync(`/proc/${pid}/maps`, 'latin1'));
    return { pid, exe, maps };
  } catch {
    return undefined;
  }
}

/** The PROCMAPS option payload of one process (undefined for a process without named mappings, which trace-cmd skips). */
export function procMapsOption(p: ProcAddrMaps): Uint8Array | undefined {
  if (!p.maps.length) return undefined;
  let t = `${p.pid.toString(16)} ${p.maps.length.toString(16)} ${p.exe}\n`;
  for (const m of p.maps) t += `${m.start.toString(16)} ${m.end.toString(16)} ${m.name}\n`;
  const b = new Uint8Array(t.length + 1);
  for (let i = 0; i < t.length; i++) b[i] = t.charCodeAt(i) & 0xff;
  return b;
}
