/**
 * POSIX basic regular expressions (what libtraceevent compiles with regcomp(REG_ICASE|REG_NOSUB)
 * and no REG_EXTENDED) translated to JavaScript RegExp, with the GNU extensions glibc accepts:
 * `\(` `\)` groups, `\{m,n\}`, `\|`, `\+`, `\?`, `\<` `\>` `\b` `\B` `\w` `\W` `\s` `\S`,
 * back-references. `+ ? | ( ) { }` are literal; `*` is literal at the start of an expression;
 * `^` / `$` are anchors only at the start / end of an expression.
 */

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

const jsEscape = (c: string): string => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c);

/** Translates a BRE; throws an Error when the expression does not compile. */
export function breToRegExp(bre: string, flags = 'i'): RegExp {
  let out = '';
  let i = 0;
  const n = bre.length;
  // true where an expression starts (so `*` is literal and `^` is an anchor)
  let atStart = true;
  while (i < n) {
    const c = bre[i]!;
    if (c === '\\') {
      const d = bre[i + 1];
      if (d === undefined) throw new Error('Trailing backslash');
      i += 2;
      switch (d) {
        case '(':
          out += '(';
          atStart = true;
          continue;
        case ')':
          out += ')';
          atStart = false;
          continue;
        case '|':
          out += '|';
          atStart = true;
          continue;
        case '{': {
          const end = bre.indexOf('\\}', i);
          if (end < 0) throw new Error('Unmatched \\{');
          let body = bre.slice(i, end);
          if (!/^\d*(,\d*)?$/.test(body) || body === '' || body === ',') throw new Error('Invalid content of \\{\\}');
          if (body.startsWith(',')) body = '0' + body;
          out += '{' + body + '}';
          i = end + 2;
          atStart = false;
          continue;
        }
        case '}':
          throw new Error('Unmatched \\}');
        case '+':
        case '?':
          out += atStart ? '\\' + d : d;
          atStart = false;
          continue;
        case '<':
          out += '\\b(?=\\w)';
          continue;
        case '>':
          out += '\\b(?<=\\w)';
          continue;
        case 'b':
        case 'B':
        case 'w':
        case 'W':
        case 's':
        case 'S':
          out += '\\' + d;
          atStart = false;
          continue;
        case '`':
          out += '^';
          continue;
        case "'":
          out += '$';
          continue;
        default:
          if (d >= '1' && d <= '9') {
            out += '\\' + d;
            atStart = false;
            continue;
          }
          out += jsEscape(d);
          atStart = false;
          continue;
      }
    }
    if (c === '[') {
      let j = i + 1;
      let set = '[';
      if (bre[j] === '^') {
        set += '^';
        j++;
      }
      if (bre[j] === ']') {
        set += '\\]';
        j++;
      }
      let closed = false;
      while (j < n) {
        const e = bre[j]!;
        if (e === ']') {
          closed = true;
          j++;
          break;
        }
        if (e === '[' && (bre[j + 1] === ':' || bre[j + 1] === '.' || bre[j + 1] === '=')) {
          const kind = bre[j + 1]!;
          const end = bre.indexOf(kind + ']', j + 2);
          if (end < 0) throw new Error('Unmatched [ in bracket expression');
          const name = bre.slice(j + 2, end);
          if (kind === ':') {
            const cls = CLASSES[name];
            if (cls === undefined) throw new Error(`Invalid character class ${name}`);
            set += cls;
          } else {
            set += jsEscape(name);
          }
          j = end + 2;
          continue;
        }
        set += e === '\\' || e === '[' || e === '^' ? '\\' + e : e;
        j++;
      }
      if (!closed) throw new Error('Unmatched [');
      out += set + ']';
      i = j;
      atStart = false;
      continue;
    }
    if (c === '*') {
      out += atStart ? '\\*' : '*';
      i++;
      atStart = false;
      continue;
    }
    if (c === '^') {
      out += atStart ? '^' : '\\^';
      i++;
      continue;
    }
    if (c === '$') {
      const atEnd = i + 1 === n || bre.startsWith('\\)', i + 1) || bre.startsWith('\\|', i + 1);
      out += atEnd ? '$' : '\\$';
      i++;
      atStart = false;
      continue;
    }
    if (c === '.') {
      out += '[^]';
      i++;
      atStart = false;
      continue;
    }
    out += jsEscape(c);
    i++;
    atStart = false;
  }
  return new RegExp(out, flags);
}
