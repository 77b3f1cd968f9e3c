// A node:test reporter for tools/run-tests.mjs: one JSON line per finished test or suite, so the
// runner can count passes, failures and skips per file itself. Node 20's own summary leaves skipped
// describe() suites out of its "skipped" count; here a skipped suite is one line with type "suite".
export default async function* countsReporter(source) {
  for await (const e of source) {
    if (e.type !== 'test:pass' && e.type !== 'test:fail') continue;
    const d = e.data;
    yield JSON.stringify({
      result: e.type === 'test:pass' ? 'pass' : 'fail',
      name: d.name,
      nesting: d.nesting,
      kind: d.details?.type === 'suite' ? 'suite' : 'test',
      file: d.file,
      skip: d.skip === undefined ? undefined : d.skip === true ? '(no reason given)' : String(d.skip),
      todo: d.todo === undefined ? undefined : String(d.todo),
      error: e.type === 'test:fail' ? String(d.details?.error?.cause?.message ?? d.details?.error?.message ?? '').slice(0, 300) : undefined,
    }) + '\n';
  }
}
