#!/usr/bin/env bash
# The linearizability checker's speed (issue 12's target: 100k operations in under a minute): simulated histories of
# --ops operations (100000) by --clients clients (32) on 10 hot and 5,000 cold keys, --unknown 0.01,0.05 of the writes
# of unknown outcome; per fraction the time to check, then the time to find one stale read planted on the hottest key.
# CPU only (no cluster), single-threaded unless --threads. JSON: target/bench/checker-<timestamp>.json.
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.CheckerBench "$@"
