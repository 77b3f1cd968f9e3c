/**
 * Random-access input: a file in Node, a `File`/`Blob` in the browser, or bytes in memory.
 * `read` may return fewer bytes than asked only at the end of the input.
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Optional synchronous read (memory and Node file sources provide it). */
  readSync?(offset: number, length: number): Uint8Array;
  /**
   * Optional synchronous read into the caller's buffer (Node file sources): returns the bytes
   * read, fewer only at the end. Lets a reader reuse its buffers: fresh memory's page faults
   * cost more than the read itself.
   */
  readInto?(offset: number, dst: Uint8Array, dstOffset: number, length: number): number;
  close?(): Promise<void> | void;
  /** A name for messages (path or file name). */
  readonly name?: string;
}

/** A ByteSource over bytes already in memory. */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {
    this.size = bytes.length;
  }
  readSync(offset: number, length: number): Uint8Array {
    const start = Math.min(Math.max(0, offset), this.size);
    return this.bytes.subarray(start, Math.min(this.size, start + Math.max(0, length)));
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.readSync(offset, length));
  }
}

/** A ByteSource over a browser Blob/File (or anything with slice().arrayBuffer()). */
export class BlobSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  constructor(
    private readonly blob: { size: number; name?: string; slice(a: number, b: number): { arrayBuffer(): Promise<ArrayBuffer> } },
  ) {
    this.size = blob.size;
    this.name = blob.name ?? '<blob>';
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(Math.max(0, offset), this.size);
    return new Uint8Array(await this.blob.slice(start, Math.min(this.size, start + length)).arrayBuffer());
  }
}
