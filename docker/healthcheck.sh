#!/usr/bin/env bash
# Container health checks without curl in the image:
#   healthcheck.sh tcp PORT           something listens on PORT
#   healthcheck.sh http PORT PATH     GET http://127.0.0.1:PORT/PATH answers 200
set -euo pipefail
case "${1:-}" in
  tcp) exec 3<>"/dev/tcp/127.0.0.1/$2" ;;
  http)
    exec 3<>"/dev/tcp/127.0.0.1/$2"
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$3" >&3
    IFS= read -r -t 5 status <&3
    [[ "$status" == HTTP/1.?" 200"* ]]
    ;;
  *) echo "usage: healthcheck.sh tcp PORT | http PORT PATH" >&2; exit 2 ;;
esac
