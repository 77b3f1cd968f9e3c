#!/usr/bin/env node
// Bundles the compiled CLI (packages/cli/dist/main.js and everything it imports) into one
// CommonJS file, packages/cli/dist/bundle/utp.js, that packages/cli/bin/utp.cjs loads with
// V8's code cache: starting `utp` then reads and compiles one file instead of resolving and
// linking ~150 ES modules. Subcommands stay lazy (each module's body runs on first import).
// Run after `tsc -b` (npm run build does both).
//
// Kept outside the bundle: koffi (a native addon), @foxglove/wasm-zstd and @bokuweb/zstd-wasm (load their .wasm
// from their own folder); all are required lazily, only by the code that needs them.
// tracecmd's drain worker and --proc-map tracer are bundled as files next to it, because
// splice-drain.ts and procmap-tracer.ts start them as new URL('./NAME.js', import.meta.url).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

// fflate builds its Huffman tables when its module runs (~7 ms at start-up on V8's baseline tiers),
// and tracedat imports it for zlib files only: in the bundle, \`fflate\` is a stand-in whose functions
// load the real module (CommonJS, so esbuild runs its body on the first require) when first called.
const FFLATE_USED = ['unzlibSync', 'zlibSync'];
const lazyFflate = {
  name: 'lazy-fflate',
  setup(b) {
    b.onResolve({ filter: /^fflate$/ }, () => ({ path: 'fflate', namespace: 'lazy-fflate' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-fflate' }, () => ({
      resolveDir: root,
      loader: 'js',
      contents:
        `let m;\nconst real = () => (m ??= require(${JSON.stringify(join(root, 'node_modules/fflate/lib/index.cjs'))}));\n` +
        FFLATE_USED.map((n) => `export function ${n}(a, b) { return real().${n}(a, b); }\n`).join(''),
    }));
  },
};
const out = join(root, 'packages/cli/dist/bundle');
const tmp = out + '.tmp';
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    utp: 'packages/cli/dist/main.js',
    'drain-worker': 'packages/tracecmd/dist/drain-worker.js',
    'procmap-tracer-main': 'packages/tracecmd/dist/procmap-tracer-main.js',
  },
  bundle: true,
  plugins: [lazyFflate],
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: tmp,
  external: ['koffi', '@foxglove/wasm-zstd', '@bokuweb/zstd-wasm'],
  // import() of the externals becomes a lazy require(): the file is run as a plain script
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__utpImportMetaUrl' },
  banner: { js: 'var __utpImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// bin/utp.cjs wraps utp.js in a function: main.ts's `#!` line must go; and the banner goes
// after "use strict", which must stay the first statement
const banner = 'var __utpImportMetaUrl = require("url").pathToFileURL(__filename).href;\n';
for (const name of ['utp.js', 'drain-worker.js', 'procmap-tracer-main.js']) {
  const file = join(tmp, name);
  let text = readFileSync(file, 'utf8').replace(/^#![^\n]*\n/, '');
  if (!text.startsWith(banner)) throw new Error(`bundle-cli: unexpected start of ${name}`);
  text = text.slice(banner.length);
  text = text.startsWith('"use strict";\n') ? '"use strict";\n' + banner + text.slice(14) : banner + text;
  // bin/utp.cjs reads the bundle as latin1 (esbuild's default charset escapes everything else)
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`bundle-cli: ${name} is not ASCII`);
  writeFileSync(file, text);
}
// the folder's .js files are CommonJS (packages/cli is "type": "module")
writeFileSync(join(tmp, 'package.json'), '{ "type": "commonjs" }\n');
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);

// The code cache: bin/utp.cjs writes it after a run when it is missing, holding what that run
// compiled. Make it from a report of a small committed trace, the command that most wants it.
const r = spawnSync(
  process.execPath,
  [join(root, 'packages/cli/bin/utp.cjs'), 'report', '-i', join(root, 'packages/tracedat/testdata/sched-irq-v7-zstd.dat')],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
if (r.status !== 0) throw new Error(`bundle-cli: the bundled utp report failed (status ${r.status})`);
