# shellcheck shell=bash
# Makes sure a MySQL-compatible server binary exists, so tests can start a throwaway server when neither a JDBC URL
# (KVPIPE_TEST_JDBC_URL) nor a Docker engine is available. Installs MariaDB from Debian's packages when root.
# The Java side is test-support's io.kvpipe.testsupport.mysql.MySqlServers (same search order; KVPIPE_TEST_MYSQLD
# names a binary explicitly, KVPIPE_TEST_DOCKER=false skips the Testcontainers probe).

kvpipe_find_mysqld() {
  local c
  for c in "${KVPIPE_TEST_MYSQLD:-}" "$(command -v mariadbd 2>/dev/null)" "$(command -v mysqld 2>/dev/null)" /usr/sbin/mariadbd /usr/sbin/mysqld \
           /usr/local/mysql/bin/mysqld; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

kvpipe_require_mysqld() {
  [ -n "${KVPIPE_TEST_JDBC_URL:-}" ] && return 0
  kvpipe_find_mysqld >/dev/null && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kvpipe: no mariadbd/mysqld found; installing mariadb-server from Debian's packages" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    # Only the binaries are needed; keep the package's own service from being started.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null 2>&1
    local rc=$?
    rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] && kvpipe_find_mysqld >/dev/null && return 0
  fi
  echo "kvpipe: a MySQL-compatible server is required: install mariadb-server, or set KVPIPE_TEST_JDBC_URL" >&2
  return 1
}
