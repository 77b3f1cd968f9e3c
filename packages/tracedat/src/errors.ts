import { UtpError } from '@utp/bytes';
import type { UtpErrorOptions } from '@utp/bytes';

/** Error codes of @utp/tracedat (identify errors by code). */
export const TraceDatErrorCode = {
  BadMagic: 'TRACEDAT_BAD_MAGIC',
  BadVersion: 'TRACEDAT_BAD_VERSION',
  Truncated: 'TRACEDAT_TRUNCATED',
  BadSection: 'TRACEDAT_BAD_SECTION',
  BadOption: 'TRACEDAT_BAD_OPTION',
  BadCompression: 'TRACEDAT_BAD_COMPRESSION',
  BadHeader: 'TRACEDAT_BAD_HEADER',
  BadFormat: 'TRACEDAT_BAD_FORMAT',
  Latency: 'TRACEDAT_LATENCY',
} as const;
export type TraceDatErrorCodeValue = (typeof TraceDatErrorCode)[keyof typeof TraceDatErrorCode];

export class TraceDatError extends UtpError {
  constructor(code: TraceDatErrorCodeValue, message: string, options: UtpErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Diagnostic codes emitted through onDiagnostic. */
export const TraceDatDiagnostic = {
  Truncated: 'TRACEDAT_TRUNCATED',
  CorruptPage: 'TRACEDAT_CORRUPT_PAGE',
  UnknownOption: 'TRACEDAT_UNKNOWN_OPTION',
  BadEventFormat: 'TRACEDAT_BAD_EVENT_FORMAT',
  Decompress: 'TRACEDAT_DECOMPRESS',
  /** trace-cmd 3.1.6 rejects a page offset ("bad page offset") and drops the rest of that CPU (exactPages). */
  PagesSkipped: 'TRACEDAT_PAGES_SKIPPED',
} as const;
