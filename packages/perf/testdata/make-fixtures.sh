#!/bin/sh
# Records the small perf.data fixtures of @utp/perf with Debian's perf (root, tracefs) and saves
# `perf script`'s output for each next to it. Every perf command's exit status is checked.
# Run from this directory: flock /tmp/utp-live.lock ./make-fixtures.sh
set -eu
run() { "$@" || { echo "make-fixtures: failed ($?): $*" >&2; exit 1; }; }
W='ls /usr/share >/dev/null; sleep 0.01'
run perf record -q -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_process_exec -e sched:sched_process_fork -o tp-task.data -- sh -c "$W" >/dev/null
run perf record -q -e sched:sched_switch -e raw_syscalls:sys_enter -e sched:sched_process_exit -o - -- sh -c "$W" > tp-pipe.data 2>/dev/null
run perf record -q -z -a -e sched:sched_switch -e irq:softirq_entry -o tp-zstd.data -- sleep 0.05 >/dev/null
run perf record -q -m 1 -e raw_syscalls:sys_enter -o tp-lost.data -- ls -R /usr/share/doc >/dev/null 2>&1
# software samples with callchains beside a tracepoint (@utp/model's PerfDataSource tests)
run perf record -q -g -a -e cpu-clock -e sched:sched_switch -o sw-clock.data -- sleep 0.05 >/dev/null
for f in tp-task tp-pipe tp-zstd tp-lost sw-clock; do
  if [ "$f" = tp-pipe ]; then in="-i -"; else in="-i $f.data"; fi
  run sh -c "perf script $in < $f.data > $f.script 2>/dev/null"
  run sh -c "perf script $in --show-task-events --ns < $f.data > $f.task-ns.script 2>/dev/null"
done
chmod 644 *.data
perf report -i tp-lost.data --stats 2>/dev/null | grep -q 'LOST events' || { echo "make-fixtures: tp-lost.data has no LOST records; run again" >&2; exit 1; }
gzip -9f *.data *.script
