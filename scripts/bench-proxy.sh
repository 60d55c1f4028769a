#!/usr/bin/env bash
# Side-by-side benchmark (issue 18): kvpipe through its proxy vs a 3-member etcd, and vs straight to Ratis, in one run.
# Starts, each as its own process(es): 3 etcd members (Debian's etcd-server, installed when missing; fsync on, loopback,
# own temp data dirs), 3 kv-node processes (meta group + shard groups g1, g2, 3 replicas each) and one proxy. Loads
# every key into both, warms up (the JIT needs ~60 s of mixed load: c=64 and c=1 in turn), then per operation (puts, linearizable gets) and
# concurrency (wrk -c 1, 16, 64, 256) runs kvpipe, etcd and direct in alternating slices: kvpipe and etcd driven by
# the same wrk (Debian's, installed when missing) + scripts/wrk/kv.lua (16-byte keys, 100-byte values, keep-alive),
# direct by ShardGroupClient from the benchmark JVM. Per point and system: ops/s, p50/p99, errors (HTTP >= 400 and
# socket errors), CPU of the system's processes; kvpipe/etcd and proxy/direct ratios, issue 18's targets.
# Prints a table; JSON: target/bench/proxy-<timestamp>.json; wrk's own output: target/bench-work/proxy-*/wrk.log.
#
# Options: --seconds S (15 per system per point, split into --rounds R slices, default 3) --concurrency 1,16,64,256
#   --ops put,get --keys K (10000) --value-bytes B (100) --warmup-seconds W (60: at least; then on, in 10 s windows,
#   until every kvpipe JVM's JIT took <= --jit-settled-pct 3 % of a core over the last window, up to
#   --warmup-max-seconds, default W + 120) --wrk-threads T (2)
#   --etcd true|false --direct true|false --node-jvm "..." --proxy-jvm "..." --etcd-binary PATH
#   --tls on|off (mutual TLS on the Ratis ports, as kvpipe runs by default; off to price it)
#   --etcd-peer-tls on|off (mutual TLS between the etcd members; default: as --tls, so both systems' replicas pay for
#   TLS or neither does; clients reach both over plain HTTP)
#   --groups N (2: the dev stack's shard groups g1, g2; 1: one Raft group on the 3 nodes, like for like with etcd's one)
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build. etcd is killed at the end, also when the benchmark fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_require_package wrk wrk
kvpipe_require_package etcd etcd-server
kvpipe_bench_build

kvpipe_bench_run_with_etcd io.kvpipe.bench.ProxyBench "$@"
