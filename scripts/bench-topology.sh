#!/usr/bin/env bash
# Topology service benchmark (issue 15): 3 kv-node processes (meta, g1, g2) and a proxy on this box; --subscribers SSE
# streams of /api/topology/subscribe from the bench JVM (default 2,000). Topology changes (a group no node hosts, added
# and removed in turn, --changes of them, one every --interval-ms) are sent to the meta group; reports the latency from
# each change's acknowledgement to its event at every subscriber (p50/p99/p999/max, missing), the proxy's RSS before
# and with the subscribers, then topology queries through the proxy (wrk, GET /api/topology/version) at each
# --query-concurrency: queries/s, p50/p99. Progress is printed; JSON: target/bench/topology-<timestamp>.json.
#
# Options: --subscribers 2000 --changes 100 --warmup-changes 30 --interval-ms 100 --query-concurrency 16,64
#   --query-seconds 10 --node-jvm "..." --proxy-jvm "..." --tls on|off
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh
kvpipe_require_package wrk wrk
kvpipe_bench_run io.kvpipe.bench.TopologyBench "$@"
