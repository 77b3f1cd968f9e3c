/** A WriteSink on a file descriptor: buffered appends, positional patches. */
import { writeSync } from 'node:fs';
import type { WriteSink } from '@utp/tracedat';

export class FileSink implements WriteSink {
  private buf = new Uint8Array(1 << 20);
  private fill = 0;
  /** File offset of buf[0]. */
  private base = 0;
  constructor(private fd: number) {}
  write(bytes: Uint8Array): void {
    if (bytes.length >= this.buf.length) {
      this.flush();
      this.raw(bytes, this.base);
      this.base += bytes.length;
      return;
    }
    if (this.fill + bytes.length > this.buf.length) this.flush();
    this.buf.set(bytes, this.fill);
    this.fill += bytes.length;
  }
  patch(offset: number, bytes: Uint8Array): void {
    if (offset >= this.base) {
      this.buf.set(bytes, offset - this.base);
      return;
    }
    this.raw(bytes, offset);
  }
  flush(): void {
    if (this.fill) {
      this.raw(this.buf.subarray(0, this.fill), this.base);
      this.base += this.fill;
      this.fill = 0;
    }
  }
  private raw(b: Uint8Array, pos: number): void {
    let o = 0;
    while (o < b.length) o += writeSync(this.fd, b, o, b.length - o, pos + o);
  }
}
