// Browser entry for the browser test: decode a trace.dat with the universal packages only
// (bytes, traceevent, tracedat) and print it as trace-cmd report does; convert it (model, convert).
import { MemorySource, decodeLatin1, latin1IsNative } from '@utp/bytes';
import { Tep, LinePrinter, loadPlugins, DEFAULT_PLUGIN_OPTIONS } from '@utp/traceevent';
import { TraceDat } from '@utp/tracedat';
import { TraceDatSource } from '@utp/model';
import { writeChromeJson, writePerfetto } from '@utp/convert';

/** Fetches a trace.dat and returns its report lines (without the `cpus=` header). */
async function utpReport(url, { noPlugins = false } = {}) {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const tep = new Tep();
  if (!noPlugins) loadPlugins(tep, DEFAULT_PLUGIN_OPTIONS);
  const td = await TraceDat.open(new MemorySource(bytes, 'trace.dat'), { tep });
  const printer = new LinePrinter(tep, { inUsecs: td.inUsecs, mode: noPlugins ? 'noplugins' : 'default' });
  const names = [td.topBuffer ? '' : undefined, ...td.instances.map((b) => b.name)].filter((n) => n !== undefined);
  const multi = td.instances.length > 0;
  const width = Math.max(0, ...names.map((n) => n.length));
  const lines = [];
  await td.forEachRecord((rec, buffer) => {
    const prefix = !multi ? '' : buffer.name ? buffer.name.padStart(width) + ': ' : ' '.repeat(width + 2);
    for (const l of printer.format(rec).split('\n')) lines.push(l.startsWith('CPU:') ? l : prefix + l);
  });
  return { cpus: td.cpuCount, lines, userAgent: navigator.userAgent };
}
globalThis.utpReport = utpReport;

/** How this browser decodes byte 0x80: TextDecoder('latin1') against our decodeLatin1. */
globalThis.utpLatin1Probe = () => ({
  textDecoder: new TextDecoder('latin1').decode(Uint8Array.of(0x80)).charCodeAt(0),
  decodeLatin1: decodeLatin1(new Uint8Array(100).fill(0x80)).charCodeAt(0),
  native: latin1IsNative,
});

/** Fetches a trace.dat and converts it with @utp/convert ('json' | 'perfetto'); returns the bytes as base64. */
globalThis.utpConvert = async (url, to) => {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const source = await TraceDatSource.open(new MemorySource(bytes, 'trace.dat'));
  const parts = [];
  const write = to === 'json' ? writeChromeJson : writePerfetto;
  await write(source, (chunk) => parts.push(chunk.slice()), { littleEndian: source.td.littleEndian, chunkSize: 4096 });
  const all = new Uint8Array(await new Blob(parts).arrayBuffer());
  let bin = '';
  for (let i = 0; i < all.length; i += 8192) bin += String.fromCharCode(...all.subarray(i, i + 8192));
  return btoa(bin);
};
