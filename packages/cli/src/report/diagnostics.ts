/// <reference types="node" />
/**
 * What the readers reported about each input, rendered on stderr once the output is written:
 * truncation (one warning, exit 1), pages trace-cmd's walk would not show (always), the rest
 * with -V.
 */
import { TraceDatDiagnostic } from '@utp/tracedat';
import type { Input } from './inputs.js';

/** Diagnostics printed on stderr without -V (besides truncation, summed up above). */
const DEFAULT_SHOWN: ReadonlySet<string> = new Set([
  TraceDatDiagnostic.PagesSkipped,
  TraceDatDiagnostic.Decompress,
  TraceDatDiagnostic.BadEventFormat,
]);

/** Writes the input's diagnostics to stderr; returns the exit status they call for (0 or 1). */
export function renderDiagnostics(inp: Input, verbose: boolean): number {
  let status = 0;
  const trunc = inp.diags.filter((d) => d.code === 'TRACEDAT_TRUNCATED' || d.code === 'TRACEDAT_CORRUPT_PAGE');
  if (trunc.length > 0) {
    const d = trunc[0]!;
    const more = trunc.length > 1 ? ` (and ${trunc.length - 1} more)` : '';
    process.stderr.write(
      `utp report: warning: ${inp.file}: ${d.message}${d.offset !== undefined ? ` at offset=${d.offset}` : ''}${more}\n`,
    );
    // a cut file is an input error; a damaged page only costs that CPU's remaining data
    if (trunc.some((x) => x.code === 'TRACEDAT_TRUNCATED')) status = 1;
  }
  for (const d of inp.diags) {
    if (trunc.includes(d)) continue;
    // data trace-cmd would not show (its page walk), or lost: one line each, status unchanged
    if (DEFAULT_SHOWN.has(d.code))
      process.stderr.write(`utp report: ${d.level}: ${inp.file}: ${d.message.replace('exactPages: false', 'utp report --all-pages')}\n`);
    else if (verbose)
      process.stderr.write(`utp report: ${d.level}: ${d.message}${d.offset !== undefined ? ` (offset=${d.offset})` : ''}\n`);
  }
  return status;
}
