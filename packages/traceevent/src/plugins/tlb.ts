/** libtraceevent 1.7.1 plugin_tlb: tlb:tlb_flush as `pages=N reason=TEXT (N)`. */
import type { Tep } from '../tep/tep.js';
import { getFieldVal, lld, printNumField, wrapHandler, type SeqHandler } from './plugin-util.js';

const REASONS = ['flush on task switch', 'remote shootdown', 'local shootdown', 'local mm shootdown'];

const tlbFlush: SeqHandler = (out, record, event, tep) => {
  out.s += 'pages=';
  printNumField(out, lld, tep, record, event, 'pages', true);
  const val = getFieldVal(out, tep, record, event, 'reason', true);
  if (val === undefined) return true;
  out.s += ' reason=';
  if (val < BigInt(REASONS.length)) out.s += REASONS[Number(val)];
  out.s += ` (${lld(val)})`;
  return false;
};

export function registerTlbPlugin(tep: Tep): void {
  tep.registerEventHandler('tlb', 'tlb_flush', wrapHandler(tlbFlush));
}
