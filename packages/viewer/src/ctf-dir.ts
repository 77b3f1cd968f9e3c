/**
 * The page's side of CTF trace directories: a folder picked with `<input type=file webkitdirectory>`
 * or dropped (`DataTransferItem.webkitGetAsEntry()`) is a list of files with their paths; every
 * directory in it holding a `metadata` file is a CTF trace (LTTng puts one per channel set, e.g.
 * kernel/ and ust/uid/1000/64-bit/), made of that directory's own files: metadata, the streams
 * (names not starting with '.') and utp's skeleton (`.utp-tracedat.dat`, `.utp-tracedat.json`).
 */
import type { CtfFileRef } from './protocol.js';

/** A file of a picked or dropped folder; `path` is relative, with '/' ('trace/metadata'). */
export interface DirFile {
  path: string;
  file: File;
}

const SKELETON = ['.utp-tracedat.dat', '.utp-tracedat.json'];

/** The CTF traces in a folder's files, by directory path; each named by its directory ('a/b/trace' → 'trace'). */
export function ctfTracesIn(files: readonly DirFile[]): Array<{ name: string; dir: string; files: CtfFileRef[] }> {
  const dirs = new Map<string, CtfFileRef[]>();
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : f.path.slice(0, slash);
    const name = f.path.slice(slash + 1);
    if (name.startsWith('.') && !SKELETON.includes(name)) continue;
    let l = dirs.get(dir);
    if (!l) dirs.set(dir, (l = []));
    l.push({ name, file: f.file });
  }
  const out: Array<{ name: string; dir: string; files: CtfFileRef[] }> = [];
  for (const dir of [...dirs.keys()].sort()) {
    const l = dirs.get(dir)!;
    if (!l.some((f) => f.name === 'metadata')) continue;
    l.sort((a, b) => (a.name === 'metadata' ? -1 : b.name === 'metadata' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.push({ name: dir.slice(dir.lastIndexOf('/') + 1) || 'ctf', dir, files: l });
  }
  return out;
}

/** The files of `<input webkitdirectory>`'s choice. */
export function pickedDirFiles(list: FileList): DirFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

// the File and Directories Entries API, as much of it as a dropped folder needs
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}
interface FileEntry extends Entry {
  file(ok: (f: File) => void, fail: (e: unknown) => void): void;
}
interface DirEntry extends Entry {
  createReader(): { readEntries(ok: (es: Entry[]) => void, fail: (e: unknown) => void): void };
}

/** A dropped folder's entry (call in the drop handler itself: the items go away after it), or undefined for a file. */
export function droppedDir(dt: DataTransfer | null): Entry | undefined {
  const item = dt?.items?.[0] as (DataTransferItem & { webkitGetAsEntry?(): Entry | null }) | undefined;
  const e = item?.webkitGetAsEntry?.();
  return e?.isDirectory ? e : undefined;
}

/** Every file under a dropped folder (at most `depth` levels down), with paths from the folder's name. */
export async function readDroppedDir(root: Entry, depth = 8): Promise<DirFile[]> {
  const out: DirFile[] = [];
  const walk = async (e: Entry, level: number): Promise<void> => {
    if (e.isFile) {
      const file = await new Promise<File>((ok, fail) => (e as FileEntry).file(ok, fail));
      out.push({ path: e.fullPath.replace(/^\/+/, ''), file });
      return;
    }
    if (!e.isDirectory || level > depth) return;
    const reader = (e as DirEntry).createReader();
    // readEntries gives a batch per call until an empty one
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      for (const c of batch) await walk(c, level + 1);
    }
  };
  await walk(root, 0);
  return out;
}
