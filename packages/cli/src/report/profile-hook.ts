/**
 * `-H HOOK` of `utp report --profile` (trace-cmd 3.1.6 tracecmd_create_event_hook):
 * `[START_SYSTEM:]START_EVENT,START_MATCH[,PID]/[END_SYSTEM:]END_EVENT,END_MATCH[,FLAGS]`,
 * split the way C's strtok splits it (runs of separators are one, leading ones are skipped),
 * FLAGS case-insensitive: P pinned to its CPU (no migration), G global (not per task), S stacks.
 */

export interface ProfileHook {
  startSystem: string | undefined;
  startEvent: string;
  /** START_EVENT's field compared with END_MATCH of the end event. */
  startMatch: string;
  /** START_EVENT's field naming the task (default: common_pid). */
  pid: string | undefined;
  endSystem: string | undefined;
  endEvent: string;
  endMatch: string;
  flags: string | undefined;
  migrate: boolean;
  global: boolean;
  stack: boolean;
  /** Flag letters that are none of P, G, S (trace-cmd warns about each). */
  unknownFlags: string[];
}

/** C strtok over one string: each call returns the next token (start index and text) or undefined. */
class Strtok {
  private pos = 0;
  constructor(private readonly s: string) {}
  next(delims: string): { start: number; text: string } | undefined {
    const s = this.s;
    let i = this.pos;
    while (i < s.length && delims.includes(s[i]!)) i++;
    if (i >= s.length) {
      this.pos = s.length;
      return undefined;
    }
    const start = i;
    while (i < s.length && !delims.includes(s[i]!)) i++;
    this.pos = i < s.length ? i + 1 : i;
    return { start, text: s.slice(start, i) };
  }
}

/** Parses one -H argument; undefined when trace-cmd calls it an invalid hook format. */
export function parseProfileHook(arg: string): ProfileHook | undefined {
  // the C code stops at a NUL; an argv string has none
  const t = new Strtok(arg);
  let tok = t.next(':,');
  if (!tok) return undefined;
  let startSystem: string | undefined;
  // the first token is taken to start at 0, as trace-cmd looks at arg[strlen(tok)]
  if (arg[tok.text.length] === ':') {
    startSystem = tok.text;
    tok = t.next(',');
    if (!tok) return undefined;
  }
  const startEvent = tok.text;
  tok = t.next(',/');
  if (!tok) return undefined;
  const startMatch = tok.text;
  let pid: string | undefined;
  if (arg[tok.start + tok.text.length] === ',') {
    tok = t.next('/');
    if (!tok) return undefined;
    pid = tok.text;
  }
  tok = t.next(':,');
  if (!tok) return undefined;
  let endSystem: string | undefined;
  if (arg[tok.start + tok.text.length] === ':') {
    endSystem = tok.text;
    tok = t.next(',');
    if (!tok) return undefined;
  }
  const endEvent = tok.text;
  tok = t.next(',');
  if (!tok) return undefined;
  const endMatch = tok.text;
  let flags: string | undefined;
  if (arg[tok.start + tok.text.length] === ',') {
    tok = t.next('');
    if (!tok) return undefined;
    flags = tok.text;
  }
  const hook: ProfileHook = {
    startSystem,
    startEvent,
    startMatch,
    pid,
    endSystem,
    endEvent,
    endMatch,
    flags,
    migrate: true,
    global: false,
    stack: false,
    unknownFlags: [],
  };
  for (const ch of flags ?? '') {
    const c = ch.toLowerCase();
    if (c === 'p') hook.migrate = false;
    else if (c === 'g') hook.global = true;
    else if (c === 's') hook.stack = true;
    else hook.unknownFlags.push(ch);
  }
  return hook;
}

/** The line trace-cmd prints on stdout for each hook while it parses its options (NULLs as glibc prints them). */
export function profileHookLine(h: ProfileHook): string {
  const s = (v: string | undefined) => v ?? '(null)';
  return (
    `start ${s(h.startSystem)}:${h.startEvent}:${h.startMatch} (${s(h.pid)}) ` +
    `end ${s(h.endSystem)}:${h.endEvent}:${h.endMatch} (${s(h.flags)})\n`
  );
}
