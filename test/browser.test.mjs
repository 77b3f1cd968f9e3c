// The universal packages run in a browser: bundle them for the browser (esbuild, platform=browser, which
// rejects any Node import), load the bundle in headless Chromium (Debian's, via playwright-core), decode a
// committed trace.dat there, and compare with trace-cmd report's own output for that file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/live.mjs';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install -y chromium)`;
if (skip) console.log(`# skipping browser test: ${skip}`);

const FIXTURE = join(ROOT, 'testdata/succeed/many-v7-zstd');

describe('decoding in a browser', { skip }, () => {
  let server, browser, page, base;
  before(async () => {
    const esbuild = await import('esbuild');
    const bundle = await esbuild.build({
      entryPoints: [join(ROOT, 'test/browser/entry.mjs')], bundle: true, write: false, format: 'esm',
      platform: 'browser', target: 'es2022', logLevel: 'silent',
    });
    const js = bundle.outputFiles[0].text;
    const files = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/utp.js"></script>'],
      '/utp.js': ['text/javascript', js],
      '/trace.dat': ['application/octet-stream', readFileSync(join(FIXTURE, 'trace.dat'))],
    };
    server = createServer((req, res) => {
      const f = files[req.url];
      if (!f) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-type': f[0] });
      res.end(f[1]);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/');
    await page.waitForFunction(() => typeof globalThis.utpReport === 'function', null, { timeout: 20_000 })
      .catch(() => { throw new Error(`bundle did not load: ${errors.join('; ')}`); });
  });
  after(async () => { await browser?.close(); server?.close(); });

  for (const [mode, expected, opts] of [['default', 'report.txt', {}], ['-N', 'report-N.txt', { noPlugins: true }]]) {
    test(`a v7+zstd trace.dat prints as trace-cmd report ${mode} prints it`, async () => {
      const r = await page.evaluate(([u, o]) => globalThis.utpReport(u, o), [base + '/trace.dat', opts]);
      assert.match(r.userAgent, /Chrome/);
      const want = readFileSync(join(FIXTURE, expected), 'latin1').split('\n');
      assert.equal(want[0], `cpus=${r.cpus}`);
      const body = want.slice(1, -1);
      assert.equal(r.lines.length, body.length, 'line count');
      for (let i = 0; i < body.length; i++) {
        // The browser strings are byte strings (one char per byte), like latin1 in Node.
        if (r.lines[i] !== body[i]) assert.equal(r.lines[i], body[i], `line ${i + 2}`);
      }
    });
  }
});
