/**
 * The root of every utp error. Identify errors by `code`, not by `instanceof`
 * (several copies of a package may be loaded at once in a browser bundle).
 */
export interface UtpErrorOptions {
  /** Byte offset in the input where the problem was found, when it applies. */
  offset?: number;
  /** Lower-level error this one wraps. */
  cause?: unknown;
  /** Extra key=value context already rendered into the message. */
  context?: Record<string, string | number | bigint | undefined>;
}

export class UtpError extends Error {
  readonly code: string;
  readonly offset: number | undefined;
  readonly context: Record<string, string | number | bigint | undefined>;

  constructor(code: string, message: string, options: UtpErrorOptions = {}) {
    const ctx = options.context ?? {};
    const parts: string[] = [];
    if (options.offset !== undefined) parts.push(`offset=${options.offset}`);
    for (const [k, v] of Object.entries(ctx)) if (v !== undefined) parts.push(`${k}=${v}`);
    super(parts.length ? `${message}: ${parts.join(', ')}` : message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'UtpError';
    this.code = code;
    this.offset = options.offset;
    this.context = ctx;
  }
}

export const BytesErrorCode = {
  OutOfBounds: 'BYTES_OUT_OF_BOUNDS',
  BadString: 'BYTES_BAD_STRING',
  SourceRead: 'BYTES_SOURCE_READ',
} as const;

/** True when `e` is a utp error with the given code (works across bundle copies). */
export function isUtpError(e: unknown, code?: string): e is UtpError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    (e as Error).name === 'UtpError' &&
    (code === undefined || (e as UtpError).code === code)
  );
}

/** Renders an error and its cause chain on one line: "msg (caused by: msg2)". */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message);
      cur = (cur as Error & { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(': caused by: ');
}
