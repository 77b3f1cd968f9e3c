// Checks `utp report --json` against `trace-cmd report -R` (the text trace-cmd prints with raw
// fields): line k of -R (after its `cpus=` line) is record k of --json, and every field value,
// the comm, pid, cpu, time stamp, event name and lost-event lines must agree.

/** JSON.parse with every integer kept exact as a BigInt (Node 20 has no reviver source). */
export function parseExact(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o = {};
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        i++;
        o[k] = value();
        ws();
        if (text[i++] === '}') return o;
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i++] === ']') return a;
      }
    }
    if (c === '"') return str();
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    const m = /^-?\d+/.exec(text.slice(i, i + 32));
    if (!m) throw new Error(`bad JSON at ${i}: ${text.slice(i, i + 20)}`);
    i += m[0].length;
    if (text[i] === '.' || text[i] === 'e' || text[i] === 'E') throw new Error(`not an integer at ${i}`);
    return BigInt(m[0]);
  };
  const str = () => {
    const start = i;
    i++;
    while (text[i] !== '"') {
      if (text[i] === '\\') i++;
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}

/** A JSON string back to the bytes it stands for (UTF-8; \udc80-\udcff are single bytes), as latin1. */
export function toByteString(s) {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c >= 0xdc80 && c <= 0xdcff) out += String.fromCharCode(c - 0xdc00);
    else out += Buffer.from(ch, 'utf8').toString('latin1');
  }
  return out;
}

function usecs(ts) {
  const t = BigInt.asUintN(64, ts + 500n) / 1000n;
  return `${t / 1000000n}.${String(t % 1000000n).padStart(6, '0')}`;
}

/** Does the -R text `raw` show the JSON value `v` of one field? */
function sameValue(raw, v) {
  if (typeof v === 'string') {
    const b = toByteString(v);
    if (raw === b || raw + '\n' === b) return true;
    const m = /^ARRAY\[(.*)\]$/.exec(raw);
    if (m) {
      const bytes = m[1] === '' ? [] : m[1].split(', ').map((x) => parseInt(x, 16));
      const z = bytes.indexOf(0);
      return String.fromCharCode(...(z >= 0 ? bytes.slice(0, z) : bytes)) === b;
    }
    return false;
  }
  if (typeof v === 'bigint') {
    const t = raw.trim();
    if (t === '(nil)' && v === 0n) return true; // %p of NULL
    // the print fmt's own conversion of the field: %lx without 0x
    if (/^[0-9a-f]+$/.test(t) && BigInt('0x' + t) === BigInt.asUintN(64, v)) return true;
    // %ps / %pS of a kernel address: a symbol name (libtraceevent looked it up in kallsyms)
    if (/^[A-Za-z_][\w.]*(\+0x[0-9a-f]+(\/0x[0-9a-f]+)?)?$/.test(t) && BigInt.asUintN(64, v) >= 0xffff000000000000n) return 'symbol';
    // %s of a kernel pointer: the printk string stored for that address
    if (!/^-?(0x)?[0-9a-f]+$/i.test(t) && BigInt.asUintN(64, v) >= 0xffff000000000000n) return 'symbol';
    let n;
    if (/^-?\d+$/.test(t)) n = BigInt(t);
    else if (/^0x[0-9a-f]+$/i.test(t)) n = BigInt(t);
    else return false;
    if (BigInt.asUintN(64, n) === BigInt.asUintN(64, v)) return true;
    // `0x%x` of a signed 4-byte long
    return n <= 0xffffffffn && BigInt.asUintN(32, v) === n;
  }
  if (Array.isArray(v)) {
    const m = /^ARRAY\[(.*)\]$/.exec(raw);
    if (!m) return false;
    const bytes = m[1] === '' ? [] : m[1].split(', ').map((x) => BigInt(parseInt(x, 16)));
    if (v.length === 0) return bytes.length === 0;
    const es = bytes.length / v.length;
    if (!Number.isInteger(es)) return false;
    for (let k = 0; k < v.length; k++) {
      let n = 0n;
      for (let j = es - 1; j >= 0; j--) n = (n << 8n) | bytes[k * es + j];
      if (BigInt.asUintN(es * 8, v[k]) !== n) return false;
    }
    return true;
  }
  return false;
}

/**
 * Compares; returns undefined when every record agrees, else the first difference.
 * `stats` (optional) counts records and fields checked.
 */
export function compareJsonToRaw(jsonBuf, rawBuf, stats = { records: 0, fields: 0 }) {
  const raw = rawBuf.toString('latin1').split('\n');
  const json = jsonBuf.toString('utf8').split('\n');
  if (json.at(-1) === '') json.pop();
  if (raw.at(-1) === '') raw.pop();
  let r = 0;
  while (r < raw.length && /^(\s*\S+: )?cpus=\d+$/.test(raw[r])) r++;
  for (let k = 0; k < json.length; k++, r++) {
    if (r >= raw.length) return `trace-cmd -R has fewer records than --json (${json.length})`;
    let line = raw[r];
    let o;
    try {
      o = parseExact(json[k]);
    } catch (e) {
      return `--json line ${k + 1} is not JSON: ${e.message}`;
    }
    // a string field holding newlines (a marker's buf) continues on the next -R lines
    const vals = Object.values(o.fields ?? {});
    vals.forEach((v, f) => {
      if (typeof v !== 'string') return;
      // trace-cmd ends the line with the last field's own trailing newline
      const t = f === vals.length - 1 && v.endsWith('\n') ? v.slice(0, -1) : v;
      for (let n = t.split('\n').length - 1; n > 0; n--) line += '\n' + raw[++r];
    });
    const where = `record ${k + 1}:\n  trace-cmd: ${JSON.stringify(line)}\n  json:      ${json[k]}`;
    if (o.lost !== undefined) {
      const want = o.lost === null ? `CPU:${o.cpu} [EVENTS DROPPED]` : `CPU:${o.cpu} [${o.lost} EVENTS DROPPED]`;
      if (!line.endsWith(want)) return `lost record differs at ${where}`;
      continue;
    }
    if (k === json.length - 1 && r !== raw.length - 1) return `trace-cmd -R has ${raw.length - 1 - r} more lines than --json`;
    stats.records++;
    const head = `${toByteString(o.comm).padStart(16)}-${o.pid}`;
    const at = line.indexOf(head);
    if (at < 0) return `comm-pid differs at ${where}`;
    const rest = line.slice(at + head.length);
    const m = /^ +\[(\d+)\] +(\d+(?:\.\d+)?): (\S+): /.exec(rest);
    if (!m) return `cannot parse the -R line at ${where}`;
    if (Number(m[1]) !== Number(o.cpu)) return `cpu differs at ${where}`;
    const tsOk = m[2].includes('.') ? m[2] === usecs(o.ts) : BigInt(m[2]) === o.ts;
    if (!tsOk) return `ts differs at ${where}`;
    if (m[3] !== o.event) return `event differs at ${where}`;
    const info = rest.slice(m[0].length);
    const keys = Object.keys(o.fields);
    let pos = info.indexOf(` ${keys[0]}=`);
    if (keys.length && pos < 0) return `field ${keys[0]} missing at ${where}`;
    for (let f = 0; f < keys.length; f++) {
      const start = pos + keys[f].length + 2;
      const next = f + 1 < keys.length ? info.indexOf(` ${keys[f + 1]}=`, start) : info.length;
      if (next < 0) return `field ${keys[f + 1]} missing at ${where}`;
      const text = info.slice(start, next);
      const same = sameValue(text, o.fields[keys[f]]);
      if (same === 'symbol') stats.symbols = (stats.symbols ?? 0) + 1;
      if (!same) return `field ${keys[f]}: trace-cmd ${JSON.stringify(text)}, json ${String(o.fields[keys[f]])} at ${where}`;
      stats.fields++;
      pos = next;
    }
  }
  return undefined;
}
