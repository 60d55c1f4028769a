#!/usr/bin/env bash
# Prefix-scan benchmark: 3 kv-node processes (meta group + g1, g2; 3 replicas, fsync on) and one proxy process; N keys
# bulk-loaded straight into g1 and g2 by ring ownership (PutAll batches), then whole scans of their prefix through the
# proxy (GET /v1/kv?prefix=bench-&limit=L, following the continuation tokens), keys only and with values, alternating.
# Prints each scan's keys/s and pages/s and the medians. JSON report: target/bench/scan-<timestamp>.json.
# Options pass through: --keys N (1000000) --value-bytes B (100) --limit L (1000) --trials T (3) --load-batch M (1000).
# KVPIPE_BENCH_NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.ScanBench "$@"
