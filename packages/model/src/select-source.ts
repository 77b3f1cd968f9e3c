/**
 * A selection over any event source (docs/convert.md "Selection"): an EventSource that wraps
 * another, with the same meta and classes (so `loc`, `values`, `info`… are the inner source's),
 * and forwards only the events that pass. What `utp convert` applies to every input on its way to
 * the JSON / Perfetto sinks.
 *
 * A record is kept when it passes every option given: `filters` (expressions in the source's own
 * language, through its `compileFilter`; a source without one is refused), `events` (NAME,
 * SYSTEM:NAME or SYSTEM, `*`/`?` globs), `pids` / `comms` (the event's task, or its `pid` /
 * `next_pid` field, as trace-cmd report's --pid; a comm through the source's `commOf`), then
 * `cpus` and the time range (the event's `ts`, the time the source's reference tool shows).
 * The filters, events and pid/comm tests each see every event and follow trace-cmd's stack-trace
 * rule: a `kernel_stack` / `user_stack` event that the test does not accept is still kept when an
 * earlier event on its CPU passed that test (libtraceevent's `last_printed`, which only a negative
 * filter clears). A lost-events report goes with the event that follows it on its buffer and CPU:
 * forwarded just before that event when it is kept, dropped when it is not (or when none follows).
 */
import type {
  EventClass,
  EventSink,
  EventSource,
  FieldValue,
  LostEvents,
  ReadOptions,
  SourceMeta,
  StreamEvent,
  StreamField,
} from './event-stream.js';
import type { TraceRecord } from '@utp/traceevent';

export interface Selection {
  /** Inclusive bounds on the event's time (ns, as StreamEvent.ts / tsBig). */
  fromNs?: bigint | undefined;
  toNs?: bigint | undefined;
  /** Event names: NAME, SYSTEM:NAME or SYSTEM alone, with `*` / `?` globs. */
  events?: readonly string[];
  pids?: readonly number[];
  comms?: readonly string[];
  cpus?: readonly number[];
  /** Filter expressions in the source's language (trace.dat: trace-cmd `-F`). */
  filters?: readonly string[];
}

function globRe(g: string): RegExp {
  return new RegExp(
    '^' +
      g
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
}

/** Whether anything is selected. */
export function selects(s: Selection): boolean {
  return (
    s.fromNs !== undefined ||
    s.toNs !== undefined ||
    !!s.events?.length ||
    !!s.pids?.length ||
    !!s.comms?.length ||
    !!s.cpus?.length ||
    !!s.filters?.length
  );
}

/** One test under the stack-trace rule: its own "passed before on this CPU" flags. */
class StackRule {
  private passed = new Uint8Array(8);
  constructor(private readonly isStack: Uint8Array) {}
  apply(ok: boolean, e: StreamEvent): boolean {
    const cpu = e.cpu;
    if (cpu < 0) return ok;
    if (cpu >= this.passed.length) {
      const n = new Uint8Array(Math.max(cpu + 1, this.passed.length * 2));
      n.set(this.passed);
      this.passed = n;
    }
    if (!ok && !(e.classId >= 0 && this.isStack[e.classId] === 1 && this.passed[cpu] === 1)) return false;
    this.passed[cpu] = 1;
    return true;
  }
}

export class SelectSource implements EventSource {
  readonly meta: SourceMeta;
  readonly classes: readonly EventClass[];
  readonly line?: (loc: number, ts: number, cpu: number) => string;
  readonly compileFilter?: (expr: string) => (loc: number, ts: number, cpu: number) => boolean;
  /** A fresh test (its stack-trace and filter state new) for each read. */
  private readonly makeTest: () => (e: StreamEvent) => boolean;
  private readonly pids: Set<number>;
  private readonly comms: ReadonlySet<string>;
  private readonly pidFields: Array<StreamField[] | undefined>;
  private commsDone = false;

  /**
   * Throws (one line naming the source) for filters on a source without filter expressions, or a
   * bad expression. `warn` gets one line for an event name that matches no class.
   */
  constructor(
    readonly inner: EventSource,
    sel: Selection,
    private readonly warn: (msg: string) => void = () => {},
  ) {
    this.meta = inner.meta;
    this.classes = inner.classes;
    if (inner.line) this.line = (loc, ts, cpu) => inner.line!(loc, ts, cpu);
    if (inner.compileFilter) this.compileFilter = (expr) => inner.compileFilter!(expr);
    const isStack = new Uint8Array(inner.classes.length);
    for (const c of inner.classes)
      if ((c.system === 'ftrace' || c.system === '') && (c.name === 'kernel_stack' || c.name === 'user_stack')) isStack[c.id] = 1;
    const what = `${inner.meta.name} (${inner.meta.format})`;
    const filters = sel.filters ?? [];
    const compile = inner.compileFilter?.bind(inner);
    if (filters.length) {
      if (!compile) throw new Error(`${what}: this source has no filter expressions (-F): select with the other options`);
      for (const f of filters) {
        try {
          compile(f);
        } catch (e) {
          throw new Error(`${what}: -F '${f}': ${(e as Error).message}`);
        }
      }
    }
    let ids: Uint8Array | undefined;
    if (sel.events?.length) {
      ids = new Uint8Array(inner.classes.length);
      for (const name of sel.events) {
        const colon = name.indexOf(':');
        const sre = colon >= 0 ? globRe(name.slice(0, colon)) : undefined;
        const nre = globRe(colon >= 0 ? name.slice(colon + 1) : name);
        let n = 0;
        for (const c of inner.classes) {
          // "sched" alone names a system (every event of it), as trace-cmd -e does
          const hit = sre ? sre.test(c.system) && nre.test(c.name) : nre.test(c.name) || nre.test(c.system);
          if (hit) {
            ids[c.id] = 1;
            n++;
          }
        }
        if (!n) warn(`--events: no event matches '${name}'`);
      }
    }
    this.comms = new Set(sel.comms ?? []);
    this.pids = new Set(sel.pids ?? []);
    // per class, its pid / next_pid fields (trace-cmd report --pid)
    this.pidFields = inner.classes.map((c) => {
      const fs = c.fields.filter((f) => (f.name === 'pid' || f.name === 'next_pid') && f.kind === 'integer');
      return fs.length ? fs : undefined;
    });
    const byTask = !!(sel.pids?.length || sel.comms?.length);
    const cpus = sel.cpus?.length ? new Set(sel.cpus) : undefined;
    const from = sel.fromNs,
      to = sel.toNs;
    // below 2^53 a number time is exact and compares with the rounded bound as the bound itself would
    const fromN = from === undefined ? -Infinity : Number(from),
      toN = to === undefined ? Infinity : Number(to);
    const timed = from !== undefined || to !== undefined;
    this.makeTest = () => {
      const ruled: Array<{ rule: StackRule; test: (e: StreamEvent) => boolean }> = [];
      if (filters.length) {
        const preds = filters.map((f) => compile!(f));
        ruled.push({
          rule: new StackRule(isStack),
          test: (e) => {
            // every predicate sees every event: each keeps its own stack-trace state
            let ok = false;
            for (const p of preds) if (p(e.loc, e.ts, e.cpu)) ok = true;
            return ok;
          },
        });
      }
      if (ids) {
        const has = ids;
        ruled.push({ rule: new StackRule(isStack), test: (e) => e.classId >= 0 && has[e.classId] === 1 });
      }
      if (byTask) {
        const pids = this.pids,
          pidFields = this.pidFields;
        ruled.push({
          rule: new StackRule(isStack),
          test: (e) => {
            if (pids.has(e.pid)) return true;
            const fs = e.classId >= 0 ? pidFields[e.classId] : undefined;
            // as a signed 32-bit value, as trace-cmd reads it
            if (fs) for (const f of fs) if (pids.has(e.fields.int(f) | 0)) return true;
            return false;
          },
        });
      }
      return (e) => {
        let ok = true;
        for (const r of ruled) if (!r.rule.apply(r.test(e), e)) ok = false;
        if (!ok) return false;
        if (cpus && !cpus.has(e.cpu)) return false;
        if (timed) {
          if (e.tsBig !== undefined) return (from === undefined || e.tsBig >= from) && (to === undefined || e.tsBig <= to);
          return e.ts >= fromN && e.ts <= toN;
        }
        return true;
      };
    };
  }

  /**
   * `comms` as pids: a first pass collects every task id the events name (their task, pid and
   * next_pid fields), then the source's `commOf` (complete once it has seen every event: a CTF's
   * or a text's names are learned while reading) names them.
   */
  private async resolveComms(options: Partial<ReadOptions> | undefined): Promise<void> {
    const seen = new Set<number>();
    const pidFields = this.pidFields;
    await this.inner.read(
      {
        event: (e) => {
          if (e.pid >= 0) seen.add(e.pid);
          const fs = e.classId >= 0 ? pidFields[e.classId] : undefined;
          if (fs) for (const f of fs) seen.add(e.fields.int(f) | 0);
        },
      },
      { signal: options?.signal },
    );
    const found = new Set<string>();
    for (const p of seen) {
      const c = this.inner.commOf(p);
      if (c !== undefined && this.comms.has(c)) {
        this.pids.add(p);
        found.add(c);
      }
    }
    for (const c of this.comms) if (!found.has(c)) this.warn(`--comm: no task named ${c} in ${this.inner.meta.name}`);
  }

  async read(sink: EventSink, options?: Partial<ReadOptions>): Promise<void> {
    if (this.comms.size && !this.commsDone) {
      await this.resolveComms(options);
      this.commsDone = true;
    }
    const test = this.makeTest();
    const pending: LostEvents[] = [];
    const inner: EventSink = {
      event: (e) => {
        const ok = test(e);
        if (pending.length) {
          for (let i = 0; i < pending.length; ) {
            const l = pending[i]!;
            if (l.cpu === e.cpu && l.buffer === e.buffer) {
              if (ok) sink.lost?.(l);
              pending.splice(i, 1);
            } else i++;
          }
        }
        return ok ? sink.event(e) : undefined;
      },
    };
    if (sink.expect) inner.expect = (n) => sink.expect!(n);
    if (sink.lost) inner.lost = (l) => void pending.push({ ts: l.ts, cpu: l.cpu, buffer: l.buffer, count: l.count });
    await this.inner.read(inner, options);
  }

  record(loc: number, ts: number, cpu: number): TraceRecord | undefined {
    return this.inner.record(loc, ts, cpu);
  }
  values(loc: number, classId: number): Array<{ name: string; value: FieldValue }> {
    return this.inner.values(loc, classId);
  }
  info(loc: number, classId: number, ts: number, cpu: number): string {
    return this.inner.info(loc, classId, ts, cpu);
  }
  commOf(pid: number): string | undefined {
    return this.inner.commOf(pid);
  }
}
