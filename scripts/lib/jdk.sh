# shellcheck shell=bash
# Selects a JDK >= 21 and exports JAVA_HOME and PATH (and installs other tools the scripts need). Sourced by every
# script that runs Java or Maven.
# Order: $JAVA_HOME, `java` on PATH, any JDK under /usr/lib/jvm, else install one from Debian's packages.

kvpipe_java_major() { # prints the major version of the java binary $1, or 0
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  echo "${v:-0}"
}

kvpipe_select_jdk() {
  local candidates=() c
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] && [ "$(kvpipe_java_major "$c/bin/java")" -ge 21 ]; then
      export JAVA_HOME="$c"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  return 1
}

kvpipe_require_jdk() {
  if kvpipe_select_jdk; then return 0; fi
  echo "kvpipe: no JDK >= 21 found; installing one from Debian's packages" >&2
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    local pkg
    for pkg in openjdk-21-jdk-headless openjdk-25-jdk-headless; do
      if apt-get install -y -qq "$pkg" >/dev/null 2>&1 && kvpipe_select_jdk; then return 0; fi
    done
  fi
  echo "kvpipe: a JDK >= 21 is required; set JAVA_HOME to one" >&2
  return 1
}

kvpipe_require_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kvpipe: installing Maven from Debian's packages" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq maven >/dev/null 2>&1 && return 0
  fi
  echo "kvpipe: Apache Maven is required" >&2
  return 1
}

# Makes sure a command exists, installing its Debian package when missing (as root), without starting the package's
# own service (etcd-server's would listen on the default ports).
kvpipe_require_package() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "kvpipe: $cmd not found; installing $pkg from Debian's packages" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    local had_policy=0 rc=0
    [ -e /usr/sbin/policy-rc.d ] && had_policy=1
    [ $had_policy -eq 1 ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 || rc=$?
    [ $had_policy -eq 1 ] || rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] && command -v "$cmd" >/dev/null 2>&1 && return 0
  fi
  echo "kvpipe: $cmd is required: install Debian's $pkg package" >&2
  return 1
}
