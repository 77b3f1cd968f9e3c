/**
 * Print-fmt functions registered by libtraceevent 1.7.1 plugins: jbd2_dev_to_name and
 * jiffies_to_msecs (plugin_jbd2), xen_hypercall_name (plugin_xen).
 * (__le16_to_cpup and scsi_trace_parse_cdb dereference pointers to record data, which the
 * PrintFunction contract cannot express; they are not registered.)
 */
import type { PrintFunction, Tep } from '../tep/tep.js';

const num = (a: bigint | string | undefined): bigint => (typeof a === 'bigint' ? a : 0n);

const XEN_HYPERCALLS: Record<number, string> = {
  0: 'set_trap_table',
  1: 'mmu_update',
  2: 'set_gdt',
  3: 'stack_switch',
  4: 'set_callbacks',
  5: 'fpu_taskswitch',
  6: 'sched_op_compat',
  7: 'dom0_op',
  8: 'set_debugreg',
  9: 'get_debugreg',
  10: 'update_descriptor',
  12: 'memory_op',
  13: 'multicall',
  14: 'update_va_mapping',
  15: 'set_timer_op',
  16: 'event_channel_op_compat',
  17: 'xen_version',
  18: 'console_io',
  19: 'physdev_op_compat',
  20: 'grant_table_op',
  21: 'vm_assist',
  22: 'update_va_mapping_otherdomain',
  23: 'iret',
  24: 'vcpu_op',
  25: 'set_segment_base',
  26: 'mmuext_op',
  27: 'acm_op',
  28: 'nmi_op',
  29: 'sched_op',
  30: 'callback_op',
  31: 'xenoprof_op',
  32: 'event_channel_op',
  33: 'physdev_op',
  34: 'hvm_op',
  48: 'arch_0',
  49: 'arch_1',
  50: 'arch_2',
  51: 'arch_3',
  52: 'arch_4',
  53: 'arch_5',
  54: 'arch_6',
  55: 'arch_7',
};

export const PLUGIN_PRINT_FUNCTIONS: readonly PrintFunction[] = [
  {
    name: 'jbd2_dev_to_name',
    returns: 'string',
    params: ['int'],
    call: (args) => {
      const dev = Number(BigInt.asUintN(32, num(args[0])));
      return `${dev >>> 20}:${dev & 0xfffff}`;
    },
  },
  {
    name: 'jiffies_to_msecs',
    returns: 'number',
    params: ['long'],
    call: (args) => num(args[0]),
  },
  {
    name: 'xen_hypercall_name',
    returns: 'string',
    params: ['int'],
    call: (args) => {
      const op = Number(BigInt.asUintN(32, num(args[0])));
      const n = XEN_HYPERCALLS[op];
      return n !== undefined ? `(${n})` : '';
    },
  },
];

export function registerPrintFunctions(tep: Tep): void {
  for (const f of PLUGIN_PRINT_FUNCTIONS) tep.registerPrintFunction(f);
}
