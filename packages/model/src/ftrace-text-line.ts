/**
 * One line of ftrace text: tracefs's `trace` / `trace_pipe` (with or without the TGID column and
 * the irq-info flags, or in latency-format) and `trace-cmd report`'s (default, `-l`, `-t`, with the
 * `NAME:` prefix of an instance buffer). `parseHead` splits a line into its columns; `parseInfo`
 * turns the text after `event: ` into field values (key=value pairs, and the formats the sinks
 * need whose text is not key=value). Lines are byte strings (one char per byte).
 */

/** The columns of an event line. */
export interface LineHead {
  buffer: string;
  comm: string;
  pid: number;
  cpu: number;
  /** EventFlag bits and preempt count (0 without latency columns). */
  flags: number;
  preempt: number;
  /** Timestamp in ns (a number; exact below 2^53) and as written ('' when a number is exact). */
  ts: number;
  tsBig: bigint | undefined;
  name: string;
  /** Where the info text starts in the line. */
  infoAt: number;
  /** The line is trace-cmd report's (its plugins print sched_switch/sched_wakeup their way). */
  report: boolean;
}

// comm-pid, then: an optional (TGID); `[CPU]` with optional flags, or latency-format's CPU glued to
// its flags; then `secs.frac:` or latency-format's `usecsus<delay>:`
const HEAD =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?(?:\[(\d+)\]\s+(?:([.dDbX][.NnpLlBb][.hHsSzZ][.0-9a-f][.0-9a-f]?)\s+)?|(\d+)([.dDbX][.NnpLlBb][.hHsSzZ][.0-9a-f][.0-9a-f]?)\s+)(?:(\d+)\.(\d+)|(\d+)us.):\s/;
const NAME = /^([A-Za-z_][\w.-]*):/;
const PREFIX = /^\s*(\S+):(?=\s)/;

/** Flags of the latency columns (irqs-off, need-resched, hardirq/softirq, preempt, migrate-disable). */
export function latencyFlags(s: string, report = false): { flags: number; preempt: number } {
  let flags = 0;
  switch (s[0]) {
    case 'd':
      flags |= 0x01;
      break;
    case 'D':
      flags |= 0x81;
      break;
    case 'b':
      flags |= 0x80;
      break;
    case 'X':
      flags |= 0x02;
      break;
  }
  switch (s[1]) {
    case 'N':
      // the kernel: need-resched and preempt-resched; libtraceevent prints N for need-resched alone
      flags |= report ? 0x04 : 0x24;
      break;
    case 'n':
    case 'b':
    case 'B':
      flags |= 0x04;
      break;
    case 'p':
    case 'L':
      flags |= 0x20;
      break;
  }
  switch (s[2]) {
    case 'h':
      flags |= 0x08;
      break;
    case 's':
      flags |= 0x10;
      break;
    case 'H':
      flags |= 0x18;
      break;
    case 'z':
      flags |= 0x40;
      break;
    case 'Z':
      flags |= 0x48;
      break;
  }
  const hex = (c: string | undefined): number => (c === undefined || c === '.' ? 0 : Number.parseInt(c, 16) || 0);
  return { flags, preempt: hex(s[3]) | (hex(s[4]) << 4) };
}

/**
 * Splits an event line; undefined when it is not one. `report` says the file is trace-cmd
 * report's (its event names are padded to a column, a print line keeps its `print:` name).
 */
export function parseHead(line: string, out: LineHead): boolean {
  let at = 0;
  out.buffer = '';
  // an instance buffer's prefix (trace-cmd report): `NAME:` then spaces, right-aligned when there are several
  const pre = PREFIX.exec(line);
  let m: RegExpExecArray | null = null;
  if (pre) {
    m = HEAD.exec(line.slice(pre[0].length));
    if (m) {
      out.buffer = pre[1]!;
      at = pre[0].length;
    }
  }
  if (!m) m = HEAD.exec(line);
  if (!m) return false;
  out.comm = m[1]!;
  out.pid = Number(m[2]);
  const lat = m[4] ?? m[6];
  out.cpu = Number(m[3] ?? m[5]);
  if (lat) {
    const f = latencyFlags(lat, out.report);
    out.flags = f.flags;
    out.preempt = f.preempt;
  } else {
    out.flags = 0;
    out.preempt = 0;
  }
  let ns: bigint;
  if (m[7] !== undefined) {
    const frac = m[8]!;
    const f9 = frac.length >= 9 ? frac.slice(0, 9) : frac + '000000000'.slice(frac.length);
    const secs = Number(m[7]);
    if (secs < 9e6) {
      out.ts = secs * 1e9 + Number(f9);
      out.tsBig = undefined;
    } else {
      ns = BigInt(m[7]) * 1000000000n + BigInt(f9);
      out.ts = Number(ns);
      out.tsBig = ns;
    }
  } else {
    const us = Number(m[9]);
    out.ts = us * 1000;
    out.tsBig = out.ts > Number.MAX_SAFE_INTEGER ? BigInt(m[9]!) * 1000n : undefined;
  }
  let p = at + m[0].length;
  const n = NAME.exec(line.slice(p));
  if (n && (line.charCodeAt(p + n[0].length) === 32 || p + n[0].length === line.length)) {
    out.name = n[1]!;
    // the kernel prints print/bprint/bputs as `SYMBOL: text` (no event name): a marker's symbol names print
    if (!out.report && (out.name === 'tracing_mark_write' || out.name === 'tracing_mark_write_raw')) {
      out.name = 'print';
      out.infoAt = p;
      return true;
    }
    p += n[0].length;
    // one space (the kernel), or trace-cmd's padding of the name column (its width differs with -R)
    if (out.report) while (line.charCodeAt(p) === 32) p++;
    else if (line.charCodeAt(p) === 32) p++;
    out.infoAt = p;
    return true;
  }
  // the function tracer: `func <-parent` (kernel) or `func <-- parent`, no event name
  out.name = 'function';
  out.infoAt = p;
  return true;
}

/** The system of the kernel's event tree an event name belongs to ('' when not known). */
export function systemOf(name: string): string {
  const s = SYSTEMS[name];
  if (s !== undefined) return s;
  for (const [pre, sys] of PREFIXES) if (name.startsWith(pre)) return sys;
  return '';
}
const SYSTEMS: Record<string, string> = {
  sys_enter: 'raw_syscalls',
  sys_exit: 'raw_syscalls',
  print: 'ftrace',
  bprint: 'ftrace',
  bputs: 'ftrace',
  function: 'ftrace',
  funcgraph_entry: 'ftrace',
  funcgraph_exit: 'ftrace',
  raw_data: 'ftrace',
  task_newtask: 'task',
  task_rename: 'task',
  kmalloc: 'kmem',
  kfree: 'kmem',
  kmem_cache_alloc: 'kmem',
  kmem_cache_free: 'kmem',
  mm_page_alloc: 'kmem',
  mm_page_free: 'kmem',
  cpu_idle: 'power',
  cpu_frequency: 'power',
};
const PREFIXES: ReadonlyArray<[string, string]> = [
  ['sched_', 'sched'],
  ['irq_handler_', 'irq'],
  ['softirq_', 'irq'],
  ['sys_enter_', 'syscalls'],
  ['sys_exit_', 'syscalls'],
  ['hrtimer_', 'timer'],
  ['timer_', 'timer'],
  ['itimer_', 'timer'],
  ['tick_', 'timer'],
  ['workqueue_', 'workqueue'],
  ['signal_', 'signal'],
  ['ipi_', 'ipi'],
  ['rcu_', 'rcu'],
  ['block_', 'block'],
  ['net_dev_', 'net'],
  ['netif_', 'net'],
  ['writeback_', 'writeback'],
  ['ext4_', 'ext4'],
];

/** A field of a class as the text shows it: an integer (number/bigint), text, or an array of integers. */
export const TextKind = { Int: 0, Str: 1, IntArray: 2 } as const;
export type TextKind = (typeof TextKind)[keyof typeof TextKind];

/** Fields whose key=value text is hex without a 0x (print fmt `%x`/`%lx`). */
const HEX_FIELDS: ReadonlySet<string> = new Set(['task_newtask.clone_flags']);

/** Keys of a print fmt that are not its field's name (`comm=%s pid=%d` of sched_process_fork's parent_*). */
const RENAMES: Readonly<Record<string, string>> = {
  'sched_process_fork.comm': 'parent_comm',
  'sched_process_fork.pid': 'parent_pid',
};

/** The name of the field a key=value key shows. */
export function fieldName(event: string, key: string): string {
  return RENAMES[`${event}.${key}`] ?? key;
}

/** The fixed fields of the formats with a dedicated parser (names as the kernel's formats name them). */
export function dedicatedFields(name: string, report: boolean): ReadonlyArray<[string, TextKind]> | undefined {
  switch (name) {
    case 'sched_switch':
      return [
        ['prev_comm', TextKind.Str],
        ['prev_pid', TextKind.Int],
        ['prev_prio', TextKind.Int],
        ['prev_state', TextKind.Int],
        ['next_comm', TextKind.Str],
        ['next_pid', TextKind.Int],
        ['next_prio', TextKind.Int],
      ];
    case 'sched_wakeup':
    case 'sched_wakeup_new':
      // trace-cmd's sched plugin prints `comm:pid [prio] CPU:nnn`; the kernel key=value
      return report
        ? [
            ['comm', TextKind.Str],
            ['pid', TextKind.Int],
            ['prio', TextKind.Int],
            ['target_cpu', TextKind.Int],
          ]
        : undefined;
    case 'sys_enter':
      return [
        ['id', TextKind.Int],
        ['args', TextKind.IntArray],
      ];
    case 'sys_exit':
      return [
        ['id', TextKind.Int],
        ['ret', TextKind.Int],
      ];
    case 'irq_handler_entry':
      return [
        ['irq', TextKind.Int],
        ['name', TextKind.Str],
      ];
    case 'irq_handler_exit':
      return [
        ['irq', TextKind.Int],
        ['ret', TextKind.Int],
      ];
    case 'softirq_entry':
    case 'softirq_exit':
    case 'softirq_raise':
      return [['vec', TextKind.Int]];
    case 'print':
      return [
        ['ip', TextKind.Str],
        ['buf', TextKind.Str],
      ];
    case 'function':
      return [
        ['ip', TextKind.Str],
        ['parent_ip', TextKind.Str],
      ];
  }
  return undefined;
}

/** An integer as the text writes it (decimal, or hex with 0x / as `hex` says); undefined when it is not one. */
export function parseInt64(s: string, hex = false): number | bigint | undefined {
  let v: bigint;
  if (hex ? /^[0-9a-fA-F]+$/.test(s) : false) v = BigInt(`0x${s}`);
  else if (/^-?\d+$/.test(s)) v = BigInt(s);
  else if (/^0x[0-9a-fA-F]+$/.test(s)) v = BigInt(s);
  else return undefined;
  return v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v;
}

// the kernel's __print_flags of prev_state, and trace-cmd's sched_switch plugin ("SDTtZXxW")
const KERNEL_STATES = 'SDTtXZPI';
const PLUGIN_STATES = 'SDTtZXxW';
/** TASK_REPORT_MAX: the `+` of a preempted task. */
const PREEMPTED = 0x100;

/** prev_state's text back to the state bits (`R` 0, `S|D` 3, `R+` TASK_REPORT_MAX). */
export function stateBits(s: string, report: boolean): number {
  const table = report ? PLUGIN_STATES : KERNEL_STATES;
  let v = 0;
  let t = s;
  if (t.endsWith('+')) {
    v |= PREEMPTED;
    t = t.slice(0, -1);
  }
  for (const part of t.split('|')) {
    const i = table.indexOf(part);
    if (i >= 0) v |= 1 << i;
  }
  return v;
}

export type TextValue = number | bigint | string | ReadonlyArray<number | bigint>;

const KEY = /(?:^|\s)([A-Za-z_][A-Za-z0-9_.]*)=/g;

/** The key=value pairs of an info text, in order (a value runs to the next ` key=`). */
export function keyValues(info: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  KEY.lastIndex = 0;
  let m: RegExpExecArray | null;
  let prev: { key: string; at: number } | undefined;
  while ((m = KEY.exec(info))) {
    const keyAt = m.index + m[0].length - m[1]!.length - 1;
    if (prev) out.push([prev.key, info.slice(prev.at, keyAt).trimEnd()]);
    prev = { key: m[1]!, at: m.index + m[0].length };
  }
  if (prev) out.push([prev.key, info.slice(prev.at).trimEnd()]);
  return out;
}

/** A key=value value as an integer: the number, also when units or `[symbol]` follow it (`3949282 [ns]`). */
export function kvInt(event: string, key: string, v: string): number | bigint | undefined {
  const hex = HEX_FIELDS.has(`${event}.${key}`);
  const r = parseInt64(v, hex);
  if (r !== undefined) return r;
  // a bool the print fmt spells (`group_dead=%s`, REC->group_dead ? "true" : "false")
  if (v === 'true') return 1;
  if (v === 'false') return 0;
  const sp = v.indexOf(' ');
  return sp > 0 && /^\s*\[[^\]]*\]$/.test(v.slice(sp)) ? parseInt64(v.slice(0, sp), hex) : undefined;
}

const SWITCH_KERNEL =
  /^prev_comm=(.*) prev_pid=(-?\d+) prev_prio=(-?\d+) prev_state=(\S+) ==> next_comm=(.*) next_pid=(-?\d+) next_prio=(-?\d+)$/;
const SWITCH_REPORT = /^(.*):(-?\d+) \[(-?\d+)\] (\S+) ==> (.*):(-?\d+) \[(-?\d+)\]$/;
const WAKEUP_REPORT = /^(.*):(-?\d+) \[(-?\d+)\](?: success=\d+)?(?: CPU:(\d+))?$/;
const SYS_ENTER = /^NR (-?\d+) \(([^)]*)\)$/;
const SYS_EXIT = /^NR (-?\d+) = (-?\d+)$/;
const FUNC = /^(\S+)\s+<-+\s*(\S+)$/;

/**
 * Parses an info text into `out` (one value per field of `fields`, '' / 0 / [] where the text lacks
 * it). `kinds` are the class's field kinds (key=value: Int only where every value parsed as one).
 */
export function parseInfo(
  name: string,
  info: string,
  report: boolean,
  fields: ReadonlyArray<{ name: string; textKind: TextKind }>,
  out: TextValue[],
): void {
  out.length = fields.length;
  for (let i = 0; i < fields.length; i++)
    out[i] = fields[i]!.textKind === TextKind.Str ? '' : fields[i]!.textKind === TextKind.Int ? 0 : [];
  const int = (s: string | undefined): number | bigint => (s === undefined ? 0 : (parseInt64(s) ?? 0));
  // the dedicated parsers; a text they do not match (trace-cmd report -R prints every event's raw fields as key=value) goes to key=value
  switch (name) {
    case 'sched_switch': {
      const m = (report ? SWITCH_REPORT : SWITCH_KERNEL).exec(info) ?? (report ? SWITCH_KERNEL : SWITCH_REPORT).exec(info);
      if (!m) break;
      const kernelText = m[0].startsWith('prev_comm=');
      out[0] = m[1]!;
      out[1] = int(m[2]);
      out[2] = int(m[3]);
      out[3] = stateBits(m[4]!, !kernelText);
      out[4] = m[5]!;
      out[5] = int(m[6]);
      out[6] = int(m[7]);
      return;
    }
    case 'sys_enter': {
      const m = SYS_ENTER.exec(info);
      if (!m) break;
      out[0] = int(m[1]);
      out[1] = m[2]!.split(',').map((a) => parseInt64(a.trim(), true) ?? 0);
      return;
    }
    case 'sys_exit': {
      const m = SYS_EXIT.exec(info);
      if (!m) break;
      out[0] = int(m[1]);
      out[1] = int(m[2]);
      return;
    }
    case 'print': {
      if (/^ip=\S* buf=/.test(info)) break;
      // `SYMBOL: text` (the ip as its symbol; a raw marker's `buf: …` has no symbol)
      const c = info.indexOf(': ');
      if (c < 0) out[1] = info;
      else {
        out[0] = info.slice(0, c);
        out[1] = info.slice(c + 2);
      }
      return;
    }
    case 'function': {
      const m = FUNC.exec(info);
      if (m) {
        out[0] = m[1]!;
        out[1] = m[2]!;
      } else out[0] = info;
      return;
    }
    case 'sched_wakeup':
    case 'sched_wakeup_new': {
      const m = report ? WAKEUP_REPORT.exec(info) : null;
      if (!m) break;
      out[0] = m[1]!;
      out[1] = int(m[2]);
      out[2] = int(m[3]);
      out[3] = int(m[4]);
      return;
    }
  }
  // key=value (irq handlers, softirqs and every other event)
  for (const [k, v] of keyValues(info)) {
    const i = fieldAt(fields, fieldName(name, k));
    if (i < 0) continue;
    const f = fields[i]!;
    if (f.textKind === TextKind.Int) {
      if (name === 'irq_handler_exit' && k === 'ret') out[i] = v === 'handled' ? 1 : v === 'unhandled' ? 0 : int(v);
      else if (name === 'sched_switch' && k === 'prev_state' && !/^\d+$/.test(v)) out[i] = stateBits(v, false);
      else out[i] = kvInt(name, k, v) ?? 0;
    } else if (f.textKind === TextKind.Str) out[i] = v.startsWith('ARRAY[') ? rawString(v) : v;
    else out[i] = rawArray(v);
  }
}

/** trace-cmd report -R's `ARRAY[12, 00, …]` (the field's bytes, little-endian u64s as sys_enter's args) as integers; `[]` otherwise. */
function rawArray(v: string): Array<number | bigint> {
  const m = /^ARRAY\[([0-9a-f, ]*)\]$/.exec(v);
  if (!m) return [];
  const bytes = m[1]!.split(', ').map((x) => Number.parseInt(x, 16));
  const out: Array<number | bigint> = [];
  for (let o = 0; o + 8 <= bytes.length; o += 8) {
    let x = 0n;
    for (let k = 7; k >= 0; k--) x = (x << 8n) | BigInt(bytes[o + k]! & 0xff);
    out.push(x <= 9007199254740991n ? Number(x) : x);
  }
  return out;
}

/** trace-cmd report -R's `ARRAY[75, 74, 70, 00, …]` of a char array that is not printable: its bytes to the NUL. */
function rawString(v: string): string {
  const m = /^ARRAY\[([0-9a-f, ]*)\]$/.exec(v);
  if (!m) return v;
  let out = '';
  for (const x of m[1]!.split(', ')) {
    const c = Number.parseInt(x, 16);
    if (!c) break;
    out += String.fromCharCode(c & 0xff);
  }
  return out;
}

function fieldAt(fields: ReadonlyArray<{ name: string }>, key: string): number {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === key) return i;
  return -1;
}
