/**
 * glibc getopt_long(), as trace-cmd parses its subcommands: short options from an optstring
 * ("B:c:fsp", ':' = argument, '::' = optional), long options (unique prefixes accepted,
 * "--name=value"), arguments permuted so options may follow operands, "--" ends options; an
 * optstring starting with '+' stops at the first operand, as glibc's (the rest is a command with its
 * own options: `trace-cmd set -F sh -c '...'`).
 */
import { UsageError } from './command.js';

export interface LongOpt {
  name: string;
  arg: 'none' | 'required' | 'optional';
  key?: string;
}
export interface Opt {
  key: string;
  value?: string;
}

export function getoptLong(cmd: string, argv: string[], optstring: string, longs: LongOpt[] = []): { opts: Opt[]; operands: string[] } {
  const opts: Opt[] = [];
  const operands: string[] = [];
  const spec = new Map<string, 'none' | 'required' | 'optional'>();
  for (let i = 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ':' || c === '+' || c === '-') continue;
    const kind = optstring[i + 1] === ':' ? (optstring[i + 2] === ':' ? 'optional' : 'required') : 'none';
    spec.set(c, kind);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const exact = longs.find((l) => l.name === name);
      const cands = exact ? [exact] : longs.filter((l) => l.name.startsWith(name));
      if (cands.length !== 1)
        throw new UsageError(cands.length ? `${cmd}: option '--${name}' is ambiguous` : `${cmd}: unrecognized option '--${name}'`);
      const l = cands[0]!;
      let value: string | undefined;
      if (eq >= 0) {
        if (l.arg === 'none') throw new UsageError(`${cmd}: option '--${l.name}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (l.arg === 'required') {
        value = argv[++i];
        if (value === undefined) throw new UsageError(`${cmd}: option '--${l.name}' requires an argument`);
      }
      opts.push({ key: l.key ?? l.name, ...(value !== undefined ? { value } : {}) });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const kind = spec.get(c);
        if (kind === undefined) throw new UsageError(`${cmd}: invalid option -- '${c}'`);
        if (kind === 'none') {
          opts.push({ key: c });
          continue;
        }
        let value: string | undefined = a.slice(j + 1) || undefined;
        if (value === undefined && kind === 'required') {
          value = argv[++i];
          if (value === undefined) throw new UsageError(`${cmd}: option requires an argument -- '${c}'`);
        }
        opts.push({ key: c, ...(value !== undefined ? { value } : {}) });
        break;
      }
      continue;
    }
    if (optstring.startsWith('+')) {
      operands.push(...argv.slice(i));
      break;
    }
    operands.push(a);
  }
  return { opts, operands };
}
