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
echo "kvpipe: testing with $(java -version 2>&1 | head -1) at $JAVA_HOME"
exec mvn -B -ntp verify "$@"
