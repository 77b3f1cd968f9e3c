/**
 * The BUILD_ID feature of `utp record --perf`, as perf record fills it: the build ids of the DSOs
 * that samples hit (the sample ip and its callchain, looked up in the task's MMAP/MMAP2 maps),
 * plus [vdso] always, in the order the DSOs were first mapped ([kernel.kallsyms] first); pid -1
 * (the host), misc KERNEL or USER. A DSO whose build id cannot be read is left out.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { ElfFile, decodeLatin1, noteBuildId } from '@utp/bytes';
import { CallchainContext, Misc, RecordType } from '@utp/perf';
import type { PerfEvent } from '@utp/perf';

interface MapEntry {
  start: bigint;
  end: bigint;
  name: string;
}

const KERNEL = '[kernel.kallsyms]';

export class BuildIdTracker {
  private readonly maps = new Map<number, MapEntry[]>();
  /** DSO names in first-mapped order. */
  private readonly order: string[] = [KERNEL];
  private readonly seen = new Set<string>([KERNEL]);
  private readonly hit = new Set<string>();

  /** Feeds one record as it is written. */
  add(ev: PerfEvent): void {
    const dv = ev.view;
    if (ev.type === RecordType.Mmap || ev.type === RecordType.Mmap2) {
      const pid = dv.getInt32(8, true);
      if (pid === -1) return; // the kernel's map
      const start = dv.getBigUint64(16, true),
        len = dv.getBigUint64(24, true);
      const at = ev.type === RecordType.Mmap ? 40 : 72;
      const z = ev.data.indexOf(0, at);
      const name = decodeLatin1(ev.data.subarray(at, z < 0 ? ev.size : z));
      let l = this.maps.get(pid);
      if (!l) this.maps.set(pid, (l = []));
      l.push({ start, end: start + len, name });
      if (!this.seen.has(name)) {
        this.seen.add(name);
        this.order.push(name);
      }
    } else if (ev.type === RecordType.Fork) {
      const pid = dv.getInt32(8, true),
        ppid = dv.getInt32(12, true);
      const parent = this.maps.get(ppid);
      if (pid !== ppid && parent && !this.maps.has(pid)) this.maps.set(pid, [...parent]);
    } else if (ev.type === RecordType.Comm && ev.misc & Misc.CommExec) {
      this.maps.delete(dv.getInt32(8, true));
    } else if (ev.type === RecordType.Sample) {
      const s = ev.sample;
      let kernel = (ev.misc & Misc.CpumodeMask) === Misc.Kernel;
      if (s.callchain) {
        for (const ip of s.callchain) {
          if (ip >= CallchainContext.Max) {
            kernel = ip === CallchainContext.Kernel;
            continue;
          }
          this.mark(s.pid, ip, kernel);
        }
      } else this.mark(s.pid, s.ip, kernel);
    }
  }

  private mark(pid: number, ip: bigint, kernel: boolean): void {
    if (kernel) {
      this.hit.add(KERNEL);
      return;
    }
    const l = this.maps.get(pid);
    if (!l) return;
    for (let i = l.length - 1; i >= 0; i--) {
      const m = l[i]!;
      if (ip >= m.start && ip < m.end) {
        this.hit.add(m.name);
        return;
      }
    }
  }

  /** The BUILD_ID entries (build ids read now from the files, the kernel's notes, our own vdso). */
  entries(): Array<{ pid: number; misc: number; buildId: Uint8Array; filename: string }> {
    const out: Array<{ pid: number; misc: number; buildId: Uint8Array; filename: string }> = [];
    for (const name of this.order) {
      if (!this.hit.has(name) && name !== '[vdso]') continue;
      if (name === '[vdso]' && !this.seen.has(name)) continue;
      const id = buildIdOf(name);
      if (!id) continue;
      const b = new Uint8Array(id.length / 2);
      for (let i = 0; i < b.length; i++) b[i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
      out.push({ pid: -1, misc: name === KERNEL ? Misc.Kernel : Misc.User, buildId: b, filename: name });
    }
    return out;
  }
}

function buildIdOf(name: string): string {
  try {
    if (name === KERNEL) return noteBuildId(new Uint8Array(readFileSync('/sys/kernel/notes')));
    if (name === '[vdso]') return vdsoBuildId();
    if (!name.startsWith('/')) return '';
    return new ElfFile(new Uint8Array(readFileSync(name)), name).buildId();
  } catch {
    return '';
  }
}

/** The vdso's build id, from this process's own mapping (the kernel maps the same vdso into every task). */
function vdsoBuildId(): string {
  const m = /^([0-9a-f]+)-([0-9a-f]+) .*\[vdso\]$/m.exec(readFileSync('/proc/self/maps', 'latin1'));
  if (!m) return '';
  const start = parseInt(m[1]!, 16),
    len = parseInt(m[2]!, 16) - start;
  const b = new Uint8Array(len);
  const fd = openSync('/proc/self/mem', 'r');
  try {
    readSync(fd, b, 0, len, start);
  } finally {
    closeSync(fd);
  }
  return new ElfFile(b, '[vdso]').buildId();
}
