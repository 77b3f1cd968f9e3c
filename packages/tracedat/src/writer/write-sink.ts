/** Where the trace.dat writer puts its bytes: appended in order, with patches of earlier bytes. */
export interface WriteSink {
  /** Appends bytes at the end. */
  write(bytes: Uint8Array): void;
  /** Overwrites bytes at an earlier absolute offset (already written). */
  patch(offset: number, bytes: Uint8Array): void;
}

/** A sink that keeps everything in memory (browser, tests). */
export class MemorySink implements WriteSink {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + bytes.length) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.length));
      this.buf = nb;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  patch(offset: number, bytes: Uint8Array): void {
    if (offset + bytes.length > this.length) throw new RangeError(`patch past end: offset=${offset}`);
    this.buf.set(bytes, offset);
  }
  /** The bytes written so far (a view). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
