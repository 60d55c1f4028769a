#!/usr/bin/env bash
# Redis-protocol benchmark (issue 17): Debian's redis-benchmark against the proxy's RESP port
# (-t set,get -n 200000 -c 64, at -P 1 and -P 16, -r 10000 random keys, -d 100-byte values) vs the same operations
# through the proxy's HTTP API and through a 3-member etcd, both driven by wrk at c=64 (scripts/wrk/kv.lua), in one run.
# Starts, each as its own process(es): 3 etcd members (Debian's etcd-server; fsync on, loopback), 3 kv-node processes
# (meta group + g1, g2; 3 replicas each) and one proxy with --resp-port. Warms the JVMs up first.
# Prints the figures; JSON: target/bench/resp-<timestamp>.json (machine info included); tools' output:
# target/bench-work/resp-*/redis-benchmark.log and wrk.log.
#
# Options: --requests N (200000) --clients C (64) --pipeline 1,16 --keys K (10000) --value-bytes B (100)
#   --http-seconds S (20) --warmup-seconds W (30) --etcd true|false --node-jvm "..." --proxy-jvm "..." --tls on|off
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build. etcd is killed at the end, also when the benchmark fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_require_package redis-benchmark redis-tools
kvpipe_require_package wrk wrk
kvpipe_require_package etcd etcd-server
kvpipe_bench_build

kvpipe_bench_run_with_etcd io.kvpipe.bench.RespBench "$@"
