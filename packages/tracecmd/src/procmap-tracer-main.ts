/**
 * The --proc-map tracer process (started by procmap-tracer.ts with a pid): ptrace-seizes the pid
 * (held at its gate by the recorder), follows its forks, vforks and clones, and at each traced
 * task's exit (PTRACE_EVENT_EXIT, while its address space still exists) prints its exe and maps
 * as one JSON line, then lets it go; the signals a task gets are passed on. Its own process,
 * because ptrace stops of a child of the recorder would reach the recorder's child reaper.
 * Prints "ready" once seized, "error <text>" if it cannot.
 */
import koffi from 'koffi';
import { writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { readProcAddrMaps } from './proc-maps.js';

const PTRACE_CONT = 7,
  PTRACE_DETACH = 17,
  PTRACE_SEIZE = 0x4206;
const O_TRACEFORK = 2,
  O_TRACEVFORK = 4,
  O_TRACECLONE = 8,
  O_TRACEEXIT = 0x40;
const EVENT_EXIT = 6;
const WALL = 0x40000000;

function say(line: string): void {
  writeSync(1, line + '\n');
}

function errnoName(n: number): string {
  for (const [k, v] of Object.entries(osConstants.errno)) if (v === n) return k;
  return `errno ${n}`;
}

function main(pid: number): void {
  const l = koffi.load('libc.so.6');
  const ptrace = l.func('long ptrace(int req, ...)') as unknown as (...a: unknown[]) => number;
  const waitpid = l.func('int waitpid(int pid, _Out_ int *status, int options)') as unknown as (
    pid: number,
    st: Int32Array,
    o: number,
  ) => number;
  const opts = O_TRACEFORK | O_TRACEVFORK | O_TRACECLONE | O_TRACEEXIT;
  const req = (r: number, p: number, data: number): number => Number(ptrace(r, 'int', p, 'void *', null, 'unsigned long', data));
  if (req(PTRACE_SEIZE, pid, opts) < 0) {
    say(`error ptrace(PTRACE_SEIZE) of pid ${pid} failed: ${errnoName(koffi.errno())}`);
    return;
  }
  say('ready');
  const st = new Int32Array(1);
  for (;;) {
    const p = waitpid(-1, st, WALL);
    if (p < 0) {
      if (koffi.errno() === osConstants.errno.EINTR) continue;
      break; // ECHILD: no traced task left
    }
    const s = st[0]!;
    if ((s & 0xff) !== 0x7f) continue; // exited or killed
    const sig = (s >> 8) & 0xff;
    const event = (s >> 16) & 0xff;
    if (event === EVENT_EXIT) {
      const m = readProcAddrMaps(p);
      if (m) say(JSON.stringify({ pid: m.pid, exe: m.exe, maps: m.maps.map((x) => [x.start.toString(16), x.end.toString(16), x.name]) }));
      req(PTRACE_DETACH, p, 0);
      continue;
    }
    // event stops (fork/clone/exec, a new task's first stop, group-stop) carry no signal to pass on;
    // a signal-delivery stop passes its signal on, but for SIGTRAP and SIGSTOP (tracing's own)
    const pass = event === 0 && sig !== osConstants.signals.SIGTRAP && sig !== osConstants.signals.SIGSTOP ? sig : 0;
    req(PTRACE_CONT, p, pass);
  }
}

// Ctrl-C reaches the whole process group: the command gets it and exits (its maps are read then); the
// tracer must outlive it. The listeners keep node from dying; waitpid is simply restarted.
for (const sig of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const)
  process.on(sig, () => {
    /* ignored */
  });
const pid = Number(process.argv[2]);
if (Number.isInteger(pid) && pid > 0) main(pid);
else say('error usage: procmap-tracer-main PID');
