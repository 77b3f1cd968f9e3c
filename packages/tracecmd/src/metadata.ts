/** Gathers what trace.dat stores besides the data: headers, formats, kallsyms, printk, cmdlines, uname. */
import { existsSync, readdirSync } from 'node:fs';
import { Instance, readWholeFile, type EventName } from '@utp/tracefs';
import type { TraceDatMetadata } from '@utp/tracedat';
import { hostname, release, machine } from 'node:os';

/**
 * Metadata for a recording of `events` (undefined = every event, as extract does) from `instance`.
 * Systems and events are listed in reverse name order, as trace-cmd's prepending glob walk does.
 */
export function collectMetadata(instance: Instance, events?: readonly EventName[]): TraceDatMetadata {
  const top = Instance.top();
  const ftraceDir = top.file('events/ftrace');
  const ftraceFormats = existsSync(ftraceDir)
    ? readdirSync(ftraceDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
        .reverse()
        .filter((n) => existsSync(`${ftraceDir}/${n}/format`))
        .map((n) => top.readBytes(`events/ftrace/${n}/format`))
    : [];
  const bySystem = new Map<string, string[]>();
  const list = events ?? instance.events('*', '*');
  for (const e of list) {
    if (e.system === 'ftrace') continue;
    let l = bySystem.get(e.system);
    if (!l) bySystem.set(e.system, (l = []));
    if (!l.includes(e.name)) l.push(e.name);
  }
  const systems = [...bySystem.keys()]
    .sort()
    .reverse()
    .map((name) => ({
      name,
      formats: bySystem
        .get(name)!
        .sort()
        .reverse()
        .map((ev) => instance.readBytes(`events/${name}/${ev}/format`)),
    }));
  let kallsyms: Uint8Array = new Uint8Array(0);
  try {
    kallsyms = readWholeFile('/proc/kallsyms');
  } catch {
    /* not readable: store none */
  }
  return {
    headerPage: instance.readBytes('events/header_page'),
    headerEvent: instance.readBytes('events/header_event'),
    ftraceFormats,
    systems,
    kallsyms,
    printk: top.readBytes('printk_formats'),
    cmdlines: top.readBytes('saved_cmdlines'),
  };
}

/** "sysname nodename release machine", the UNAME option. */
export function unameString(): string {
  return `Linux ${hostname()} ${release()} ${machine()}`;
}
