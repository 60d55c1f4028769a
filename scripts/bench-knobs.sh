#!/usr/bin/env bash
# What each write-path setting is worth (issues 13 and 18): scripts/bench-node.sh run once per variant, the variants
# alternating round by round so a noisy box weighs on all of them alike, then one JSON comparing each variant's
# medians with the baseline's (kvpipe's defaults: mutual TLS on, group commit on, append-entries compose off, no
# leader-lease reads, Raft streams handled on gRPC's transport threads).
#
# Variants (each is bench-node flags on top of the baseline):
#   tls-off         --tls off                                  (the price of mutual TLS on the Ratis ports)
#   compose-on      Ratis 3.3's default append-entries compose (a follower cannot merge appends into one fsync)
#   lease-reads     linearizable reads served on the leader's lease instead of a read-index round
#   group-commit-off one Raft entry per write
#   inline-calls-off gRPC's executor hands each AppendEntries and client message to another thread (Ratis's default)
#
# Options: --rounds R (2) --seconds S (8 per phase) --warmup-seconds W (15) --warmup-max-seconds M (bench-node's:
#   W + 120; its warm-up goes on until the JIT settles, up to M) --concurrency LIST (1,64)
#   --variants LIST (all of the above) --summary RUNS_FILE (only summarise the runs a previous call listed).
# JSON: target/bench/knobs-<timestamp>.json; each run's own JSON beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/jdk.sh
kvpipe_require_package python3 python3

rounds=2 seconds=8 warmup=15 warmup_max="" concurrency=1,64 variants=tls-off,compose-on,lease-reads,group-commit-off,inline-calls-off summary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup-seconds) warmup=$2; shift 2 ;;
    --warmup-max-seconds) warmup_max=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --summary) summary=$2; shift 2 ;;
    *) echo "bench-knobs: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

flags_of() {
  case "$1" in
    baseline) echo "" ;;
    tls-off) echo "--tls off" ;;
    compose-on) echo "--raft-property raft.server.log.append-entries.compose.enabled=true" ;;
    lease-reads) echo "--raft-property raft.server.read.leader.lease.enabled=true" ;;
    group-commit-off) echo "--group-commit off" ;;
    inline-calls-off) echo "--raft-inline-calls false" ;;
    *) echo "bench-knobs: unknown variant $1" >&2; exit 2 ;;
  esac
}

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p target/bench
runs_file=${summary:-target/bench/knobs-$stamp.runs}
[ -n "$summary" ] || : > "$runs_file"
IFS=, read -r -a list <<< "baseline,$variants"
total=$(( rounds * ${#list[@]} ))
[ -z "$summary" ] || rounds=0
n=0
for round in $(seq 1 "$rounds"); do
  for v in "${list[@]}"; do
    n=$((n + 1))
    f=$(flags_of "$v")
    node_args=() extra=()
    case "$v" in
      compose-on|lease-reads|inline-calls-off) node_args=(--node-args "$f") ;;
      *) [ -n "$f" ] && read -r -a extra <<< "$f" ;;
    esac
    echo "== [$n/$total] round $round: $v ${f:+($f)}"
    before=$(ls target/bench/node-*.json 2>/dev/null | sort | tail -1 || true)
    KVPIPE_BENCH_NO_BUILD=${KVPIPE_BENCH_NO_BUILD:-$([ $n -gt 1 ] && echo 1 || true)} \
      scripts/bench-node.sh --trials 1 --kill-trials 0 --seconds "$seconds" --warmup-seconds "$warmup" \
      ${warmup_max:+--warmup-max-seconds "$warmup_max"} --concurrency "$concurrency" "${extra[@]}" "${node_args[@]}" | grep -E "^(puts|linearizable gets) c=" || true
    after=$(ls target/bench/node-*.json | sort | tail -1)
    [ "$after" != "$before" ] || { echo "bench-knobs: run $v wrote no JSON" >&2; exit 1; }
    echo "$v $after" >> "$runs_file"
  done
done

python3 - "$runs_file" "target/bench/knobs-$stamp.json" <<'EOF'
import json, statistics, sys, os, platform
runs_file, out = sys.argv[1], sys.argv[2]
by = {}
for line in open(runs_file):
    v, path = line.split()
    d = json.load(open(path))
    t = d["cdc_off"]["trials"][0]
    for kind in ("puts", "gets"):
        points = t.get(kind) or []
        for p in points if isinstance(points, list) else [points]:
            key = f"{kind[:-1]} c={p['concurrency']}"
            by.setdefault(v, {}).setdefault(key, []).append((p["ops_per_s"], p["p50_ms"], p["p99_ms"],
                p.get("node_cost", {}).get("cpu_total", {}).get("core_pct")))
    machine = d["machine"]
base = by["baseline"]
result = {"benchmark": "knobs", "machine": machine, "runs": open(runs_file).read().split("\n")[:-1], "variants": {}}
print(f"\n{'variant':18} {'point':10} {'ops/s (median)':>15} {'vs baseline':>12} {'p50 ms':>8} {'p99 ms':>8}")
for v, points in by.items():
    vr = {}
    for key, vals in points.items():
        ops = statistics.median(x[0] for x in vals)
        p50 = statistics.median(x[1] for x in vals)
        p99 = statistics.median(x[2] for x in vals)
        b = statistics.median(x[0] for x in base.get(key, [(float("nan"),)*4]))
        ratio = ops / b if b else None
        vr[key] = {"ops_per_s": [x[0] for x in vals], "median_ops_per_s": ops, "p50_ms": p50, "p99_ms": p99,
                   "cpu_core_pct": [x[3] for x in vals], "ratio_to_baseline": ratio}
        print(f"{v:18} {key:10} {ops:15,.0f} {ratio:11.2f}x {p50:8.2f} {p99:8.2f}")
    result["variants"][v] = vr
json.dump(result, open(out, "w"), indent=2)
print(f"wrote {os.path.abspath(out)}")
EOF
