#!/usr/bin/env node
// Bundles the viewer into a static site: app-dist/{index.html, app.js}. The worker is bundled first and
// inlined into app.js (started from a Blob), and both are classic scripts, so the page also works
// opened straight from disk (file://), where module scripts and worker files are refused.
// Runs after `tsc -b` in `npm run build`; esbuild reads the TypeScript sources (platform=browser).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
const here = new URL('.', import.meta.url).pathname;
const out = here + 'app-dist/';
mkdirSync(out, { recursive: true });
const common = { bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, logLevel: 'warning' };
const w = await build({ ...common, entryPoints: [here + 'src/worker.ts'], write: false });
await build({
  ...common,
  entryPoints: [here + 'src/main.ts'],
  outfile: out + 'app.js',
  define: { __WORKER_SOURCE__: JSON.stringify(w.outputFiles[0].text) },
});
copyFileSync(here + 'app/index.html', out + 'index.html');
