/**
 * printk formats (libtraceevent's printk_map): `0xADDR : "fmt"` lines; the quotes and a
 * trailing `\n` escape are stripped as tep_register_print_string does.
 */
import { strtoull } from '../core/c-number.js';

export class PrintkTable {
  private map = new Map<bigint, string>();
  /** Every registration, duplicates included (tep_print_printk prints them all). */
  private all: Array<[bigint, string]> = [];

  get count(): number {
    return this.map.size;
  }

  /** tep_parse_printk_formats. */
  parse(text: string): void {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      let i = 0;
      while (line[i] === ':') i++;
      const colon = line.indexOf(':', i);
      if (i >= line.length) break;
      const addrStr = colon < 0 ? line.slice(i) : line.slice(i, colon);
      const addr = strtoull16(addrStr);
      const fmt = colon < 0 ? '' : line.slice(colon + 2);
      this.register(fmt, addr);
    }
  }

  /** tep_register_print_string. */
  register(fmt: string, addr: bigint): void {
    let s = fmt.startsWith('"') ? fmt.slice(1) : fmt;
    if (s.endsWith('"')) {
      s = s.slice(0, -1);
      if (s.endsWith('\\n')) s = s.slice(0, -2);
    } else if (s.length >= 3 && s.slice(-3) === '\\n') {
      // the C code compares the last three characters with "\\n": never equal
    }
    if (!this.map.has(addr)) this.map.set(addr, s);
    this.all.push([addr, s]);
  }

  find(addr: bigint): string | undefined {
    return this.map.get(addr);
  }

  /** Every registration by ascending address, later ones first among equal addresses
   *  (libtraceevent prepends to a list, then sorts it: tep_print_printk's order). */
  entries(): Array<[bigint, string]> {
    return this.all
      .slice()
      .reverse()
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

function strtoull16(s: string): bigint {
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  if (!m) return 0n;
  const v = BigInt('0x' + m[1]);
  return v > 0xffffffffffffffffn ? 0xffffffffffffffffn : v;
}
export { strtoull };
