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
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
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

kvpipe_bench_run_with_etcd io.kvpipe.bench.BackupBench "$@"
