/** Numbers of the perf.data format (linux/perf_event.h and tools/perf/util/event.h, header.h). */

/** PERF_RECORD_* (kernel records < 64, perf's own "user" records from 64). */
export const RecordType = {
  Mmap: 1, Lost: 2, Comm: 3, Exit: 4, Throttle: 5, Unthrottle: 6, Fork: 7, Read: 8, Sample: 9,
  Mmap2: 10, Aux: 11, ItraceStart: 12, LostSamples: 13, Switch: 14, SwitchCpuWide: 15,
  Namespaces: 16, Ksymbol: 17, BpfEvent: 18, Cgroup: 19, TextPoke: 20, AuxOutputHwId: 21,
  HeaderAttr: 64, HeaderEventType: 65, HeaderTracingData: 66, HeaderBuildId: 67, FinishedRound: 68,
  IdIndex: 69, AuxtraceInfo: 70, Auxtrace: 71, AuxtraceError: 72, ThreadMap: 73, CpuMap: 74,
  StatConfig: 75, Stat: 76, StatRound: 77, EventUpdate: 78, TimeConv: 79, HeaderFeature: 80,
  Compressed: 81, FinishedInit: 82, Compressed2: 83,
} as const;

/** PERF_RECORD_* names as perf prints them (`PERF_RECORD_` + this). */
export const RECORD_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'MMAP', 2: 'LOST', 3: 'COMM', 4: 'EXIT', 5: 'THROTTLE', 6: 'UNTHROTTLE', 7: 'FORK', 8: 'READ', 9: 'SAMPLE',
  10: 'MMAP2', 11: 'AUX', 12: 'ITRACE_START', 13: 'LOST_SAMPLES', 14: 'SWITCH', 15: 'SWITCH_CPU_WIDE',
  16: 'NAMESPACES', 17: 'KSYMBOL', 18: 'BPF_EVENT', 19: 'CGROUP', 20: 'TEXT_POKE', 21: 'AUX_OUTPUT_HW_ID',
  64: 'HEADER_ATTR', 65: 'HEADER_EVENT_TYPE', 66: 'HEADER_TRACING_DATA', 67: 'HEADER_BUILD_ID', 68: 'FINISHED_ROUND',
  69: 'ID_INDEX', 70: 'AUXTRACE_INFO', 71: 'AUXTRACE', 72: 'AUXTRACE_ERROR', 73: 'THREAD_MAP', 74: 'CPU_MAP',
  75: 'STAT_CONFIG', 76: 'STAT', 77: 'STAT_ROUND', 78: 'EVENT_UPDATE', 79: 'TIME_CONV', 80: 'FEATURE',
  81: 'COMPRESSED', 82: 'FINISHED_INIT', 83: 'COMPRESSED2',
});

/** PERF_SAMPLE_* bits of attr.sample_type. */
export const SampleType = {
  Ip: 1 << 0, Tid: 1 << 1, Time: 1 << 2, Addr: 1 << 3, Read: 1 << 4, Callchain: 1 << 5, Id: 1 << 6, Cpu: 1 << 7,
  Period: 1 << 8, StreamId: 1 << 9, Raw: 1 << 10, BranchStack: 1 << 11, RegsUser: 1 << 12, StackUser: 1 << 13,
  Weight: 1 << 14, DataSrc: 1 << 15, Identifier: 1 << 16, Transaction: 1 << 17, RegsIntr: 1 << 18,
  PhysAddr: 1 << 19, Aux: 1 << 20, Cgroup: 1 << 21, DataPageSize: 1 << 22, CodePageSize: 1 << 23,
  WeightStruct: 1 << 24,
} as const;

/** PERF_FORMAT_* bits of attr.read_format. */
export const ReadFormat = { TotalTimeEnabled: 1, TotalTimeRunning: 2, Id: 4, Group: 8, Lost: 16 } as const;

/** HEADER_* feature bits (the adds_features bitmap of the file header). */
export const Feature = {
  TracingData: 1, BuildId: 2, Hostname: 3, OsRelease: 4, Version: 5, Arch: 6, NrCpus: 7, CpuDesc: 8,
  CpuId: 9, TotalMem: 10, Cmdline: 11, EventDesc: 12, CpuTopology: 13, NumaTopology: 14, BranchStack: 15,
  PmuMappings: 16, GroupDesc: 17, Auxtrace: 18, Stat: 19, Cache: 20, SampleTime: 21, MemTopology: 22,
  ClockId: 23, DirFormat: 24, BpfProgInfo: 25, BpfBtf: 26, Compressed: 27, CpuPmuCaps: 28, ClockData: 29,
  HybridTopology: 30, PmuCaps: 31, LastFeature: 32,
} as const;

export const FEATURE_NAMES: readonly string[] = Object.freeze([
  'reserved', 'tracing_data', 'build_id', 'hostname', 'osrelease', 'version', 'arch', 'nrcpus', 'cpudesc',
  'cpuid', 'total_mem', 'cmdline', 'event_desc', 'cpu_topology', 'numa_topology', 'branch_stack',
  'pmu_mappings', 'group_desc', 'auxtrace', 'stat', 'cache', 'sample_time', 'mem_topology', 'clockid',
  'dir_format', 'bpf_prog_info', 'bpf_btf', 'compressed', 'cpu_pmu_caps', 'clock_data', 'hybrid_topology',
  'pmu_caps',
]);

/** perf_event_header.misc bits. */
export const Misc = {
  CpumodeMask: 7, CpumodeUnknown: 0, Kernel: 1, User: 2, Hypervisor: 3, GuestKernel: 4, GuestUser: 5,
  /** MMAP: data mapping; COMM: exec; SWITCH: preempted out. */
  MmapData: 1 << 13, CommExec: 1 << 13, SwitchOutPreempt: 1 << 14, SwitchOut: 1 << 13,
  ExactIp: 1 << 14, Mmap2BuildId: 1 << 14, BuildIdSize: 1 << 15,
} as const;

/** PERF_TYPE_* of attr.type. */
export const AttrType = { Hardware: 0, Software: 1, Tracepoint: 2, HwCache: 3, Raw: 4, Breakpoint: 5 } as const;

/** PERF_CONTEXT_* markers inside callchains. */
export const CallchainContext = {
  Hv: 0xffffffffffffffe0n, Kernel: 0xffffffffffffff80n, User: 0xfffffffffffffe00n,
  Guest: 0xfffffffffffff800n, GuestKernel: 0xfffffffffffff780n, GuestUser: 0xfffffffffffff600n,
  Max: 0xfffffffffffff001n,
} as const;
