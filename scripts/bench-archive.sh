#!/usr/bin/env bash
# Archive benchmark (issues 4, 15): the cdc-consumer's archive rate vs. a raw batched upsert of the same rows (a
# kv_changelog INSERT and a kv_current upsert per event, addBatch + rewriteBatchedStatements, one commit per --batch
# rows) and vs. the raw changelog-only INSERT, in one run, on a real Kafka broker (started here unless --bootstrap) and
# a real MySQL-compatible server (a throwaway local mariadbd/mysqld with durable commits unless --jdbc-url). Checks the
# consumer's kv_current equals the raw one. Prints progress, both rates, the ratio (target >= 0.8) and the absolute rate
# (target >= 55,000 events/s on 2 cores) with the load average, and flags a round during which this process was paused
# (another job's SIGSTOP, heavy contention): such a round measured the pause.
# Then (unless --e2e false) the end-to-end phase: 3 kv-node processes with CDC on publish to the same broker, the
# consumer archives into a fresh database, and writes at a fixed rate (--e2e-rate, shared OpenLoop driver, after a
# warm-up of max(3, seconds/3) s) are timed from their ack to their kv_changelog row being visible (a poller reads new
# rows every 2 ms): p50/p99/p999 (target p99 < 100 ms at 2,000 writes/s), with progress each second.
# Events are the records kv-node publishes (envelope format 2, key struct, headers; --format 1: the legacy envelope).
# Each phase's CPU per event by process (this JVM, mysqld, the broker) is printed and kept: on a shared box it says more
# than rows/s. The throwaway server is sized like docker-compose.yml's (1 GiB buffer pool and redo log, no neighbour
# flushing; docs/operations.md); KVPIPE_MYSQLD_ARGS adds or overrides options (the JSON records them and the settings).
# Writes target/bench/archive-<timestamp>.json with all figures and the machine's cores, memory, load, JDK and database.
#
#   scripts/bench-archive.sh [--events 500000] [--keys 100000] [--value-bytes 100] [--partitions 3] [--batch 5000]
#                            [--writer-threads 2] [--changelog-load true|false] [--jdbc-properties FILE] [--rounds 1]
#                            [--format 2|1]
#                            [--bootstrap host:port] [--jdbc-url jdbc:mysql://host:port/ --jdbc-user U --jdbc-password P]
#                            [--e2e true|false] [--e2e-rate 2000] [--e2e-seconds 15]
#
# The archive figures alone, three rounds (best of each, raw and consumer alternating which goes first):
#   scripts/bench-archive.sh --e2e false --rounds 3
# KVPIPE_BENCH_NO_BUILD=1 (as for every bench script) reuses the last build; KVPIPE_MVN_ARGS adds Maven flags (e.g. -o). The class path is
# cdc-consumer's test class path, which includes kv-node (test scope) for the kv-node processes of the e2e phase.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/usage.sh
kvpipe_usage_if_asked "$0" "$@"
. scripts/lib/jdk.sh
. scripts/lib/mysql.sh
kvpipe_require_jdk
kvpipe_require_maven
case " $* " in *" --jdbc-url "*) ;; *) kvpipe_require_mysqld ;; esac

mvn_args=(-B -q ${KVPIPE_MVN_ARGS:-})
cp_file=cdc-consumer/target/bench-classpath.txt
if [ -z "${KVPIPE_BENCH_NO_BUILD:-}" ] && [ "${KVPIPE_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$cp_file" ]; then
  echo "bench-archive: building cdc-consumer and what it needs ..."
  # Through the reactor (package, no install): the class path names this checkout's module jars and the shared ~/.m2
  # snapshots stay untouched. The relative output file is per module; cdc-consumer's is the one used.
  mvn "${mvn_args[@]}" package -pl cdc-consumer -am -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench-classpath.txt
fi

mkdir -p target/bench
echo "bench-archive: $(java -version 2>&1 | head -1), $(nproc) cores"
java -Xmx2g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED \
  -Dlogback.configurationFile="$PWD/cdc-consumer/src/test/resources/logback-bench.xml" \
  -cp "cdc-consumer/target/classes:cdc-consumer/target/test-classes:$(cat "$cp_file")" \
  io.kvpipe.consumer.ArchiveBench "$@"
rm -rf target/bench/kafka-* target/bench/e2e-*
