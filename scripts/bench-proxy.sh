#!/usr/bin/env bash
# Proxy benchmark (issue 5): 3 kv-node processes (meta group + shard groups g1, g2, 3 replicas each) and one proxy;
# closed-loop puts and linearizable gets at c=64 through the proxy (HTTP) and straight to the same groups with the
# Ratis client, in one run. Prints progress, the proxy/direct ratio (target >= 0.9) and the proxy put rate against
# etcd's reference (~3,900 puts/s at c=64; target >= 1.5x). JSON report: target/bench/proxy-<timestamp>.json.
# Direct and proxy runs alternate in 3 slices each so load drift on a shared box does not bias the ratio.
# Options pass through: --seconds N (per path and operation, default 15) --concurrency C (64) --keys K (10000) --value-bytes B (100)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
kvpipe_require_jdk
kvpipe_require_maven
if [ -z "${KVPIPE_BENCH_NO_BUILD:-}" ]; then
  echo "building (common, kv-client, kv-node, test-support, proxy test classes) ..."
  mvn -B -q -ntp install -DskipTests -pl common,kv-client,kv-node,test-support >/dev/null
  mvn -B -q -ntp test-compile dependency:build-classpath -pl proxy -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >/dev/null
fi
cp="proxy/target/test-classes:proxy/target/classes:$(cat proxy/target/test-classpath.txt)"
# The kv-node child processes inherit this class path (KvNodeCluster launches io.kvpipe.node.KvNodeMain from it).
exec java -Xmx1g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED -cp "$cp" io.kvpipe.proxy.ProxyBench "$@"
