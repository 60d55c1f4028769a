#!/usr/bin/env bash
# A walk through the pipeline on the running dev stack (scripts/dev-stack.sh up): writes, updates and deletes a few keys
# through the proxy with curl, waits until the archive in MySQL has every change, then prints audit queries from
# docs/audit.md (with the mariadb/mysql client if installed, else with scripts/kvctl sql).
# Env: KVPIPE_DEVSTACK_DIR (.devstack), KVPIPE_DEMO_TIMEOUT (seconds to wait for the archive, default 60).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${KVPIPE_DEVSTACK_DIR:-$ROOT/.devstack}
TIMEOUT=${KVPIPE_DEMO_TIMEOUT:-60}
[ -f "$DIR/env" ] || { echo "demo: no $DIR/env; start the stack first: scripts/dev-stack.sh up" >&2; exit 1; }
# shellcheck disable=SC1091
. "$DIR/env"
command -v curl >/dev/null || { echo "demo: curl is required" >&2; exit 1; }

# kv METHOD KEY [VALUE]: one request to the proxy; prints the response body; fails on an HTTP error.
kv() {
  local method=$1 key=$2 out code
  out=$(mktemp)
  local args=(-s -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $KVPIPE_TOKEN")
  [ -n "${KVPIPE_PROXY_CA:-}" ] && args+=(--cacert "$KVPIPE_PROXY_CA")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/octet-stream' --data-binary "$3")
  code=$(curl "${args[@]}" "$KVPIPE_PROXY_URL/v1/kv/$key")
  if [ "${code:0:1}" != 2 ]; then
    echo "demo: $method /v1/kv/$key -> HTTP $code: $(cat "$out")" >&2
    rm -f "$out"
    exit 1
  fi
  cat "$out"
  rm -f "$out"
}

version_of() { sed -n 's/.*"version":\([0-9]*\).*/\1/p'; }

CLIENT=$(command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null || true)
sql() { # sql [--tsv] QUERY
  local tsv=0
  [ "$1" = --tsv ] && { tsv=1; shift; }
  if [ -n "$CLIENT" ]; then
    local mode=(--table)
    [ $tsv -eq 1 ] && mode=(-N -B)
    MYSQL_PWD=$KVPIPE_MYSQL_PASSWORD "$CLIENT" --no-defaults --protocol=TCP -h "$KVPIPE_MYSQL_HOST" \
      -P "$KVPIPE_MYSQL_PORT" -u "$KVPIPE_MYSQL_USER" -D "$KVPIPE_MYSQL_DATABASE" "${mode[@]}" -e "$1"
  else
    if [ $tsv -eq 1 ]; then "$ROOT/scripts/kvctl" sql --tsv "$1"; else "$ROOT/scripts/kvctl" sql "$1"; fi
  fi
}

echo "== writing through the proxy at $KVPIPE_PROXY_URL"
step() { printf '  %-40s %s\n' "$1" "$2"; }
r=$(kv PUT demo:alice 'alice v1');       step "PUT demo:alice = 'alice v1'" "$r"
r=$(kv PUT demo:bob 'bob v1');           step "PUT demo:bob = 'bob v1'" "$r"
r=$(kv PUT demo:carol 'carol v1');       step "PUT demo:carol = 'carol v1'" "$r"; v_carol=$(version_of <<<"$r")
r=$(kv PUT demo:alice 'alice v2');       step "PUT demo:alice = 'alice v2' (update)" "$r"; v_alice=$(version_of <<<"$r")
r=$(kv DELETE demo:bob);                 step "DELETE demo:bob" "$r"; v_bob=$(version_of <<<"$r")
r=$(kv GET demo:alice);                  step "GET demo:alice" "$r"

echo "== waiting until the archive has every change (Kafka -> cdc-consumer -> MySQL)"
want="(kv_key = 'demo:alice' AND version = $v_alice AND deleted = 0)
   OR (kv_key = 'demo:carol' AND version = $v_carol AND deleted = 0)
   OR (kv_key = 'demo:bob' AND version = $v_bob AND deleted = 1)"
deadline=$((SECONDS + TIMEOUT))
start=$SECONDS
until [ "$(sql --tsv "SELECT COUNT(*) FROM kv_current WHERE $want" 2>/dev/null || echo 0)" = 3 ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "demo: the archive does not have the changes after ${TIMEOUT}s; kv_current has:" >&2
    sql "SELECT CONVERT(kv_key USING utf8mb4) AS k, version, deleted FROM kv_current WHERE kv_key LIKE 'demo:%'" >&2
    exit 1
  fi
  sleep 0.5
done
echo "  archived within ~$((SECONDS - start)) s"

echo
echo "== recipe key-history: every change of demo:alice (docs/audit.md)"
sql "SELECT version, operation, origin, value_text, prev_value_text, group_id, log_index, event_time
     FROM kv_history WHERE kv_key = 'demo:alice' ORDER BY version, id"
echo
echo "== recipe live-keys: the demo keys live now"
sql "SELECT key_text, value_text, version, event_time FROM kv_live WHERE kv_key LIKE 'demo:%' ORDER BY key_text"
echo
echo "== recipe deletes-in-window: demo deletes in the last hour"
sql "SELECT event_time, key_text, version, deleted_value_text FROM kv_deletes
     WHERE kv_key LIKE 'demo:%' AND event_time >= UTC_TIMESTAMP(3) - INTERVAL 1 HOUR ORDER BY event_time, id"
echo
echo "== recipe change-rate-per-minute: the last 10 minutes"
sql "SELECT minute_utc, changes, creates, updates, deletes, migration_moves FROM kv_change_rate_per_minute
     WHERE minute_utc >= DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL 10 MINUTE, '%Y-%m-%d %H:%i:00') ORDER BY minute_utc"
echo
echo "demo: done. More queries: docs/audit.md; check the whole archive: scripts/kvctl verify-archive"
