# shellcheck shell=bash
# Selects a JDK >= 21 and exports JAVA_HOME and PATH (and installs other tools the scripts need). Sourced by every
# script that runs Java or Maven.
# Order: $JAVA_HOME, `java` on PATH, any JDK under /usr/lib/jvm, else install one from Debian's packages.

kvpipe_java_major() { # prints the major version of the java binary $1, or 0
  local v="" release
  # From the JDK's release file when there is one: starting a JVM to ask costs ~0.1 s idle, ~1 s on a busy box, and
  # every script (scripts/kvctl twice per call) asks.
  release=$(dirname "$(dirname "$1")")/release
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$release")
    v=${v#1.}          # 1.8.0_402 -> 8.0_402
    v=${v%%[^0-9]*}    # 25.0.3 -> 25, 21 -> 21
  fi
  if ! [[ "$v" =~ ^[0-9]+$ ]]; then
    v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  fi
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

# JVM options for class-data sharing, printed one per line: with them, a JVM maps the classes that an earlier JVM of the
# same program, JDK, options and class path archived when it exited instead of loading and verifying them again (a
# kv-node reaches "ready" in about half the time on 2 busy cores). The archive's name hashes the JDK, NAME, the options
# and each class-path entry's size and modification time, so a rebuilt jar or another JDK gets a new one.
# One JVM at a time writes an archive, at its exit, into a file of its own (-XX:ArchiveClassesAtExit); a later call
# moves it into place once its header, which the JVM writes last, is there. The JVMs started meanwhile run without
# CDS. (-XX:+AutoCreateSharedArchive, used before, lets every JVM that found no archive rewrite the one path the others
# map: three kv-nodes stopped at once wrote one file together, and the next start crashed in the JVM mapping it.)
# CDS's log lines are off, so the JVM's output stays what callers parse. Prints nothing when DIR is empty, when the
# class path holds a non-empty directory (CDS refuses to archive with one), or when another JVM writes the archive.
#   kvpipe_cds_options DIR NAME CLASSPATH [JVM OPTION...]      (JAVA_HOME set: call kvpipe_require_jdk first)
kvpipe_cds_options() {
  local dir=$1 name=$2 cp=$3 entry files=() version
  shift 3
  [ -n "$dir" ] && [ -n "${JAVA_HOME:-}" ] || return 0
  while IFS= read -r -d ':' entry; do
    [ -n "$entry" ] || continue
    if [ -d "$entry" ]; then
      [ -z "$(ls -A "$entry" 2>/dev/null)" ] || return 0
    elif [ -f "$entry" ]; then
      files+=("$entry")
    fi
  done < <(printf '%s:' "$cp")
  mkdir -p "$dir" 2>/dev/null || return 0
  version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null)
  local key archive
  key=$({
    echo "$JAVA_HOME $name $*"
    cat "$JAVA_HOME/release" 2>/dev/null
    stat -L -c '%n %s %Y' "$JAVA_HOME/lib/server/libjvm.so" 2>/dev/null
    echo "$cp"
    [ ${#files[@]} -eq 0 ] || stat -L -c '%n %s %Y' "${files[@]}"
  } | sha256sum | cut -c1-24)
  archive=$dir/$name-$key.jsa
  kvpipe_cds_adopt "$archive"
  if [ -f "$archive" ]; then
    printf '%s\n' "-XX:SharedArchiveFile=$archive"
  else
    # The writer's claim: created atomically, gone once its archive is adopted; a writer killed before it wrote
    # leaves one that expires after 10 minutes.
    find "$dir" -maxdepth 1 -name "${archive##*/}.writer" -mmin +10 -delete 2>/dev/null
    ( set -o noclobber; : >"$archive.writer" ) 2>/dev/null || return 0
    printf '%s\n' "-XX:ArchiveClassesAtExit=$archive.$(date +%s%N).$$.tmp"
  fi
  printf '%s\n' -Xshare:auto '-Xlog:cds*=off'
  if [ "${version:-0}" -ge 25 ] 2>/dev/null; then printf '%s\n' '-Xlog:aot*=off'; fi
}

# Moves a complete archive written for ARCHIVE (ARCHIVE.<nanos>.<pid>.tmp: a dynamic archive's first four bytes are
# its magic 0xf00baba8, written last) into place and ends the writer's claim; drops incomplete ones older than 10
# minutes (their writer was killed).
kvpipe_cds_adopt() {
  local archive=$1 tmp
  for tmp in "$archive".*.tmp; do
    [ -f "$tmp" ] || continue
    if [ "$(od -An -tx1 -N4 "$tmp" 2>/dev/null | tr -d ' ')" = a8ab0bf0 ]; then
      mv -f "$tmp" "$archive" 2>/dev/null && rm -f "$archive.writer"
    elif [ -n "$(find "$tmp" -mmin +10 2>/dev/null)" ]; then
      rm -f "$tmp"
    fi
  done
}
