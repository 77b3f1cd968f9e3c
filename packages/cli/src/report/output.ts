/// <reference types="node" />
import { writeSync } from 'node:fs';

/**
 * Buffered stdout for report-style output: text is copied into one large buffer
 * (latin1: one byte per char, as the trace bytes were decoded) and written with few
 * big writes. EPIPE (reader went away) ends the process quietly with status 0.
 */
export class Output {
  private buf: Buffer;
  private pos = 0;
  constructor(private readonly fd = 1, size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }

  write(s: string): void {
    if (s.length > this.buf.length - this.pos) {
      this.flush();
      if (s.length > this.buf.length) { this.writeAll(Buffer.from(s, 'latin1')); return; }
    }
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  flush(): void {
    if (this.pos === 0) return;
    const n = this.pos;
    this.pos = 0;
    this.writeAll(this.buf.subarray(0, n));
  }

  private writeAll(b: Buffer): void {
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1); continue; }
        if (code === 'EPIPE') process.exit(0);
        throw e;
      }
    }
  }
}
