/// <reference types="node" />
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import type { ByteSource } from '../byte-source.js';

/** A ByteSource over a file on disk, read with pread (no whole-file load). */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | undefined;
  constructor(readonly name: string) {
    this.fd = openSync(name, 'r');
    this.size = fstatSync(this.fd).size;
  }
  readSync(offset: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new Error(`FileSource ${this.name} is closed`);
    const start = Math.min(Math.max(0, offset), this.size);
    const len = Math.max(0, Math.min(length, this.size - start));
    const out = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, out, got, len - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    return got === len ? out : out.subarray(0, got);
  }
  readInto(offset: number, dst: Uint8Array, dstOffset: number, length: number): number {
    if (this.fd === undefined) throw new Error(`FileSource ${this.name} is closed`);
    const start = Math.min(Math.max(0, offset), this.size);
    const len = Math.max(0, Math.min(length, this.size - start, dst.length - dstOffset));
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, dst, dstOffset + got, len - got, start + got);
      if (n <= 0) break;
      got += n;
    }
    return got;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.readSync(offset, length));
  }
  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
