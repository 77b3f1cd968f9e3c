/** Errors of @utp/tracecmd. */
import { UtpError, type UtpErrorOptions } from '@utp/bytes';

export const TraceCmdErrorCode = {
  BadOption: 'TRACECMD_BAD_OPTION',
  Busy: 'TRACECMD_BUSY',
  Write: 'TRACECMD_WRITE',
  Refused: 'TRACECMD_REFUSED',
} as const;
export type TraceCmdErrorCode = (typeof TraceCmdErrorCode)[keyof typeof TraceCmdErrorCode];

export class TraceCmdError extends UtpError {
  constructor(code: TraceCmdErrorCode, message: string, options: UtpErrorOptions = {}) {
    super(code, message, options);
  }
}
