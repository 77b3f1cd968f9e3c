/**
 * The tokenizer libtraceevent's filter parser uses (its print-fmt tokenizer plus the `=~` / `!~`
 * merge): items are runs of [A-Za-z0-9_], quotes keep backslashes verbatim and adjacent
 * double-quoted strings are concatenated, operators are one character or the doubled / `=`
 * forms (`&&`, `||`, `<<`, `>>=`, `<=`, `==`, `!=`, `->`, …), delimiters are `( ) ,`.
 * A non-printable character ends the input.
 */

export type FilterTokenType = 'item' | 'squote' | 'dquote' | 'op' | 'delim' | 'none';

export interface FilterToken {
  type: FilterTokenType;
  text: string;
  /** Offset of the token's first character in the input. */
  pos: number;
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isPrint = (c: number): boolean => c >= 32 && c < 127;

type CharType = 'newline' | 'space' | 'item' | 'squote' | 'dquote' | 'none' | 'delim' | 'op';

function charType(c: number): CharType {
  if (c === 10) return 'newline';
  if (isSpace(c)) return 'space';
  if (isAlnum(c) || c === 95) return 'item';
  if (c === 39) return 'squote';
  if (c === 34) return 'dquote';
  if (!isPrint(c)) return 'none';
  if (c === 40 || c === 41 || c === 44) return 'delim';
  return 'op';
}

export class FilterTokenizer {
  private readonly s: string;
  /** Read position (libtraceevent's input_buf_ptr). */
  pos = 0;

  constructor(text: string) {
    this.s = text;
  }

  private readChar(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos++) : -1;
  }
  private peekChar(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  /** One raw token (spaces and newlines included). */
  private rawToken(): FilterToken {
    const start = this.pos;
    let ch = this.readChar();
    if (ch < 0) return { type: 'none', text: '', pos: start };
    const type = charType(ch);
    if (type === 'none') return { type: 'none', text: '', pos: start };
    let buf = String.fromCharCode(ch);
    switch (type) {
      case 'newline':
        return { type: 'none', text: '', pos: start };
      case 'delim':
        return { type, text: buf, pos: start };
      case 'op': {
        const testEqual = (): FilterToken => {
          if (this.peekChar() === 61) buf += String.fromCharCode(this.readChar());
          return { type: 'op', text: buf, pos: start };
        };
        if (ch === 45 && this.peekChar() === 62) {
          buf += String.fromCharCode(this.readChar());
          return { type: 'op', text: buf, pos: start };
        }
        switch (ch) {
          case 45:
          case 43:
          case 124:
          case 38:
          case 62:
          case 60: {
            // - + | & > <
            const last = ch;
            if (this.peekChar() !== last) return testEqual();
            buf += String.fromCharCode(this.readChar());
            if (last === 62 || last === 60) return testEqual();
            return { type: 'op', text: buf, pos: start };
          }
          case 33:
          case 61: // ! =
            return testEqual();
          default:
            return { type: 'op', text: buf, pos: start };
        }
      }
      case 'squote':
      case 'dquote': {
        const quote = ch;
        let out = '';
        let ended = false;
        for (;;) {
          let last = 0;
          for (;;) {
            last = ch;
            ch = this.readChar();
            if (ch <= 0) break;
            if (ch === 92 && last === 92) last = 0;
            if (!((ch !== quote && isPrint(ch)) || last === 92 || ch === 10)) break;
            out += String.fromCharCode(ch);
          }
          if (ch <= 0) {
            ended = true;
            break;
          }
          if (type !== 'dquote') break;
          const save = this.pos;
          let c2: number;
          do {
            c2 = this.readChar();
          } while (c2 >= 0 && isSpace(c2));
          if (c2 === 34) {
            ch = c2;
            continue;
          }
          this.pos = save;
          break;
        }
        return { type: ended ? 'none' : type, text: out, pos: start };
      }
      default:
        while (charType(this.peekChar()) === type) buf += String.fromCharCode(this.readChar());
        return { type: 'item', text: buf, pos: start };
    }
  }

  /** The next significant token (filter_read_token). */
  next(): FilterToken {
    for (;;) {
      const c = this.peekChar();
      if (c >= 0 && isSpace(c)) {
        this.pos++;
        continue;
      }
      const t = this.rawToken();
      if (t.type === 'op' && (t.text === '=' || t.text === '!') && this.peekChar() === 126) {
        this.pos++;
        return { type: 'op', text: t.text + '~', pos: t.pos };
      }
      return t;
    }
  }
}
