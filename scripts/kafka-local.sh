#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for the no-Docker dev stack, run from the
# same Maven Central jars and the same settings as the test fixture (test-support's kafka.KafkaBroker).
#   scripts/kafka-local.sh start|stop|status      (idempotent; prints the bootstrap address)
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KVPIPE_KAFKA_DIR (.devstack/kafka), KAFKA_START_TIMEOUT (120 s),
#      KAFKA_CDS_DIR (none: where class-data sharing archives of its JVMs go, see scripts/lib/jdk.sh kvpipe_cds_options)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/jdk.sh"

DIR=${KVPIPE_KAFKA_DIR:-$ROOT/.devstack/kafka}
PORT=${KAFKA_PORT:-9092}
CPORT=${KAFKA_CONTROLLER_PORT:-9093}
TIMEOUT=${KAFKA_START_TIMEOUT:-120}
PIDFILE=$DIR/kafka.pid
CLASSES=$ROOT/test-support/target/classes
CPFILE=$CLASSES/io/kvpipe/testsupport/kafka/broker-classpath.txt
JVM_OPTS=(-Xmx512m -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true)

say() { echo "kafka-local: $*" >&2; }

running_pid() { # prints the broker's pid if the pid file names a live kafka.Kafka process
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' \
    && echo "$pid"
}

broker_by_cmdline() { # prints the pid of a live kafka.Kafka process started on this directory's server.properties
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qF -- "kafka.Kafka $DIR/server.properties" || continue
    echo "$pid"
    return 0
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

classpath_ok() { # the build-time class path file exists and every jar in it is still there
  [ -f "$CPFILE" ] || return 1
  local entry
  while IFS= read -r -d ':' entry; do [ -e "$entry" ] || return 1; done < <(tr -d '\n' <"$CPFILE"; printf ':')
}

ensure_classpath() {
  classpath_ok && return 0
  say "building test-support to resolve the broker's class path"
  kvpipe_require_maven
  (cd "$ROOT" && { mvn -B -q -o install -pl test-support -DskipTests || mvn -B -q install -pl test-support -DskipTests; })
  classpath_ok || { say "broker class path still missing: $CPFILE"; exit 1; }
}

start() {
  local pid
  if pid=$(running_pid); then
    say "already running (pid $pid)"
    echo "127.0.0.1:$PORT"
    return 0
  fi
  if port_open "$PORT" || port_open "$CPORT"; then
    say "port $PORT or $CPORT is taken by another process; set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    exit 1
  fi
  kvpipe_require_jdk
  ensure_classpath
  local cp
  cp=$(tr -d '\n' <"$CPFILE")
  mkdir -p "$DIR"
  java -cp "$CLASSES:$cp" io.kvpipe.testsupport.kafka.BrokerConfigFiles "$DIR" "$PORT" "$CPORT"
  local log4j="-Dlog4j2.configurationFile=file://$DIR/log4j2.properties" cds_tool cds_broker
  mapfile -t cds_tool < <(kvpipe_cds_options "${KAFKA_CDS_DIR:-}" kafka-storage-tool "$cp" "${JVM_OPTS[@]}")
  mapfile -t cds_broker < <(kvpipe_cds_options "${KAFKA_CDS_DIR:-}" kafka-broker "$cp" "${JVM_OPTS[@]}")
  if [ ! -f "$DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$cp" "${JVM_OPTS[@]}" "${cds_tool[@]}" "$log4j" kafka.tools.StorageTool random-uuid)
    java -cp "$cp" "${JVM_OPTS[@]}" "${cds_tool[@]}" "$log4j" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$DIR/server.properties" >"$DIR/kafka-format.log" 2>&1 \
      || { say "format failed:"; cat "$DIR/kafka-format.log" >&2; exit 1; }
  fi
  nohup setsid java -cp "$cp" "${JVM_OPTS[@]}" "${cds_broker[@]}" "$log4j" kafka.Kafka "$DIR/server.properties" \
    >>"$DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + TIMEOUT))
  until port_open "$PORT"; do
    # $! is the broker unless setsid had to fork (it does when it leads a process group): then it is a parent that
    # has already exited, and the broker, which runs on, is found by its command line instead.
    if ! running_pid >/dev/null && pid=$(broker_by_cmdline); then
      echo "$pid" >"$PIDFILE"
    fi
    if ! running_pid >/dev/null; then
      say "broker exited during startup; last lines of $DIR/kafka.log:"
      tail -n 30 "$DIR/kafka.log" >&2
      rm -f "$PIDFILE"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "broker not listening after ${TIMEOUT}s; see $DIR/kafka.log"
      exit 1
    fi
    sleep 0.2
  done
  say "started (pid $(cat "$PIDFILE"), data in $DIR/data, log $DIR/kafka.log)"
  echo "127.0.0.1:$PORT"
}

stop() {
  local pid
  if ! pid=$(running_pid) && ! pid=$(broker_by_cmdline); then
    say "not running"
    rm -f "$PIDFILE"
    return 0
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "no clean exit after 30 s; killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  say "stopped"
}

status() {
  local pid
  if pid=$(running_pid); then
    say "running (pid $pid)"
    echo "127.0.0.1:$PORT"
  else
    say "not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
