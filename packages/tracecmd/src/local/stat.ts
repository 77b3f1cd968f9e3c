/**
 * `trace-cmd stat` as a library call: the same report, byte for byte (trace-cmd 3.1.6's
 * trace-stat.c order, wording and quirks), for the top instance and/or instances.
 */
import { tracingDir } from '@utp/tracefs';
import { countCpus, entries, exists, isDir, readNumber, readOr, strstrip, tcInstance, type TcInstance } from './tracefs-read.js';

export interface StatOptions {
  /** Instances named by -B, in command-line order. */
  instances: string[];
  /** -t: the top instance as well (first). */
  top: boolean;
  /** -o: list the tracing options of each instance. */
  options: boolean;
}

/** show_options(): every file of options/ in readdir order, "NAME" or "noNAME". */
export function optionLines(dir: string, prefix = ''): string {
  let out = '';
  const od = `${dir}/options`;
  if (!isDir(od)) return readOr(`${tracingDir()}/trace_options`) ?? '';
  for (const n of entries(od)) {
    const v = readNumber(`${od}/${n}`);
    if (v !== undefined) out += `${prefix}${v ? '' : 'no'}${n}\n`;
  }
  return out;
}

function reportFile(inst: TcInstance, name: string, def: string, desc: string): string {
  const t = readOr(`${inst.dir}/${name}`);
  if (t === undefined) return '';
  const c = strstrip(t);
  return c && c !== def ? `\n${desc}${c}\n` : '';
}

/** The "Events:" block, following trace-stat.c's directory walk exactly (see the note inside). */
function reportEvents(inst: TcInstance): string {
  const t = readOr(`${inst.dir}/events/enable`);
  if (t === undefined) return '';
  const c = strstrip(t);
  let out = '\nEvents:\n';
  if (c[0] === '1') return out + ' All enabled\n';
  if (c[0] === '0') return out + ' All disabled\n';
  const path = `${inst.dir}/events`;
  const systems = entries(path);
  let processed = 0,
    part = 0; // 0 none, 1 system, 2 event
  const enabled = (file: string): boolean => {
    if (!isDir(file)) return false;
    const e = readOr(`${file}/enable`);
    return e !== undefined && e[0] === '1';
  };
  for (const s of systems) {
    if (enabled(`${path}/${s}`)) {
      if (!processed) out += ' Individual systems:\n';
      out += `   ${s}\n`;
      processed = 1;
    }
  }
  // trace-stat.c keeps the name of the last partly-enabled system while it walks the following
  // entries, so each of those re-walks that system's events under the new entry's name. Reproduced
  // here, as it is what trace-cmd prints.
  let sysIdx = 0,
    evList: string[] | undefined,
    evIdx = 0,
    system: string | undefined,
    cur = '',
    ev = '';
  const next = (): number => {
    if (system !== undefined && !evList) {
      if (isDir(`${path}/${system}`)) {
        evList = entries(`${path}/${system}`);
        evIdx = 0;
      }
    }
    if (evList) {
      if (evIdx < evList.length) {
        ev = evList[evIdx++]!;
        return 2;
      }
      evList = undefined;
    }
    if (sysIdx < systems.length) {
      cur = systems[sysIdx++]!;
      return 1;
    }
    return 0;
  };
  for (let type = next(); type; type = next()) {
    if (type === 1) {
      const f = `${path}/${cur}`;
      const e = isDir(f) ? readOr(`${f}/enable`) : undefined;
      if (e === undefined || e[0] === '1' || e[0] === '0') continue;
      system = cur;
      if (part) part = 1;
      continue;
    }
    if (enabled(`${path}/${cur}/${ev}`)) {
      if (!part) {
        out += ' Individual events:\n';
        part = 1;
      }
      if (part === 1) {
        out += `    ${cur}\n`;
        part = 2;
      }
      out += `        ${ev}\n`;
    }
  }
  if (!processed && !part) out += '  (none enabled)\n';
  return out;
}

/** Filters or triggers of every event ("none" / '#'-comment contents skipped). */
function reportPerEvent(inst: TcInstance, file: 'filter' | 'trigger'): string {
  const path = `${inst.dir}/events`;
  let out = '';
  for (const s of entries(path)) {
    if (!isDir(`${path}/${s}`)) continue;
    for (const e of entries(`${path}/${s}`)) {
      if (!isDir(`${path}/${s}/${e}`)) continue;
      const t = readOr(`${path}/${s}/${e}/${file}`);
      if (t === undefined) continue;
      const c = strstrip(t);
      if (file === 'filter' ? c === 'none' : c[0] === '#') continue;
      if (!out) out = file === 'filter' ? '\nFilters:\n' : '\nTriggers:\n';
      out += `  ${s}:${e} "${c}"\n`;
    }
  }
  return out;
}

/** list_functions(): lines not starting with '#', indented, under a title. */
function listFunctions(path: string, title: string): string {
  if (!exists(path)) return '';
  const s = readOr(path);
  if (s === undefined) return '';
  let out = '',
    first = false;
  let state = 0; // 0 start, 1 skip, 2 print
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (state === 2) out += ch;
    if (ch === '\n') {
      state = 0;
      continue;
    }
    if (state === 1) continue;
    if (state === 0 && ch === '#') {
      state = 1;
      continue;
    }
    if (!first) {
      out += `\n${title}:\n`;
      first = true;
    }
    if (state !== 2) {
      state = 2;
      out += '   ' + ch;
    }
  }
  return out;
}

function reportBuffers(inst: TcInstance): string {
  const t = readOr(`${inst.dir}/buffer_size_kb`);
  if (t === undefined) return '';
  const c = strstrip(t);
  if (c.includes('expanded')) return '';
  let out = '';
  if (c !== 'X') out += `\nBuffer size in kilobytes (per cpu):\n   ${c}\n`;
  else {
    for (let cpu = 0; ; cpu++) {
      const p = readOr(`${inst.dir}/per_cpu/cpu${cpu}/buffer_size_kb`);
      if (p === undefined) break;
      if (!cpu) out += '\n';
      out += `CPU ${cpu} buffer size (kb): ${strstrip(p)}\n`;
    }
  }
  const tot = readOr(`${inst.dir}/buffer_total_size_kb`);
  if (tot === undefined) return out;
  return out + `\nBuffer total size in kilobytes:\n   ${strstrip(tot)}\n`;
}

function reportClock(inst: TcInstance): string {
  const t = readOr(`${inst.dir}/trace_clock`);
  const clock = t === undefined ? undefined : /\[([^\]]*)\]/.exec(t)?.[1];
  return clock && clock !== 'local' ? `\nClock: ${clock}\n` : '';
}

function reportCpumask(inst: TcInstance): string {
  const t = readOr(`${inst.dir}/tracing_cpumask`);
  if (t === undefined) return '';
  const c = strstrip(t);
  let cpus = countCpus();
  for (let i = c.length - 1; i >= 0 && cpus > 0; i--) {
    const ch = c[i]!;
    if (ch === ',') continue;
    if (ch === 'f') {
      cpus -= 4;
      continue;
    }
    if (cpus >= 4) break;
    let n = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : 10 + (ch.charCodeAt(0) - 97);
    while (cpus > 0) {
      if (!(n & 1)) break;
      n >>= 1;
      cpus--;
    }
    break;
  }
  return cpus > 0 ? `\nCPU mask: ${c}\n` : '';
}

function reportProbes(inst: TcInstance, file: string, title: string): string {
  const t = readOr(`${inst.dir}/${file}`);
  if (t === undefined) return '';
  const c = strstrip(t);
  if (!c) return '';
  let out = `\n${title}:\n`,
    nl = true;
  for (const ch of c) {
    if (nl) out += '   ';
    out += ch;
    nl = ch === '\n';
  }
  return out + '\n';
}

function statInstance(inst: TcInstance, isFirst: boolean, opt: boolean): string {
  let out = '';
  if (!inst.top) {
    if (!isFirst) out += '---------------\n';
    out += `Instance: ${inst.name ?? '(null)'}\n`;
  }
  out += reportFile(inst, 'current_tracer', 'nop', 'Tracer: ');
  out += reportEvents(inst);
  out += reportPerEvent(inst, 'filter');
  out += reportPerEvent(inst, 'trigger');
  out += listFunctions(`${inst.dir}/set_ftrace_filter`, 'Function Filter');
  out += listFunctions(`${inst.dir}/set_ftrace_notrace`, 'Function No Trace');
  out += listFunctions(`${inst.dir}/set_graph_function`, 'Function Graph Filter');
  out += listFunctions(`${inst.dir}/set_graph_notrace`, 'Function Graph No Trace');
  out += reportBuffers(inst);
  out += reportClock(inst);
  out += reportCpumask(inst);
  out += reportFile(inst, 'tracing_max_latency', '0', 'Max Latency: ');
  out += reportProbes(inst, 'kprobe_events', 'Kprobe events');
  out += reportProbes(inst, 'uprobe_events', 'Uprobe events');
  out += reportProbes(inst, 'synthetic_events', 'Synthetic events');
  out += reportFile(inst, 'set_event_pid', '', 'Filtered event PIDs:\n');
  out += reportFile(inst, 'set_event_notrace_pid', '', 'Filtered notrace event PIDs:\n');
  out += reportFile(inst, 'set_ftrace_pid', 'no pid', 'Filtered function tracer PIDs:\n');
  out += reportFile(inst, 'set_ftrace_notrace_pid', 'no pid', 'Filtered function tracer notrace PIDs:\n');
  if (opt) out += '\nOptions:\n' + optionLines(inst.dir, '   ');
  const on = readOr(`${inst.dir}/tracing_on`);
  if (on !== undefined) out += strstrip(on) === '0' ? '\nTracing is disabled\n\n' : '\nTracing is enabled\n\n';
  out += reportFile(inst, 'error_log', '', 'Error log:\n');
  if (inst.top) {
    const names = entries(`${tracingDir()}/instances`);
    if (names.length) out += '\nInstances:\n' + names.map((n) => ` ${n}\n`).join('');
  }
  return out;
}

/** What `trace-cmd stat [-t] [-o] [-B NAME]...` prints. */
export function statReport(opts: Partial<StatOptions> = {}): string {
  const o: StatOptions = { instances: [], top: false, options: false, ...opts };
  // trace-cmd prepends each -B instance to its list: the last named comes first.
  const list: TcInstance[] = o.instances
    .slice()
    .reverse()
    .map((n) => tcInstance(n));
  const order = o.top || !list.length ? [tcInstance(), ...list] : list;
  let out = '';
  order.forEach((inst, i) => {
    out += statInstance(inst, i === 0, o.options);
  });
  const st = '/proc/sys/kernel/stack_tracer_enabled';
  if (exists(st)) {
    const t = readOr(st);
    if (t === undefined || !/^\s*-?\d/.test(t)) out += 'Error reading stack tracer status\n\n';
    else if (parseInt(t, 10) > 0) out += 'Stack tracing is enabled\n\n';
  }
  return out;
}
