/** libtraceevent 1.7.1 plugin_futex: syscalls:sys_enter_futex as `op=NAME[|flags] uaddr=… …`. */
import type { Tep } from '../tep/tep.js';
import { getFieldVal, hex, llu, wrapHandler, type SeqHandler } from './plugin-util.js';

type Conv = ((v: bigint) => string) | null;
const X: Conv = (v) => '0x' + hex(v, 8);
const U: Conv = llu;
// name, val, utime (val2), uaddr2, val3
const OPS: ReadonlyArray<readonly [string, Conv, Conv, Conv, Conv]> = [
  ['FUTEX_WAIT', X, X, null, null],
  ['FUTEX_WAKE', U, null, null, null],
  ['FUTEX_FD', U, null, null, null],
  ['FUTEX_REQUEUE', U, U, X, null],
  ['FUTEX_CMP_REQUEUE', U, U, X, X],
  ['FUTEX_WAKE_OP', U, U, X, X],
  ['FUTEX_LOCK_PI', null, X, null, null],
  ['FUTEX_UNLOCK_PI', null, null, null, null],
  ['FUTEX_TRYLOCK_PI', null, null, null, null],
  ['FUTEX_WAIT_BITSET', X, X, null, X],
  ['FUTEX_WAKE_BITSET', U, null, null, X],
  ['FUTEX_WAIT_REQUEUE_PI', X, X, X, X],
  ['FUTEX_CMP_REQUEUE_PI', U, U, X, X],
];
const UTIME_NAME = ['FUTEX_WAIT', 'FUTEX_LOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAIT_REQUEUE_PI'];
const PRIVATE = 128n;
const REALTIME = 256n;

const futex: SeqHandler = (out, record, event, tep) => {
  const g = (n: string): bigint | undefined => getFieldVal(out, tep, record, event, n, true);
  const uaddr = g('uaddr');
  if (uaddr === undefined) return true;
  const op = g('op');
  if (op === undefined) return true;
  const val = g('val');
  if (val === undefined) return true;
  const utime = g('utime');
  if (utime === undefined) return true;
  const uaddr2 = g('uaddr2');
  if (uaddr2 === undefined) return true;
  const val3 = g('val3');
  if (val3 === undefined) return true;
  const cmd = op & ~(PRIVATE | REALTIME) & ((1n << 64n) - 1n);
  if (cmd >= BigInt(OPS.length)) return true;
  const fop = OPS[Number(cmd)]!;
  let s = 'op=' + fop[0];
  if (op & PRIVATE) s += '|FUTEX_PRIVATE_FLAG';
  if (op & REALTIME) s += '|FUTEX_CLOCK_REALTIME';
  s += ' uaddr=0x' + hex(uaddr, 8);
  if (fop[1]) s += ' val=' + fop[1](val);
  if (fop[2]) s += (UTIME_NAME.includes(fop[0]) ? ' utime=' : ' val2=') + fop[2](utime);
  if (fop[3]) s += ' uaddr2=' + fop[3](uaddr2);
  if (fop[4]) s += ' val3=' + fop[4](val3);
  out.s += s;
  return false;
};

export function registerFutexPlugin(tep: Tep): void {
  tep.registerEventHandler('syscalls', 'sys_enter_futex', wrapHandler(futex));
}
