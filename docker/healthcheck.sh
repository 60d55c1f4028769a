#!/usr/bin/env bash
# Container health checks without curl in the image:
#   healthcheck.sh tcp PORT           something listens on PORT
#   healthcheck.sh http PORT PATH     GET http://127.0.0.1:PORT/PATH answers 200
#   healthcheck.sh https PORT PATH CA GET https://127.0.0.1:PORT/PATH answers 200, the server's certificate checked
#                                     against the PEM file CA (curl, installed in the image)
set -euo pipefail
case "${1:-}" in
  tcp) exec 3<>"/dev/tcp/127.0.0.1/$2" ;;
  http)
    exec 3<>"/dev/tcp/127.0.0.1/$2"
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$3" >&3
    IFS= read -r -t 5 status <&3
    [[ "$status" == HTTP/1.?" 200"* ]]
    ;;
  https) [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 4 --cacert "$4" "https://127.0.0.1:$2$3")" = 200 ] ;;
  *) echo "usage: healthcheck.sh tcp PORT | http PORT PATH | https PORT PATH CA" >&2; exit 2 ;;
esac
