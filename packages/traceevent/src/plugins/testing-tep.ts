/**
 * TEST SUPPORT (not exported from the package): a small Tep built on the format parser,
 * kallsyms and cmdline tables, used by the plugin and filter tests (and ad-hoc comparisons)
 * independently of the print engine. `formatInfo` returns the plugin handler's text; the
 * event's own print fmt is represented by `pretty(record, event)` (default `<pretty>`).
 */
import { Tep, type EventHandler, type PrintFunction, type PrintMode } from '../tep/tep.js';
import type { FunctionSymbol } from '../core/types.js';
import type { Field, TraceRecord } from '../core/types.js';
import { FieldFlag } from '../core/types.js';
import type { EventFormat } from '../core/event-format.js';
import { parseFormatText } from '../format/format-parser.js';
import { KallsymsTable } from '../symbols/kallsyms.js';
import { CmdlineTable } from '../symbols/cmdlines.js';
import { boundedCString, dynamicOffset, readNumberBig } from '../core/record-data.js';

export class TestingTep extends Tep {
  private readonly byId = new Map<number, EventFormat>();
  private readonly list: EventFormat[] = [];
  private readonly syms = new KallsymsTable();
  private readonly comms = new CmdlineTable();
  readonly handlers = new Map<string, EventHandler>();
  readonly printFunctions = new Map<string, PrintFunction>();
  pretty: (record: TraceRecord, event: EventFormat) => string = () => '<pretty>';

  override addEventFormat(text: string, system: string): EventFormat {
    const p = parseFormatText(text, system, this.longSize);
    const all = new Map<string, Field>();
    for (const f of p.commonFields) all.set(f.name, f);
    for (const f of p.fields) all.set(f.name, f);
    const ev: EventFormat = {
      id: p.id,
      system,
      name: p.name,
      commonFields: p.commonFields,
      fields: p.fields,
      printFmt: p.printFmtText,
      failed: false,
      field: (name: string) => all.get(name),
    };
    this.byId.set(ev.id, ev);
    this.list.push(ev);
    return ev;
  }
  override findEventById(id: number): EventFormat | undefined {
    return this.byId.get(id);
  }
  override findEvent(system: string | undefined, name: string): EventFormat | undefined {
    return this.list.find((e) => e.name === name && (system === undefined || e.system === system));
  }
  override get events(): readonly EventFormat[] {
    return this.list;
  }
  override loadKallsyms(text: string): void {
    this.syms.parse(text);
  }
  override loadPrintk(_text: string): void {
    /* not needed */
  }
  override loadCmdlines(text: string): void {
    this.comms.parse(text);
  }
  override registerComm(pid: number, comm: string): void {
    this.comms.register(pid, comm);
  }
  override commOf(pid: number): string {
    return this.comms.comm(pid);
  }
  override findFunction(addr: bigint): FunctionSymbol | undefined {
    return this.syms.find(addr);
  }

  private common(record: TraceRecord, off: number, size: number): number {
    return Number(readNumberBig(record, off, size, this.littleEndian));
  }
  override typeOf(record: TraceRecord): number {
    return record.size < 2 ? -1 : this.common(record, 0, 2);
  }
  override pidOf(record: TraceRecord): number {
    return this.common(record, 4, 4) | 0;
  }
  override flagsOf(record: TraceRecord): number {
    return this.common(record, 2, 1);
  }
  override preemptCountOf(record: TraceRecord): number {
    return this.common(record, 3, 1);
  }

  override readField(record: TraceRecord, field: Field): bigint {
    return readNumberBig(record, field.offset, field.size, this.littleEndian);
  }
  override readFieldNumber(record: TraceRecord, field: Field): number {
    return Number(this.readField(record, field));
  }
  override readFieldSigned(record: TraceRecord, field: Field): bigint {
    const v = this.readField(record, field);
    return field.flags & FieldFlag.Signed ? BigInt.asIntN(field.size * 8, v) : v;
  }
  override readString(record: TraceRecord, field: Field): string {
    if (field.flags & FieldFlag.Dynamic) {
      const [off, len] = dynamicOffset(record, field, this.littleEndian);
      return boundedCString(record, off, len);
    }
    return boundedCString(record, field.offset, field.size);
  }
  override readBytes(record: TraceRecord, field: Field): Uint8Array {
    if (field.flags & FieldFlag.Dynamic) {
      const [off, len] = dynamicOffset(record, field, this.littleEndian);
      return record.page.subarray(record.offset + off, record.offset + off + len);
    }
    return record.page.subarray(record.offset + field.offset, record.offset + field.offset + field.size);
  }

  override registerEventHandler(system: string | undefined, name: string, handler: EventHandler): void {
    this.handlers.set(`${system ?? ''}:${name}`, handler);
  }
  override registerPrintFunction(fn: PrintFunction): void {
    this.printFunctions.set(fn.name, fn);
  }
  override formatInfo(record: TraceRecord, event: EventFormat, mode?: PrintMode): string {
    const m = mode ?? this.printMode;
    const h = m === 'default' ? this.handlers.get(`${event.system}:${event.name}`) : undefined;
    return h ? h(record, event, this) : this.pretty(record, event);
  }
}

/** Builds a record over `payload` (the bytes from common_type on). */
export function testingRecord(payload: Uint8Array, cpu = 0, ts = 0n): TraceRecord {
  return {
    ts,
    cpu,
    page: payload,
    view: new DataView(payload.buffer, payload.byteOffset, payload.byteLength),
    offset: 0,
    size: payload.length,
    missedEvents: 0,
  };
}
