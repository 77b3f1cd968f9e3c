// Child of test/perf-live.test.mjs (run under the live lock): samples syscalls:sys_enter_read with
// @utp/perf/live and prints a JSON summary. argv[2] = N.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { Evsel, Evlist, CpuMap, ThreadMap } from '@utp/perf/live';
import { Tep } from '@utp/traceevent';

const N = Number(process.argv[2] ?? 300);
const tep = new Tep();
const ev = tep.addEventFormat(readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_read/format', 'utf8'), 'syscalls');
const field = (n) => ev.fields.find((x) => x.name === n);
const perfMaps = () =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes('perf_event')).length;
// every open fd and what it is (the directory fd of the listing itself is gone by then: no link)
const fdList = () =>
  readdirSync('/proc/self/fd')
    .flatMap((f) => {
      try {
        return [`${f}=${readlinkSync(`/proc/self/fd/${f}`)}`];
      } catch {
        return [];
      }
    })
    .sort();
let fdsBefore = [],
  mapsBefore = 0;
let lost = 0n;

function run(cpus, threads, pages, work) {
  const sampleType = 1 | 2 | 4 | 128 | 1024; // IP TID TIME CPU RAW
  const l = new Evlist(Evsel.fromName('syscalls:sys_enter_read', { samplePeriod: 1n, sampleType, wakeupWatermark: 4096 }));
  l.setMaps(cpus, threads);
  const got = [];
  let lostHere = 0n;
  try {
    l.open();
    l.mmap(pages);
    l.enable();
    const pid = work();
    // read what is there (this frees the ring), then one more event: a ring that dropped records
    // writes its LOST record before it (the kernel reports losses once there is room again)
    const onRec = (e) => {
      if (e.type === 2) lostHere += e.view.getBigUint64(16, true);
      if (e.type !== 9 || e.sample.pid !== pid) return;
      const raw = e.sample.raw;
      const rec = {
        ts: BigInt(e.sample.time),
        cpu: e.sample.cpu,
        page: raw,
        view: new DataView(raw.buffer, raw.byteOffset, raw.byteLength),
        offset: 0,
        size: raw.length,
      };
      got.push({
        type: tep.typeOf(rec),
        fd: tep.readFieldNumber(rec, field('fd')),
        count: tep.readFieldNumber(rec, field('count')),
        cpu: e.sample.cpu,
      });
    };
    l.readRecords(onRec);
    const fd = openSync('/etc/hostname', 'r');
    readSync(fd, new Uint8Array(5), 0, 5, null);
    closeSync(fd);
    l.disable();
    l.readRecords(onRec);
    if (l.lost !== lostHere) throw new Error(`Evlist.lost ${l.lost} != LOST records ${lostHere}`);
  } finally {
    l.close();
  }
  return { got, lost: lostHere };
}

// a warm-up open (koffi loads libc, Node opens what it opens lazily), then the fds and maps to keep
run(CpuMap.dummy(), ThreadMap.of([process.pid]), 1, () => process.pid);
spawnSync('taskset', ['-c', '0', 'true'], { stdio: ['ignore', 'ignore', 'ignore'] }); // Node keeps a /dev/null fd for 'ignore'
fdsBefore = fdList();
mapsBefore = perfMaps();
const dd = (n) =>
  spawnSync('taskset', ['-c', '0', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${n}`], { stdio: ['ignore', 'ignore', 'ignore'] })
    .pid;
const a = run(CpuMap.of([0]), ThreadMap.dummy(), 64, () => dd(N));
lost += a.lost;
const b = run(CpuMap.dummy(), ThreadMap.of([process.pid]), 64, () => {
  const fd = openSync('/etc/hostname', 'r');
  const buf = new Uint8Array(7);
  for (let i = 0; i < N; i++) readSync(fd, buf, 0, 7, null);
  closeSync(fd);
  return process.pid;
});
lost += b.lost;
// one data page, 20000 reads before anything is read: most are lost
const M = 20000;
const t = run(CpuMap.dummy(), ThreadMap.of([process.pid]), 1, () => {
  const fd = openSync('/etc/hostname', 'r');
  const buf = new Uint8Array(3);
  for (let i = 0; i < M; i++) readSync(fd, buf, 0, 3, null);
  closeSync(fd);
  return process.pid;
});
// a group (PERF_FORMAT_GROUP) of two tracepoints on our thread, read in one read() of the leader
const g = new Evlist([
  ...Evsel.fromName('syscalls:sys_enter_read', { readFormat: 1 | 2 | 4 | 8 }),
  ...Evsel.fromName('syscalls:sys_enter_close', { readFormat: 1 | 2 | 4 | 8 }),
]);
g.setLeader();
g.setMaps(CpuMap.dummy(), ThreadMap.of([process.pid]));
let group;
try {
  g.open();
  g.evsels[0].enable(); // the leader's enable starts the group
  const buf = new Uint8Array(2);
  for (let i = 0; i < 5; i++) {
    const fd = openSync('/etc/hostname', 'r');
    for (let k = 0; k < N; k++) readSync(fd, buf, 0, 2, null);
    closeSync(fd);
  }
  g.evsels[0].disable();
  const r = g.evsels[0].readGroup(0, 0);
  group = {
    values: r.values.map((v) => String(v.val)),
    idsMatch: r.values.every((v, i) => v.id === g.evsels[i].ids[0]),
    timesOk: r.ena > 0n && r.run === r.ena,
  };
} finally {
  g.close();
}
// the wakeup watermark: poll() stays quiet below it and wakes once the ring holds that many bytes
const w = new Evlist(Evsel.fromName('syscalls:sys_enter_read', { samplePeriod: 1n, sampleType: 2 | 4 | 1024, wakeupWatermark: 8192 }));
w.setMaps(CpuMap.dummy(), ThreadMap.of([process.pid]));
let watermark;
try {
  w.open();
  w.mmap(8);
  w.enable();
  const fd = openSync('/etc/hostname', 'r');
  const buf = new Uint8Array(1);
  for (let i = 0; i < 5; i++) readSync(fd, buf, 0, 1, null);
  const below = w.poll(0);
  for (let i = 0; i < 400; i++) readSync(fd, buf, 0, 1, null); // 400 samples of ~100 bytes > 8 KiB
  const above = w.poll(0);
  closeSync(fd);
  w.disable();
  watermark = { below, above };
} finally {
  w.close();
}
const fdsAfter = fdList(),
  mapsAfter = perfMaps();
const oneReads = a.got.filter((x) => x.fd === 0 && x.count === 1);
process.stdout.write(
  JSON.stringify({
    oneCpu: { reads: oneReads.length, otherCpu: a.got.filter((x) => x.cpu !== 0).length, typeOk: a.got.every((x) => x.type === ev.id) },
    perTask: { reads: b.got.filter((x) => x.count === 7).length },
    group,
    watermark,
    lost: String(lost),
    tiny: { lost: String(t.lost), samples: t.got.filter((x) => x.count === 3).length, expected: M },
    fdsBefore,
    fdsAfter,
    mapsBefore,
    mapsAfter,
  }) + '\n',
);
