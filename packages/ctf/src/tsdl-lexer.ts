/** Tokens of TSDL (CTF 1.8 metadata): identifiers, numbers, strings, punctuation. */
import { CtfError, CtfErrorCode } from './errors.js';

export const enum Tok {
  Ident,
  Number,
  String,
  Punct,
  End,
}
export interface Token {
  t: Tok;
  v: string;
  line: number;
}

const PUNCT = [':=', '...', '<', '>', '{', '}', '[', ']', '(', ')', ';', ',', '=', ':', '.', '+', '-', '*'];

/** Splits TSDL text into tokens (comments dropped). */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0,
    line = 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0) {
      i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      // /* */
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) line++;
      i = end;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      // //
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if ((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || (d >= 48 && d <= 57)) j++;
        else break;
      }
      out.push({ t: Tok.Ident, v: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      if (c === 48 && (text[j] === 'x' || text[j] === 'X')) {
        j++;
        while (j < n && /[0-9a-fA-F]/.test(text[j]!)) j++;
      } else while (j < n && /[0-9]/.test(text[j]!)) j++;
      while (j < n && /[uUlL]/.test(text[j]!)) j++;
      out.push({ t: Tok.Number, v: text.slice(i, j).replace(/[uUlL]+$/, ''), line });
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      // "string" or 'c'
      let j = i + 1,
        s = '';
      while (j < n && text.charCodeAt(j) !== c) {
        if (text[j] === '\\' && j + 1 < n) {
          const e = text[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
          j += 2;
        } else s += text[j++];
      }
      if (j >= n) throw new CtfError(CtfErrorCode.BadMetadata, 'Unterminated string in metadata', { context: { line } });
      out.push({ t: c === 34 ? Tok.String : Tok.Number, v: c === 34 ? s : String(s.charCodeAt(0) || 0), line });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((x) => text.startsWith(x, i));
    if (!p) throw new CtfError(CtfErrorCode.BadMetadata, `Unexpected character '${text[i]}' in metadata`, { context: { line } });
    out.push({ t: Tok.Punct, v: p, line });
    i += p.length;
  }
  out.push({ t: Tok.End, v: '', line });
  return out;
}
