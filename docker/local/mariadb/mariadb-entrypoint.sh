#!/usr/bin/env bash
# Entry point of the local MySQL-compatible image (MariaDB), following the official mysql image's contract:
#   - arguments that start with '-' are server options (mariadbd is put before them);
#   - on the first start (empty /var/lib/mysql): MYSQL_ROOT_PASSWORD (required) for root@localhost and root@'%',
#     MYSQL_DATABASE created, MYSQL_USER/MYSQL_PASSWORD created with every privilege on it;
#   - the server listens on the network only once that is done, so a health check that connects over TCP is not
#     satisfied by the bootstrap server.
set -euo pipefail
DATADIR=/var/lib/mysql
say() { echo "mariadb-entrypoint: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "${1:-}" = "" ] || [ "${1:0:1}" = "-" ]; then
  set -- mariadbd "$@"
fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then
  exec "$@"
fi
shift

sql_string() { # a SQL string literal
  local s=${1//\\/\\\\}
  printf "'%s'" "${s//\'/\'\'}"
}
sql_ident() { # a SQL identifier
  printf '`%s`' "${1//\`/\`\`}"
}

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$DATADIR"

if [ ! -d "$DATADIR/mysql" ]; then
  [ -n "${MYSQL_ROOT_PASSWORD:-}" ] || die "database is uninitialized and MYSQL_ROOT_PASSWORD is not set"
  say "initialising $DATADIR"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock "$@" &
  pid=$!
  for _ in $(seq 1 300); do
    mariadb-admin --socket=/run/mysqld/init.sock -uroot ping --silent >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || die "the bootstrap server exited"
    sleep 0.1
  done
  mariadb-admin --socket=/run/mysqld/init.sock -uroot ping --silent >/dev/null 2>&1 \
    || die "the bootstrap server did not answer in 30 s"
  root_pw=$(sql_string "$MYSQL_ROOT_PASSWORD")
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $root_pw;"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $root_pw;"
    echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MYSQL_DATABASE");"
    fi
    if [ -n "${MYSQL_USER:-}" ]; then
      [ -n "${MYSQL_PASSWORD:-}" ] || die "MYSQL_USER is set but MYSQL_PASSWORD is not"
      echo "CREATE USER $(sql_string "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_string "$MYSQL_PASSWORD");"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL PRIVILEGES ON $(sql_ident "$MYSQL_DATABASE").* TO $(sql_string "$MYSQL_USER")@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid"
  say "initialised: database ${MYSQL_DATABASE:-(none)}, user ${MYSQL_USER:-(none)}"
fi

exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 "$@"
