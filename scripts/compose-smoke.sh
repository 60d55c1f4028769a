#!/usr/bin/env bash
# Runs the real docker-compose.yml on a Docker engine that reaches no image registry (with docker-compose.local.yml's
# locally built images) and checks it end to end, then takes it down again (volumes included):
#   1. base image (scripts/docker-base-image.sh), staged jars (scripts/compose-local-stage.sh), compose build
#   2. compose up -d, then every long-running service healthy and every one-shot exited 0, within a deadline
#   3. a PUT through the proxy (HTTPS, the data token), read back; the row in MySQL's kv_changelog and kv_current
#   4. compose down -v; timings of every step
# Not part of the Maven suite (minutes long, needs an engine). Exit codes: 0 passed, 1 failed, 3 no engine answers,
# 4 no Compose v2. It runs as its own compose project (KVPIPE_SMOKE_PROJECT, default kvpipe-smoke), so a stack started
# with plain `docker compose up` (project kvpipe) is neither reused nor deleted.
# Env: DOCKER_HOST (the engine), COMPOSE ("docker compose" or a docker-compose v2 binary; found if unset),
#      KVPIPE_SMOKE_TIMEOUT (s until every service is healthy, default 600), KVPIPE_SMOKE_KEEP=1 (no down at the end),
#      KVPIPE_COMPOSE_PROXY_PORT / KVPIPE_COMPOSE_MYSQL_PORT / KVPIPE_COMPOSE_RESP_PORT (host ports; default 18080 /
#      13306 / 16380 here),
#      MAVEN_ARGS_EXTRA (passed to the host's Maven build when jars are missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROJECT=${KVPIPE_SMOKE_PROJECT:-kvpipe-smoke}
TIMEOUT=${KVPIPE_SMOKE_TIMEOUT:-600}
export KVPIPE_COMPOSE_PROXY_PORT=${KVPIPE_COMPOSE_PROXY_PORT:-18080}
export KVPIPE_COMPOSE_MYSQL_PORT=${KVPIPE_COMPOSE_MYSQL_PORT:-13306}
export KVPIPE_COMPOSE_RESP_PORT=${KVPIPE_COMPOSE_RESP_PORT:-16380}
TOKEN=${KVPIPE_TOKEN:-dev-data-token}
LONG_RUNNING=(kafka mysql kv-node-1 kv-node-2 kv-node-3 proxy cdc-consumer)
ONE_SHOT=(tls-init archive-accounts proxy-https-cert)
WORK=$ROOT/target/compose-smoke
say() { echo "compose-smoke: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# --- an engine and Compose v2, or a clear refusal ---
if ! server=$(timeout 15 docker version --format '{{.Server.Version}}' 2>/dev/null) || [ -z "$server" ]; then
  say "no Docker engine answers at ${DOCKER_HOST:-the default socket} (set DOCKER_HOST or start dockerd); nothing done"
  exit 3
fi
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"
  elif command -v docker-compose >/dev/null && docker-compose version 2>/dev/null | grep -q 'v2\.'; then COMPOSE=docker-compose
  else
    say "no Compose v2: neither 'docker compose' nor a v2 docker-compose on PATH (Debian trixie's docker-compose .deb"
    say "holds one: see docs/operations.md, 'Compose without registry access'); nothing done"
    exit 4
  fi
fi
for port in "$KVPIPE_COMPOSE_PROXY_PORT" "$KVPIPE_COMPOSE_MYSQL_PORT" "$KVPIPE_COMPOSE_RESP_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    say "host port $port is taken; set KVPIPE_COMPOSE_PROXY_PORT / KVPIPE_COMPOSE_MYSQL_PORT / KVPIPE_COMPOSE_RESP_PORT"; exit 1
  fi
done
# shellcheck disable=SC2086 # COMPOSE may be two words
dc() { $COMPOSE --ansi never -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" -f "$ROOT/docker-compose.local.yml" "$@"; }
say "engine $server at ${DOCKER_HOST:-default socket}; $($COMPOSE version --short 2>/dev/null || true) as '$COMPOSE'; project $PROJECT"

declare -A TIMES
ORDER=()
t0=$(date +%s.%N)
mark() { # mark NAME START: records the seconds since START
  TIMES[$1]=$(awk -v a="$2" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  ORDER+=("$1")
  say "$1: ${TIMES[$1]} s"
}
report() {
  say "timings (s):"
  for k in "${ORDER[@]}"; do printf '  %-34s %8s\n' "$k" "${TIMES[$k]}" >&2; done
}
mkdir -p "$WORK"
up_pid=""
finish() {
  local rc=$?
  [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  if [ "$rc" -ne 0 ]; then
    say "state at failure:"
    dc ps -a >&2 || true
    dc logs --no-color --timestamps >"$WORK/logs-at-failure.txt" 2>&1 || true
    say "logs of every service: $WORK/logs-at-failure.txt"
  fi
  if [ "${KVPIPE_SMOKE_KEEP:-0}" = 1 ]; then
    say "KVPIPE_SMOKE_KEEP=1: leaving project $PROJECT up (take it down with: $COMPOSE -p $PROJECT down -v)"
  else
    local s; s=$(date +%s.%N)
    dc down -v --remove-orphans >"$WORK/down.log" 2>&1 || say "down -v failed: see $WORK/down.log"
    mark "down -v" "$s"
  fi
  mark total "$t0"
  report
  [ "$rc" -eq 0 ] && say "PASSED" || say "exit $rc"
}
trap finish EXIT

# --- 1. images ---
s=$(date +%s.%N); "$ROOT/scripts/docker-base-image.sh" >/dev/null; mark "base image" "$s"
s=$(date +%s.%N); "$ROOT/scripts/compose-local-stage.sh"; mark "stage jars" "$s"
dc config --quiet || die "compose rejects docker-compose.yml + docker-compose.local.yml"
s=$(date +%s.%N)
# Every kvpipe service names the same image: building it once (through tls-init) is enough, and `up` then finds it
# (compose 2.26 would build it once per service, leaving six unused copies behind).
dc build kafka mysql tls-init >"$WORK/build.log" 2>&1 \
  || { tail -n 40 "$WORK/build.log" >&2; die "compose build (log: $WORK/build.log)"; }
mark "compose build" "$s"

# --- 2. up and healthy ---
dc down -v --remove-orphans >/dev/null 2>&1 || true # a previous run's leftovers
s=$(date +%s.%N)
dc up -d >"$WORK/up.log" 2>&1 &
up_pid=$!
state_of() { # state_of SERVICE sets ST: "running healthy" | "exited 0" | "restarting ..." | "missing" ...
  local id st status health policy restarts
  ST=missing
  id=$(dc ps -a -q "$1" 2>/dev/null | head -n 1)
  [ -n "$id" ] || return 0
  st=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.ExitCode}}{{end}} {{.HostConfig.RestartPolicy.Name}} {{.RestartCount}}' "$id" 2>/dev/null) \
    || return 0
  read -r status health policy restarts <<<"$st"
  RESTARTS[$1]=$restarts
  # Between an exit and its restart the engine may still show "exited": with a restart policy that is not final.
  if [ "$status" = exited ] && [ "$health" != 0 ] && [ "$policy" != no ] && [ -n "$policy" ]; then status=restarting; fi
  ST="$status $health"
}
declare -A RESTARTS
declare -A READY_AT
deadline=$(( $(date +%s) + TIMEOUT ))
last_print=0
while :; do
  pending=()
  for svc in "${ONE_SHOT[@]}" "${LONG_RUNNING[@]}"; do
    [ -n "${READY_AT[$svc]:-}" ] && continue
    state_of "$svc"
    st=$ST
    case " ${ONE_SHOT[*]} " in
      *" $svc "*)
        case "$st" in
          "exited 0") READY_AT[$svc]=1; mark "$svc done" "$s" ;;
          exited*) die "one-shot $svc failed ($st): $(dc logs --no-color --tail 20 "$svc" 2>&1)" ;;
          *) pending+=("$svc:$st") ;;
        esac ;;
      *)
        case "$st" in
          "running healthy") READY_AT[$svc]=1; mark "$svc healthy" "$s" ;;
          "running unhealthy") die "$svc is unhealthy: $(dc logs --no-color --tail 30 "$svc" 2>&1)" ;;
          exited*|dead*) die "$svc stopped ($st): $(dc logs --no-color --tail 30 "$svc" 2>&1)" ;;
          *) pending+=("$svc:$st") ;;
        esac ;;
    esac
  done
  [ ${#pending[@]} -eq 0 ] && break
  now=$(date +%s)
  if [ "$now" -ge "$deadline" ]; then die "not healthy after ${TIMEOUT}s: ${pending[*]}"; fi
  if [ $((now - last_print)) -ge 15 ]; then
    say "waiting ($((deadline - now)) s left): ${pending[*]// /=}"
    last_print=$now
  fi
  sleep 2
done
wait "$up_pid" || { cat "$WORK/up.log" >&2; up_pid=""; die "compose up -d exited non-zero"; }
up_pid=""
mark "up -d until all healthy" "$s"
for svc in "${LONG_RUNNING[@]}"; do
  [ "${RESTARTS[$svc]:-0}" = 0 ] || say "note: $svc was restarted ${RESTARTS[$svc]} time(s) before it became healthy"
done

# --- 3. a write end to end ---
s=$(date +%s.%N)
dc cp proxy:/https/proxy-cert.pem "$WORK/proxy-cert.pem" >/dev/null
url="https://localhost:$KVPIPE_COMPOSE_PROXY_PORT/v1/kv"
key="compose-smoke-$(date +%s)-$$"
value="written through the compose stack at $(date -u +%FT%TZ)"
code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' --max-time 30 --cacert "$WORK/proxy-cert.pem" -X PUT \
  -H "Authorization: Bearer $TOKEN" --data-binary "$value" "$url/$key") || die "PUT $url/$key: curl failed"
[[ "$code" == 20? ]] || die "PUT $url/$key answered $code: $(cat "$WORK/put.out")"
got=$(curl -sf --max-time 30 --cacert "$WORK/proxy-cert.pem" -H "Authorization: Bearer $TOKEN" "$url/$key") \
  || die "GET $url/$key failed"
[ "$got" = "$value" ] || die "GET $url/$key returned '$got', not '$value'"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$WORK/proxy-cert.pem" -X PUT \
  --data-binary x "$url/$key-no-token")
[ "$code" = 401 ] || die "a PUT without the token answered $code, not 401"
mark "PUT + GET through the proxy" "$s"

sql() { dc exec -T mysql sh -c 'mysql -uroot -p"$MYSQL_ROOT_PASSWORD" -N -B kvpipe' <<<"$1" 2>/dev/null; }
s=$(date +%s.%N)
archive_deadline=$(( $(date +%s) + 120 ))
until row=$(sql "SELECT c.op, c.kv_value, k.kv_value, k.version FROM kv_changelog c JOIN kv_current k USING (kv_key)
                 WHERE c.kv_key = '$key'") && [ -n "$row" ]; do
  [ "$(date +%s)" -lt "$archive_deadline" ] || die "no row for $key in kv_changelog/kv_current after 120 s"
  sleep 1
done
IFS=$'\t' read -r op changelog_value current_value version <<<"$row"
[ "$op" = c ] || die "kv_changelog has op '$op' for $key, not 'c'"
[ "$changelog_value" = "$value" ] && [ "$current_value" = "$value" ] \
  || die "archived values differ: changelog '$changelog_value', current '$current_value', written '$value'"
mark "row in kv_changelog + kv_current" "$s"
say "end to end: $key (version $version) written through the proxy, read back, archived in MySQL"
