// Checks utp convert's Chrome JSON and Perfetto outputs against the reference tools:
// `trace-cmd report -R -t` (every event, its time, CPU and raw field values), `trace-cmd dump
// --events/--ftrace-events` (each event's field names and types), `protoc --decode` (the Perfetto
// bytes, read through our committed .proto), and Perfetto's own message definitions as that
// .proto file states them. Nothing here reads utp's code or utp's own output of the trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseTcLine, sameValue } from './ctf-compare.mjs';

const big = { encoding: 'latin1', maxBuffer: 1 << 30 };

/** trace-cmd report -R -t: [{ ts (ns string), cpu, name, rest }] in trace-cmd's order. */
export function tcEvents(file) {
  const r = spawnSync('trace-cmd', ['report', '-R', '-t', '-i', file], big);
  if (r.status !== 0) throw new Error(`trace-cmd report failed: ${r.stderr}`);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    const e = parseTcLine(line);
    if (!e) continue;
    // the task: COMM-PID before the [CPU] column
    e.pid = Number(/-(\d+)\s+\[\d{3,}\]/.exec(line)?.[1] ?? -1);
    out.push(e);
  }
  return out;
}

/** Event name → its fields [{ name, type, array, size, signed }] (common fields left out), from trace-cmd dump. */
export function tcFormats(file) {
  const out = new Map();
  for (const flag of ['--events', '--ftrace-events']) {
    const r = spawnSync('trace-cmd', ['dump', flag, '-i', file], big);
    let cur;
    for (const l of r.stdout.split('\n')) {
      const n = /^name: (\S+)$/.exec(l);
      if (n) {
        cur = [];
        if (!out.has(n[1])) out.set(n[1], cur);
        continue;
      }
      const f = /^\tfield:(.*?)\s*;\toffset:\d+;\tsize:(\d+);\tsigned:(\d);/.exec(l);
      if (f && cur) {
        const decl = f[1];
        const m = /^(.*?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl);
        if (!m || m[2].startsWith('common_')) continue;
        cur.push({ name: m[2], type: m[1], array: m[3] !== undefined, size: Number(f[2]), signed: f[3] === '1' });
      }
    }
  }
  return out;
}

/** Names kernel addresses as trace-cmd does for %ps fields (its kallsyms and printk tables of the file). */
export function symbolResolver(file) {
  const table = [];
  for (const l of spawnSync('trace-cmd', ['report', '-f', '-i', file], big).stdout.split('\n')) {
    const m = /^([0-9a-f]{16}) (\S+)/.exec(l);
    if (m) table.push([BigInt('0x' + m[1]), m[2]]);
  }
  table.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const printk = new Map();
  for (const l of spawnSync('trace-cmd', ['dump', '--printk', '-i', file], big).stdout.split('\n')) {
    const m = /^0x([0-9a-f]+) : "(.*)"$/.exec(l);
    if (m) printk.set(BigInt('0x' + m[1]), m[2]);
  }
  return (v) => {
    const a = BigInt.asUintN(64, v);
    const out = [];
    if (printk.has(a)) out.push(printk.get(a));
    let lo = 0,
      hi = table.length - 1,
      k = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (table[m][0] <= a) {
        k = m;
        lo = m + 1;
      } else hi = m - 1;
    }
    if (k >= 0) out.push(table[k][1], `${table[k][1]}+0x${(a - table[k][0]).toString(16)}`);
    return out;
  };
}

/** trace-cmd -R's "a=1 b=x y c=2" split by the event's known field names, in order. */
export function splitFields(rest, names) {
  const out = new Map();
  let s = rest;
  for (let i = 0; i < names.length; i++) {
    if (!s.startsWith(names[i] + '=')) return { error: `field ${names[i]} not where expected in "${rest.slice(0, 160)}"` };
    s = s.slice(names[i].length + 1);
    let end = s.length;
    for (let j = i + 1; j < names.length; j++) {
      const at = s.indexOf(' ' + names[j] + '=');
      if (at >= 0) {
        end = at;
        break;
      }
    }
    out.set(names[i], s.slice(0, end));
    s = s.slice(end).replace(/^ /, '');
  }
  return { fields: out };
}

/** "ARRAY[75, 74, 00, …]" → the byte string up to the first NUL. */
function arrayText(text) {
  const bytes = text
    .slice(6, -1)
    .split(', ')
    .filter(Boolean)
    .map((x) => parseInt(x, 16));
  const cut = bytes.indexOf(0);
  return String.fromCharCode(...(cut < 0 ? bytes : bytes.slice(0, cut)));
}

const utf8ToBytes = (s) => Buffer.from(s, 'utf8').toString('latin1');

function order(arr) {
  return arr
    .map((e, i) => [`${e.ts.padStart(24, '0')} ${e.cpu} ${e.name}`, i, e])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
    .map((x) => x[2]);
}

function countBy(arr, key) {
  const m = {};
  for (const e of arr) m[key(e)] = (m[key(e)] ?? 0) + 1;
  return m;
}

/** Compares decoded events [{ ts, cpu, name, values: Map name → bt-style value }] with trace-cmd's, field by field. */
function compareAll(tc, got, formats, symbol, opts = {}) {
  if (tc.length !== got.length) {
    const a = countBy(tc, (e) => e.name),
      b = countBy(got, (e) => e.name);
    const diff = Object.keys({ ...a, ...b })
      .filter((k) => a[k] !== b[k])
      .map((k) => `${k}: trace-cmd ${a[k] ?? 0}, utp ${b[k] ?? 0}`);
    return { error: `event count: trace-cmd ${tc.length}, utp ${got.length} (${diff.slice(0, 8).join('; ')})` };
  }
  const a = order(tc),
    b = order(got);
  let values = 0;
  const dropped = {};
  for (let i = 0; i < a.length; i++) {
    const t = a[i],
      g = b[i];
    const at = `event ${i} (${t.name} at ${t.ts} on CPU ${t.cpu})`;
    if (t.ts !== g.ts || t.cpu !== g.cpu || t.name !== g.name) return { error: `${at}: utp has ${g.name} at ${g.ts} on CPU ${g.cpu}` };
    if (t.pid !== g.pid) return { error: `${at}: task ${t.pid} in trace-cmd, ${g.pid} in utp` };
    const fmt = formats.get(t.name);
    if (!fmt) return { error: `${at}: no format in trace-cmd dump` };
    const sp = splitFields(
      t.rest,
      fmt.map((f) => f.name),
    );
    if (sp.error) return { error: `${at}: ${sp.error}` };
    for (const f of fmt) {
      const v = g.values.get(f.name);
      if (v === undefined) {
        if (opts.mayDrop?.(t.name, f.name)) {
          (dropped[t.name] ??= new Set()).add(f.name);
          continue;
        }
        return { error: `${at}: field ${f.name} missing` };
      }
      const text = sp.fields.get(f.name);
      // Chrome JSON is text: bytes that are not UTF-8 become U+FFFD there (docs/convert.md)
      const same =
        v.kind === 'string' && /^ARRAY\[/.test(text)
          ? // libtraceevent shows a string field whose bytes it finds unprintable as its bytes
            arrayText(text) === v.value
          : v.utf8?.includes('\ufffd')
            ? [text, text + '\n'].some((x) => Buffer.from(x, 'latin1').toString('utf8') === v.utf8)
            : sameValue(text, v, symbol);
      if (!same)
        return {
          error: `${at}: field ${f.name}: trace-cmd "${text.slice(0, 120)}" vs utp ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)).slice(0, 200)}`,
        };
      values++;
    }
    for (const k of g.values.keys())
      if (!fmt.some((f) => f.name === k)) return { error: `${at}: utp wrote field ${k} the format does not have` };
  }
  return { count: a.length, values, dropped: Object.fromEntries(Object.entries(dropped).map(([k, s]) => [k, [...s].sort()])) };
}

// ---------------------------------------------------------------- Chrome JSON

/** The idle task of CPU n is thread IDLE_TID0 + n in Chrome JSON (docs/convert.md). */
const IDLE_TID0 = 4194304 + 65536;

const SLICE_EVENT = {
  syscall: { B: 'sys_enter', E: 'sys_exit' },
  irq: { B: 'irq_handler_entry', E: 'irq_handler_exit' },
  softirq: { B: 'softirq_entry', E: 'softirq_exit' },
};

/**
 * Checks a Chrome JSON text: its documented shape (traceEvents, displayTimeUnit, the keys each ph
 * needs, ts in µs with three decimals, B/E balanced per thread, X dur ≥ 0), then every trace event
 * against trace-cmd's. Returns { error } or { count, values, slices, cpuSlices, closed }.
 */
export function checkChromeJson(text, tc, formats, symbol) {
  let j;
  try {
    j = JSON.parse(text);
  } catch (e) {
    return { error: `not JSON: ${e.message}` };
  }
  if (!Array.isArray(j.traceEvents)) return { error: 'no traceEvents array' };
  if (j.displayTimeUnit !== 'ns') return { error: `displayTimeUnit ${j.displayTimeUnit}` };
  // every ts / dur is written with its nanosecond digits
  for (const m of text.matchAll(/"(ts|dur)":(-?[0-9.e+]+)/g))
    if (!/^-?\d+\.\d{3}$/.test(m[2])) return { error: `${m[1]} ${m[2]} is not µs with three decimals` };
  const isInt = (x) => Number.isInteger(x);
  const depth = new Map();
  const got = [];
  let slices = 0,
    cpuSlices = 0,
    closed = 0;
  const named = new Set();
  const used = new Set();
  for (const [i, e] of j.traceEvents.entries()) {
    const at = `traceEvents[${i}] ${JSON.stringify(e).slice(0, 160)}`;
    if (typeof e.name !== 'string' || typeof e.ph !== 'string' || !isInt(e.pid)) return { error: `${at}: name, ph and pid are required` };
    if (e.ph === 'M') {
      if (!['process_name', 'thread_name'].includes(e.name) || typeof e.args?.name !== 'string')
        return { error: `${at}: bad metadata event` };
      if (e.name === 'thread_name') {
        if (!isInt(e.tid)) return { error: `${at}: thread_name without tid` };
        named.add(`${e.pid}/${e.tid}`);
      } else named.add(`${e.pid}`);
      continue;
    }
    if (typeof e.ts !== 'number' || !isInt(e.tid)) return { error: `${at}: ts and tid are required` };
    used.add(`${e.pid}/${e.tid}`);
    used.add(`${e.pid}`);
    const key = `${e.pid}/${e.tid}`;
    if (e.ph === 'X') {
      if (typeof e.dur !== 'number' || e.dur < 0) return { error: `${at}: X needs dur ≥ 0` };
      cpuSlices++;
      continue;
    }
    if (e.ph === 'B' || e.ph === 'E') {
      const st = depth.get(key) ?? [];
      depth.set(key, st);
      if (e.ph === 'B') st.push(e);
      else {
        const b = st.pop();
        if (!b) return { error: `${at}: E without B on ${key}` };
        if (b.ts > e.ts) return { error: `${at}: E before its B` };
      }
      if (e.cat === 'utp.closed') {
        closed++;
        continue;
      }
      slices += e.ph === 'B' ? 1 : 0;
    } else if (e.ph === 'i') {
      if (!['t', 'p', 'g'].includes(e.s)) return { error: `${at}: instant scope` };
      if (e.cat === 'utp.lost') continue;
    } else return { error: `${at}: unexpected ph ${e.ph}` };
    const name = e.ph === 'i' ? e.name : SLICE_EVENT[e.cat]?.[e.ph];
    if (!name) return { error: `${at}: no trace event for this slice` };
    const fmt = formats.get(name) ?? [];
    const values = new Map();
    for (const [k, v] of Object.entries(e.args ?? {})) {
      const f = fmt.find((x) => x.name === k);
      if (Array.isArray(v)) values.set(k, { kind: 'array', items: v.map((x) => ({ kind: 'int', value: BigInt(x) })) });
      else if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) return { error: `${at}: ${k}=${v} is not an exact integer` };
        values.set(k, { kind: 'int', value: BigInt(v) });
      } else if (typeof v === 'string' && f && !f.array && (!/char/.test(f.type) || /\*/.test(f.type))) {
        if (!/^-?\d+$/.test(v) || Number.isSafeInteger(Number(v)))
          return { error: `${at}: ${k}="${v}" (only integers beyond 2^53 are strings)` };
        values.set(k, { kind: 'int', value: BigInt(v) });
      } else values.set(k, { kind: 'string', value: utf8ToBytes(String(v)), utf8: String(v) });
    }
    const pid = e.tid === IDLE_TID0 + e.cpu ? 0 : e.tid;
    got.push({ ts: String(Math.round(e.ts * 1000)), cpu: e.cpu, pid, name, values });
  }
  for (const [k, st] of depth) if (st.length) return { error: `${st.length} B without E on ${k}` };
  for (const k of used) if (!named.has(k)) return { error: `no process_name/thread_name for ${k}` };
  const r = compareAll(tc, got, formats, symbol);
  return { ...r, slices, cpuSlices, closed, json: j };
}

// ---------------------------------------------------------------- Perfetto

/** protoc's text format → nested { key: [values…] } (messages as objects, strings as byte strings, numbers as bigint). */
export function parseTextProto(text) {
  const root = {};
  const stack = [root];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l) continue;
    if (l === '}') {
      stack.pop();
      continue;
    }
    let m = /^([A-Za-z_0-9]+) \{$/.exec(l);
    if (m) {
      const o = {};
      (stack[stack.length - 1][m[1]] ??= []).push(o);
      stack.push(o);
      continue;
    }
    m = /^([A-Za-z_0-9]+): (.*)$/.exec(l);
    if (!m) throw new Error(`text format line: ${l}`);
    let v = m[2];
    if (v.startsWith('"')) v = unescapeC(v.slice(1, -1));
    else if (/^-?\d+$/.test(v)) v = BigInt(v);
    (stack[stack.length - 1][m[1]] ??= []).push(v);
  }
  return root;
}

function unescapeC(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const c = s[++i];
    if (/[0-7]/.test(c)) {
      let k = 0,
        d = '';
      while (k < 3 && /[0-7]/.test(s[i])) {
        d += s[i++];
        k++;
      }
      i--;
      out += String.fromCharCode(parseInt(d, 8));
    } else if (c === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' }[c] ?? c;
  }
  return out; // (the text was read as latin1: bytes protoc printed as they are are bytes here too)
}

/** The .proto file's messages: name → Map field name → { no, type, repeated }; and FtraceEvent's oneof: event name → message. */
export function protoMessages(protoFile) {
  const text = readFileSync(protoFile, 'utf8').replace(/\/\/.*$/gm, '');
  const msgs = new Map();
  const stack = [];
  for (const l of text.split('\n').map((x) => x.trim())) {
    let m = /^message (\w+) \{$/.exec(l);
    if (m) {
      stack.push(m[1]);
      msgs.set(m[1], new Map());
      continue;
    }
    if (/^(oneof|enum) \w+ \{$/.test(l)) {
      stack.push(null);
      continue;
    }
    if (l === '}') {
      stack.pop();
      continue;
    }
    m = /^(optional |repeated )?(\w+) (\w+) = (\d+)/.exec(l);
    const cur = [...stack].reverse().find((x) => x);
    if (m && cur && stack[stack.length - 1] !== undefined)
      msgs.get(cur)?.set(m[3], { no: Number(m[4]), type: m[2], repeated: m[1] === 'repeated ' });
  }
  return msgs;
}

/**
 * Checks a `protoc --decode=perfetto.protos.Trace` text: no unknown fields, sequence ids on every
 * packet, a clock snapshot and a process tree, then every FtraceEvent against trace-cmd's
 * event (typed messages: every field the message declares; generic: every field).
 */
export function checkPerfetto(decoded, tc, formats, symbol, msgs) {
  if (/^\s*\d+: /m.test(decoded)) return { error: 'protoc shows unknown fields (numbers that are not in the .proto)' };
  const t = parseTextProto(decoded);
  const packets = t.packet ?? [];
  if (!packets.length) return { error: 'no packets' };
  const ev = msgs.get('FtraceEvent');
  const typedNames = new Map(
    [...ev].filter(([, f]) => /FtraceEvent$/.test(f.type) && f.type !== 'GenericFtraceEvent').map(([k, f]) => [k, f.type]),
  );
  const got = [];
  let clock = 0,
    tree,
    typed = 0,
    generic = 0,
    lost = 0;
  for (const [i, p] of packets.entries()) {
    if (p.trusted_packet_sequence_id?.[0] !== 1n) return { error: `packet ${i}: no trusted_packet_sequence_id` };
    if (p.clock_snapshot) clock++;
    if (p.process_tree) tree = p.process_tree[0];
    for (const b of p.ftrace_events ?? []) {
      if (b.lost_events) lost++;
      const cpu = Number(b.cpu?.[0] ?? -1n);
      let prev = -1n;
      for (const e of b.event ?? []) {
        const ts = e.timestamp?.[0];
        if (ts === undefined || ts < prev) return { error: `packet ${i}: event timestamps out of order in a bundle` };
        prev = ts;
        const keys = Object.keys(e).filter((k) => !['timestamp', 'pid', 'common_flags'].includes(k));
        if (keys.length !== 1) return { error: `packet ${i}: an event with ${keys.length} payloads` };
        const k = keys[0];
        const values = new Map();
        let name;
        if (k === 'generic') {
          generic++;
          const g = e.generic[0];
          name = g.event_name[0];
          const fmt = formats.get(name) ?? [];
          for (const f of g.field ?? []) {
            const fname = f.name[0];
            const ff = fmt.find((x) => x.name === fname);
            if (f.str_value) {
              const s = f.str_value[0];
              // a non-char array is written as "[e0, e1, …]"
              if (ff?.array && !/char/.test(ff.type) && /^\[.*\]$/.test(s))
                values.set(fname, {
                  kind: 'array',
                  items: (s.slice(1, -1) ? s.slice(1, -1).split(', ') : []).map((x) => ({ kind: 'int', value: BigInt(x) })),
                });
              else values.set(fname, { kind: 'string', value: s, utf8: Buffer.from(s, 'latin1').toString('utf8') });
            } else if (f.int_value) values.set(fname, { kind: 'int', value: f.int_value[0] });
            else if (f.uint_value) values.set(fname, { kind: 'int', value: f.uint_value[0] });
            else return { error: `packet ${i}: generic field ${fname} without a value` };
          }
        } else {
          if (!typedNames.has(k)) return { error: `packet ${i}: unexpected payload ${k}` };
          typed++;
          name = k;
          const m = msgs.get(typedNames.get(k));
          for (const [fname, vals] of Object.entries(e[k][0])) {
            const fd = m.get(fname);
            if (!fd) return { error: `${k}.${fname} is not in the message` };
            values.set(
              fname,
              fd.repeated
                ? { kind: 'array', items: vals.map((x) => ({ kind: 'int', value: x })) }
                : typeof vals[0] === 'string'
                  ? { kind: 'string', value: vals[0], utf8: Buffer.from(vals[0], 'latin1').toString('utf8') }
                  : { kind: 'int', value: vals[0] },
            );
          }
        }
        got.push({
          ts: String(ts),
          cpu,
          pid: Number(e.pid?.[0] ?? -1n),
          name,
          values,
          typedMsg: k === 'generic' ? undefined : typedNames.get(k),
        });
      }
    }
  }
  if (clock !== 1) return { error: `${clock} clock snapshots` };
  if (!tree?.threads?.length) return { error: 'no process tree with threads' };
  const typedOf = new Map(got.map((g) => [g.name, g.typedMsg]));
  // a typed event may leave out exactly the kernel fields its Perfetto message has no place for
  const mayDrop = (event, field) => {
    const tm = typedOf.get(event);
    return tm !== undefined && !msgs.get(tm).has(field);
  };
  const r = compareAll(tc, got, formats, symbol, { mayDrop });
  return { ...r, typed, generic, lost, packets: packets.length, threads: tree.threads.length, tree };
}
