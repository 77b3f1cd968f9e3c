/// <reference types="node" />
/**
 * utp view FILE…: serves the viewer (packages/viewer's static site) and the named traces on
 * 127.0.0.1, under a random per-run token, and opens the browser. Nothing else is served: no
 * directory listing, no path from the request reaches the file system, GET/HEAD only.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

interface ViewArgs {
  files: string[];
  port: number;
  open: boolean;
  live: boolean;
}

const HELP = `usage: utp view [--port N] [--no-open] FILE...

Opens trace.dat files in the utp viewer (a web page served on 127.0.0.1).
  --port N     listen on port N (default: a free port)
  --no-open    print the URL, do not start a browser
The URL carries a random token: only someone who has it can load the page or the traces.
`;

function parseArgs(argv: string[]): ViewArgs | 'help' {
  const a: ViewArgs = { files: [], port: 0, open: true, live: false };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === '-h' || s === '--help') return 'help';
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

export interface ViewServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Starts the server (exported for tests). */
export async function serveView(files: string[], port = 0): Promise<ViewServer> {
  const app = appFiles();
  const traces = files.map((f) => ({ path: f, name: basename(f), size: statSync(f).size }));
  const token = randomBytes(18).toString('base64url');
  const prefix = `/${token}/`;
  const list = Buffer.from(JSON.stringify(traces.map((t, i) => ({ name: t.name, url: `trace/${i}`, size: t.size }))));
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
    if (req.method !== 'GET' && req.method !== 'HEAD') {
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
    const m = /^trace\/(\d{1,6})$/.exec(rest);
    const t = m ? traces[Number(m[1])] : undefined;
    if (!t) {
      deny(res, 404, 'Not found');
      return;
    }
    let size: number;
    try {
      size = statSync(t.path).size;
    } catch {
      deny(res, 404, 'Not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, ...security });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(t.path)
      .on('error', () => res.destroy())
      .pipe(res);
  });
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

const view: Command = {
  name: 'view',
  summary: 'open trace.dat files in the viewer (a page served on 127.0.0.1)',
  async run(argv) {
    const a = parseArgs(argv);
    if (a === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (a.live) throw new UsageError('view: --live is not available yet (record with utp record, then utp view FILE)');
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
      if (!st.isFile()) {
        process.stderr.write(`utp view: cannot read '${f}': not a regular file\n`);
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
