#!/usr/bin/env bash
# Topology service benchmark (issue 15): 3 kv-node processes (meta, g1, g2) and a proxy on this box; --subscribers SSE
# streams of /api/topology/subscribe from the bench JVM (default 2,000). Topology changes (a group no node hosts, added
# and removed in turn, --changes of them, one every --interval-ms) are sent to the meta group; reports the latency from
# each change's acknowledgement to its event at every subscriber (p50/p99/p999/max, missing), the proxy's RSS before
# and with the subscribers, then topology queries through the proxy (wrk, GET /api/topology/version) at each
# --query-concurrency: queries/s, p50/p99 (closed loop: saturation), and at a fixed --query-rate (open loop, from the
# bench JVM; default 20,000/s, issue 15's point; 0 skips it): p50/p99/p999, errors, the proxy's CPU; and the same rate
# offered by wrk, each connection pausing 1 ms between a response and its next request (timed from the write, so
# without the Java driver's own queueing). The subscribers are read over NIO by --reader-threads threads, each
# arrival timed at its read. The nodes and the proxy run with -DKVPIPE_TRACE=INFO: their trace lines (meta apply,
# watcher reply/reload, SSE fan-out and its CPU) give a table of where a change's time goes (push.stages in the JSON).
# Progress is printed; JSON: target/bench/topology-<timestamp>.json.
#
# Warm-up: changes at the same pace, in 10 s windows, for at least --warmup-seconds (20) and then until every kvpipe
# JVM's JIT took at most --jit-settled-pct (3) % of a core over the last window, up to --warmup-max-seconds (min+120).
# Options: --subscribers 2000 --changes 100 --interval-ms 100 --query-concurrency 16,64
#   --query-seconds 10 --query-rate 20000 --reader-threads 2 --node-jvm "..." --proxy-jvm "..." --tls on|off
#   (e.g. --proxy-jvm "-Xms256m -Xmx1g -XX:+UseParallelGC -Dkvpipe.sse.rawWrites=false" for SSE frames through
#   Jetty's Response.write instead of the connection's socket; the fan-out uses half the cores, with no knob)
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_require_package wrk wrk
kvpipe_bench_run io.kvpipe.bench.TopologyBench "$@"
