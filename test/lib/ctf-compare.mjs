// Compares what `trace-cmd report -R -t` shows for a trace.dat with what `babeltrace2 --clock-seconds`
// shows for its CTF conversion: same events (time, CPU, name) and, for every field trace-cmd prints,
// the same value (integers modulo their width, strings, arrays as bytes).

/** Parses babeltrace2's value syntax: { a = 1, b = "x", c = [ [0] = 1 ] }, ( "L" : container = 3 ). */
export function parseBtValue(s, pos = 0) {
  const ws = () => {
    while (s[pos] === ' ') pos++;
  };
  function value() {
    ws();
    const c = s[pos];
    if (c === '{') {
      pos++;
      const obj = [];
      ws();
      if (s[pos] === '}') {
        pos++;
        return { kind: 'struct', members: obj };
      }
      for (;;) {
        ws();
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(pos, pos + 256));
        if (!m) throw new Error(`bad struct member at ${pos}: ${s.slice(pos, pos + 40)}`);
        pos += m[0].length;
        ws();
        if (s[pos] !== '=') throw new Error(`expected = at ${pos}`);
        pos++;
        obj.push([m[0], value()]);
        ws();
        if (s[pos] === ',') {
          pos++;
          continue;
        }
        if (s[pos] === '}') {
          pos++;
          break;
        }
        throw new Error(`bad struct at ${pos}: ${s.slice(pos, pos + 40)}`);
      }
      return { kind: 'struct', members: obj };
    }
    if (c === '[') {
      pos++;
      const items = [];
      ws();
      if (s[pos] === ']') {
        pos++;
        return { kind: 'array', items };
      }
      for (;;) {
        ws();
        const m = /^\[\d+\] = /.exec(s.slice(pos, pos + 32));
        if (m) pos += m[0].length;
        items.push(value());
        ws();
        if (s[pos] === ',') {
          pos++;
          continue;
        }
        if (s[pos] === ']') {
          pos++;
          break;
        }
        throw new Error(`bad array at ${pos}`);
      }
      return { kind: 'array', items };
    }
    if (c === '"') {
      pos++;
      let out = '';
      while (s[pos] !== '"') {
        if (s[pos] === '\\') {
          const e = s[pos + 1];
          const map = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v', 0: '\0' };
          if (e === 'x') {
            out += String.fromCharCode(parseInt(s.slice(pos + 2, pos + 4), 16));
            pos += 4;
            continue;
          }
          out += map[e] ?? e;
          pos += 2;
        } else out += s[pos++];
      }
      pos++;
      return { kind: 'string', value: out };
    }
    const m = /^-?(0x[0-9A-Fa-f]+|0b[01]+|[0-9.e+-]+)/.exec(s.slice(pos, pos + 80));
    if (!m) throw new Error(`bad value at ${pos}: ${s.slice(pos, pos + 40)}`);
    pos += m[0].length;
    return { kind: 'int', value: BigInt(m[0].startsWith('-0x') ? '-' + m[0].slice(1) : m[0]) };
  }
  const v = value();
  return { value: v, pos };
}

/** One babeltrace2 --clock-seconds line → { ts (ns bigint string), cpu, name, context, fields }. */
export function parseBtLine(line) {
  const m = /^\[(\d+)\.(\d{9})\] \(\+[?.0-9]+\) (?:\S+ )?([^ :]+): /.exec(line);
  if (!m) throw new Error(`not a babeltrace2 line: ${line.slice(0, 120)}`);
  let pos = m[0].length;
  const parts = [];
  while (pos < line.length) {
    const r = parseBtValue(line, pos);
    parts.push(r.value);
    pos = r.pos;
    if (line.startsWith(', ', pos)) pos += 2;
  }
  const [packet, context, fields] = parts;
  const cpu = packet.members.find(([k]) => k === 'cpu_id')?.[1].value;
  return {
    ts: (BigInt(m[1]) * 1000000000n + BigInt(m[2])).toString(),
    cpu: Number(cpu),
    name: m[3],
    context,
    fields: fields ?? { kind: 'struct', members: [] },
  };
}

/** One `trace-cmd report -R -t` line → { ts, cpu, name, rest }. */
export function parseTcLine(line) {
  const m = /^(?:\S+: )?\s*.*?\[(\d{3,})\]\s+(\d+)\.(\d{9}): ([^:]+):\s*(.*)$/.exec(line);
  if (!m) return undefined;
  return { ts: (BigInt(m[2]) * 1000000000n + BigInt(m[3])).toString(), cpu: Number(m[1]), name: m[4].trim(), rest: m[5] };
}

function intBits(v, bits) {
  return BigInt.asUintN(bits, v);
}

/** Does trace-cmd's printed `text` show the babeltrace value `v`? */
export function sameValue(text, v, symbol) {
  // libtraceevent drops the trailing newline of ftrace's print buffer
  if (v.kind === 'string') return text === v.value || text === v.value.replace(/\n$/, '');
  if (v.kind === 'int') {
    const t = /^-?0x[0-9a-f]+$/i.test(text)
      ? BigInt(text.replace(/^-0x/i, '-0x').replace(/^(-?)0x/i, '$10x'))
      : /^-?\d+$/.test(text)
        ? BigInt(text)
        : undefined;
    if (
      t !== undefined &&
      intBits(t, 64) !== intBits(v.value, 64) &&
      /^[0-9a-f]+$/.test(text) &&
      intBits(BigInt('0x' + text), 64) === intBits(v.value, 64)
    )
      return true; // %lx
    if (text === '(nil)') return v.value === 0n; // %p of NULL
    if (/^0?[0-7]+$/.test(text) && intBits(BigInt('0o' + text), 64) === intBits(v.value, 64)) return true; // %o
    if (t === undefined && /^[0-9a-f]+$/.test(text)) return intBits(BigInt('0x' + text), 64) === intBits(v.value, 64);
    if (t === undefined) return symbol?.(v.value).includes(text); // %ps / %pS: a kernel symbol
    return intBits(t, 64) === intBits(v.value, 64) || (intBits(t, 32) === intBits(v.value, 32) && t < 1n << 32n && t >= -(1n << 31n));
  }
  if (v.kind === 'array') {
    const m = /^ARRAY\[(.*)\]$/.exec(text);
    if (!m) {
      // libtraceevent prints a byte array that holds a printable C string as that string
      const cut = v.items.findIndex((x) => x.value === 0n);
      const chars = v.items.slice(0, cut < 0 ? v.items.length : cut).map((x) => String.fromCharCode(Number(BigInt.asUintN(8, x.value))));
      return chars.join('') === text;
    }
    const bytes = m[1] ? m[1].split(', ').map((x) => parseInt(x, 16)) : [];
    if (v.items.length === 0) return bytes.length === 0;
    const per = bytes.length / v.items.length;
    if (!Number.isInteger(per)) return false;
    for (let i = 0; i < v.items.length; i++) {
      let x = 0n;
      for (let j = per - 1; j >= 0; j--) x = (x << 8n) | BigInt(bytes[i * per + j]);
      if (x !== intBits(v.items[i].value, per * 8)) return false;
    }
    return true;
  }
  return false;
}

/**
 * Checks every field trace-cmd prints against the babeltrace2 event. Returns undefined or a
 * description of the first mismatch.
 */
export function compareEvent(tc, bt, symbol) {
  if (tc.name !== bt.name) return `name ${tc.name} vs ${bt.name}`;
  if (tc.cpu !== bt.cpu) return `cpu ${tc.cpu} vs ${bt.cpu}`;
  const members = bt.fields.members;
  // trace-cmd -R prints NAME=VALUE for every field in format order, separated by one space
  const names = members.map(([k]) => k);
  let rest = tc.rest;
  for (let i = 0; i < members.length; i++) {
    const [k, v] = members[i];
    if (!rest.startsWith(k + '=')) {
      if (/^_.*_length$/.test(k)) continue; // our sequence length fields (trace-cmd has none)
      return `field ${k} not where expected in "${tc.rest.slice(0, 200)}"`;
    }
    rest = rest.slice(k.length + 1);
    // the value ends where the next field name begins
    let end = rest.length;
    for (let j = i + 1; j < members.length; j++) {
      const at = rest.indexOf(' ' + names[j] + '=');
      if (at >= 0) {
        end = at;
        break;
      }
    }
    const text = rest.slice(0, end);
    rest = rest.slice(end).replace(/^ /, '');
    if (!sameValue(text, v, symbol))
      return `${tc.name} field ${k}: trace-cmd "${text.slice(0, 100)}" vs babeltrace2 ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)).slice(0, 200)}`;
  }
  return undefined;
}

/**
 * `symbol(addr)` names a kernel address (trace-cmd prints %ps arguments as symbols).
 * Compares the two outputs. Events are matched in (time, CPU, name) order, since ties across
 * CPUs may be ordered differently. Returns { count, fields, error }.
 */
export function compareReports(tcText, btText, symbol) {
  const tc = tcText.split('\n').map(parseTcLine).filter(Boolean);
  const bt = btText.split('\n').filter(Boolean).map(parseBtLine);
  if (tc.length !== bt.length) return { count: bt.length, error: `event count: trace-cmd ${tc.length}, babeltrace2 ${bt.length}` };
  const key = (e) => `${e.ts.padStart(24, '0')} ${e.cpu} ${e.name}`;
  const order = (arr) =>
    arr
      .map((e, i) => [key(e), i, e])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
      .map((x) => x[2]);
  const a = order(tc),
    b = order(bt);
  let fields = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].ts !== b[i].ts) return { count: bt.length, error: `event ${i}: time ${a[i].ts} vs ${b[i].ts}` };
    const e = compareEvent(a[i], b[i], symbol);
    if (e) return { count: bt.length, error: `event ${i} at ${a[i].ts}: ${e}` };
    fields += b[i].fields.members.length;
  }
  return { count: bt.length, fields, error: undefined };
}
