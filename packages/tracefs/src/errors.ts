/** Errors of @utp/tracefs: one class, identified by `code`. */
import { UtpError, type UtpErrorOptions } from '@utp/bytes';

export const TraceFsErrorCode = {
  /** No tracefs mount found and it could not be mounted. */
  NotMounted: 'TRACEFS_NOT_MOUNTED',
  /** The kernel refused a write (EINVAL, EPERM, ENODEV, EBUSY, ENOENT...): see `errno`, `file`, `errorLog`. */
  KernelRefused: 'TRACEFS_KERNEL_REFUSED',
  /** A tracefs file could not be read. */
  ReadFailed: 'TRACEFS_READ_FAILED',
  /** The named instance, event, tracer or probe does not exist. */
  NotFound: 'TRACEFS_NOT_FOUND',
  /** The instance already exists. */
  Exists: 'TRACEFS_EXISTS',
  /** An argument is malformed (bad probe spec, bad glob...). */
  BadArgument: 'TRACEFS_BAD_ARGUMENT',
  /** An ELF file could not be read or a symbol was not found in it. */
  Elf: 'TRACEFS_ELF',
  /** The needed facility is missing from this kernel (kprobes, function tracer...). */
  Unsupported: 'TRACEFS_UNSUPPORTED',
} as const;
export type TraceFsErrorCode = (typeof TraceFsErrorCode)[keyof typeof TraceFsErrorCode];

export interface TraceFsErrorOptions extends UtpErrorOptions {
  /** The tracefs file involved (absolute path). */
  file?: string;
  /** errno name from the failing syscall (EINVAL, EBUSY...). */
  errno?: string;
  /** The error_log entry the kernel wrote for this refusal, if any. */
  errorLog?: string;
}

export class TraceFsError extends UtpError {
  readonly file: string | undefined;
  readonly errno: string | undefined;
  readonly errorLog: string | undefined;
  constructor(code: TraceFsErrorCode, message: string, options: TraceFsErrorOptions = {}) {
    const context = { ...(options.context ?? {}) };
    if (options.file !== undefined && context['file'] === undefined) context['file'] = options.file;
    if (options.errno !== undefined && context['errno'] === undefined) context['errno'] = options.errno;
    const msg = message;
    super(code, msg, { ...options, context });
    if (options.errorLog) this.message += `; error_log: ${options.errorLog.replace(/\s*\n\s*/g, ' | ').trim()}`;
    this.file = options.file;
    this.errno = options.errno;
    this.errorLog = options.errorLog;
  }
}
