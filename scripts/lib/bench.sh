# shellcheck shell=bash
# Builds the bench module (and what it depends on) if needed and runs a benchmark driver on its class path.
. "$(dirname "${BASH_SOURCE[0]}")/jdk.sh"

kvpipe_bench_run() {
  local main=$1; shift
  kvpipe_require_jdk
  kvpipe_require_maven
  if [ -z "${KVPIPE_BENCH_NO_BUILD:-}" ]; then
    echo "building (mvn -q install -DskipTests -pl bench -am) ..."
    mvn -B -q -ntp install -DskipTests -pl bench -am >/dev/null
  fi
  local cp
  cp="bench/target/classes:$(cat bench/target/bench-classpath.txt)"
  exec java -Xmx2g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED \
    -Dlogback.configurationFile=bench/target/classes/logback-bench.xml -cp "$cp" "$main" "$@"
}
