#!/usr/bin/env bash
# The whole kvpipe pipeline on this machine, without Docker, on loopback:
#   a Kafka broker (KRaft), a MySQL-compatible server, three kv-nodes (meta group + shard groups g1, g2), one proxy,
#   one cdc-consumer.
#
#   scripts/dev-stack.sh up                 build if needed, start what is not running, wait until ready, print endpoints
#   scripts/dev-stack.sh down               stop exactly the processes it started (SIGTERM, SIGKILL after a grace period)
#   scripts/dev-stack.sh status             what runs, with pids and endpoints (exit 3 if something is not running)
#   scripts/dev-stack.sh logs [PROC] [-f]   last lines of every log, or of one process (-f: follow)
#   scripts/dev-stack.sh clean              down, then delete .devstack (all data)
#   scripts/dev-stack.sh add-node NODE      one more kv-node (n4..n9) that follows the topology and hosts no group
#                                           yet; then: scripts/kvctl peers add g1 NODE@127.0.0.1:PORT (it prints it)
#   scripts/dev-stack.sh remove-node NODE   stop an added kv-node; refused while the topology lists it in a group
#   scripts/dev-stack.sh classpath MODULE   the class path the stack runs kv-node, proxy or cdc-consumer with
#
# State lives in .devstack/ (KVPIPE_DEVSTACK_DIR): env (source it), pids/<process>.pid, logs/<process>.log, data.
# Commands that start or stop processes run one at a time (a second one waits for the first: flock on .devstack/lock).
# Settings (ports, MySQL, tokens, JVM options): docs/configuration.md, "dev stack".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/jdk.sh"
. "$ROOT/scripts/lib/mysql.sh"
. "$ROOT/scripts/lib/devstack.sh"
. "$ROOT/scripts/lib/devstack-mysql.sh"
. "$ROOT/scripts/lib/devstack-proxy-https.sh"

PROCS=(mysql kafka kv-node-n1 kv-node-n2 kv-node-n3 proxy cdc-consumer)

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------------------- build

build_needed() {
  local f entry
  for f in "${DS_CLASSPATH_FILES[@]}"; do
    [ -f "$f" ] || return 0
    while IFS= read -r -d ':' entry; do [ -z "$entry" ] || [ -e "$entry" ] || return 0; done \
      < <(tr -d '\n' <"$f"; printf ':')
  done
  [ -f "$ROOT/test-support/target/classes/io/kvpipe/testsupport/kafka/broker-classpath.txt" ] || return 0
  # Sources or poms changed since the last build?
  [ -n "$(find "$ROOT" \( -name .git -o -name target -o -name .devstack -o -name node_modules \) -prune -o \
      \( -name pom.xml -o -path '*/src/main/*' \) -newer "${DS_CLASSPATH_FILES[0]}" -print -quit)" ]
}

build() {
  case "$DS_BUILD" in
    never) build_needed && ds_say "warning: the build looks out of date (KVPIPE_DEVSTACK_BUILD=never)"; return 0 ;;
    auto) build_needed || return 0 ;;
  esac
  kvpipe_require_maven
  ds_say "building (mvn -q install -DskipTests) ..."
  (cd "$ROOT" && mvn -B -q -ntp install -DskipTests) || ds_die "build failed"
}

# ------------------------------------------------------------------------------------------------------------- up

check_ports() { # every port a not-yet-running process needs must be free
  local busy=() n
  want_port() { # name port setting
    if ! ds_pid_of "$1" >/dev/null && ds_port_open "$2"; then busy+=("  port $2 ($1) is in use; set $3"); fi
  }
  ds_mysql_external || want_port mysql "$DS_MYSQL_PORT" KVPIPE_DEVSTACK_MYSQL_PORT
  want_port kafka "$DS_KAFKA_PORT" KVPIPE_DEVSTACK_KAFKA_PORT
  want_port kafka "$DS_KAFKA_CONTROLLER_PORT" KVPIPE_DEVSTACK_KAFKA_CONTROLLER_PORT
  for n in "${DS_NODES[@]}"; do
    want_port "kv-node-$n" "$(ds_node_port "$n")" KVPIPE_DEVSTACK_NODE_PORT_BASE
    want_port "kv-node-$n" "$(ds_node_metrics_port "$n")" KVPIPE_DEVSTACK_NODE_METRICS_PORT_BASE
  done
  want_port proxy "$DS_PROXY_PORT" KVPIPE_DEVSTACK_PROXY_PORT
  want_port proxy "$DS_RESP_PORT" KVPIPE_DEVSTACK_RESP_PORT
  want_port cdc-consumer "$DS_CONSUMER_METRICS_PORT" KVPIPE_DEVSTACK_CONSUMER_METRICS_PORT
  if [ ${#busy[@]} -gt 0 ]; then
    ds_say "cannot start: ports taken by other processes:"
    printf '%s\n' "${busy[@]}" >&2
    exit 1
  fi
}

new_token() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }

# Tokens: from the environment, else those of the previous run (kept in .devstack/env), else new ones.
load_tokens() {
  local old_token="" old_admin=""
  if [ -f "$DS_DIR/env" ]; then
    old_token=$(sed -n "s/^export KVPIPE_TOKEN='\(.*\)'$/\1/p" "$DS_DIR/env")
    old_admin=$(sed -n "s/^export KVPIPE_ADMIN_TOKEN='\(.*\)'$/\1/p" "$DS_DIR/env")
  fi
  TOKEN=${KVPIPE_TOKEN:-${old_token:-$(new_token)}}
  ADMIN_TOKEN=${KVPIPE_ADMIN_TOKEN:-${old_admin:-$(new_token)}}
  [ ${#TOKEN} -ge 8 ] && [ ${#ADMIN_TOKEN} -ge 8 ] || ds_die "KVPIPE_TOKEN and KVPIPE_ADMIN_TOKEN need 8+ characters"
  [ "$TOKEN" != "$ADMIN_TOKEN" ] || ds_die "KVPIPE_TOKEN and KVPIPE_ADMIN_TOKEN must differ"
}

# The stack's throwaway CA and one certificate per process (mutual TLS on every Ratis port), made on the first start.
DS_TLS=$DS_DIR/tls
make_tls() {
  "$ROOT/scripts/tls-init.sh" "$DS_TLS" "${DS_NODES[@]}" proxy kvctl >/dev/null \
    || ds_die "could not make the stack's TLS certificates (scripts/tls-init.sh needs openssl)"
}

# Sets TLS_FLAGS to the --tls-* flags of process $1 (a certificate made by make_tls).
tls_flags() { TLS_FLAGS=(--tls-cert "$DS_TLS/$1.pem" --tls-key "$DS_TLS/$1-key.pem" --tls-ca "$DS_TLS/ca.pem"); }

# The kv-nodes' HTTP ports (/metrics, /health, /ready, /status), comma-separated, for kvctl status: n1..n3 and every
# added node that runs.
node_urls() {
  local n p out=""
  for n in "${DS_NODES[@]}"; do out+="${out:+,}http://127.0.0.1:$(ds_node_metrics_port "$n")"; done
  for p in $(node_procs); do
    n=${p#kv-node-}
    [[ " ${DS_NODES[*]} " == *" $n "* ]] && continue
    ds_pid_of "$p" >/dev/null && out+=",http://127.0.0.1:$(ds_node_metrics_port "$n")"
  done
  echo "$out"
}

# After add-node and remove-node: KVPIPE_NODE_URLS in the env file names the nodes that run now.
refresh_node_urls() {
  [ -f "$DS_DIR/env" ] || return 0
  local tmp=$DS_DIR/env.tmp
  (umask 077; sed "s|^export KVPIPE_NODE_URLS=.*|export KVPIPE_NODE_URLS='$(node_urls)'|" "$DS_DIR/env" >"$tmp")
  mv "$tmp" "$DS_DIR/env"
}

write_env() {
  local tmp=$DS_DIR/env.tmp
  (
    umask 077
    cat >"$tmp" <<EOF
# kvpipe dev stack ($(date -u +%Y-%m-%dT%H:%M:%SZ)); source this file: . $DS_DIR/env
export KVPIPE_PROXY_URL='$(ds_proxy_url)'
export KVPIPE_PROXY_CA='$(ds_proxy_https && echo "$DS_HTTPS_DIR/proxy-cert.pem")'
export KVPIPE_TOKEN='$TOKEN'
export KVPIPE_RESP_PORT='$DS_RESP_PORT'
export KVPIPE_ADMIN_TOKEN='$ADMIN_TOKEN'
export KVPIPE_KAFKA_BOOTSTRAP='127.0.0.1:$DS_KAFKA_PORT'
export KVPIPE_TOPIC='$DS_TOPIC'
export KVPIPE_MYSQL_HOST='$DS_MYSQL_HOST'
export KVPIPE_MYSQL_PORT='$DS_MYSQL_PORT'
export KVPIPE_MYSQL_USER='$DS_MYSQL_USER'
export KVPIPE_MYSQL_PASSWORD='$DS_MYSQL_PASSWORD'
export KVPIPE_JDBC_USER='$DS_MYSQL_USER'
export KVPIPE_JDBC_PASSWORD='$DS_MYSQL_PASSWORD'
export KVPIPE_MYSQL_DATABASE='$DS_MYSQL_DATABASE'
export KVPIPE_MYSQL_SOCKET='$(ds_mysql_external || echo "$DS_MYSQL_SOCKET")'
export KVPIPE_META_PEERS='$(ds_peers)'
export KVPIPE_NODE_URLS='$(node_urls)'
export KVPIPE_CONSUMER_URLS='http://127.0.0.1:$DS_CONSUMER_METRICS_PORT'
export KVPIPE_TLS_CERT='$DS_TLS/kvctl.pem'
export KVPIPE_TLS_KEY='$DS_TLS/kvctl-key.pem'
export KVPIPE_TLS_CA='$DS_TLS/ca.pem'
export KVPIPE_DEVSTACK_DIR='$DS_DIR'
EOF
  )
  mv "$tmp" "$DS_DIR/env"
}

proxy_ready() { [ "$(ds_proxy_curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(ds_proxy_url)/ready")" = 200 ]; }

# 200 from GET /ready on a local HTTP port: $1 port.
http_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/ready")" = 200 ]; }

# Joined its consumer group, the archive database answering, no partition stopped.
consumer_ready() { http_ready "$DS_CONSUMER_METRICS_PORT"; }

# Every group the node hosts has a leader and the node is caught up (a majority of the nodes must be up).
node_ready() { http_ready "$(ds_node_metrics_port "$1")"; }

start_kafka() {
  if ds_pid_of kafka >/dev/null; then ds_say "kafka already running (pid $(ds_pid_of kafka))"; return 0; fi
  KVPIPE_KAFKA_DIR=$DS_DIR/kafka KAFKA_PORT=$DS_KAFKA_PORT KAFKA_CONTROLLER_PORT=$DS_KAFKA_CONTROLLER_PORT \
    KAFKA_START_TIMEOUT=$DS_START_TIMEOUT KAFKA_CDS_DIR=$DS_CDS_DIR "$ROOT/scripts/kafka-local.sh" start >/dev/null 9>&- \
    || ds_die "kafka did not start; see $DS_DIR/kafka/kafka.log"
  ds_record_pid kafka "$(cat "$DS_DIR/kafka/kafka.pid")"
  ln -sf "$DS_DIR/kafka/kafka.log" "$(ds_log_file kafka)"
}

start_node() {
  local n=$1 groups=() g
  tls_flags "$n"
  groups+=(--group "meta=$(ds_peers)")
  for g in "${DS_SHARD_GROUPS[@]}"; do groups+=(--group "$g=$(ds_peers)"); done
  ds_start_java "kv-node-$n" kv-node io.kvpipe.node.KvNodeMain --id "$n" --listen "127.0.0.1:$(ds_node_port "$n")" \
    --data-dir "$DS_DIR/nodes/$n" "${groups[@]}" --kafka-bootstrap "127.0.0.1:$DS_KAFKA_PORT" --topic "$DS_TOPIC" \
    --metrics-port "$(ds_node_metrics_port "$n")" "${TLS_FLAGS[@]}"
}

start_proxy() {
  local bootstrap="" g tls=()
  tls_flags proxy
  for g in "${DS_SHARD_GROUPS[@]}"; do bootstrap+="${bootstrap:+;}$g=$(ds_peers)"; done
  ds_proxy_https_prepare
  mapfile -t tls < <(ds_proxy_https_args)
  ds_start_java proxy proxy "KVPIPE_TOKEN=$TOKEN" "KVPIPE_ADMIN_TOKEN=$ADMIN_TOKEN" \
    io.kvpipe.proxy.ProxyMain --host 127.0.0.1 --port "$DS_PROXY_PORT" --resp-port "$DS_RESP_PORT" \
    --meta-peers "$(ds_peers)" \
    --bootstrap-groups "$bootstrap" --kafka-bootstrap "127.0.0.1:$DS_KAFKA_PORT" --topic "$DS_TOPIC" \
    "${TLS_FLAGS[@]}" "${tls[@]}"
}

# The consumer writes as the archive's writer account; its Flyway runs as the administrator (the schema's owner).
start_consumer() {
  ds_start_java cdc-consumer cdc-consumer "KVPIPE_JDBC_PASSWORD=$(cat "$DS_MYSQL_ACCOUNTS_DIR/writer.password")" \
    "KVPIPE_FLYWAY_PASSWORD=$DS_MYSQL_ADMIN_PASSWORD" io.kvpipe.consumer.ConsumerMain \
    --kafka-bootstrap "127.0.0.1:$DS_KAFKA_PORT" --topic "$DS_TOPIC" --jdbc-url "$DS_JDBC_URL" \
    --jdbc-user "$DS_MYSQL_WRITER_USER" --flyway-user "$DS_MYSQL_ADMIN_USER" \
    --metrics-port "$DS_CONSUMER_METRICS_PORT" --instance-id devstack-1
}

# A kv-node added to the running stack (n4..n9): it follows the topology through the meta group and hosts a group
# only once a peers add names it. Its ports follow n1..n3's (Ratis base+3.., metrics base+3..).
start_added_node() {
  local n=$1
  tls_flags "$n"
  ds_start_java "kv-node-$n" kv-node io.kvpipe.node.KvNodeMain --id "$n" --listen "127.0.0.1:$(ds_node_port "$n")" \
    --data-dir "$DS_DIR/nodes/$n" --meta-peers "$(ds_peers)" --kafka-bootstrap "127.0.0.1:$DS_KAFKA_PORT" \
    --topic "$DS_TOPIC" --metrics-port "$(ds_node_metrics_port "$n")" "${TLS_FLAGS[@]}"
}

added_node_id() {
  [[ "$1" =~ ^n[4-9]$ ]] || ds_die "an added node is named n4..n9 (n1..n3 are the stack's own), got '${1:-}'"
}

# Every kv-node this stack runs, added ones included (from the pid files).
node_procs() {
  local f
  for f in "$DS_PIDS"/kv-node-n*.pid; do [ -e "$f" ] && basename "$f" .pid; done
  return 0
}

add_node() {
  local n=${1:-} port
  added_node_id "$n"
  ds_check_settings
  mkdir -p "$DS_PIDS" "$DS_LOGS"
  ds_pid_of proxy >/dev/null || ds_die "the stack is not up: run $0 up first"
  if ds_pid_of "kv-node-$n" >/dev/null; then
    ds_say "kv-node-$n already running (pid $(ds_pid_of "kv-node-$n"))"
  else
    for port in "$(ds_node_port "$n")" "$(ds_node_metrics_port "$n")"; do
      ! ds_port_open "$port" || ds_die "port $port (kv-node $n) is taken by another program"
    done
    kvpipe_require_jdk
    "$ROOT/scripts/tls-init.sh" "$DS_TLS" "$n" >/dev/null || ds_die "could not make $n's TLS certificate"
    start_unless_running "kv-node-$n" start_added_node "$n" || true
    ds_wait_for "kv-node-$n" "readiness" node_ready "$n" || ds_die "kv-node $n is not ready; see $0 logs kv-node-$n"
  fi
  refresh_node_urls
  echo "kv-node $n: ratis 127.0.0.1:$(ds_node_port "$n"), metrics http://127.0.0.1:$(ds_node_metrics_port "$n")/metrics"
  echo "Next:  scripts/kvctl peers add g1 $n@127.0.0.1:$(ds_node_port "$n")    # make it a replica of g1"
}

remove_node() {
  local n=${1:-} topology
  added_node_id "$n"
  ds_check_settings
  ds_pid_of "kv-node-$n" >/dev/null || { ds_say "kv-node-$n is not running"; return 0; }
  if ds_pid_of proxy >/dev/null; then
    load_tokens
    # A `peers remove` just answered may not be in the proxy's view of the topology yet: give it 10 s to get there.
    local deadline=$((SECONDS + 10))
    while :; do
      topology=$(ds_proxy_curl -sf --max-time 5 -H "Authorization: Bearer $TOKEN" "$(ds_proxy_url)/api/topology/shards") \
        || ds_die "cannot read the topology from the proxy to check that $n is in no group"
      [[ "$topology" == *"\"$n@"* ]] || break
      ((SECONDS < deadline)) \
        || ds_die "$n is still a replica of a group: scripts/kvctl peers remove GROUP $n first (scripts/kvctl groups shows which)"
      sleep 0.5 # a poll interval, not a synchronisation
    done
  fi
  ds_stop "kv-node-$n"
  refresh_node_urls
  ds_say "kv-node-$n stopped (its data stays in $DS_DIR/nodes/$n)"
}

# Starts $1 with function $2 unless it runs already.
start_unless_running() {
  local pid
  if pid=$(ds_pid_of "$1"); then
    ds_say "$1 already running (pid $pid)"
    return 1
  fi
  : >"$(ds_log_file "$1")"
  "$2" "${@:3}"
  ds_say "started $1 (pid $(cat "$DS_PIDS/$1.pid"))"
}

up() {
  ds_check_settings
  ds_proxy_https_check
  mkdir -p "$DS_DIR" "$DS_PIDS" "$DS_LOGS"
  ds_mysql_settings
  local all_running=1 p
  for p in "${PROCS[@]}"; do
    [ "$p" = mysql ] && ds_mysql_external && continue
    ds_pid_of "$p" >/dev/null || all_running=0
  done
  if [ $all_running -eq 1 ]; then
    ds_say "already running"
    print_endpoints
    return 0
  fi
  check_ports
  kvpipe_require_jdk
  command -v curl >/dev/null || ds_die "curl is required"
  kvpipe_require_package openssl openssl || ds_die "openssl is required (the stack's TLS certificates)"
  build
  load_tokens
  make_tls

  if ! ds_mysql_external; then
    start_unless_running mysql ds_mysql_start || true
  fi
  start_kafka
  if ! ds_mysql_external; then
    ds_wait_for mysql "connections on port $DS_MYSQL_PORT" ds_mysql_ready || ds_die "MySQL is not ready; run $0 down"
  fi
  ds_mysql_accounts
  write_env
  local n
  for n in "${DS_NODES[@]}"; do start_unless_running "kv-node-$n" start_node "$n" || true; done
  # The proxy waits for the meta group by itself (its startup timeout), the consumer needs only Kafka and MySQL: both
  # start with the nodes instead of after them (each JVM's start is mostly class loading, an election mostly waiting).
  start_unless_running proxy start_proxy || true
  start_unless_running cdc-consumer start_consumer || true
  for n in "${DS_NODES[@]}"; do
    ds_wait_for "kv-node-$n" "200 from /ready" node_ready "$n" || ds_die "kv-node $n is not ready; run $0 down"
  done
  ds_wait_for proxy "200 from /ready" proxy_ready || ds_die "the proxy is not ready; run $0 down"
  ds_wait_for cdc-consumer "200 from /ready" consumer_ready || ds_die "the consumer is not ready; run $0 down"
  ds_say "ready"
  print_endpoints
}

print_endpoints() {
  local n
  cat <<EOF
kvpipe dev stack ($DS_DIR):
  proxy         $(ds_proxy_url)   (tokens: KVPIPE_TOKEN / KVPIPE_ADMIN_TOKEN in $DS_DIR/env$(ds_proxy_https && echo "; CA: KVPIPE_PROXY_CA"))
  redis (RESP)  127.0.0.1:$DS_RESP_PORT   (AUTH with KVPIPE_TOKEN: redis-cli -p \$KVPIPE_RESP_PORT -a \$KVPIPE_TOKEN)
  kafka         127.0.0.1:$DS_KAFKA_PORT   topic $DS_TOPIC
  mysql         $DS_MYSQL_HOST:$DS_MYSQL_PORT   database $DS_MYSQL_DATABASE, auditor $DS_MYSQL_USER (SELECT only; in env), consumer $DS_MYSQL_WRITER_USER
  consumer      http://127.0.0.1:$DS_CONSUMER_METRICS_PORT (/metrics, /health, /ready)
EOF
  for n in "${DS_NODES[@]}"; do
    echo "  kv-node $n    ratis 127.0.0.1:$(ds_node_port "$n"), http://127.0.0.1:$(ds_node_metrics_port "$n") (/metrics, /health, /ready, /status)"
  done
  cat <<EOF
Next:  . $DS_DIR/env
       curl -X PUT -H "Authorization: Bearer \$KVPIPE_TOKEN" $(ds_proxy_https && echo '--cacert $KVPIPE_PROXY_CA ')--data-binary hello \$KVPIPE_PROXY_URL/v1/kv/greeting
       scripts/demo.sh;  scripts/kvctl status;  scripts/dev-stack.sh down
EOF
}

# ---------------------------------------------------------------------------------------------------------- other

down() {
  ds_check_settings
  mkdir -p "$DS_PIDS"
  ds_stop proxy cdc-consumer
  local nodes
  mapfile -t nodes < <(node_procs)
  [ ${#nodes[@]} -eq 0 ] || ds_stop "${nodes[@]}"
  ds_stop kafka
  # Also the broker kafka-local.sh names in its own pid file: an `up` interrupted (or raced by this `down`) between
  # starting the broker and recording it above would otherwise leave it running, holding the ports of the next `up`.
  KVPIPE_KAFKA_DIR=$DS_DIR/kafka KAFKA_PORT=$DS_KAFKA_PORT KAFKA_CONTROLLER_PORT=$DS_KAFKA_CONTROLLER_PORT \
    "$ROOT/scripts/kafka-local.sh" stop >/dev/null 2>&1 || ds_say "could not stop the broker named in $DS_DIR/kafka/kafka.pid"
  ds_stop mysql
  ds_say "down"
}

status() {
  ds_check_settings
  ds_mysql_settings
  local p pid n rc=0 added
  mapfile -t added < <(node_procs | grep -v -x -e kv-node-n1 -e kv-node-n2 -e kv-node-n3)
  for p in "${PROCS[@]}" "${added[@]}"; do
    if [ "$p" = mysql ] && ds_mysql_external; then
      printf '  %-14s external %s:%s\n' mysql "$DS_MYSQL_HOST" "$DS_MYSQL_PORT"
    elif pid=$(ds_pid_of "$p"); then
      printf '  %-14s running (pid %s)\n' "$p" "$pid"
    else
      printf '  %-14s not running\n' "$p"
      rc=3
    fi
  done
  if ds_pid_of proxy >/dev/null; then
    printf '  %-14s %s\n' "proxy /ready" "$(ds_proxy_curl -s --max-time 2 "$(ds_proxy_url)/ready" || echo unreachable)"
  fi
  for p in $(node_procs); do
    n=${p#kv-node-}
    if ds_pid_of "$p" >/dev/null; then
      printf '  %-14s %s\n' "$p /ready" "$(curl -s --max-time 2 "http://127.0.0.1:$(ds_node_metrics_port "$n")/ready" || echo unreachable)"
    fi
  done
  if ds_pid_of cdc-consumer >/dev/null; then
    printf '  %-14s %s\n' "consumer /ready" "$(curl -s --max-time 2 "http://127.0.0.1:$DS_CONSUMER_METRICS_PORT/ready" || echo unreachable)"
  fi
  [ $rc -eq 0 ] && print_endpoints
  return $rc
}

logs() {
  local proc="" follow=0 a
  for a in "$@"; do
    case "$a" in -f|--follow) follow=1 ;; -*) usage ;; *) proc=$a ;; esac
  done
  if [ -n "$proc" ]; then
    [[ " ${PROCS[*]} " == *" $proc "* || "$proc" =~ ^kv-node-n[4-9]$ ]] || ds_die "unknown process '$proc'; one of: ${PROCS[*]}"
    [ -e "$(ds_log_file "$proc")" ] || ds_die "no log yet: $(ds_log_file "$proc")"
    if [ $follow -eq 1 ]; then exec tail -n 100 -F "$(ds_log_file "$proc")"; fi
    tail -n 100 "$(ds_log_file "$proc")"
    return 0
  fi
  for a in "${PROCS[@]}"; do
    [ -e "$(ds_log_file "$a")" ] || continue
    echo "==> $a ($(ds_log_file "$a"))"
    tail -n 15 "$(ds_log_file "$a")"
  done
}

clean() {
  down
  rm -rf "$DS_DIR"
  ds_say "removed $DS_DIR"
}

case "${1:-}" in
  up|down|clean|add-node|remove-node) ds_lock "$@" ;; # status and logs only read
esac
case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  clean) clean ;;
  add-node) add_node "${2:-}" ;;
  remove-node) remove_node "${2:-}" ;;
  classpath)
    [[ " ${DS_SERVICE_MODULES[*]} " == *" ${2:-} "* ]] || ds_die "classpath of one of: ${DS_SERVICE_MODULES[*]}"
    ds_process_classpath "$2" ;;
  *) usage ;;
esac
