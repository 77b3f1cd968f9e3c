/**
 * POSIX basic regular expressions (regcomp without REG_EXTENDED, as trace-cmd list uses them)
 * translated to JavaScript RegExp. GNU BRE: `\+ \? \|` and `\( \) \{ \}` are operators, their
 * bare forms are literal; `*` at the start of an expression or group is literal; bracket
 * expressions with `[:class:]`.
 */
const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
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

export function breToRegExp(re: string, flags = ''): RegExp {
  let out = '';
  let atStart = true;
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\' && i + 1 < re.length) {
      const d = re[++i]!;
      if ('(){}|+?'.includes(d)) {
        out += d;
        atStart = d === '(' || d === '|';
        continue;
      }
      if (/[1-9]/.test(d)) {
        out += '\\' + d;
        atStart = false;
        continue;
      }
      out += /[A-Za-z0-9]/.test(d) ? (/[wWsSbB]/.test(d) ? '\\' + d : d) : '\\' + d;
      atStart = false;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (re[j] === '^') {
        cls += '^';
        j++;
      }
      if (re[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (; j < re.length && re[j] !== ']'; j++) {
        if (re[j] === '[' && re[j + 1] === ':') {
          const end = re.indexOf(':]', j + 2);
          if (end > 0) {
            cls += CLASSES[re.slice(j + 2, end)] ?? '';
            j = end + 1;
            continue;
          }
        }
        cls += re[j] === '\\' || re[j] === '[' ? '\\' + re[j] : re[j];
      }
      if (j >= re.length) throw new SyntaxError(`unterminated bracket in '${re}'`);
      out += cls + ']';
      i = j;
      atStart = false;
      continue;
    }
    if (c === '*' && atStart) {
      out += '\\*';
      atStart = false;
      continue;
    }
    if ('+?(){}|/'.includes(c)) {
      out += '\\' + c;
      atStart = false;
      continue;
    }
    if (c === '^' && !atStart) {
      out += '\\^';
      continue;
    }
    if (c === '$' && i !== re.length - 1 && !(re[i + 1] === '\\' && (re[i + 2] === ')' || re[i + 2] === '|'))) {
      out += '\\$';
      atStart = false;
      continue;
    }
    out += c;
    atStart = c === '^';
  }
  return new RegExp(out, flags);
}
