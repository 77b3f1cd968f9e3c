import { UtpError } from '@utp/bytes';
import type { UtpErrorOptions } from '@utp/bytes';

/** Error codes of @utp/perf/live (identify errors by code). */
export const LiveErrorCode = {
  UnknownEvent: 'PERF_LIVE_UNKNOWN_EVENT',
  NoPermission: 'PERF_LIVE_NO_PERMISSION',
  NotSupported: 'PERF_LIVE_NOT_SUPPORTED',
  TooManyFiles: 'PERF_LIVE_EMFILE',
  OpenFailed: 'PERF_LIVE_OPEN_FAILED',
  IoctlFailed: 'PERF_LIVE_IOCTL_FAILED',
  ReadFailed: 'PERF_LIVE_READ_FAILED',
  MmapFailed: 'PERF_LIVE_MMAP_FAILED',
  Closed: 'PERF_LIVE_CLOSED',
} as const;
export type LiveErrorCodeValue = (typeof LiveErrorCode)[keyof typeof LiveErrorCode];

export class LiveError extends UtpError {
  constructor(code: LiveErrorCodeValue, message: string, options: UtpErrorOptions = {}) {
    super(code, message, options);
  }
}
