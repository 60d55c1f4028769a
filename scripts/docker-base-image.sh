#!/usr/bin/env bash
# A Debian base image made on this machine, for Docker engines that can reach no image registry (docker-compose.local.yml
# builds every image FROM it): debootstrap (minbase) into a folder, then `docker import`. Skips when the tag exists.
#   scripts/docker-base-image.sh            prints the tag it made or found
# Env: KVPIPE_BASE_IMAGE (kvpipe-base:trixie), KVPIPE_BASE_SUITE (trixie), KVPIPE_BASE_MIRROR (http://deb.debian.org/debian)
# Needs root (debootstrap) and a Docker engine (DOCKER_HOST is honoured).
set -euo pipefail
TAG=${KVPIPE_BASE_IMAGE:-kvpipe-base:trixie}
SUITE=${KVPIPE_BASE_SUITE:-trixie}
MIRROR=${KVPIPE_BASE_MIRROR:-http://deb.debian.org/debian}

say() { echo "docker-base-image: $*" >&2; }
die() { say "$*"; exit 1; }

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}); start one or set DOCKER_HOST"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  say "$TAG exists; keeping it"
  echo "$TAG"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/kvpipe-base.XXXXXX")
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
say "debootstrap --variant=minbase $SUITE into $dir (log: $dir.log)"
debootstrap --variant=minbase "$SUITE" "$dir/root" "$MIRROR" >"$dir.log" 2>&1 \
  || { tail -n 30 "$dir.log" >&2; die "debootstrap failed"; }
# Images built on top run apt-get; keep the lists out of the base (they are fetched again there) and no docs.
rm -rf "$dir/root"/var/lib/apt/lists/* "$dir/root"/var/cache/apt/*.bin "$dir/root"/usr/share/doc/* "$dir/root"/usr/share/man/*
tar -C "$dir/root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$TAG" >/dev/null
rm -f "$dir.log"
say "made $TAG from Debian $SUITE in $(( $(date +%s) - start )) s"
echo "$TAG"
