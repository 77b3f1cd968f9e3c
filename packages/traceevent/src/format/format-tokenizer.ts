/**
 * The tokenizer libtraceevent uses for format files and print fmts, rebuilt so that
 * every quirk that changes what parses (and what fails) is kept: string tokens end at
 * the first non-printable character (a TAB ends a string), adjacent "..." strings are
 * concatenated, characters >= 0x7f end the input, operators are greedy only for
 * `->`, `++ -- || && << >>` and a trailing `=`.
 *
 * Text is a "byte string": one char per byte (latin1).
 */

export const TokType = {
  Error: 0,
  None: 1,
  Space: 2,
  Newline: 3,
  Op: 4,
  Delim: 5,
  Item: 6,
  DQuote: 7,
  SQuote: 8,
} as const;
export type TokType = (typeof TokType)[keyof typeof TokType];

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isPrint(c: number): boolean {
  return c >= 32 && c <= 126;
}

function charType(c: number): TokType {
  if (c === 10) return TokType.Newline;
  if (isSpace(c)) return TokType.Space;
  if (isAlnum(c) || c === 95) return TokType.Item;
  if (c === 39) return TokType.SQuote;
  if (c === 34) return TokType.DQuote;
  if (!isPrint(c)) return TokType.None;
  if (c === 40 || c === 41 || c === 44) return TokType.Delim;
  return TokType.Op;
}

/** Token stream over one text. `tok` holds the text of the last token read. */
export class FormatTokenizer {
  private readonly s: string;
  pos: number;
  private readonly end: number;
  tok = '';

  constructor(text: string, start = 0, end = text.length) {
    this.s = text;
    this.pos = start;
    this.end = end;
  }

  private readChar(): number {
    if (this.pos >= this.end) return -1;
    const c = this.s.charCodeAt(this.pos++);
    // C `char` is signed: bytes >= 0x80 read as negative and end the input.
    return c >= 0x80 ? -1 : c;
  }

  private peekChar(): number {
    if (this.pos >= this.end) return -1;
    const c = this.s.charCodeAt(this.pos);
    return c >= 0x80 ? -1 : c;
  }

  /** One raw token (spaces and newlines included). */
  rawToken(): TokType {
    this.tok = '';
    let ch = this.readChar();
    if (ch < 0) return TokType.None;
    let type = charType(ch);
    if (type === TokType.None) return type;
    switch (type) {
      case TokType.Newline:
      case TokType.Delim:
        this.tok = String.fromCharCode(ch);
        return type;
      case TokType.Op: {
        let buf = String.fromCharCode(ch);
        let testEqual = false;
        if (ch === 45 /* - */ && this.peekChar() === 62 /* > */) {
          buf += String.fromCharCode(this.readChar());
        } else if (ch === 45 || ch === 43 || ch === 124 || ch === 38 || ch === 62 || ch === 60) {
          const last = ch;
          if (this.peekChar() !== last) {
            testEqual = true;
          } else {
            buf += String.fromCharCode(this.readChar());
            if (last === 62 || last === 60) testEqual = true;
          }
        } else if (ch === 33 || ch === 61) {
          testEqual = true;
        }
        if (testEqual && this.peekChar() === 61) buf += String.fromCharCode(this.readChar());
        this.tok = buf;
        return type;
      }
      case TokType.DQuote:
      case TokType.SQuote: {
        const quote = ch;
        let last = 0;
        let out = '';
        for (;;) {
          for (;;) {
            last = ch;
            ch = this.readChar();
            out += ch > 0 ? String.fromCharCode(ch) : '\0';
            if (ch === 92 && last === 92) last = 0;
            if (ch <= 0) break;
            if (!((ch !== quote && isPrint(ch)) || last === 92 || ch === 10)) break;
          }
          out = out.slice(0, -1); // drop the char that ended the run
          if (ch <= 0) type = TokType.None;
          if (type === TokType.DQuote) {
            const save = this.pos;
            do {
              ch = this.readChar();
            } while (ch >= 0 && isSpace(ch));
            if (ch === 34) continue;
            this.pos = save;
          }
          break;
        }
        this.tok = out;
        return type;
      }
      default:
        break;
    }
    let buf = String.fromCharCode(ch);
    while (this.peekChar() >= 0 && charType(this.peekChar()) === type) {
      buf += String.fromCharCode(this.readChar());
    }
    this.tok = buf;
    if (type === TokType.Item) {
      // Workarounds libtraceevent applies for old mac80211 formats.
      if (buf === 'LOCAL_PR_FMT') return this.forced('"%s" ');
      if (buf === 'STA_PR_FMT') return this.forced('" sta:%pM" ');
      if (buf === 'VIF_PR_FMT') return this.forced('" vif:%p(%d)" ');
    }
    return type;
  }

  private forced(text: string): TokType {
    const t = new FormatTokenizer(text);
    const type = t.rawToken();
    this.tok = t.tok;
    return type;
  }

  /** Next token, skipping spaces (newlines are returned). */
  token(): TokType {
    for (;;) {
      const t = this.rawToken();
      if (t !== TokType.Space) return t;
    }
  }

  /** Next token, skipping spaces and newlines. */
  tokenItem(): TokType {
    for (;;) {
      const t = this.rawToken();
      if (t !== TokType.Space && t !== TokType.Newline) return t;
    }
  }
}
