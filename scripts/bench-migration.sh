#!/usr/bin/env bash
# Online migration benchmark: 3 kv-node processes (meta group + g1, g2; 3 replicas, fsync on) and one proxy process;
# N keys bulk-loaded straight into g1 and g2 by ring ownership (PutAll batches), then an open-loop background write
# load through the proxy, first until every JVM's JIT has settled (--warmup-seconds 20, --warmup-max-seconds 140), then
# client p50/p99 for --before-seconds, then POST /api/cluster/groups adds g3 and the
# migration is followed to its end. Prints load and copy progress, keys moved, copy keys/s, client p50/p99 before vs
# during, errors, duration. JSON report: target/bench/migration-<timestamp>.json.
# Options pass through: --keys N (1000000) --value-bytes B (100) --background-rate W (1000 writes/s)
#   --batch-size M (10000, migration batch) --throttle K (0 = unthrottled keys/s) --load-batch L (1000)
#   --before-seconds S (10). KVPIPE_BENCH_NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.MigrationBench "$@"
