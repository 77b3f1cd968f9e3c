/**
 * `utp report --folded`: perf script's text folded into one `a;b;c N` line per distinct stack, what
 * `perf script | stackcollapse-perf.pl` prints (Brendan Gregg's FlameGraph, default options: the
 * comm as the root frame with spaces made `_`, no pid/tid, frames root to leaf, `+0x…` offsets
 * dropped, `[unknown]` named after its DSO's file name, `->` inline parts marked `_[i]`, the
 * generic tidying of names, keys sorted bytewise). Works on the exact text `utp report` prints
 * (= perf script), so the fold matches the script's for every file, its quirks included: a stack
 * is counted at each blank line (perf script ends a callchain sample with one), so files without
 * callchains fold to nothing.
 */
import { decodeLatin1 } from '@utp/bytes';
import { Output } from '../report/output.js';

// Perl's \s and \w as the script sees bytes (no unicode rules)
const HEADER = /^([^ \t\n\r\f\v].+?)[ \t\n\r\f\v]+(\d+)\/*(\d+)*[ \t\n\r\f\v]+/;
const FRAME = /^[ \t\n\r\f\v]*([A-Za-z0-9_]+)[ \t\n\r\f\v]*(.+) \(([^ \t\n\r\f\v]*)\)/;

export class Folder {
  readonly counts = new Map<string, number>();
  #stack: string[] = [];
  #pname: string | undefined;
  #partial = '';

  /** Feeds text (latin1, any chunking). */
  feed(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop()!;
    for (const l of lines) this.line(l);
  }

  line(l: string): void {
    if (l.startsWith('#')) return;
    if (l === '') {
      this.#stack.unshift(this.#pname ?? '');
      const key = this.#stack.join(';');
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      this.#stack = [];
      this.#pname = undefined;
      return;
    }
    const h = HEADER.exec(l);
    if (h) {
      this.#pname = h[1]!.replaceAll(' ', '_');
      return;
    }
    const f = FRAME.exec(l);
    if (!f) return; // the script warns "Unrecognized line" on stderr and goes on
    const raw = f[2]!.replace(/\+0x[\da-f]+$/, ''),
      mod = f[3]!;
    if (raw.startsWith('(')) return;
    const parts = raw.split('->');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop(); // Perl's split drops trailing empty fields
    const out: string[] = [];
    for (let func of parts) {
      if (func === '[unknown]' && mod !== '[unknown]') func = `[${mod.replace(/^.*\//, '')}]`;
      func = func.replaceAll(';', ':');
      if (!/\.\(.*\)\./.test(func)) func = func.replace(/\((?!anonymous namespace\)).*/, '');
      func = func.replace(/["']/g, '');
      if (this.#pname === 'java' && func.includes('/')) func = func.replace(/^L/, '');
      if (out.length > 0) func += '_[i]';
      out.push(func);
    }
    this.#stack.unshift(...out);
  }

  /** The folded lines, sorted as Perl's `sort { $a cmp $b }` (bytewise). */
  text(): string {
    const keys = [...this.counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let s = '';
    for (const k of keys) s += `${k} ${this.counts.get(k)}\n`;
    return s;
  }
}

/** An Output whose bytes go through a Folder instead of stdout; `finish()` prints the fold. */
export class FoldingOutput extends Output {
  readonly folder = new Folder();
  protected override writeAll(b: Uint8Array): void {
    this.folder.feed(decodeLatin1(b));
  }
  finish(): void {
    this.flush();
    const text = this.folder.text();
    const out = new Output();
    out.write(text);
    out.flush();
  }
}
