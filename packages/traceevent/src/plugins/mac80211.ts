/** libtraceevent 1.7.1 plugin_mac80211: drv_bss_info_changed as a multi-line field dump. */
import type { Tep } from '../tep/tep.js';
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { d32, eventField, printNumField, readNum, wrapHandler, type PluginOut, type SeqHandler } from './plugin-util.js';

const INDENT = '\n' + ' '.repeat(65);

function printString(out: PluginOut, tep: Tep, record: TraceRecord, event: EventFormat, name: string): void {
  const f = eventField(event, name);
  if (!f) {
    out.s += `NOTFOUND:${name}`;
    return;
  }
  let offset = f.offset;
  let length = f.size;
  if (f.type.startsWith('__data_loc')) {
    const v = readNum(tep, record, f);
    if (v === undefined) {
      out.s += 'invalid_data_loc';
      return;
    }
    offset = Number(v & 0xffffn);
    length = Number(v >> 16n);
  }
  const b = record.page;
  const start = record.offset + offset;
  let s = '';
  for (let i = 0; i < length && start + i < b.length; i++) {
    const c = b[start + i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  out.s += s;
}

const altHex = (v: bigint): string => {
  const x = BigInt.asUintN(32, v);
  return x === 0n ? '0' : '0x' + x.toString(16);
};

const bssInfoChanged: SeqHandler = (out, record, event, tep) => {
  const sf = (n: string): void => {
    printNumField(out, (v) => `${n}:${d32(v)}`, tep, record, event, n, false);
  };
  const sfx = (n: string): void => {
    printNumField(out, (v) => `${n}:${altHex(v)}`, tep, record, event, n, false);
  };
  printString(out, tep, record, event, 'wiphy_name');
  out.s += ' vif:';
  printString(out, tep, record, event, 'vif_name');
  printNumField(out, (v) => `(${d32(v)})`, tep, record, event, 'vif_type', true);
  out.s += INDENT;
  for (const n of ['assoc', 'aid', 'cts', 'shortpre', 'shortslot', 'dtimper']) {
    sf(n);
    out.s += ' ';
  }
  out.s += INDENT;
  sf('bcnint');
  out.s += ' ';
  sfx('assoc_cap');
  out.s += ' ';
  sfx('basic_rates');
  out.s += ' ';
  sf('enable_beacon');
  out.s += INDENT;
  sf('ht_operation_mode');
  return false;
};

export function registerMac80211Plugin(tep: Tep): void {
  tep.registerEventHandler('mac80211', 'drv_bss_info_changed', wrapHandler(bssInfoChanged));
}
