/**
 * `utp stream [record's event flags] [-t] [-R] [-N] [-l] [-- CMD]`: records in a private instance
 * and prints events live, formatted exactly as `utp report` / `trace-cmd report` print them.
 * Each batch (what poll(2) delivered) is merged across CPUs by time stamp before printing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { endianness } from 'node:os';
import { RecordSession, userLongSize } from '@utp/tracecmd';
import { CpuReader, Waiter, Instance, tracingUnavailableReason, readWholeFile } from '@utp/tracefs';
import * as traceevent from '@utp/traceevent';
import { KBuffer, KRecord, LinePrinter, parseHeaderPage, Tep } from '@utp/traceevent';
import { decodeLatin1, describeError } from '@utp/bytes';
import type { Command } from '../command.js';
import { parseRecordArgs } from './record.js';

/**
 * As trace-cmd reads a file we would write: the event parser's long size is the user-space one
 * (the file header's, tep_set_long_size), the ring buffer's is the kernel's (header_page commit).
 */
function buildTep(inst: Instance, noPlugins: boolean): { tep: Tep; longSize: number } {
  const hp = parseHeaderPage(inst.read('events/header_page'));
  const tep = new Tep({ littleEndian: endianness() === 'LE', longSize: userLongSize() });
  if (!noPlugins) traceevent.loadPlugins(tep, {});
  const top = Instance.top();
  for (const ev of top.events('ftrace')) {
    try {
      tep.addEventFormat(top.eventFormat('ftrace', ev.name), 'ftrace');
    } catch {
      /* */
    }
  }
  for (const line of inst.enabledEvents()) {
    const [sys, name] = line.split(':');
    if (sys && name) tep.addEventFormat(inst.eventFormat(sys, name), sys);
  }
  try {
    tep.loadKallsyms(decodeLatin1(readWholeFile('/proc/kallsyms')));
  } catch {
    /* no symbols */
  }
  tep.loadPrintk(top.read('printk_formats'));
  tep.loadCmdlines(top.read('saved_cmdlines'));
  return { tep, longSize: hp.commitSize };
}

const command: Command = {
  name: 'stream',
  summary: 'record and print events live',
  async run(argv: string[]): Promise<number> {
    const own = { nsec: false, raw: false, noPlugins: false, latency: false };
    const rest: string[] = [];
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--') {
        rest.push(...argv.slice(i));
        break;
      }
      if (a === '-t') own.nsec = true;
      else if (a === '-R') own.raw = true;
      else if (a === '-N') own.noPlugins = true;
      else if (a === '-l') own.latency = true;
      else if (a === '-h' || a === '--help') {
        process.stdout.write(
          [
            'usage: utp stream [-e EVENT [-f FILTER]]... [-p TRACER] [-P PID] [-F] [-c] [-b KB] [-C CLOCK] [-t] [-R] [-N] [-l] [-- CMD ARGS]',
            '  -p TRACER      use TRACER (a tracer the kernel refuses, e.g. function here, is one line naming it)',
            '  -O OPTION, -T, -v, -i, -d, -D, -n/-g FUNC, --module MOD, --func-stack, --max-graph-depth N,',
            '  --cmdlines-size N, --no-filter: the tracefs setup of utp record / utp set, undone afterwards',
            '  --verbose[=L]  accepted (utp has no log levels)',
            "  -t nanoseconds, -R raw, -N no plugins, -l latency format (utp stream's own)",
            '',
          ].join('\n'),
        );
        return 0;
      } else rest.push(a);
    }
    const parsed = parseRecordArgs(rest);
    const why = tracingUnavailableReason();
    if (why) {
      process.stderr.write(`utp stream: cannot trace here: ${why}\n`);
      return 1;
    }
    const session = new RecordSession({ ...parsed.opts, bufferPercent: 0, output: '/dev/null', drainMode: 'none' });
    const readers: CpuReader[] = [];
    let waiter: Waiter | undefined;
    // Our fds keep the instance busy: close them before the session removes it (also on exit).
    const onExit = (): void => {
      for (const r of readers) r.close();
      waiter?.close();
      try {
        session.cleanup();
      } catch {
        /* best effort */
      }
    };
    process.on('exit', onExit);
    let stopping = false;
    let child: ChildProcess | undefined;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        onExit();
        process.exit(130);
      }
      stopping = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
      waiter?.wake();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      try {
        session.setup();
      } catch (e) {
        process.stderr.write(`utp stream: ${describeError(e)}\n`);
        return 1;
      }
      const inst = session.instance!;
      const { tep, longSize } = buildTep(inst, own.noPlugins);
      const clock = inst.clocks().current;
      const inUsecs = ['local', 'global', 'uptime', 'perf', 'mono', 'mono_raw', 'boot', 'tai'].includes(clock);
      const printer = new LinePrinter(tep, { nsec: own.nsec, raw: own.raw, latency: own.latency, inUsecs });
      const pageSize = inst.subBufferSize();
      for (const c of inst.cpus()) readers.push(new CpuReader(inst, c, pageSize));
      const kb = new KBuffer({ littleEndian: tep.littleEndian, longSize });
      // Records wait here until their task's comm is known: the kernel saves a comm in
      // saved_cmdlines at the next context switch after the event, so a batch whose pids are
      // unknown is held (up to 200 ms) and printed after saved_cmdlines is read again.
      let pending: KRecord[] = [];
      let pendingSince = 0;
      const top = Instance.top();
      const collect = (): void => {
        for (const r of readers) {
          for (;;) {
            const page = new Uint8Array(pageSize);
            const n = r.read(page);
            if (n <= 0) break;
            kb.load(page, 0, pageSize);
            for (let rec = new KRecord(); kb.nextRecord(rec); rec = new KRecord()) {
              rec.cpu = r.cpu;
              if (!pending.length) pendingSince = Date.now();
              pending.push(rec);
            }
          }
        }
      };
      const flush = (force: boolean): void => {
        if (!pending.length) return;
        let unknown = pending.some((rec) => {
          const pid = tep.pidOf(rec);
          return pid > 0 && !tep.isPidRegistered(pid);
        });
        if (unknown) {
          tep.loadCmdlines(top.read('saved_cmdlines'));
          unknown = pending.some((rec) => {
            const pid = tep.pidOf(rec);
            return pid > 0 && !tep.isPidRegistered(pid);
          });
        }
        if (unknown && !force && Date.now() - pendingSince < 200) return;
        pending.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.cpu - b.cpu));
        process.stdout.write(pending.map((rec) => printer.format(rec)).join('\n') + '\n');
        pending = [];
      };
      let failed = false;
      if (parsed.command.length) {
        child = spawn(parsed.command[0]!, parsed.command.slice(1), { stdio: ['inherit', 'inherit', 'inherit'] });
        if (parsed.filterCmd) session.setPids([child.pid!]);
        child.on('exit', () => {
          stopping = true;
          waiter?.wake();
        });
        child.on('error', (e) => {
          process.stderr.write(`utp stream: cannot run '${parsed.command[0]}': ${e.message}\n`);
          failed = true;
          stopping = true;
          waiter?.wake();
        });
      }
      waiter = new Waiter();
      inst.setTracingOn(true);
      const fds = readers.map((r) => r.fd);
      while (!stopping) {
        await waiter.wait(fds, pending.length ? 100 : 1000);
        collect();
        flush(false);
        // Let events gather a little: a batch every 50 ms at most, not a wake-up per event.
        if (!stopping) await new Promise((r) => setTimeout(r, 50));
      }
      inst.setTracingOn(false);
      await new Promise((r) => setTimeout(r, 20)); // a context switch or two saves the last comms
      collect();
      flush(true);
      return failed ? 1 : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      onExit();
      process.off('exit', onExit);
    }
  },
};
export default command;
