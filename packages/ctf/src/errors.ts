import { UtpError } from '@utp/bytes';
import type { UtpErrorOptions } from '@utp/bytes';

export const CtfErrorCode = {
  /** The metadata is not TSDL we can read (signature, syntax, unknown type). */
  BadMetadata: 'CTF_BAD_METADATA',
  /** A packet header does not start with the CTF magic. */
  BadMagic: 'CTF_BAD_MAGIC',
  /** A packet or event goes past the end of its stream file. */
  Truncated: 'CTF_TRUNCATED',
  /** Sizes or ids in a packet that contradict the metadata. */
  BadPacket: 'CTF_BAD_PACKET',
  /** The writer was given something it cannot encode. */
  BadInput: 'CTF_BAD_INPUT',
} as const;
export type CtfErrorCode = (typeof CtfErrorCode)[keyof typeof CtfErrorCode];

export class CtfError extends UtpError {
  constructor(code: CtfErrorCode, message: string, options: UtpErrorOptions = {}) {
    super(code, message, options);
  }
}
