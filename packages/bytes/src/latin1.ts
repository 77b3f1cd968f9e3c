/**
 * The project's one byte-string decoder: every byte b becomes the char U+00bb, so text read from
 * a trace (formats, kallsyms, printk, comms, markers, file names, options) keeps its exact bytes
 * and prints byte-identical to the C tools, UTF-8 or not.
 *
 * Not `new TextDecoder('latin1')`: the WHATWG Encoding standard maps the label "latin1" to
 * windows-1252, so browsers decode 0x80–0x9F to other characters (0x80 → U+20AC "€", 0x93 →
 * U+201C), while Node decodes them to U+0080–U+009F. The decoder is used natively only where a
 * probe at load shows it byte-exact (Node); elsewhere bytes are mapped with String.fromCharCode.
 */

const CHUNK = 8192;

function probeNative(): { decode(b: Uint8Array): string } | undefined {
  try {
    const d = new TextDecoder('latin1');
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const s = d.decode(all);
    if (s.length !== 256) return undefined;
    for (let i = 0; i < 256; i++) if (s.charCodeAt(i) !== i) return undefined;
    return d;
  } catch {
    return undefined;
  }
}

const native = probeNative();

/** Bytes `b[start, end)` as a byte string (one char per byte, char codes 0..255). */
export function decodeLatin1(b: Uint8Array, start = 0, end = b.length): string {
  const n = end - start;
  if (n <= 0) return '';
  if (n <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  if (native && n >= 64) return native.decode(start === 0 && end === b.length ? b : b.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return s;
}

/** Whether `decodeLatin1` uses the platform's TextDecoder (for tests). */
export const latin1IsNative: boolean = native !== undefined;
