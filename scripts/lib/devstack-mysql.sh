# shellcheck shell=bash
# The dev stack's MySQL: an external server (KVPIPE_DEVSTACK_JDBC_URL) or a throwaway mariadbd/mysqld from this machine
# with its data in .devstack/mysql. Sourced by scripts/dev-stack.sh after scripts/lib/devstack.sh and mysql.sh.

DS_EXTERNAL_JDBC_URL=${KVPIPE_DEVSTACK_JDBC_URL:-}
DS_MYSQL_DATA=$DS_DIR/mysql/data
DS_MYSQL_SOCKET=$DS_MYSQL_DATA/mysqld.sock

# Sets DS_MYSQL_HOST/PORT/DATABASE, the administrator (DS_MYSQL_ADMIN_USER/PASSWORD: creates the database and the
# accounts, migrates the schema), the archive's accounts (DS_MYSQL_WRITER_USER: the consumer's; DS_MYSQL_USER: the
# auditors', SELECT only, what .devstack/env hands to kvctl and the mysql client) and DS_JDBC_URL.
ds_mysql_settings() {
  if [ -n "$DS_EXTERNAL_JDBC_URL" ]; then
    local re='^jdbc:(mysql|mariadb)://([^:/?]+)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
    [[ "$DS_EXTERNAL_JDBC_URL" =~ $re ]] \
      || ds_die "KVPIPE_DEVSTACK_JDBC_URL must look like jdbc:mysql://host:port/database, got '$DS_EXTERNAL_JDBC_URL'"
    DS_MYSQL_HOST=${BASH_REMATCH[2]}
    DS_MYSQL_PORT=${BASH_REMATCH[4]:-3306}
    DS_MYSQL_DATABASE=${BASH_REMATCH[6]:-kvpipe}
    DS_MYSQL_ADMIN_USER=${KVPIPE_DEVSTACK_JDBC_USER:-root}
    DS_MYSQL_ADMIN_PASSWORD=${KVPIPE_DEVSTACK_JDBC_PASSWORD:-}
  else
    DS_MYSQL_HOST=127.0.0.1
    DS_MYSQL_PORT=$DS_MYSQL_PORT
    DS_MYSQL_DATABASE=kvpipe
    DS_MYSQL_ADMIN_USER=root
    DS_MYSQL_ADMIN_PASSWORD=
  fi
  [[ "$DS_MYSQL_DATABASE" =~ ^[A-Za-z0-9_]+$ ]] || ds_die "database name '$DS_MYSQL_DATABASE' must be [A-Za-z0-9_]+"
  # Named after the database, so two stacks on one external server keep apart (accounts are server-wide).
  DS_MYSQL_WRITER_USER=${DS_MYSQL_DATABASE:0:23}_writer
  DS_MYSQL_USER=${DS_MYSQL_DATABASE:0:23}_auditor
  DS_MYSQL_ACCOUNTS_DIR=$DS_DIR/mysql-accounts
  DS_MYSQL_PASSWORD=$(cat "$DS_MYSQL_ACCOUNTS_DIR/auditor.password" 2>/dev/null || true)
  # The database and the accounts are made by ds_mysql_accounts; then the consumer's Flyway (as the administrator)
  # makes the schema.
  DS_JDBC_URL="jdbc:mysql://$DS_MYSQL_HOST:$DS_MYSQL_PORT/$DS_MYSQL_DATABASE"
}

# The archive's accounts (docs/security.md): passwords made once into .devstack/mysql-accounts/ (mode 600), then
# `kvctl archive-accounts` as the administrator creates the database and both accounts and sets their grants. Runs at
# every `up`: it also repairs grants someone changed.
ds_mysql_accounts() {
  local f
  (
    umask 077
    mkdir -p "$DS_MYSQL_ACCOUNTS_DIR"
    for f in writer auditor; do
      [ -s "$DS_MYSQL_ACCOUNTS_DIR/$f.password" ] \
        || head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$DS_MYSQL_ACCOUNTS_DIR/$f.password"
    done
  )
  KVPIPE_JDBC_PASSWORD=$DS_MYSQL_ADMIN_PASSWORD "$ROOT/scripts/kvctl" archive-accounts \
    --mysql-host "$DS_MYSQL_HOST" --mysql-port "$DS_MYSQL_PORT" --mysql-database "$DS_MYSQL_DATABASE" \
    --mysql-user "$DS_MYSQL_ADMIN_USER" \
    --writer-user "$DS_MYSQL_WRITER_USER" --writer-password-file "$DS_MYSQL_ACCOUNTS_DIR/writer.password" \
    --auditor-user "$DS_MYSQL_USER" --auditor-password-file "$DS_MYSQL_ACCOUNTS_DIR/auditor.password" \
    >>"$DS_LOGS/mysql-accounts.log" 2>&1 \
    || { tail -n 5 "$DS_LOGS/mysql-accounts.log" >&2; ds_die "could not create the archive accounts as $DS_MYSQL_ADMIN_USER (it needs CREATE USER and GRANT OPTION)"; }
  DS_MYSQL_PASSWORD=$(cat "$DS_MYSQL_ACCOUNTS_DIR/auditor.password")
}

ds_mysql_external() { [ -n "$DS_EXTERNAL_JDBC_URL" ]; }

ds_mysql_client() { # the mariadb/mysql command-line client, if installed
  command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null
}

ds_mysql_start() {
  local bin install root_user=()
  bin=$(kvpipe_find_mysqld) || { kvpipe_require_mysqld && bin=$(kvpipe_find_mysqld); } \
    || ds_die "no mariadbd/mysqld on this machine: install mariadb-server, or set KVPIPE_DEVSTACK_JDBC_URL"
  # As root the server must be told which user to run as; root keeps the data dir readable wherever it is.
  [ "$(id -u)" -eq 0 ] && root_user=(--user=root)
  mkdir -p "$DS_MYSQL_DATA"
  if [ ! -d "$DS_MYSQL_DATA/mysql" ]; then
    if "$bin" --version 2>/dev/null | grep -qi mariadb; then
      install=$(command -v mariadb-install-db || command -v mysql_install_db) \
        || ds_die "found $bin but no mariadb-install-db"
      "$install" --no-defaults --datadir="$DS_MYSQL_DATA" --auth-root-authentication-method=normal --skip-test-db \
        "${root_user[@]}" >"$DS_LOGS/mysql-install.log" 2>&1 \
        || { tail -n 20 "$DS_LOGS/mysql-install.log" >&2; ds_die "mariadb-install-db failed"; }
    else
      "$bin" --no-defaults --initialize-insecure --datadir="$DS_MYSQL_DATA" "${root_user[@]}" \
        >"$DS_LOGS/mysql-install.log" 2>&1 \
        || { tail -n 20 "$DS_LOGS/mysql-install.log" >&2; ds_die "mysqld --initialize-insecure failed"; }
    fi
  fi
  local extra=()
  "$bin" --version 2>/dev/null | grep -qi mariadb || extra=(--mysqlx=OFF)
  (
    exec setsid "$bin" --no-defaults --datadir="$DS_MYSQL_DATA" --port="$DS_MYSQL_PORT" --bind-address=127.0.0.1 \
      --socket="$DS_MYSQL_SOCKET" --pid-file="$DS_MYSQL_DATA/mysqld.pid" --log-error="$DS_LOGS/mysql.log" \
      --skip-log-bin --character-set-server=utf8mb4 --max-allowed-packet=64M --max-connections=200 \
      "${extra[@]}" "${root_user[@]}" >>"$DS_LOGS/mysql.log" 2>&1 </dev/null 9>&-
  ) &
  ds_record_pid mysql $!
}

ds_mysql_ready() {
  ds_port_open "$DS_MYSQL_PORT" || return 1
  local client
  client=$(ds_mysql_client) || return 0
  "$client" --no-defaults --socket="$DS_MYSQL_SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1
}
