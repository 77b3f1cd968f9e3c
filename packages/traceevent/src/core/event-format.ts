/**
 * One event's format (libtraceevent's `struct tep_event`).
 */
import type { Field } from './types.js';

export interface EventFormat {
  readonly id: number;
  readonly system: string;
  readonly name: string;
  /** Fields before the blank line (common_type, common_flags, common_preempt_count, common_pid, ...). */
  readonly commonFields: readonly Field[];
  /** The event's own fields. */
  readonly fields: readonly Field[];
  /** The print fmt line as written after `print fmt: ` (format string and arguments). */
  readonly printFmt: string;
  /** True when libtraceevent 1.7.1 would fail to parse the print fmt (prints [FAILED TO PARSE]). */
  readonly failed: boolean;
  /** Field by name (event fields first, then common fields). */
  field(name: string): Field | undefined;
}

/**
 * A field as the engine keeps it. `flags` is writable because libtraceevent itself
 * clears IS_STRING on a char array the first time it meets unprintable bytes in raw mode.
 */
export interface TepField extends Field {
  flags: number;
  /** libtraceevent's full type text (fixed arrays keep their `[N]`). */
  readonly ctype: string;
}

/** Internal event flags (libtraceevent TEP_EVENT_FL_*). */
export const EventFlag = {
  IsFtrace: 1,
  IsBprint: 2,
  Failed: 4,
} as const;
