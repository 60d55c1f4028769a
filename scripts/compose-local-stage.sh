#!/usr/bin/env bash
# Prepares the build contexts docker-compose.local.yml builds from, for a Docker engine that reaches no registry:
#   target/compose-local/kvpipe   the services' jars and class paths (docker/collect-runtime.sh, run here on the host),
#                                 the launcher and scripts of docker/, docker/local/kvpipe/Dockerfile
#   target/compose-local/kafka    the Kafka broker's jars (test-support's broker class path, from the host's Maven
#                                 repository), docker/local/kafka/*
#   target/compose-local/mariadb  docker/local/mariadb/*
# Builds the jars first when they are missing (Maven on the host; containers here cannot reach Maven Central).
#   scripts/compose-local-stage.sh           Env: MAVEN_ARGS_EXTRA (e.g. -Dmaven.repo.local=...), KVPIPE_STAGE_BUILD=auto|always
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAGE=$ROOT/target/compose-local
BROKER_CP=$ROOT/test-support/target/classes/io/kvpipe/testsupport/kafka/broker-classpath.txt
say() { echo "compose-local-stage: $*" >&2; }
die() { say "$*"; exit 1; }

jars_present() {
  [ -f "$ROOT/kvctl/target/stack-classpath.txt" ] && [ -f "$ROOT/kvctl/target/kvctl-classpath.txt" ] \
    && [ -f "$BROKER_CP" ] && ls "$ROOT"/kvctl/target/kvctl-*.jar >/dev/null 2>&1
}
if [ "${KVPIPE_STAGE_BUILD:-auto}" = always ] || ! jars_present; then
  say "building the jars on the host (mvn install -DskipTests -pl kvctl,test-support -am)"
  . "$ROOT/scripts/lib/jdk.sh"
  kvpipe_require_jdk
  # shellcheck disable=SC2086 # MAVEN_ARGS_EXTRA is a list of arguments
  (cd "$ROOT" && mvn -B -q -ntp ${MAVEN_ARGS_EXTRA:-} install -DskipTests -pl kvctl,test-support -am)
  jars_present || die "the build left no kvctl/target class paths or broker class path"
fi

rm -rf "$STAGE"
mkdir -p "$STAGE/kvpipe/bin" "$STAGE/kafka/libs" "$STAGE/mariadb"

# kvpipe: the same /opt/kvpipe tree docker/Dockerfile's build stage makes, made here from the host's build.
bash "$ROOT/docker/collect-runtime.sh" "$ROOT" "$STAGE/kvpipe/opt-kvpipe"
cp "$ROOT/docker/kvpipe-launch.sh" "$ROOT/docker/healthcheck.sh" "$ROOT/docker/proxy-https-cert.sh" \
  "$ROOT/scripts/tls-init.sh" "$STAGE/kvpipe/bin/"
cp "$ROOT/docker/local/kvpipe/Dockerfile" "$STAGE/kvpipe/"

# kafka: every jar of the broker's class path (the fixture's, so the image runs the version the tests run).
n=0
while IFS= read -r -d ':' entry; do
  [ -z "$entry" ] && continue
  [ -f "$entry" ] || die "broker class path names $entry, which is not a file (rebuild test-support)"
  cp "$entry" "$STAGE/kafka/libs/"
  n=$((n + 1))
done < <(tr -d '\n' <"$BROKER_CP"; printf ':')
ls "$STAGE"/kafka/libs/kafka_2.13-*.jar >/dev/null 2>&1 || die "no kafka_2.13 jar on the broker class path"
cp -r "$ROOT"/docker/local/kafka/. "$STAGE/kafka/"
cp -r "$ROOT"/docker/local/mariadb/. "$STAGE/mariadb/"
say "staged $STAGE (kvpipe: $(ls "$STAGE/kvpipe/opt-kvpipe/lib" | wc -l) jars, kafka: $n jars)"
