# shellcheck shell=bash
# Builds the bench module (and what it depends on) if needed and runs a benchmark driver on its class path.
# The build goes through the reactor (package, no install): the class path then names this checkout's module jars,
# and the shared ~/.m2 snapshots other checkouts may resolve are left alone.
. "$(dirname "${BASH_SOURCE[0]}")/jdk.sh"

kvpipe_bench_build() {
  kvpipe_require_jdk
  kvpipe_require_maven
  if [ -z "${KVPIPE_BENCH_NO_BUILD:-}" ]; then
    echo "building (mvn -q package -DskipTests -pl bench -am) ..."
    mkdir -p target
    if ! mvn -B -q -ntp ${KVPIPE_MVN_ARGS:-} package -DskipTests -pl bench -am >target/bench-build.log 2>&1; then
      tail -40 target/bench-build.log >&2
      echo "kvpipe: the build failed (log: target/bench-build.log)" >&2
      return 1
    fi
  fi
}

# The java command line of a driver, in the array KVPIPE_BENCH_CMD.
kvpipe_bench_cmd() {
  local main=$1; shift
  local quiet=()
  # JDK 24+ warns on every JVM start about sun.misc.Unsafe, which Ratis's shaded Netty still uses.
  [ "$(kvpipe_java_major "$JAVA_HOME/bin/java")" -ge 24 ] && quiet=(--sun-misc-unsafe-memory-access=allow)
  KVPIPE_BENCH_CMD=(java -Xmx2g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED "${quiet[@]}"
    -Dlogback.configurationFile=bench/target/classes/logback-bench.xml
    -cp "bench/target/classes:$(cat bench/target/bench-classpath.txt)" "$main" "$@")
}

kvpipe_bench_run() {
  kvpipe_bench_build
  kvpipe_bench_cmd "$@"
  exec "${KVPIPE_BENCH_CMD[@]}"
}

# Runs a driver that starts etcd members and appends their pids to the file it gets as --pid-file; whatever way the
# run ends, those etcd processes are killed (only processes still named etcd: a pid the OS has since given to another
# program is left alone). The driver runs in the background so a signal to the calling script is handled at once:
# the driver is stopped (its kv-node and proxy children follow it, see test-support's OrphanGuard) and the EXIT trap
# kills etcd. Call after kvpipe_bench_build.
kvpipe_bench_run_with_etcd() {
  local main=$1; shift
  mkdir -p target/bench-work
  KVPIPE_ETCD_PID_FILE=$(mktemp target/bench-work/etcd-pids.XXXXXX)
  trap kvpipe_kill_bench_etcd EXIT
  kvpipe_bench_cmd "$main" --pid-file "$KVPIPE_ETCD_PID_FILE" "$@"
  "${KVPIPE_BENCH_CMD[@]}" &
  local driver=$!
  trap 'kill '"$driver"' 2>/dev/null || true; exit 130' INT TERM
  wait "$driver"
}

kvpipe_kill_bench_etcd() {
  local pid
  while read -r pid; do
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = etcd ]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done < "$KVPIPE_ETCD_PID_FILE"
  rm -f "$KVPIPE_ETCD_PID_FILE"
}
