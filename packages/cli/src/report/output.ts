/// <reference types="node" />
import { writeSync } from 'node:fs';
import { OutBuffer } from '@utp/traceevent';

/** Buffered bytes are written out once there are more than this many. */
const FLUSH_AT = 1 << 19;

/**
 * Buffered stdout for report-style output: text goes into one large OutBuffer (one
 * byte per char, as the trace bytes were decoded; the line printer emits into it
 * directly) and is written with few big writes. EPIPE (reader went away) ends the
 * process quietly with status 0.
 */
export class Output {
  /** Where lines are emitted; call `lineDone()` after each line. */
  readonly buffer: OutBuffer;
  constructor(
    private readonly fd = 1,
    size = 1 << 20,
  ) {
    this.buffer = new OutBuffer((b) => this.writeAll(b), size);
  }

  write(s: string): void {
    this.buffer.latin1(s);
    this.buffer.flushIfOver(FLUSH_AT);
  }

  /** Writes the buffer out when it is full enough (call between lines). */
  lineDone(): void {
    if (this.buffer.pos > FLUSH_AT) this.buffer.flush();
  }

  flush(): void {
    this.buffer.flush();
  }

  protected writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        if (code === 'EPIPE') process.exit(0);
        throw e;
      }
    }
  }
}
