import { UtpError } from '@utp/bytes';
import type { UtpErrorOptions } from '@utp/bytes';

/** Error codes of @utp/perf (identify errors by code). */
export const PerfErrorCode = {
  BadMagic: 'PERF_BAD_MAGIC',
  BadHeader: 'PERF_BAD_HEADER',
  BadAttr: 'PERF_BAD_ATTR',
  BadRecord: 'PERF_BAD_RECORD',
  BadFeature: 'PERF_BAD_FEATURE',
  BadTracingData: 'PERF_BAD_TRACING_DATA',
  Truncated: 'PERF_TRUNCATED',
} as const;
export type PerfErrorCodeValue = (typeof PerfErrorCode)[keyof typeof PerfErrorCode];

export class PerfError extends UtpError {
  constructor(code: PerfErrorCodeValue, message: string, options: UtpErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Diagnostic codes emitted through onDiagnostic. */
export const PerfDiagnostic = {
  Truncated: 'PERF_TRUNCATED',
  BadRecord: 'PERF_BAD_RECORD',
  UnknownId: 'PERF_UNKNOWN_ID',
  BadFeature: 'PERF_BAD_FEATURE',
  BadEventFormat: 'PERF_BAD_EVENT_FORMAT',
  Decompress: 'PERF_DECOMPRESS',
  Unordered: 'PERF_UNORDERED',
} as const;
