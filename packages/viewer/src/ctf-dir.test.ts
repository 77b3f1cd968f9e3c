/// <reference types="node" />
/**
 * The page's reading of a picked or dropped folder (ctf-dir.ts): which directories are CTF traces
 * and which of their files make them, and a dropped folder's entries walked through batches of
 * readEntries (the Entries API's way) — shaped as LTTng lays out a session (kernel/ and
 * ust/uid/UID/64-bit/, each with an index/ subdirectory) with a utp skeleton and stray files.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ctfTracesIn, readDroppedDir } from './ctf-dir.js';
import type { DirFile } from './ctf-dir.js';

const file = (path: string): DirFile => ({ path, file: new File([path], path.slice(path.lastIndexOf('/') + 1)) });

const SESSION = [
  'sess/kernel/channel0_1',
  'sess/kernel/metadata',
  'sess/kernel/channel0_0',
  'sess/kernel/index/channel0_0.idx',
  'sess/ust/uid/1000/64-bit/metadata',
  'sess/ust/uid/1000/64-bit/chan_0',
  'sess/ust/uid/1000/64-bit/.DS_Store',
  'sess/ust/uid/1000/64-bit/.utp-tracedat.json',
  'sess/ust/uid/1000/64-bit/.utp-tracedat.dat',
  'sess/ust/uid/1000/64-bit/index/chan_0.idx',
  'sess/README',
];

test('ctfTracesIn: every directory with a metadata file, with its own files (metadata first, no other hidden files)', () => {
  const got = ctfTracesIn(SESSION.map(file)).map((t) => ({ name: t.name, dir: t.dir, files: t.files.map((f) => f.name) }));
  assert.deepEqual(got, [
    { name: 'kernel', dir: 'sess/kernel', files: ['metadata', 'channel0_0', 'channel0_1'] },
    { name: '64-bit', dir: 'sess/ust/uid/1000/64-bit', files: ['metadata', '.utp-tracedat.dat', '.utp-tracedat.json', 'chan_0'] },
  ]);
  // the Files themselves are handed on
  const t = ctfTracesIn(SESSION.map(file))[0]!;
  assert.equal((t.files[1]!.file as File).name, 'channel0_0');
  assert.deepEqual(ctfTracesIn(['a/b/stream_0', 'a/.metadata'].map(file)), []);
  // a picked file at the top (no directory) is named 'ctf'
  assert.deepEqual(
    ctfTracesIn(['metadata', 's_0'].map(file)).map((x) => x.name),
    ['ctf'],
  );
});

/** A dropped folder as the Entries API gives it: readEntries answers in batches of `batch`, then []. */
function entries(paths: string[], batch: number) {
  type E = { isFile: boolean; isDirectory: boolean; name: string; fullPath: string; [k: string]: unknown };
  const dir = (full: string): E => {
    const prefix = full === '' ? '' : `${full}/`;
    const kids = [...new Set(paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split('/')[0]!))];
    return {
      isFile: false,
      isDirectory: true,
      name: full.slice(full.lastIndexOf('/') + 1),
      fullPath: `/${full}`,
      createReader: () => {
        let at = 0;
        return {
          readEntries: (ok: (es: E[]) => void) => {
            const out = kids.slice(at, at + batch).map((k) => (paths.includes(prefix + k) ? fileEntry(prefix + k) : dir(prefix + k)));
            at += batch;
            setTimeout(() => ok(out), 0);
          },
        };
      },
    };
  };
  const fileEntry = (full: string): E => ({
    isFile: true,
    isDirectory: false,
    name: full.slice(full.lastIndexOf('/') + 1),
    fullPath: `/${full}`,
    file: (ok: (f: File) => void) => setTimeout(() => ok(file(full).file), 0),
  });
  return dir('sess');
}

test('readDroppedDir: every file under the folder, through every readEntries batch, paths from the folder name', async () => {
  const got = await readDroppedDir(entries(SESSION, 2));
  assert.deepEqual(got.map((f) => f.path).sort(), [...SESSION].sort());
  assert.deepEqual(
    got.map((f) => f.file.name),
    got.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)),
  );
  // depth-limited: files deeper than `depth` directories below the folder are left out
  const shallow = await readDroppedDir(entries(SESSION, 100), 1);
  assert.deepEqual(shallow.map((f) => f.path).sort(), [
    'sess/README',
    'sess/kernel/channel0_0',
    'sess/kernel/channel0_1',
    'sess/kernel/metadata',
  ]);
});
