#!/usr/bin/env bash
# Entry point of the local Kafka image: a single KRaft process configured like the official apache/kafka image.
# Every KAFKA_* variable except the JVM/logging ones becomes a server property: the prefix dropped, lower case,
# '___' -> '-', '__' -> '_', '_' -> '.' (KAFKA_LOG_DIRS -> log.dirs). CLUSTER_ID names the cluster when the log
# directory is formatted on the first start (a fixed development id if unset, as the official image does).
set -euo pipefail
HOME_DIR=/opt/kafka
CONFIG=$HOME_DIR/config/server.properties
say() { echo "kafka-entrypoint: $*" >&2; }

if [ "$#" -gt 0 ]; then exec "$@"; fi

is_jvm_setting() {
  case "$1" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|KAFKA_GC_LOG_OPTS|KAFKA_JMX_OPTS|KAFKA_JMX_PORT|\
    KAFKA_JMX_HOSTNAME|KAFKA_LOG4J_OPTS|KAFKA_LOG4J_ROOT_LOGLEVEL|KAFKA_LOG4J_LOGGERS|KAFKA_TOOLS_LOG4J_LOGLEVEL|\
    KAFKA_VERSION|KAFKA_HOME) return 0 ;;
    *) return 1 ;;
  esac
}

{
  echo "# written by kafka-entrypoint.sh from the KAFKA_* environment"
  while IFS= read -r name; do
    is_jvm_setting "$name" && continue
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//___/-}
    key=${key//__/$'\x01'}
    key=${key//_/.}
    key=${key//$'\x01'/_}
    echo "$key=${!name}"
  done < <(compgen -e | grep '^KAFKA_' | sort)
} >"$CONFIG"
grep -q '^process\.roles=' "$CONFIG" || { say "KAFKA_PROCESS_ROLES is not set; this image runs KRaft only"; exit 1; }

logdirs=$(sed -n 's/^log\.dirs=//p' "$CONFIG")
logdirs=${logdirs:-$(sed -n 's/^log\.dir=//p' "$CONFIG")}
[ -n "$logdirs" ] || { echo "log.dirs=/var/lib/kafka/data" >>"$CONFIG"; logdirs=/var/lib/kafka/data; }

# shellcheck disable=SC2086 # the *_OPTS variables are lists of options
jvm=(${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}
     -Djava.awt.headless=true --enable-native-access=ALL-UNNAMED ${KAFKA_OPTS:-}
     "-Dlog4j2.configurationFile=file:$HOME_DIR/config/log4j2.properties" -cp "$HOME_DIR/libs/*")

first_dir=${logdirs%%,*}
if [ ! -f "$first_dir/meta.properties" ]; then
  say "formatting $logdirs as cluster ${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}"
  java "${jvm[@]}" kafka.tools.StorageTool format --ignore-formatted -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" \
    -c "$CONFIG"
fi
exec java "${jvm[@]}" kafka.Kafka "$CONFIG"
