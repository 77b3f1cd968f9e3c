/**
 * Parser for `events/SYSTEM/EVENT/format` files, following libtraceevent 1.7.1's
 * `parse_format` token by token (so that the same inputs succeed or fail):
 * `name:`, `ID:`, `format:`, two field lists, then `print fmt:` (parsed separately,
 * see print-fmt-parser.ts, starting at `printPos`).
 */
import { UtpError, decodeLatin1 } from '@utp/bytes';
import { FieldFlag } from '../core/types.js';
import type { TepField } from '../core/event-format.js';
import { FormatTokenizer, TokType } from './format-tokenizer.js';
import { strtoulNum } from '../core/c-number.js';

export const FormatErrorCode = {
  BadName: 'TRACEEVENT_FORMAT_BAD_NAME',
  BadId: 'TRACEEVENT_FORMAT_BAD_ID',
} as const;

export interface ParsedFormat {
  name: string;
  id: number;
  commonFields: TepField[];
  fields: TepField[];
  /** The field lists could not be read completely (the event is FAILED). */
  formatFailed: boolean;
  /** Offset in the text where `print fmt` parsing continues (-1 if the field lists failed). */
  printPos: number;
  /** Text after `print fmt: ` up to the end of that line. */
  printFmtText: string;
}

function typeSize(name: string): number {
  switch (name) {
    case 'u8':
    case 's8':
    case 'char':
      return 1;
    case 'u16':
    case 's16':
      return 2;
    case 'u32':
    case 's32':
      return 4;
    case 'u64':
    case 's64':
      return 8;
    default:
      return 0;
  }
}

class FieldsFailed extends Error {}
function tokOf(t: FormatTokenizer): string {
  return t.tok;
}

/** The `name:` and `ID:` of a format file (throws when they cannot be read). */
const PLAIN_HEAD = /^name: ([A-Za-z0-9_]+)\nID: ([1-9][0-9]{0,8})\n/;

/**
 * PLAIN_HEAD on the bytes of a format file: its name and ID when the file starts with the usual
 * two lines, else undefined (then the text is decoded and read with parseFormatHead).
 */
export function plainHeadOfBytes(b: Uint8Array): { name: string; id: number } | undefined {
  // "name: "
  if (b.length < 12 || b[0] !== 110 || b[1] !== 97 || b[2] !== 109 || b[3] !== 101 || b[4] !== 58 || b[5] !== 32) return undefined;
  const nl = b.indexOf(10, 6);
  if (nl <= 6 || nl > 262) return undefined;
  for (let k = 6; k < nl; k++) {
    const c = b[k]!;
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return undefined;
  }
  const name = decodeLatin1(b, 6, nl);
  let i = nl + 1;
  // "ID: " then 1-9 digits, the first not 0
  if (b[i] !== 73 || b[i + 1] !== 68 || b[i + 2] !== 58 || b[i + 3] !== 32) return undefined;
  i += 4;
  if (!(b[i]! >= 49 && b[i]! <= 57)) return undefined;
  let id = 0;
  let digits = 0;
  for (; i < b.length && b[i]! >= 48 && b[i]! <= 57; i++, digits++) id = id * 10 + (b[i]! - 48);
  if (digits > 9 || b[i] !== 10) return undefined;
  return { name, id };
}

export function parseFormatHead(text: string, system: string): { name: string; id: number } {
  // the usual layout, where the tokenizer could only read these two tokens
  const m = PLAIN_HEAD.exec(text);
  if (m) return { name: m[1]!, id: Number(m[2]) };
  const t = new FormatTokenizer(text);
  if (!is(t, TokType.Item, 'name') || !is(t, TokType.Op, ':') || !is(t, TokType.Item)) {
    throw new UtpError(FormatErrorCode.BadName, 'Cannot read the event name of a format file', { context: { system } });
  }
  const name = tokOf(t);
  if (!isItem(t, TokType.Item, 'ID') || !is(t, TokType.Op, ':') || !is(t, TokType.Item)) {
    throw new UtpError(FormatErrorCode.BadId, 'Cannot read the event id of a format file', { context: { system, name } });
  }
  return { name, id: strtoulNum(tokOf(t)) };
}

/** Parses a format file. Throws only when the name or id cannot be read (libtraceevent drops such events). */
export function parseFormatText(text: string, system: string, longSize: number): ParsedFormat {
  const t = new FormatTokenizer(text);
  const isFtrace = system === 'ftrace';
  // name: NAME
  if (!is(t, TokType.Item, 'name') || !is(t, TokType.Op, ':') || !is(t, TokType.Item)) {
    throw new UtpError(FormatErrorCode.BadName, 'Cannot read the event name of a format file', { context: { system } });
  }
  const name = tokOf(t);
  if (!isItem(t, TokType.Item, 'ID') || !is(t, TokType.Op, ':') || !is(t, TokType.Item)) {
    throw new UtpError(FormatErrorCode.BadId, 'Cannot read the event id of a format file', { context: { system, name } });
  }
  const id = strtoulNum(tokOf(t));
  const result: ParsedFormat = { name, id, commonFields: [], fields: [], formatFailed: false, printPos: -1, printFmtText: '' };
  const pm = /print fmt: ?([^\n]*)/.exec(text);
  if (pm) result.printFmtText = pm[1]!;
  try {
    if (!isItem(t, TokType.Item, 'format') || !is(t, TokType.Op, ':') || !is(t, TokType.Newline)) {
      throw new FieldsFailed();
    }
    readFields(t, isFtrace, longSize, result.commonFields);
    readFields(t, isFtrace, longSize, result.fields);
    result.printPos = t.pos;
  } catch (e) {
    if (!(e instanceof FieldsFailed)) throw e;
    result.formatFailed = true;
  }
  return result;
}

function is(t: FormatTokenizer, type: TokType, text?: string): boolean {
  const got = t.token();
  return got === type && (text === undefined || tokOf(t) === text);
}
function isItem(t: FormatTokenizer, type: TokType, text?: string): boolean {
  const got = t.tokenItem();
  return got === type && (text === undefined || tokOf(t) === text);
}

function expect(t: FormatTokenizer, type: TokType, text?: string): void {
  const got = t.token();
  if (got !== type || (text !== undefined && tokOf(t) !== text)) throw new FieldsFailed();
}

function readFields(t: FormatTokenizer, isFtrace: boolean, longSize: number, out: TepField[]): void {
  for (;;) {
    let type = t.token() as TokType;
    if (type === TokType.Newline) return;
    if (!(type === TokType.Item && tokOf(t) === 'field')) throw new FieldsFailed();
    type = t.token();
    if (isFtrace && type === TokType.Item && tokOf(t) === 'special') type = t.token();
    if (!(type === TokType.Op && tokOf(t) === ':')) throw new FieldsFailed();
    if (t.token() !== TokType.Item) throw new FieldsFailed();
    let last = tokOf(t);
    let ftype: string | undefined;
    let flags = 0;
    let delim = ' ';
    for (;;) {
      type = t.token();
      const tok = tokOf(t);
      if (type === TokType.Item || (type === TokType.Op && tok === '*') || (isFtrace && type === TokType.Op && tok === '.')) {
        if (tok === '*') flags |= FieldFlag.Pointer;
        ftype = ftype === undefined ? last : ftype + delim + last;
        last = tok;
        delim = ' ';
        continue;
      }
      if (type === TokType.Delim && last === '__attribute__' && tok === '(') {
        // __attribute__((user)) is kept in the type text
        ftype = (ftype === undefined ? '' : ftype) + ' ' + last + '(';
        delim = ' ';
        let depth = 1;
        for (;;) {
          type = t.token();
          if (type === TokType.None) break;
          if (type === TokType.Delim) {
            if (tokOf(t) === '(') depth++;
            else if (tokOf(t) === ')') depth--;
            if (!depth) break;
            ftype += tokOf(t);
            delim = '';
          } else {
            ftype += delim + tokOf(t);
            delim = ' ';
          }
          last = tokOf(t);
        }
        continue;
      }
      break;
    }
    if (ftype === undefined) throw new FieldsFailed();
    let fname = last;
    if (type !== TokType.Op) throw new FieldsFailed();
    let arraylen = 0;
    let sizeDynamic = 0;
    let ctype = ftype;
    let contractType = ftype;
    if (tokOf(t) === '[') {
      flags |= FieldFlag.Array;
      let lastType: TokType = type;
      let brackets = '[';
      type = t.token();
      arraylen = type === TokType.Item ? strtoulNum(tokOf(t)) : 0;
      while (tokOf(t) !== ']') {
        const d = lastType === TokType.Item && type === TokType.Item ? ' ' : '';
        lastType = type;
        brackets += d + tokOf(t);
        arraylen = strtoulNum(tokOf(t));
        type = t.token();
        if (type === TokType.None) throw new FieldsFailed();
      }
      brackets += ']';
      type = t.token();
      if (type === TokType.Item) {
        // "type [] name" form (dynamic arrays)
        ctype = ftype + ' ' + fname + brackets;
        contractType = ctype;
        sizeDynamic = typeSize(fname);
        fname = tokOf(t);
        type = t.token();
      } else {
        ctype = ftype + brackets;
      }
    }
    if (flags & FieldFlag.Array && (ctype.includes('char') || ctype.includes('u8') || ctype.includes('s8'))) flags |= FieldFlag.String;
    if (ctype.startsWith('__data_loc')) flags |= FieldFlag.Dynamic;
    if (ctype.startsWith('__rel_loc')) flags |= FieldFlag.Dynamic | FieldFlag.Relative;
    if (ctype.includes('long')) flags |= FieldFlag.Long;
    if (!(type === TokType.Op && tokOf(t) === ';')) throw new FieldsFailed();
    expect(t, TokType.Item, 'offset');
    expect(t, TokType.Op, ':');
    expect(t, TokType.Item);
    const offset = strtoulNum(tokOf(t));
    expect(t, TokType.Op, ';');
    expect(t, TokType.Item, 'size');
    expect(t, TokType.Op, ':');
    expect(t, TokType.Item);
    const size = strtoulNum(tokOf(t));
    if (flags & FieldFlag.Dynamic && size === 2) flags |= FieldFlag.String | FieldFlag.Array;
    expect(t, TokType.Op, ';');
    type = t.token();
    if (type !== TokType.Newline) {
      if (!(type === TokType.Item && tokOf(t) === 'signed')) throw new FieldsFailed();
      expect(t, TokType.Op, ':');
      expect(t, TokType.Item);
      if (strtoulNum(tokOf(t))) flags |= FieldFlag.Signed;
      expect(t, TokType.Op, ';');
      expect(t, TokType.Newline);
    }
    let elementsize: number;
    if (flags & (FieldFlag.Array | FieldFlag.Dynamic)) {
      if (arraylen) elementsize = Math.trunc(size / arraylen);
      else if (flags & FieldFlag.Dynamic) elementsize = sizeDynamic;
      else if (flags & FieldFlag.String) elementsize = 1;
      else if (flags & FieldFlag.Long) elementsize = longSize;
      else elementsize = 0;
    } else elementsize = size;
    out.push({ name: fname, type: contractType, ctype, offset, size, flags, arraylen, elementsize });
  }
}
