#!/usr/bin/env bash
# Node benchmark (issue 2): 3 kv-node processes on loopback, fsync on, 16-byte keys / 100-byte values; closed-loop puts
# at c=1,16,64, linearizable gets, leader-kill unavailability; 3 trials. Figures printed and written as JSON under
# target/bench/. Options pass through, e.g. --seconds 10 --warmup-seconds 30 --trials 3 --concurrency 1,16,64 --kill-trials 3 --cdc
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/bench.sh
kvpipe_bench_run io.kvpipe.bench.NodeBench "$@"
