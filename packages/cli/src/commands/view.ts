/// <reference types="node" />
/**
 * utp view FILE…: serves the viewer (packages/viewer's static site) and the named traces on
 * 127.0.0.1, under a random per-run token, and opens the browser. Nothing else is served: no
 * directory listing, no path from the request reaches the file system, GET/HEAD only.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { checkOutputPath, parseRecordArgs, runRecording } from './record.js';
import { ctfDirFiles, isCtfDir, isPlainFile } from './view-ctf.js';
import type { RecordSession } from '@utp/tracecmd';

interface ViewArgs {
  files: string[];
  port: number;
  open: boolean;
  live: boolean;
  /** With --live: the arguments for the recorder (utp record's). */
  record: string[];
}

const HELP = `usage: utp view [--port N] [--no-open] FILE|CTF-DIR...
       utp view --live [--port N] [--no-open] -e EVENT... [-f FILTER] [-o FILE] [RECORD OPTIONS] [-- CMD ARGS]

Opens trace.dat, perf.data and ftrace text files (a tracefs trace file, trace-cmd report's output)
and CTF trace directories (utp's, LTTng's) in the utp viewer (a web page served on 127.0.0.1); the
viewer tells files apart by their content (a perf.data starts with PERFILE2, ftrace text with
'# tracer:' or 'cpus=N'). Of a CTF directory only its metadata, stream files and utp's skeleton are served.
  --port N     listen on port N (default: a free port)
  --no-open    print the URL, do not start a browser
  --live       record this machine (utp record's recorder and options but -m, in a private instance;
               root; drained with read(2) as --no-splice) and show the recording as it grows: the
               page loads the recording's head once, then about twice a second the sub-buffers
               drained since, appended to what it shows (events, CPU rows, lost events, the
               kernel's counts). The
               recording stops when CMD exits, on Ctrl-C (SIGINT/SIGTERM) or with the page's Stop
               button; it is saved as -o FILE (default trace.dat, replaced as utp record replaces it)
               and the page then shows that file. Ctrl-C again quits. tracefs is restored exactly as
               utp record restores it.
The URL carries a random token: only someone who has it can load the page or the traces.
`;

function parseArgs(argv: string[]): ViewArgs | 'help' {
  const a: ViewArgs = { files: [], port: 0, open: true, live: false, record: [] };
  const live = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).includes('--live');
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === '-h' || s === '--help') return 'help';
    if (live && s === '--') {
      a.record.push(...argv.slice(i));
      break;
    }
    if (live && !['--live', '--no-open', '--port'].includes(s) && !s.startsWith('--port=')) a.record.push(s);
    else if (s === '--no-open') a.open = false;
    else if (s === '--live') a.live = true;
    else if (s === '--port' || s.startsWith('--port=')) {
      const v = s.includes('=') ? s.slice(7) : argv[++i];
      const n = Number(v);
      if (!v || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`view: bad port '${v ?? ''}'`);
      a.port = n;
    } else if (s === '-i') {
      const f = argv[++i];
      if (!f) throw new UsageError('view: -i needs a file');
      a.files.push(f);
    } else if (s.startsWith('-') && s !== '-') throw new UsageError(`view: unknown option '${s}'`);
    else a.files.push(s);
  }
  return a;
}

/** The viewer's built files (packages/viewer/app-dist), read once. */
function appFiles(): Map<string, { type: string; body: Buffer }> {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.resolve('@utp/viewer/app/index.html')));
  } catch {
    dir = join(dirname(fileURLToPath(import.meta.url)), '../../../viewer/app-dist');
  }
  const out = new Map<string, { type: string; body: Buffer }>();
  try {
    out.set('index.html', { type: 'text/html; charset=utf-8', body: readFileSync(join(dir, 'index.html')) });
    out.set('app.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dir, 'app.js')) });
  } catch (e) {
    throw new Error(`the viewer is not built (${(e as Error).message}); run 'npm run build'`);
  }
  return out;
}

/** A recording in progress, as the server shows it (utp view --live). */
export interface LiveSource {
  /** The file name the page shows. */
  name: string;
  /** JSON-able progress: state ('recording', 'saving', 'saved', 'failed'), events, lost, per CPU. */
  status(): unknown;
  /** The recording's head: a trace.dat without event data (RecordSession.liveHead); undefined: none now. */
  head(): Promise<string | undefined>;
  /** The pages since per-CPU byte cursors, encoded as `live/pages` sends them (livePagesBody); undefined: stopped. */
  pages(from: number[]): Buffer | undefined;
  /** The saved file, once saved. */
  saved(): string | undefined;
  /** The page's Stop button. */
  stop(): void;
}

/** Bytes of sub-buffers one `live/pages` answer carries at most (the page asks again for the rest). */
export const LIVE_PAGES_MAX = 4 << 20;

/**
 * `live/pages`' body: a u32 (little-endian) length, that many bytes of JSON
 * `{cpus: [{cpu, from, size, passed, complete}], cmdlines}` (per CPU in the head's order: the byte
 * cursor the data starts at, its size, the CPU's clock as its stats file printed it just before, below
 * which it had no unread event, whether every byte written is in the answer; saved_cmdlines as text),
 * then every CPU's `size` bytes in that order.
 */
export function livePagesBody(
  cpus: ReadonlyArray<{ cpu: number; from: number; bytes: Uint8Array; passed: string; complete: boolean }>,
  cmdlines: Uint8Array,
): Buffer {
  const head = Buffer.from(
    JSON.stringify({
      cpus: cpus.map((c) => ({ cpu: c.cpu, from: c.from, size: c.bytes.length, passed: c.passed, complete: c.complete })),
      cmdlines: Buffer.from(cmdlines).toString('latin1'),
    }),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, ...cpus.map((c) => c.bytes)]);
}

export interface ViewServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Starts the server (exported for tests). */
export async function serveView(files: string[], port = 0, live?: LiveSource): Promise<ViewServer> {
  const app = appFiles();
  // a CTF directory: its files listed once, now (view-ctf.ts); each served by index under the trace's
  const traces = files.map((f) => ({ path: f, name: basename(f), size: statSync(f).size, ctf: isCtfDir(f) ? ctfDirFiles(f) : undefined }));
  const token = randomBytes(18).toString('base64url');
  const prefix = `/${token}/`;
  const list = Buffer.from(
    JSON.stringify(
      live
        ? [{ name: live.name, url: 'live/trace', live: 'live/status', stop: 'live/stop', meta: 'live/meta', pages: 'live/pages' }]
        : traces.map((t, i) =>
            t.ctf
              ? { name: t.name, ctf: t.ctf.map((c, j) => ({ name: c.name, url: `trace/${i}/${j}`, size: c.size })) }
              : { name: t.name, url: `trace/${i}`, size: t.size },
          ),
    ),
  );
  let boundPort = port;
  const security = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src blob:; connect-src 'self' data:; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  };
  const deny = (res: ServerResponse, code: number, text: string) => {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', ...security });
    res.end(text + '\n');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // POST only for the live recording's stop (under the token and the Host check below)
    const isStop = live !== undefined && req.method === 'POST';
    if (req.method !== 'GET' && req.method !== 'HEAD' && !isStop) {
      deny(res, 405, 'Method not allowed');
      return;
    }
    // DNS rebinding: only our own host names
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${boundPort}` && host !== `localhost:${boundPort}`) {
      deny(res, 403, 'Forbidden');
      return;
    }
    const url = req.url ?? '';
    const path = url.split('?')[0]!;
    if (!path.startsWith(prefix)) {
      deny(res, 403, 'Forbidden');
      return;
    }
    const rest = path.slice(prefix.length);
    const sendFile = (p: string) => serveFile(req, res, p);
    if (isStop) {
      if (rest !== 'live/stop') {
        deny(res, 405, 'Method not allowed');
        return;
      }
      live.stop();
      res.writeHead(204, security);
      res.end();
      return;
    }
    const send = (type: string, body: Buffer) => {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...security });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (rest === '' || rest === 'index.html') {
      const f = app.get('index.html')!;
      send(f.type, f.body);
      return;
    }
    const f = app.get(rest);
    if (f) {
      send(f.type, f.body);
      return;
    }
    if (rest === 'traces.json') {
      send('application/json', list);
      return;
    }
    if (live && rest === 'live/status') {
      send('application/json', Buffer.from(JSON.stringify(live.status())));
      return;
    }
    if (live && rest === 'live/meta') {
      live.head().then(
        (p) => (p ? sendFile(p) : deny(res, 503, 'Not recording')),
        () => deny(res, 503, 'No head now'),
      );
      return;
    }
    if (live && rest === 'live/pages') {
      const q = new URLSearchParams(url.slice(path.length + 1)).get('from') ?? '';
      if (!/^(\d{1,15}(,\d{1,15}){0,4095})?$/.test(q)) {
        deny(res, 400, 'Bad cursor');
        return;
      }
      let body: Buffer | undefined;
      try {
        body = live.pages(q ? q.split(',').map(Number) : []);
      } catch {
        // the recording stopped meanwhile (its files are gone): the page switches to the saved file
      }
      if (body) send('application/octet-stream', body);
      else deny(res, 503, 'Not recording');
      return;
    }
    if (live && rest === 'live/trace') {
      const p = live.saved();
      if (p) sendFile(p);
      else deny(res, 503, 'Not saved yet');
      return;
    }
    const c = /^trace\/(\d{1,6})\/(\d{1,6})$/.exec(rest);
    if (c) {
      const f = traces[Number(c[1])]?.ctf?.[Number(c[2])];
      // still a regular file (not replaced by a link since it was listed)
      if (!f || !isPlainFile(f.path)) deny(res, 404, 'Not found');
      else sendFile(f.path);
      return;
    }
    const m = /^trace\/(\d{1,6})$/.exec(rest);
    const t = m ? traces[Number(m[1])] : undefined;
    if (!t || t.ctf) {
      deny(res, 404, 'Not found');
      return;
    }
    sendFile(t.path);
    return;
  });
  const serveFile = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      deny(res, 404, 'Not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, ...security });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(path)
      .on('error', () => res.destroy())
      .pipe(res);
  };
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  boundPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}${prefix}`,
    port: boundPort,
    token,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}

function openBrowser(url: string): void {
  for (const cmd of ['xdg-open', 'sensible-browser']) {
    try {
      const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
      p.on('error', () => {
        /* not installed: the URL is printed */
      });
      p.unref();
      return;
    } catch {
      /* try the next one */
    }
  }
}

/** utp view --live: utp record's recording (runRecording) with the page watching it. */
async function runLive(a: ViewArgs): Promise<number> {
  if (a.files.length) throw new UsageError('view: --live records; it takes no trace files');
  const parsed = parseRecordArgs(a.record);
  // utp record's -o rules (a regular file is replaced; a directory or device is refused), checked before recording
  parsed.opts.output = checkOutputPath(parsed.opts.output ?? 'trace.dat');
  const output = parsed.opts.output;
  if ((parsed.opts.maxKb ?? 0) > 0) throw new UsageError('view: --live streams every page of the recording: -m cannot be used');
  // wake the drain often enough for the page to grow (a quarter second at most), and read(2) the page the
  // kernel is writing too (as --no-splice does; splice takes whole pages only): a CPU with few events
  // has them drained then, and the page's merge of the CPUs need not wait for its page to fill
  parsed.opts.maxSleepMs ??= 250;
  parsed.opts.drainMode ??= 'read';
  const dir = mkdtempSync(join(tmpdir(), 'utp-live-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  let session: RecordSession | undefined;
  let state: 'starting' | 'recording' | 'saving' | 'saved' | 'failed' = 'starting';
  let saved: { events: number; lost: number; size: number } | undefined;
  let stopRecording: (() => void) | undefined;
  let server: ViewServer | undefined;
  let head: Promise<string | undefined> | undefined;
  const live: LiveSource = {
    name: basename(output),
    status: () => {
      const cpus = state === 'recording' && session ? session.progress() : [];
      return {
        state,
        output: basename(output),
        events: saved?.events ?? cpus.reduce((x, c) => x + c.events, 0),
        lost: saved?.lost ?? cpus.reduce((x, c) => x + Math.max(0, c.lost), 0),
        cpus: cpus.map((c) => ({ cpu: c.cpu, events: c.events, lost: c.lost })),
      };
    },
    // written once (the formats do not change while recording; new cmdlines come with the pages)
    head: () => {
      if (state !== 'recording' || !session) return Promise.resolve(undefined);
      head ??= session.liveHead(join(dir, 'head.dat')).then(
        (n) => (n === undefined ? undefined : join(dir, 'head.dat')),
        (e: unknown) => {
          head = undefined; // the next request tries again
          throw e;
        },
      );
      return head;
    },
    pages: (from) => {
      if (state !== 'recording' || !session) return undefined;
      const p = session.livePages(from, LIVE_PAGES_MAX);
      return p && livePagesBody(p.cpus, p.cmdlines);
    },
    saved: () => (state === 'saved' ? output : undefined),
    stop: () => stopRecording?.(),
  };
  let status: number;
  try {
    status = await runRecording(parsed, {
      who: 'utp view',
      started: async (s, stop) => {
        session = s;
        stopRecording = () => {
          if (state === 'recording') state = 'saving';
          stop();
        };
        state = 'recording';
        server = await serveView([], a.port, live);
        process.stdout.write(`utp view: recording live at ${server.url}\n(Ctrl-C or the page's Stop button stops the recording)\n`);
        if (a.open) openBrowser(server.url);
      },
      saved: (r) => {
        saved = {
          events: r.cpus.reduce((x, c) => x + c.events, 0),
          lost: r.cpus.reduce((x, c) => x + Math.max(0, c.lost), 0),
          size: r.size,
        };
        state = 'saved';
      },
    });
  } catch (e) {
    state = 'failed';
    await server?.close();
    removeDir();
    throw e;
  }
  if ((state as string) !== 'saved') {
    state = 'failed';
    await server?.close();
    removeDir();
    return status || 1;
  }
  removeDir();
  if (!server) return status;
  process.stdout.write(`utp view: saved ${output}; still serving it at ${server.url} (Ctrl-C quits)\n`);
  await new Promise<void>((ok) => {
    const stop = () => {
      void server!.close().then(ok);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('exit', removeDir);
  return status;
}

const view: Command = {
  name: 'view',
  summary: 'open trace.dat, perf.data and ftrace text files and CTF directories in the viewer (a page served on 127.0.0.1)',
  async run(argv) {
    const a = parseArgs(argv);
    if (a === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (a.live) return runLive(a);
    if (a.files.length === 0) throw new UsageError('view: no trace file given (utp view FILE...)');
    for (const f of a.files) {
      let st;
      try {
        st = statSync(f);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        process.stderr.write(`utp view: cannot open '${f}': ${code === 'ENOENT' ? 'No such file or directory' : code}\n`);
        return 1;
      }
      if (!st.isFile() && !isCtfDir(f)) {
        process.stderr.write(`utp view: cannot read '${f}': not a regular file or a CTF directory (one with a metadata file)\n`);
        return 1;
      }
    }
    const s = await serveView(a.files, a.port);
    process.stdout.write(`utp view: serving ${a.files.length} trace${a.files.length > 1 ? 's' : ''} at ${s.url}\n(Ctrl-C stops)\n`);
    if (a.open) openBrowser(s.url);
    await new Promise<void>((ok) => {
      const stop = () => {
        void s.close().then(ok);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

export default view;
