#!/usr/bin/env bash
# Direct-to-Ratis benchmark (issues 2 and 18): 3 kv-node processes on loopback hosting one shard group (fsync on),
# driven straight through the Ratis client (ShardGroupClient) with 16-byte keys and 100-byte values. Per trial:
# closed-loop puts at each concurrency and linearizable gets at the highest, each phase with its cost per kv-node
# process (CPU user+sys from /proc/<pid>/stat, in seconds and % of one core) and the Raft log's entries per fsync
# (log flushes and entries written, from each node's /metrics), each node's mean time per write-path stage (its
# Raft timers: client write, log flush, fsync, follower appendEntries, apply), ops per leader log entry, and elections (term
# changes, elections the replicas ran) while nothing was killed; then the leader-kill window: kill -9 of the leader
# -> first acknowledged write issued after it, over --kill-trials (default 10): p50/p99/max.
# Figures printed and written as JSON under target/bench/node-<timestamp>.json.
# Options: --seconds 10 --warmup-seconds 60 (at least; then on, in 10 s windows, until every node's JIT compiler took
#   <= --jit-settled-pct 3 % of a core over the last window, up to --warmup-max-seconds, default warm-up + 120)
#   --trials 3 --concurrency 1,16,64 --kill-trials 10 --keys 100000 --tls on|off
#   --value-bytes 100 --group-commit (the client's batching; "off" to compare) --node-args "..." (extra kv-node flags,
#   e.g. "--raft-property raft.server.read.leader.lease.enabled=true") --cdc (the same with a Kafka broker and CDC
#   on, plus publish lag at --lag-rates 2000,5000) --memory-keys 1000000 (then, in a fresh group, each node's RSS
#   and live heap before and after loading that many records; RSS / raw data against issue 15's 2.5, and the RSS
#   growth over the load / raw data, what the ratio tends to as the data grows; 0 skips it) --memory-rest-seconds 0
#   (when > 0, the loaded nodes are left idle that long and read once more, nothing forced: what a node holds once its
#   own periodic collection and native trim ran; "rest" readings and rss_rest_* in the JSON)
#   --node-jvm "..." (the kv-nodes' JVM flags, default: config/jvm/kv-node.options; with
#   -XX:NativeMemoryTracking=summary the memory phase adds each node's committed memory by JVM area) --memory-only
#   (just the memory phase; its nodes run on the class path a kv-node ships with, kvctl/target/*-classpath.txt as the
#   dev stack builds it; each reading's class histogram, /proc/PID/smaps, glibc's malloc_info (.malloc) and, with NMT,
#   the NMT summary and its diff over the load (by call site with -XX:NativeMemoryTracking=detail) are kept under
#   target/bench-work/node-memory-*/readings/, and the JSON has each node's anonymous RSS too)
#   --node-env "NAME=value ..." (the kv-nodes' environment, default: config/jvm/kv-node.env if there is one; "" for none)
#   --broker-jvm "..." (the Kafka broker's, default: Kafka's own launcher's G1, 1 GiB heap) for the CDC phase
# KVPIPE_BENCH_NO_BUILD=1 reuses the last build. The kv-nodes inherit the environment: KVPIPE_RATIS_LOG_LEVEL=INFO logs
# Ratis's role changes (a kill trial's breakdown: set the printed kill time against target/bench-work/node-*/n*.log),
# KVPIPE_DEAD_LEADER_WATCH=off measures failovers without kv-node's dead-leader watch, KVPIPE_LEADER_LINES=off
# without only its held connections to the leaders (then a dead leader is noticed by its silence alone).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.NodeBench "$@"
