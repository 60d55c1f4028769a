#!/usr/bin/env bash
# Open-loop whole-pipeline benchmark (issue 18): everything on this box, each its own process: 3 kv-nodes (meta, g1,
# g2; 3 replicas, fsync on, CDC on), a Kafka broker (KRaft, child JVM), the cdc-consumer, a throwaway MariaDB/MySQL
# (durable commits; mariadb-server installed when missing) and a proxy. After a warm-up, writes go through the proxy
# (PUT /v1/kv/{key}, 16-byte keys, 100-byte values) at fixed rates, open loop (issued on schedule whether or not
# earlier writes answered; writes due while --max-in-flight are pending are counted as skipped). Per rate: write-ack
# p50/p99/p999, errors, skipped, the CDC end-to-end latency (ack -> row visible in kv_changelog, polled every 2 ms)
# and each process's CPU; then the highest rate whose ack p99 stays under --target-p99-ms (25) with no errors.
# JSON: target/bench/pipeline-<timestamp>.json.
#
# The warm-up (at --warmup-rate) runs in 10 s windows: at least --warmup-seconds, then until the kv-nodes' and the
# proxy's JIT each took <= --jit-settled-pct (3) % of a core over the last window, at most --warmup-max-seconds
# (--warmup-seconds + 120): a figure taken while the JIT still compiles is the JIT's (bench/README.md).
# Options: --rates 500,1000,2000,3000 --seconds 20 (per rate) --warmup-seconds 30 --warmup-rate 1000 --keys 10000
#   --value-bytes 100 --max-in-flight 256 --target-p99-ms 25 --e2e true|false (false: no kv_changelog poller, whose
#   queries every 2 ms cost CPU on the box) --node-jvm "..." --proxy-jvm "..." --consumer-jvm "..."
#   --broker-jvm "..." (the Kafka broker's, default: Kafka's own launcher's G1, 1 GiB heap)
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
. scripts/lib/mysql.sh
kvpipe_require_mysqld
kvpipe_bench_run io.kvpipe.bench.PipelineBench "$@"
