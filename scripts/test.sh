#!/usr/bin/env bash
# Runs the whole test suite: unit tests (Surefire) and integration tests against real Ratis groups, a real Kafka
# broker and a real MySQL-compatible server (Failsafe). Installs a JDK >= 21 and a MariaDB server binary when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
. scripts/lib/mysql.sh
kvpipe_require_jdk
kvpipe_require_maven
kvpipe_require_mysqld
kvpipe_require_package openssl openssl # the dev stack's throwaway CA (DevStackIT)
# Network partitions (NodeNetworkIT, the robustness runs) go through iproute2's network namespaces and, where a Docker
# engine makes the kernel filter bridged packets, iptables; without them those tests are skipped, not failed.
if [ "$(id -u)" -eq 0 ]; then
  kvpipe_require_package ip iproute2 || echo "kvpipe: no ip: the network-partition tests will be skipped" >&2
  kvpipe_require_package iptables iptables || echo "kvpipe: no iptables: the network-partition tests may be skipped" >&2
fi
echo "kvpipe: testing with $(java -version 2>&1 | head -1) at $JAVA_HOME"
exec mvn -B -ntp verify "$@"
