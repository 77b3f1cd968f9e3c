/**
 * libtraceevent 1.7.1 plugin_kvm (built without udis86, as Debian ships it): kvm_exit,
 * kvm_entry, kvm_emulate_insn, kvm_nested_vmexit(_inject), the kvmmmu page-role events,
 * and the print function is_writable_pte.
 */
import type { Tep } from '../tep/tep.js';
import type { TraceRecord } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { eventField, getFieldVal, hex, llu, printNumField, u32, wrapHandler, type PluginOut, type SeqHandler } from './plugin-util.js';
import { SVM_EXIT_REASONS, VMX_EXIT_REASONS } from './kvm-exit-reasons.js';

const VMX = new Map(VMX_EXIT_REASONS.map(([v, n]) => [v, n]));
const SVM = new Map(SVM_EXIT_REASONS.map(([v, n]) => [v, n]));
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function printExitReason(out: PluginOut, tep: Tep, record: TraceRecord, event: EventFormat, field: string): boolean {
  const val = getFieldVal(out, tep, record, event, field, true);
  if (val === undefined) return false;
  const isa = getFieldVal(out, tep, record, event, 'isa', false) ?? 1n;
  let reason: string | undefined;
  if (isa === 1n) reason = VMX.get(Number(BigInt.asIntN(32, val)));
  else if (isa === 2n) reason = SVM.get(Number(BigInt.asIntN(32, val)));
  else reason = 'UNKNOWN-ISA';
  out.s += reason !== undefined ? `reason ${reason}` : `reason UNKNOWN (${llu(val)})`;
  return true;
}

const kvmExit: SeqHandler = (out, record, event, tep) => {
  if (!printExitReason(out, tep, record, event, 'exit_reason')) return true;
  const rip = getFieldVal(out, tep, record, event, 'guest_rip', true);
  if (rip === undefined) return true;
  out.s += ` rip 0x${hex(rip)}`;
  const i1 = getFieldVal(out, tep, record, event, 'info1', false);
  if (i1 !== undefined) {
    const i2 = getFieldVal(out, tep, record, event, 'info2', false);
    if (i2 !== undefined) out.s += ` info ${hex(i1)} ${hex(i2)}`;
  }
  return false;
};

const kvmEntry: SeqHandler = (out, record, event, tep) => {
  printNumField(out, (v) => ` vcpu ${u32(v)}`, tep, record, event, 'vcpu_id', true);
  const rip = getFieldVal(out, tep, record, event, 'rip', true);
  if (rip === undefined) return true;
  out.s += ` rip 0x${hex(rip)}`;
  return false;
};

const emulateInsn: SeqHandler = (out, record, event, tep) => {
  const g = (n: string): bigint | undefined => getFieldVal(out, tep, record, event, n, true);
  const rip = g('rip');
  if (rip === undefined) return true;
  const csbase = g('csbase');
  if (csbase === undefined) return true;
  const len = g('len');
  if (len === undefined) return true;
  const flags = g('flags');
  if (flags === undefined) return true;
  const failed = g('failed');
  if (failed === undefined) return true;
  const f = eventField(event, 'insn');
  if (!f) {
    out.s += '<CANT FIND FIELD insn>';
    return true;
  }
  const bytes = tep.readBytes(record, f);
  const n = Number(len);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push((bytes[i] ?? 0).toString(16).padStart(2, '0'));
  void flags;
  out.s += `${hex(csbase)}:${hex(rip)}: ${parts.join(' ')}${failed ? ' FAIL' : ''}`;
  return false;
};

const nestedInject: SeqHandler = (out, record, event, tep) => {
  if (!printExitReason(out, tep, record, event, 'exit_code')) return true;
  printNumField(out, (v) => ` info1 ${hex(v)}`, tep, record, event, 'exit_info1', true);
  printNumField(out, (v) => ` info2 ${hex(v)}`, tep, record, event, 'exit_info2', true);
  printNumField(out, (v) => ` int_info ${hex(v)}`, tep, record, event, 'exit_int_info', true);
  printNumField(out, (v) => ` int_info_err ${hex(v)}`, tep, record, event, 'exit_int_info_err', true);
  return false;
};

const nestedVmexit: SeqHandler = (out, record, event, tep) => {
  const rip = getFieldVal(out, tep, record, event, 'rip', true);
  if (rip === undefined) return true;
  out.s += ` rip ${hex(rip)}`;
  return nestedInject(out, record, event, tep);
};

const ACCESS = ['---', '--x', 'w--', 'w-x', '-u-', '-ux', 'wu-', 'wux'];

const printRole: SeqHandler = (out, record, event, tep) => {
  const val = getFieldVal(out, tep, record, event, 'role', true);
  if (val === undefined) return true;
  const w = Number(BigInt.asUintN(32, val));
  if (tep.littleEndian === HOST_LITTLE_ENDIAN) {
    const bit = (n: number): number => (w >>> n) & 1;
    out.s +=
      `${w & 0xf} q${(w >>> 5) & 3}${bit(7) ? ' direct' : ''} ${ACCESS[(w >>> 8) & 7]}${bit(11) ? ' invalid' : ''}` +
      ` ${bit(4) ? '' : '!'}pae ${bit(12) ? '' : '!'}nxe ${bit(13) ? '' : '!'}wp` +
      `${bit(14) ? ' smep' : ''}${bit(15) ? ' smap' : ''}${(w >>> 24) & 0xff ? ' smm' : ''}`;
  } else {
    out.s += 'WORD: ' + w.toString(16).padStart(8, '0');
  }
  printNumField(out, (v) => ` root ${u32(v)} `, tep, record, event, 'root_count', true);
  const unsync = getFieldVal(out, tep, record, event, 'unsync', true);
  if (unsync === undefined) return true;
  // the C code appends a NUL byte, which ends the printed line
  out.s += unsync ? 'unsync' : 'sync';
  return false;
};

const getPage: SeqHandler = (out, record, event, tep) => {
  const created = getFieldVal(out, tep, record, event, 'created', true);
  if (created === undefined) return true;
  out.s += created ? 'new ' : 'existing ';
  const gfn = getFieldVal(out, tep, record, event, 'gfn', true);
  if (gfn === undefined) return true;
  out.s += `sp gfn ${hex(gfn)} `;
  return printRole(out, record, event, tep);
};

export function registerKvmPlugin(tep: Tep): void {
  tep.registerEventHandler('kvm', 'kvm_exit', wrapHandler(kvmExit));
  tep.registerEventHandler('kvm', 'kvm_entry', wrapHandler(kvmEntry));
  tep.registerEventHandler('kvm', 'kvm_emulate_insn', wrapHandler(emulateInsn));
  tep.registerEventHandler('kvm', 'kvm_nested_vmexit', wrapHandler(nestedVmexit));
  tep.registerEventHandler('kvm', 'kvm_nested_vmexit_inject', wrapHandler(nestedInject));
  tep.registerEventHandler('kvmmmu', 'kvm_mmu_get_page', wrapHandler(getPage));
  const role = wrapHandler(printRole);
  for (const n of ['kvm_mmu_sync_page', 'kvm_mmu_unsync_page', 'kvm_mmu_zap_page', 'kvm_mmu_prepare_zap_page']) {
    tep.registerEventHandler('kvmmmu', n, role);
  }
  tep.registerPrintFunction({
    name: 'is_writable_pte',
    returns: 'number',
    params: ['long'],
    call: (args) => (typeof args[0] === 'bigint' ? args[0] : 0n) & 2n,
  });
}
