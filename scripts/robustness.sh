#!/usr/bin/env bash
# The robustness suite (issue 12): the whole pipeline on this box (3 kv-nodes, a spare, proxies a and b, a Kafka
# broker, the archive consumer, a throwaway MariaDB), a checking workload over both proxies (get/put/delete/CAS on hot
# and cold keys, every op recorded ok / refused / unknown), and a seeded nemesis injecting one fault at a time:
#   kill      kill -9 + restart of a kv-node (leader or follower)     pause     SIGSTOP/SIGCONT of a kv-node or proxy, 1-10 s
#   kafka     broker kill -9 or pause, then back                      mysql     mariadbd kill -9, then restarted
#   consumer  archive consumer kill -9, then restarted
#   migration operations beside the faults: groups (add/drain a group g3) and replicas (add/remove replica n4 of g1)
# Beside it, under the same faults: two-key transactions on hash-tagged pairs, 1-5 s TTL puts on keys of their own,
# and paginated prefix scans of the cold keys (issue 17).
# Then it heals, reads every key once more, waits for the pipeline to be idle and checks: the history linearizable
# (per key, unknown outcomes as may-or-may-not; transactions per key, each scanned key a read), every acknowledged
# write in kv_changelog exactly once and nothing unwritten, kv_current = the store, per-key version order on the
# topic, transactions (one version, one txn_id, both rows or neither), expiries (404 after the deadline, one expiry
# row per expired last put, none twice or for a put replaced in time), scans (strict order, values written, settled
# keys present), and write availability per fault kind.
#
#   scripts/robustness.sh --seconds 180 --seed 42 --nemesis kill,pause,partition,kafka,mysql,consumer,migration
#                         [--clients 8] [--request-timeout-ms 5000 (the proxies': a write unanswered by then is unknown)]
# partition needs root (the kv-nodes then run in network namespaces).
#
# Output under target/robustness/<time>-seed<S>/: history.jsonl, timeline.jsonl, txns.jsonl, ttl.jsonl, scans.jsonl,
# verdict.json, run.log, work/ (the processes' logs). Exit 0 if every check passed, 1 if not. The same --seed replays the same fault schedule.
# The build goes through the reactor (package, no install); KVPIPE_ROBUSTNESS_NO_BUILD=1 reuses the last one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
. scripts/lib/mysql.sh
kvpipe_require_jdk
kvpipe_require_maven
kvpipe_require_mysqld
mkdir -p target/robustness
if [ -z "${KVPIPE_ROBUSTNESS_NO_BUILD:-}" ]; then
  echo "building (mvn -q package -DskipTests -pl system-tests -am) ..."
  if ! mvn -B -q -ntp ${KVPIPE_MVN_ARGS:-} package -DskipTests -pl system-tests -am >target/robustness/build.log 2>&1; then
    tail -40 target/robustness/build.log >&2
    echo "kvpipe: the build failed (log: target/robustness/build.log)" >&2
    exit 1
  fi
fi
quiet=()
[ "$(kvpipe_java_major "$JAVA_HOME/bin/java")" -ge 24 ] && quiet=(--sun-misc-unsafe-memory-access=allow)
log=target/robustness/last-run.log
set +e
java -Xmx1g -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED "${quiet[@]}" \
  -cp "system-tests/target/test-classes:$(cat system-tests/target/robustness-classpath.txt)" \
  io.kvpipe.systemtest.RobustnessMain "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
dir=$(sed -n 's/.*] run \([^ ]*\): .*/\1/p' "$log" | head -1)
[ -n "$dir" ] && [ -d "$dir" ] && cp "$log" "$dir/run.log"
exit "$rc"
