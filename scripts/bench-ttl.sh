#!/usr/bin/env bash
# TTL collection benchmark (docs/ttl.md): N keys put with one TTL into 3 kv-node processes (g1, g2; fsync on, CDC off),
# then how soon after their deadlines the groups' leaders have collected them all; the same with a local redis-server
# (SET PX via redis-cli --pipe, DBSIZE until 0) as the peer. JSON report: target/bench/ttl-<timestamp>.json.
# Options pass through: --keys N (50000) --ttl-s S (40; keep it above the load time) --value-bytes B (100)
# --in-flight F (256). KVPIPE_BENCH_NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.TtlBench "$@"
