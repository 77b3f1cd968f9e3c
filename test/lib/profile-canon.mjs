// trace-cmd 3.1.6 `report --profile` prints some things in an order that comes from heap addresses
// and changes from run to run (the same command twice gives different bytes):
// - the entries of one task that tie in its sort (same event, same total time: e.g. the counts of
//   sched_stat_runtime per value of its first field): trace-cmd keys them by a hash of their
//   event_data pointer, and lists them in that hash's bucket order;
// - the groups of --by-comm, which it sorts by strcmp() over the bytes of the group pointers.
// utp orders those ties by value and the groups by comm. canonicalProfile() puts trace-cmd's output
// in that order and changes nothing else, so the comparison stays byte for byte everywhere else.
const SOFTIRQS = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'BLOCK_IOPOLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'];

/** The value an `Event:` label shows, for ordering ties (utp orders them by the raw value). */
function labelValue(label) {
  let m = /:0x([0-9a-f]+)$/.exec(label);
  if (m) return BigInt('0x' + m[1]);
  m = /:(-?\d+)$/.exec(label);
  if (m) return BigInt.asUintN(64, BigInt(m[1]));
  m = /:([A-Z_]+)$/.exec(label);
  if (m && SOFTIRQS.includes(m[1])) return BigInt(SOFTIRQS.indexOf(m[1]));
  return undefined;
}

function parseEvent(line) {
  const m = /^ {2}Event: (.*) \((\d+)\)((?: Total: \d+)?)/.exec(line);
  if (!m) return undefined;
  const label = m[1];
  const name = label.startsWith('func: ') ? 'func' : label.slice(0, label.indexOf(':'));
  return { label, tie: `${name}|${m[3]}`, value: labelValue(label) };
}

function sortRun(blocks) {
  return blocks.slice().sort((a, b) => {
    if (a.ev.value !== undefined && b.ev.value !== undefined) return a.ev.value < b.ev.value ? -1 : a.ev.value > b.ev.value ? 1 : 0;
    return a.ev.label < b.ev.label ? -1 : a.ev.label > b.ev.label ? 1 : 0;
  });
}

/** One section (header lines, then event blocks) with its tie runs in utp's order. */
function canonSection(lines) {
  const head = [];
  let i = 0;
  while (i < lines.length && !parseEvent(lines[i])) head.push(lines[i++]);
  const blocks = [];
  while (i < lines.length) {
    const ev = parseEvent(lines[i]);
    const b = { ev, lines: [lines[i++]] };
    while (i < lines.length && !parseEvent(lines[i])) b.lines.push(lines[i++]);
    blocks.push(b);
  }
  const out = [...head];
  for (let k = 0; k < blocks.length; ) {
    let j = k + 1;
    // sched_switch entries are ordered by state and never tie; sched_wakeup has one entry per task
    while (j < blocks.length && blocks[j].ev.tie === blocks[k].ev.tie && !blocks[k].ev.label.startsWith('sched_switch:')) j++;
    for (const b of sortRun(blocks.slice(k, j))) out.push(...b.lines);
    k = j;
  }
  return out;
}

/**
 * trace-cmd's profile text in utp's order for what trace-cmd leaves to heap addresses.
 * `byComm`: the `group:` sections are sorted by name (they all come before the `task:` ones).
 */
export function canonicalProfile(text) {
  const lines = text.split('\n');
  // the text's last newline is not part of its last section (which may move)
  const tail = lines.length > 0 && lines[lines.length - 1] === '' ? lines.pop() : undefined;
  const sections = [];
  let cur = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    // a section starts at the empty line before `task:` / `group:`, or at a `Global ... Events` line
    const starts =
      (l === '' && /^(task|group|buffer): /.test(lines[i + 1] ?? '')) || /^Global (CPU\[\d+\] )?Events$/.test(l) || /^buffer: /.test(l);
    if (starts && cur.length > 0 && !(cur.length === 1 && cur[0] === '')) {
      sections.push(cur);
      cur = [];
    }
    cur.push(l);
  }
  sections.push(cur);
  const canon = sections.map(canonSection);
  const groupName = (s) => (s[0] === '' && s[1]?.startsWith('group: ') ? s[1].slice(7) : undefined);
  for (let k = 0; k < canon.length; ) {
    if (groupName(canon[k]) === undefined) {
      k++;
      continue;
    }
    let j = k;
    while (j < canon.length && groupName(canon[j]) !== undefined) j++;
    const run = canon.slice(k, j).sort((a, b) => (groupName(a) < groupName(b) ? -1 : groupName(a) > groupName(b) ? 1 : 0));
    canon.splice(k, j - k, ...run);
    k = j;
  }
  return canon.flat().join('\n') + (tail !== undefined ? '\n' : '');
}
