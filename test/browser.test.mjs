// The universal packages run in a browser: bundle them for the browser (esbuild, platform=browser, which
// rejects any Node import), load the bundle in headless Chromium (Debian's, via playwright-core), decode a
// committed trace.dat there, and compare with trace-cmd report's own output for that file.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runUtp, tmpDir } from './lib/live.mjs';
import { rmSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? undefined : `no ${CHROMIUM} (apt-get install -y chromium)`;
if (skip) console.log(`# skipping browser test: ${skip}`);

const SUCCEED = join(ROOT, 'testdata/succeed');
// many-v7-zstd: the usual events; utf8-comm-marker: bytes 0x80-0x9f in a comm (saved_cmdlines) and in markers,
// which a TextDecoder('latin1') decodes as windows-1252 in a browser (0x80 -> U+20AC), unlike Node
const FIXTURES = ['many-v7-zstd', 'utf8-comm-marker'];

describe('decoding in a browser', { skip }, () => {
  let server, browser, page, base;
  before(async () => {
    const esbuild = await import('esbuild');
    const bundle = await esbuild.build({
      entryPoints: [join(ROOT, 'test/browser/entry.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    const js = bundle.outputFiles[0].text;
    const files = {
      '/': ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/utp.js"></script>'],
      '/utp.js': ['text/javascript', js],
    };
    for (const f of FIXTURES) files[`/${f}.dat`] = ['application/octet-stream', readFileSync(join(SUCCEED, f, 'trace.dat'))];
    server = createServer((req, res) => {
      const f = files[req.url];
      if (!f) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': f[0] });
      res.end(f[1]);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/');
    await page
      .waitForFunction(() => typeof globalThis.utpReport === 'function', null, { timeout: 20_000 })
      .catch(() => {
        throw new Error(`bundle did not load: ${errors.join('; ')}`);
      });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  test('the browser decodes TextDecoder("latin1") as windows-1252 (what the one byte-string decoder avoids)', async () => {
    const r = await page.evaluate(() => globalThis.utpLatin1Probe());
    assert.equal(r.textDecoder, 0x20ac, 'TextDecoder("latin1") maps 0x80 to U+20AC here');
    assert.equal(r.decodeLatin1, 0x80, 'decodeLatin1 keeps 0x80');
    assert.equal(r.native, false, 'decodeLatin1 does not use the windows-1252 TextDecoder');
  });

  // @utp/convert in the browser writes the bytes utp convert writes in Node (test/convert.test.mjs checks those)
  for (const f of FIXTURES)
    for (const [to, ext] of [
      ['json', 'json'],
      ['perfetto', 'pftrace'],
    ])
      test(`${f}: @utp/convert writes the same ${to} in the browser as utp convert in Node`, async () => {
        const d = tmpDir('utp-browser-convert-');
        try {
          const out = join(d, `out.${ext}`);
          const r = runUtp(['convert', join(SUCCEED, f, 'trace.dat'), '-o', out]);
          assert.equal(r.status, 0, r.stderr.toString());
          const got = Buffer.from(await page.evaluate(([u, t]) => globalThis.utpConvert(u, t), [`${base}/${f}.dat`, to]), 'base64');
          const want = readFileSync(out);
          assert.ok(want.length > 1000);
          assert.equal(Buffer.compare(got, want), 0, `${to}: ${got.length} bytes in the browser, ${want.length} in Node`);
        } finally {
          rmSync(d, { recursive: true, force: true });
        }
      });

  for (const f of FIXTURES)
    for (const [mode, expected, opts] of [
      ['default', 'report.txt', {}],
      ['-N', 'report-N.txt', { noPlugins: true }],
    ]) {
      test(`${f}: a v7+zstd trace.dat prints as trace-cmd report ${mode} prints it`, async () => {
        const r = await page.evaluate(([u, o]) => globalThis.utpReport(u, o), [`${base}/${f}.dat`, opts]);
        assert.match(r.userAgent, /Chrome/);
        const want = readFileSync(join(SUCCEED, f, expected), 'latin1').split('\n');
        if (f === 'utf8-comm-marker') {
          // the comm column (from saved_cmdlines) and a marker hold bytes 0x80-0x9f
          assert.ok(
            want.some((l) => /^\S*\s*utp\u00e2\u0082\u00ac/.test(l.replace(/^[^:]+: +/, ''))),
            'a comm with 0x82',
          );
          assert.ok(
            want.some((l) => l.includes('tracing_mark_write: raw \u0080\u0085')),
            'a marker with 0x80 0x85',
          );
        }
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
