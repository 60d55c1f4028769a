# shellcheck shell=bash
# Settings and process helpers of the local dev stack (scripts/dev-stack.sh). Sourced; expects ROOT to be set.
# Every setting is an environment variable with a default here (documented in docs/configuration.md).

DS_DIR=${KVPIPE_DEVSTACK_DIR:-$ROOT/.devstack}
DS_BUILD=${KVPIPE_DEVSTACK_BUILD:-auto}                 # auto | always | never
DS_PROXY_PORT=${KVPIPE_DEVSTACK_PROXY_PORT:-8080}
DS_RESP_PORT=${KVPIPE_DEVSTACK_RESP_PORT:-6380}          # the proxy's Redis protocol; not 6379: leaves a local Redis alone
DS_KAFKA_PORT=${KVPIPE_DEVSTACK_KAFKA_PORT:-9092}
DS_KAFKA_CONTROLLER_PORT=${KVPIPE_DEVSTACK_KAFKA_CONTROLLER_PORT:-9093}
DS_MYSQL_PORT=${KVPIPE_DEVSTACK_MYSQL_PORT:-3307}       # not 3306: leaves a MySQL the machine already runs alone
DS_NODE_PORT_BASE=${KVPIPE_DEVSTACK_NODE_PORT_BASE:-7001}            # n1..n3 Ratis: base, base+1, base+2
DS_NODE_METRICS_PORT_BASE=${KVPIPE_DEVSTACK_NODE_METRICS_PORT_BASE:-7101}
DS_CONSUMER_METRICS_PORT=${KVPIPE_DEVSTACK_CONSUMER_METRICS_PORT:-9404}
# JVM options: config/jvm/<module>.options (the image and the benchmarks read the same files; why these:
# docs/operations.md "Memory of a kv-node"), unless these variables replace them: the nodes', the proxy's and consumer's.
DS_JVM_OPTS=${KVPIPE_DEVSTACK_JVM_OPTS:-}
DS_NODE_JVM_OPTS=${KVPIPE_DEVSTACK_NODE_JVM_OPTS:-}
# Class-data sharing archives of the stack's JVMs (scripts/lib/jdk.sh kvpipe_cds_options); empty: none.
DS_CDS_DIR=${KVPIPE_DEVSTACK_CDS_DIR:-}
DS_START_TIMEOUT=${KVPIPE_DEVSTACK_START_TIMEOUT:-180}  # seconds, per component
DS_STOP_GRACE=${KVPIPE_DEVSTACK_STOP_GRACE:-30}         # seconds between SIGTERM and SIGKILL
DS_TOPIC=kv.changes
DS_NODES=(n1 n2 n3)
DS_SHARD_GROUPS=(g1 g2)

# The options of config/jvm/MODULE.options on one line (comments and blank lines dropped).
ds_jvm_options() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/config/jvm/$1.options" | tr '\n' ' '
}

DS_PIDS=$DS_DIR/pids
DS_LOGS=$DS_DIR/logs
DS_CLASSPATH_FILES=("$ROOT/kvctl/target/stack-classpath.txt" "$ROOT/kvctl/target/kvctl-classpath.txt")

ds_say() { echo "dev-stack: $*" >&2; }
ds_die() { echo "dev-stack: $*" >&2; exit 1; }

ds_check_settings() {
  local v
  for v in "$DS_PROXY_PORT" "$DS_RESP_PORT" "$DS_KAFKA_PORT" "$DS_KAFKA_CONTROLLER_PORT" "$DS_MYSQL_PORT" "$DS_NODE_PORT_BASE" \
           "$DS_NODE_METRICS_PORT_BASE" "$DS_CONSUMER_METRICS_PORT" "$DS_START_TIMEOUT" "$DS_STOP_GRACE"; do
    [[ "$v" =~ ^[0-9]+$ ]] || ds_die "ports and timeouts must be numbers, got '$v'"
  done
  case "$DS_BUILD" in auto|always|never) ;; *) ds_die "KVPIPE_DEVSTACK_BUILD must be auto, always or never" ;; esac
}

ds_node_port() { echo $((DS_NODE_PORT_BASE + ${1#n} - 1)); }
ds_node_metrics_port() { echo $((DS_NODE_METRICS_PORT_BASE + ${1#n} - 1)); }

ds_peers() { # n1@127.0.0.1:7001,n2@...,n3@...
  local out="" n
  for n in "${DS_NODES[@]}"; do out+="${out:+,}$n@127.0.0.1:$(ds_node_port "$n")"; done
  echo "$out"
}

ds_alive() { # a pid that exists and is not a zombie (an exited child nobody reaped yet)
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

ds_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- processes: .devstack/pids/<name>.pid, and <name>.start: the process's start time (/proc/PID/stat's field 22, in
# clock ticks since boot), which stays the same across exec and differs for any later process given the same pid ---

ds_start_time() { # prints the start time of live process $1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the fields after the command name (which may hold spaces and parentheses)
  set -- $stat      # $1 is field 3 (state): field 22 is $20
  [ -n "${20:-}" ] && echo "${20}"
}

# Records process $2 as this stack's process $1: from here on ds_pid_of finds it, even before the launcher's exec.
ds_record_pid() {
  local start
  start=$(ds_start_time "$2") || start=""
  echo "$start" >"$DS_PIDS/$1.start.tmp" && mv "$DS_PIDS/$1.start.tmp" "$DS_PIDS/$1.start"
  echo "$2" >"$DS_PIDS/$1.pid.tmp" && mv "$DS_PIDS/$1.pid.tmp" "$DS_PIDS/$1.pid"
}

ds_pid_of() { # prints the live pid of a process this stack started, or fails
  local f=$DS_PIDS/$1.pid pid start
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  ds_alive "$pid" || return 1
  start=$(cat "$DS_PIDS/$1.start" 2>/dev/null) || start=""
  if [ -n "$start" ]; then
    # The same process as recorded, whether it has exec'd its program yet or not (a launcher between fork and exec
    # does not name the stack's directory yet: a down in that window must still find it).
    [ "$(ds_start_time "$pid")" = "$start" ] || return 1
  else
    # Recorded without a start time (a pid file of an older dev-stack.sh): only while it names this stack's directory.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DS_DIR" || return 1
  fi
  echo "$pid"
}

ds_forget() { rm -f "$DS_PIDS/$1.pid" "$DS_PIDS/$1.start"; }

# One command that starts or stops processes at a time per state directory (up, down, clean, add-node, remove-node):
# a second one waits for the first to finish, then runs as if alone. The lock is an flock on $DS_DIR/lock, held on
# file descriptor 9, which every process the stack starts has closed (9>&-): the lock ends with this command.
ds_lock() {
  local f=$DS_DIR/lock
  while :; do
    mkdir -p "$DS_DIR"
    exec 9>>"$f"
    if ! flock -n 9; then
      ds_say "waiting for another dev-stack.sh command on $DS_DIR to finish ($(head -n 1 "$f" 2>/dev/null))"
      flock 9
    fi
    # clean removes the directory, lock file included: a lock on a removed file excludes no one; take the new one.
    [ "$(stat -L -c %d:%i /dev/fd/9 2>/dev/null)" = "$(stat -c %d:%i "$f" 2>/dev/null)" ] && break
    exec 9>&-
  done
  echo "pid $$: dev-stack.sh $* since $(date -u +%H:%M:%SZ)" >"$f"
}

# Starts a Java main class detached from this shell (own session), log in logs/<name>.log, pid in pids/<name>.pid.
# The child sees none of the caller's KVPIPE_* variables (every setting is passed explicitly) except the logging ones,
# KVPIPE_LOG_LEVEL and the NAME=value pairs given before the main class: ds_start_java NAME MODULE [VAR=v...] MAIN ARGS
ds_start_java() {
  local name=$1 module=$2; shift 2
  local envs=()
  while [[ "$1" == *=* ]]; do envs+=("$1"); shift; done
  local main=$1; shift
  local cp jvm=$DS_JVM_OPTS cds
  cp=$(ds_process_classpath "$module")
  [ "$module" = kv-node ] && jvm=$DS_NODE_JVM_OPTS
  [ -n "$jvm" ] || jvm=$(ds_jvm_options "$module")
  # shellcheck disable=SC2086 # the JVM options are a list
  cds=$(kvpipe_cds_options "$DS_CDS_DIR" "$module" "$cp" $jvm)
  (
    for v in $(compgen -v KVPIPE_); do
      case "$v" in KVPIPE_LOG_LEVEL|KVPIPE_LOG_FORMAT|KVPIPE_ACCESS_LOG|KVPIPE_OP_LOG) ;; *) unset "$v" ;; esac
    done
    export KVPIPE_LOG_LEVEL=${KVPIPE_LOG_LEVEL:-INFO}
    for e in "${envs[@]}"; do export "${e?}"; done
    cd "$DS_DIR" || exit 1
    # shellcheck disable=SC2086 # the JVM options are a list; the CDS ones hold no spaces
    exec setsid java $jvm $cds --enable-native-access=ALL-UNNAMED "-Dkvpipe.devstack=$DS_DIR/$name" -cp "$cp" \
      "$main" "$@" >>"$DS_LOGS/$name.log" 2>&1 </dev/null 9>&-
  ) &
  ds_record_pid "$name" $!
}

# The class path of one service: its own module first (so its logback.xml is the one found), then every library,
# without the other services' modules.
DS_SERVICE_MODULES=(kv-node proxy cdc-consumer)
ds_process_classpath() {
  local module=$1 first="" rest="" entry other skip
  while IFS= read -r entry; do
    [ -z "$entry" ] && continue
    if [[ "$entry" == */"$module"-[0-9]*.jar || "$entry" == */"$module"/target/classes ]]; then
      first=$entry
      continue
    fi
    skip=0
    for other in "${DS_SERVICE_MODULES[@]}"; do
      [[ "$entry" == */"$other"-[0-9]*.jar || "$entry" == */"$other"/target/classes ]] && skip=1
    done
    [ $skip -eq 1 ] || rest+="${rest:+:}$entry"
  done < <(for f in "${DS_CLASSPATH_FILES[@]}"; do tr -d '\n' <"$f" | tr ':' '\n'; echo; done)
  [ -n "$first" ] || ds_die "module $module is not on the stack class path (${DS_CLASSPATH_FILES[0]})"
  echo "$first:$rest"
}

# Waits until "$@" succeeds; fails with the log tail if process $name dies or the deadline passes.
ds_wait_for() {
  local name=$1 what=$2; shift 2
  local deadline=$((SECONDS + DS_START_TIMEOUT))
  until "$@"; do
    if ! ds_pid_of "$name" >/dev/null; then
      ds_say "$name exited while waiting for $what; last lines of $(ds_log_file "$name"):"
      tail -n 40 "$(ds_log_file "$name")" >&2 2>/dev/null
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      ds_say "$name: no $what after ${DS_START_TIMEOUT}s; last lines of $(ds_log_file "$name"):"
      tail -n 40 "$(ds_log_file "$name")" >&2 2>/dev/null
      return 1
    fi
    sleep 0.3
  done
}

ds_log_file() { echo "$DS_LOGS/$1.log"; }

# SIGTERM to every named process this stack started, then SIGKILL to what is left after the grace period; returns once
# every one of them is gone (and its pid file with it).
ds_stop() {
  local name pid pids=() names=()
  for name in "$@"; do
    if pid=$(ds_pid_of "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    else
      ds_forget "$name"
    fi
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  local deadline=$((SECONDS + DS_STOP_GRACE)) i alive killed=0
  while :; do
    alive=0
    for i in "${!pids[@]}"; do ds_alive "${pids[$i]}" && alive=1; done
    [ $alive -eq 0 ] && break
    if [ $killed -eq 0 ] && [ "$SECONDS" -ge "$deadline" ]; then
      for i in "${!pids[@]}"; do
        if ds_alive "${pids[$i]}"; then
          ds_say "${names[$i]} (pid ${pids[$i]}) still running after ${DS_STOP_GRACE}s: SIGKILL"
          kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
      done
      killed=1
      deadline=$((SECONDS + 30))
    elif [ $killed -eq 1 ] && [ "$SECONDS" -ge "$deadline" ]; then
      ds_die "still running 30 s after SIGKILL: ${names[*]} (pids ${pids[*]}); pid files kept"
    fi
    sleep 0.2
  done
  for i in "${!names[@]}"; do
    ds_forget "${names[$i]}"
    ds_say "stopped ${names[$i]} (pid ${pids[$i]})"
  done
}
