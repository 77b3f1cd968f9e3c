/**
 * __get_bitmask and __get_cpumask rendering (libtraceevent's print_bitmask_to_seq and
 * print_cpumask_to_seq): hex words most significant first with a comma every 32 bits,
 * and CPU lists with ranges.
 */
import type { TraceRecord } from '../../core/types.js';
import { byteAt } from '../../core/record-data.js';
import { HEX2 } from '../../core/c-number.js';

/** print_bitmask_to_seq: hex words, most significant first, a comma every 32 bits. */
export function bitmaskText(r: TraceRecord, off: number, size: number, le: boolean): string {
  const nrBits = size * 8;
  let strSize = Math.trunc((nrBits + 3) / 4);
  strSize += Math.trunc((nrBits - 1) / 32);
  const chars: string[] = new Array<string>(Math.max(strSize, 0)).fill('');
  let len = 0;
  for (let i = strSize - 2; i >= 0; i -= 2) {
    const index = le ? len : size - (len + 1);
    const h = HEX2[byteAt(r, off + index)]!;
    chars[i] = h[0]!;
    chars[i + 1] = h[1]!;
    len++;
    if (!(len & 3) && i > 0) {
      i--;
      chars[i] = ',';
    }
  }
  return chars.join('');
}

/** print_cpumask_to_seq: CPU list with ranges (`0-1,4,32`). */
export function cpumaskText(r: TraceRecord, off: number, size: number, le: boolean): string {
  let firstone = -1;
  let firstzero = -1;
  const nrBits = size * 8;
  let first = true;
  let out = '';
  for (let i = 0; i < size; i++) {
    const index = le ? i : size - (i + 1);
    let byte = byteAt(r, off + index);
    for (;;) {
      if (firstone < 0 && byte) {
        firstone = ffs(byte) - 1;
        byte |= (1 << firstone) - 1;
        firstone += i * 8;
      }
      if (firstone < 0) break;
      if (~byte & 0xff) {
        firstzero = ffs(~byte & 0xff) - 1;
        byte &= ~((1 << firstzero) - 1) & 0xff;
        firstzero += i * 8;
      } else if (i === size - 1) {
        firstzero = nrBits;
        byte = 0;
      } else {
        break;
      }
      if (!first) out += ',';
      first = false;
      out += String(firstone);
      if (firstzero > firstone + 1) out += '-' + String(firstzero - 1);
      firstzero = firstone = -1;
      if (!byte) break;
    }
  }
  return out;
}

function ffs(x: number): number {
  if (!x) return 0;
  let n = 1;
  while (!(x & 1)) {
    x >>>= 1;
    n++;
  }
  return n;
}
