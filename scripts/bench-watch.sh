#!/usr/bin/env bash
# Watch fan-out benchmark (issue 14): 3 kv-node processes (meta, g1, g2; fsync on, CDC on), a Kafka broker (KRaft,
# child JVM) and a proxy reading the change topic for GET /v1/watch, all on this box. --watchers SSE watch streams
# (default 1,000, in the bench JVM) are opened first; then, per fan-out F (--fanout 1,10), the watchers are split into
# 1000/F prefixes of F watchers each and writes go through the proxy at --rate (1,000/s, open loop) round-robin over the
# prefixes. Reports the notify latency from the write's acknowledgement (seen by the writer) to the change event at
# each watcher (p50/p99/p999/max), events delivered and missing, reconnects, and each process's CPU.
# JSON: target/bench/watch-<timestamp>.json (with the machine's cores, CPU, JDK and load average).
#
# Options: --watchers 1000 --rate 1000 --fanout 1,10 --seconds 20 --warmup-seconds 15 --value-bytes 100
#   --node-jvm "..." --proxy-jvm "..." --tls on|off
#   --broker-jvm "..." (the Kafka broker's, default: Kafka's own launcher's G1, 1 GiB heap)
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.WatchBench "$@"
