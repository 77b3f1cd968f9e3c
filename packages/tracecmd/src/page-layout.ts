/**
 * What a recorder needs to know of a ring-buffer sub-buffer: its size, and where the commit word
 * (a kernel `long`, in the kernel's byte order) and the data start. Dependency-free, so that the
 * drain worker loads nothing else.
 */
export interface PageLayout {
  pageSize: number;
  dataOffset: number;
  commitOffset: number;
  /** Kernel sizeof(long): 4 or 8. */
  commitSize: number;
  littleEndian: boolean;
}

/** Bytes of event data in the sub-buffer at `at` (the commit word without its flag bits). */
export function pageCommit(view: DataView, at: number, l: PageLayout): number {
  const off = at + l.commitOffset + (l.commitSize === 8 && !l.littleEndian ? 4 : 0);
  return view.getUint32(off, l.littleEndian) & 0x7ffffff;
}

/** A page is "full" when its commit leaves room for no typical event (the writer moved on). */
export function fullCommitOf(l: PageLayout): number {
  return l.pageSize - l.dataOffset - Math.min(512, l.pageSize >> 3);
}
