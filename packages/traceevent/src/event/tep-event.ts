/**
 * TepEvent: the engine's EventFormat. Parses its print fmt lazily (the first time it is
 * printed or `failed` is asked, so plugin print functions registered after the format
 * was added are still known), compiles it once into closures, and prints the info
 * column in the three modes.
 */
import type { TraceRecord } from '../core/types.js';
import type { EventFormat, TepField } from '../core/event-format.js';
import { EventFlag } from '../core/event-format.js';
import { parseFormatText, type ParsedFormat } from '../format/format-parser.js';
import { PrintArg, parsePrintFmt, type ParserFunction } from '../print/parse/print-fmt-parser.js';
import type { ParserContext } from '../print/parse/context.js';
import { ArgCompiler } from '../print/eval/print-eval.js';
import type { EvalHost } from '../print/eval/eval-types.js';
import {
  buildSegments,
  compileSegments,
  runSegments,
  compileFieldsRaw,
  compileSegmentsStripped,
  stripOneNewline,
  bprintArgs,
  type SegmentList,
} from '../print/emit/print-compiler.js';
import { readNumberBig } from '../core/record-data.js';
import type { OutBuffer } from '../core/out-buffer.js';
import { compileEmitSegments, chainEmitters, emitString, type EmitFn } from '../print/emit/print-emit.js';
import { compileEmitFieldsRaw } from '../print/emit/raw-emit.js';
import { compilePlan } from '../print/emit/print-plan.js';

/** What a TepEvent needs from its Tep. */
export interface EventHost extends EvalHost {
  /** May print formats be compiled to JavaScript source (see Tep.codegen)? */
  readonly codegen: boolean;
  findParserFunction(name: string): ParserFunction | undefined;
  /** Told when an event's field lists cannot be read. */
  onFormatFailed?(ev: TepEvent): void;
}

export class TepEvent implements EventFormat, ParserContext {
  readonly id: number;
  readonly system: string;
  readonly name: string;
  /** EventFlag bits. */
  flags = 0;
  /** The print format string (after escapes are kept as written). */
  format = '';
  args: PrintArg[] = [];
  private parsed = false;
  private list: SegmentList | null = null;
  private compiler: ArgCompiler | null = null;
  private byNameMap: Map<string, TepField> | null = null;
  /** The field lists are parsed on first use (most events of a trace never occur). */
  private layout: ParsedFormat | null = null;

  constructor(
    private readonly host: EventHost,
    head: { id: number; name: string },
    system: string,
    text: string | (() => string),
  ) {
    if (typeof text === 'string') this.#text = text;
    else this.#getText = text;
    this.id = head.id;
    this.system = system;
    this.name = head.name;
    if (system === 'ftrace') {
      this.flags |= EventFlag.IsFtrace;
      if (head.name === 'bprint') this.flags |= EventFlag.IsBprint;
    }
  }

  #text: string | undefined = undefined;
  #getText: (() => string) | undefined = undefined;
  /** The format file's text (decoded on first use when it was given as a thunk). */
  private get text(): string {
    let t = this.#text;
    if (t === undefined) {
      t = this.#text = this.#getText!();
      this.#getText = undefined;
    }
    return t;
  }

  private get p(): ParsedFormat {
    let p = this.layout;
    if (!p) {
      p = this.layout = parseFormatText(this.text, this.system, this.host.longSize);
      if (p.formatFailed) {
        this.flags |= EventFlag.Failed;
        this.parsed = true;
        this.host.onFormatFailed?.(this);
      }
    }
    return p;
  }

  get commonFields(): TepField[] {
    return this.p.commonFields;
  }
  get fields(): TepField[] {
    return this.p.fields;
  }
  get printFmt(): string {
    return this.p.printFmtText;
  }
  private get printPos(): number {
    return this.p.printPos;
  }

  private get byName(): Map<string, TepField> {
    let m = this.byNameMap;
    if (!m) {
      m = this.byNameMap = new Map<string, TepField>();
      for (const f of this.commonFields) if (!m.has(f.name)) m.set(f.name, f);
      for (const f of this.fields) m.set(f.name, f);
    }
    return m;
  }

  get longSize(): number {
    return this.host.longSize;
  }
  /** The format file text this event was parsed from. */
  get formatText(): string {
    return this.text;
  }
  findFunction(name: string): ParserFunction | undefined {
    return this.host.findParserFunction(name);
  }

  get failed(): boolean {
    this.ensureParsed();
    return (this.flags & EventFlag.Failed) !== 0;
  }

  field(name: string): TepField | undefined {
    return this.byName.get(name);
  }

  /** Forgets the parse (after a plugin print function was registered). */
  reset(): void {
    if (!this.layout || this.printPos < 0) return;
    this.parsed = false;
    this.flags &= ~EventFlag.Failed;
    this.list = null;
    this.compiler = null;
    this.args = [];
    this.prettyFn = null;
    this.rawFn = null;
    this.prettyInfoFn = null;
    this.rawInfoFn = null;
    this.prettyEmit = null;
    this.rawEmit = null;
  }

  ensureParsed(): void {
    if (this.parsed) return;
    const pos = this.printPos; // parses the field lists (may flag FAILED)
    if (this.parsed) return;
    this.parsed = true;
    const res = parsePrintFmt(this.text, pos, this);
    this.format = res.format;
    this.args = res.args;
    if (res.failed) {
      this.flags |= EventFlag.Failed;
      return;
    }
    if (this.args.length === 0 && this.flags & EventFlag.IsFtrace) {
      // old ftrace formats had no arguments: every field is one
      for (const f of this.fields) {
        const a = new PrintArg();
        a.kind = 'field';
        a.fieldName = f.name;
        a.field = f;
        this.args.push(a);
      }
    }
    if (!(this.flags & EventFlag.IsBprint)) {
      this.list = buildSegments(this.format, this.args);
      if (this.list.failed) this.flags |= EventFlag.Failed;
    }
  }

  private ensureCompiled(): SegmentList | null {
    this.ensureParsed();
    if (!this.compiler) this.compiler = new ArgCompiler(this.host, this);
    const list = this.list;
    if (list?.segs.length && !list.segs[0]!.run) compileSegments(this.compiler, list);
    return list;
  }

  private prettyFn: ((r: TraceRecord) => string) | null = null;
  private rawFn: ((r: TraceRecord) => string) | null = null;
  private prettyInfoFn: ((r: TraceRecord) => string) | null = null;
  private rawInfoFn: ((r: TraceRecord) => string) | null = null;

  /** pretty() without the one trailing newline trace-cmd removes (the info column). */
  prettyInfo(r: TraceRecord): string {
    let fn = this.prettyInfoFn;
    if (!fn) {
      const list = this.ensureCompiled();
      if (this.flags & EventFlag.Failed) {
        const raw = compileFieldsRaw(this.fields, null, this.host.littleEndian, true);
        fn = (rec) => '[FAILED TO PARSE]' + raw(rec);
      } else if (this.flags & EventFlag.IsBprint) {
        fn = (rec) => stripOneNewline(this.prettyBprint(rec));
      } else {
        fn = compileSegmentsStripped(list ? list.segs : []);
      }
      this.prettyInfoFn = fn;
    }
    return fn(r);
  }

  private prettyEmit: EmitFn | null = null;
  private rawEmit: EmitFn | null = null;

  /** The compiled emitter of prettyInfo() (same bytes, written into an OutBuffer). */
  prettyEmitter(): EmitFn {
    let fn = this.prettyEmit;
    if (fn) return fn;
    const list = this.ensureCompiled();
    if (this.flags & (EventFlag.Failed | EventFlag.IsBprint) || !list) {
      // rare: the string path, which also handles bprint's per-record formats and late failures
      fn = emitString((rec) => this.prettyInfo(rec));
    } else {
      const segs = list.segs;
      const body = compilePlan(this.compiler!, segs, this.host.codegen) ?? chainEmitters(compileEmitSegments(this.compiler!, segs));
      const last = segs[segs.length - 1];
      if (last && last.type === 'text' && last.text.length && !last.text.endsWith('\n')) {
        fn = body; // cannot end with a newline
      } else {
        fn = (rec, out) => {
          const start = out.pos;
          body(rec, out);
          if (out.pos > start && out.buf[out.pos - 1] === 10) out.pos--;
        };
      }
    }
    return (this.prettyEmit = fn);
  }

  /** The compiled emitter of rawInfo(). */
  rawEmitter(): EmitFn {
    let fn = this.rawEmit;
    if (fn) return fn;
    const list = this.ensureCompiled();
    const segs = this.flags & EventFlag.Failed || !list ? null : list.segs;
    fn = compileEmitFieldsRaw(this.compiler!, this.fields, segs, this.host.littleEndian);
    return (this.rawEmit = fn);
  }

  /** prettyInfo() written into `o`. */
  emitPrettyInfo(r: TraceRecord, o: OutBuffer): void {
    (this.prettyEmit ?? this.prettyEmitter())(r, o);
  }

  /** rawInfo() written into `o`. */
  emitRawInfo(r: TraceRecord, o: OutBuffer): void {
    (this.rawEmit ?? this.rawEmitter())(r, o);
  }

  /** raw() without the one trailing newline. */
  rawInfo(r: TraceRecord): string {
    let fn = this.rawInfoFn;
    if (!fn) {
      const list = this.ensureCompiled();
      const segs = this.flags & EventFlag.Failed || !list ? null : list.segs;
      fn = this.rawInfoFn = compileFieldsRaw(this.fields, segs, this.host.littleEndian, true);
    }
    return fn(r);
  }

  /** The kernel print fmt rendering (pretty_print), without handlers. */
  pretty(r: TraceRecord): string {
    let fn = this.prettyFn;
    if (!fn) {
      const list = this.ensureCompiled();
      if (this.flags & EventFlag.Failed) {
        const raw = compileFieldsRaw(this.fields, null, this.host.littleEndian);
        fn = (rec) => '[FAILED TO PARSE]' + raw(rec);
      } else if (this.flags & EventFlag.IsBprint) {
        fn = (rec) => this.prettyBprint(rec);
      } else if (list && list.segs.length === 1) {
        const run = list.segs[0]!.run!;
        fn = (rec) => run(rec, -1);
      } else {
        const segs = list ? list.segs : [];
        fn = (rec) => runSegments(segs, rec);
      }
      this.prettyFn = fn;
    }
    return fn(r);
  }

  /** tep_print_fields: ` name=value` per event field. */
  raw(r: TraceRecord): string {
    let fn = this.rawFn;
    if (!fn) {
      const list = this.ensureCompiled();
      const segs = this.flags & EventFlag.Failed || !list ? null : list.segs;
      fn = this.rawFn = compileFieldsRaw(this.fields, segs, this.host.littleEndian);
    }
    return fn(r);
  }

  private bprintFields: [TepField, TepField, TepField] | null | undefined;

  private prettyBprint(r: TraceRecord): string {
    if (this.bprintFields === undefined) {
      const buf = this.fields.find((f) => f.name === 'buf');
      const ip = this.fields.find((f) => f.name === 'ip');
      const fmt = this.fields.find((f) => f.name === 'fmt');
      this.bprintFields = buf && ip && fmt ? [buf, ip, fmt] : null;
    }
    const le = this.host.littleEndian;
    const bf = this.bprintFields;
    if (!bf) {
      return '';
    }
    const [buf, ip, fmtField] = bf;
    const addr = readNumberBig(r, fmtField.offset, fmtField.size, le);
    const p = this.host.printk.find(addr);
    const format = p === undefined ? `%ps: (NO FORMAT FOUND at ${addr.toString(16)})\n` : '%ps: ' + p;
    const ipv = readNumberBig(r, ip.offset, ip.size, le);
    const args = bprintArgs(format, r, ipv, buf.offset, le, this.host.longSize);
    const list = buildSegments(format, args);
    // libtraceevent flags the whole event FAILED when a trace_printk format lacks an
    // argument: this record still prints, all later ones print [FAILED TO PARSE]
    if (list.failed) {
      this.flags |= EventFlag.Failed;
      this.prettyFn = null;
      this.prettyInfoFn = null;
    }
    compileSegments(this.compiler!, list);
    return runSegments(list.segs, r);
  }
}
