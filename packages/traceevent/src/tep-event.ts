/**
 * TepEvent: the engine's EventFormat. Parses its print fmt lazily (the first time it is
 * printed or `failed` is asked, so plugin print functions registered after the format
 * was added are still known), compiles it once into closures, and prints the info
 * column in the three modes.
 */
import type { TraceRecord } from './types.js';
import type { EventFormat, TepField } from './event-format.js';
import { EventFlag } from './event-format.js';
import type { ParsedFormat } from './format-parser.js';
import { PrintArg, parsePrintFmt, type ParserContext, type ParserFunction } from './print-fmt-parser.js';
import { ArgCompiler, type EvalHost } from './print-eval.js';
import { buildSegments, compileSegments, runSegments, compileFieldsRaw, bprintArgs, type SegmentList } from './print-compiler.js';
import { readNumberBig } from './record-data.js';

/** What a TepEvent needs from its Tep. */
export interface EventHost extends EvalHost {
  findParserFunction(name: string): ParserFunction | undefined;
}

export class TepEvent implements EventFormat, ParserContext {
  readonly id: number;
  readonly system: string;
  readonly name: string;
  readonly commonFields: TepField[];
  readonly fields: TepField[];
  readonly printFmt: string;
  /** EventFlag bits. */
  flags = 0;
  /** The print format string (after escapes are kept as written). */
  format = '';
  args: PrintArg[] = [];
  private parsed = false;
  private list: SegmentList | null = null;
  private compiler: ArgCompiler | null = null;
  private readonly byName = new Map<string, TepField>();

  constructor(
    private readonly host: EventHost,
    p: ParsedFormat,
    system: string,
    private readonly text: string,
    private readonly printPos: number,
  ) {
    this.id = p.id;
    this.system = system;
    this.name = p.name;
    this.commonFields = p.commonFields;
    this.fields = p.fields;
    this.printFmt = p.printFmtText;
    if (system === 'ftrace') {
      this.flags |= EventFlag.IsFtrace;
      if (p.name === 'bprint') this.flags |= EventFlag.IsBprint;
    }
    if (p.formatFailed) { this.flags |= EventFlag.Failed; this.parsed = true; }
    for (const f of this.commonFields) if (!this.byName.has(f.name)) this.byName.set(f.name, f);
    for (const f of this.fields) this.byName.set(f.name, f);
  }

  get longSize(): number { return this.host.longSize; }
  /** The format file text this event was parsed from. */
  get formatText(): string { return this.text; }
  findFunction(name: string): ParserFunction | undefined { return this.host.findParserFunction(name); }

  get failed(): boolean {
    this.ensureParsed();
    return (this.flags & EventFlag.Failed) !== 0;
  }

  field(name: string): TepField | undefined { return this.byName.get(name); }

  /** Forgets the parse (after a plugin print function was registered). */
  reset(): void {
    if (this.printPos < 0) return;
    this.parsed = false;
    this.flags &= ~EventFlag.Failed;
    this.list = null;
    this.compiler = null;
    this.args = [];
    this.prettyFn = null;
    this.rawFn = null;
  }

  ensureParsed(): void {
    if (this.parsed) return;
    this.parsed = true;
    const res = parsePrintFmt(this.text, this.printPos, this);
    this.format = res.format;
    this.args = res.args;
    if (res.failed) { this.flags |= EventFlag.Failed; return; }
    if (this.args.length === 0 && (this.flags & EventFlag.IsFtrace)) {
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
    if (list && list.segs.length && !list.segs[0]!.run) compileSegments(this.compiler, list);
    return list;
  }

  private prettyFn: ((r: TraceRecord) => string) | null = null;
  private rawFn: ((r: TraceRecord) => string) | null = null;

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
    let format: string;
    let args: PrintArg[] = [];
    const bf = this.bprintFields;
    if (!bf) {
      return '';
    }
    const [buf, ip, fmtField] = bf;
    const addr = readNumberBig(r, fmtField.offset, fmtField.size, le);
    const p = this.host.printk.find(addr);
    format = p === undefined ? `%ps: (NO FORMAT FOUND at ${addr.toString(16)})\n` : '%ps: ' + p;
    const ipv = readNumberBig(r, ip.offset, ip.size, le);
    args = bprintArgs(format, r, ipv, buf.offset, le, this.host.longSize);
    const list = buildSegments(format, args);
    // libtraceevent flags the whole event FAILED when a trace_printk format lacks an
    // argument: this record still prints, all later ones print [FAILED TO PARSE]
    if (list.failed) { this.flags |= EventFlag.Failed; this.prettyFn = null; }
    compileSegments(this.compiler!, list);
    return runSegments(list.segs, r);
  }
}
