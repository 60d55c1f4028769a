#!/usr/bin/env bash
# Backup/restore benchmark (issue 16): 3 kv-node processes (meta group + g1, g2; 3 replicas, fsync on, mutual TLS) and
# a proxy; N keys bulk-loaded into g1, g2; `kvctl backup` (in the driver's JVM) --trials times, then per trial a
# fresh cluster and `kvctl restore` of the first backup (checked: every key held). Peer: a 3-member etcd (Debian's
# etcd-server, installed when missing) with the same keys: `etcdctl snapshot save` and the offline
# `etcdctl snapshot restore`. Prints keys/s and kvpipe/etcd ratios. JSON report: target/bench/backup-<timestamp>.json.
# Options pass through: --keys N (200000) --value-bytes B (100) --trials T (2) --load-batch M (1000)
#   --etcd true|false (true) --etcd-binary PATH --etcdctl PATH.
# KVPIPE_BENCH_NO_BUILD=1 skips the build. etcd is killed at the end, also when the benchmark fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh
etcd_on=true
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --etcd ]; then j=$((i + 1)); etcd_on=${!j}; fi
done
if [ "$etcd_on" = true ]; then
  kvpipe_require_package etcd etcd-server
  kvpipe_require_package etcdctl etcd-client
fi
kvpipe_bench_build

mkdir -p target/bench-work
pid_file=$(mktemp target/bench-work/etcd-pids.XXXXXX)
cleanup() {
  local pid
  while read -r pid; do
    # Only our etcd members: a pid the OS has since given to another program is left alone.
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = etcd ]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done < "$pid_file"
  rm -f "$pid_file"
}
trap cleanup EXIT

kvpipe_bench_cmd io.kvpipe.bench.BackupBench --pid-file "$pid_file" "$@"
# In the background so a signal to this script is handled at once (the EXIT trap then kills etcd).
"${KVPIPE_BENCH_CMD[@]}" &
driver=$!
trap 'kill "$driver" 2>/dev/null || true; exit 130' INT TERM
wait "$driver"
