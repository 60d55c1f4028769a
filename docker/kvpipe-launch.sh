#!/usr/bin/env bash
# Entry point of the kvpipe image: kvpipe-launch.sh kv-node|proxy|cdc-consumer|kvctl [flags...]
#                                  kvpipe-launch.sh tls-init DIR NAME[:HOST,...]...   (scripts/tls-init.sh)
#                                  kvpipe-launch.sh proxy-https-cert DIR [NAME...]   (one-shot: the proxy's TLS key pair)
# Every flag also has a KVPIPE_* environment variable (docs/configuration.md). JVM options: JAVA_OPTS if set (even
# empty), else the process's defaults in /opt/kvpipe/jvm/<process>.options (config/jvm/ in the repository).
set -euo pipefail
case "${1:-}" in
  tls-init) shift; exec /opt/kvpipe/bin/tls-init.sh "$@" ;;
  proxy-https-cert) shift; exec /opt/kvpipe/bin/proxy-https-cert.sh "$@" ;;
  kv-node) main=io.kvpipe.node.KvNodeMain ;;
  proxy) main=io.kvpipe.proxy.ProxyMain ;;
  cdc-consumer) main=io.kvpipe.consumer.ConsumerMain ;;
  kvctl) main=io.kvpipe.kvctl.Kvctl ;;
  *) echo "usage: kvpipe-launch.sh kv-node|proxy|cdc-consumer|kvctl [flags...] | tls-init DIR NAME... | proxy-https-cert DIR [NAME...]" >&2
     exit 2 ;;
esac
process=$1
shift
if [ -z "${JAVA_OPTS+set}" ] && [ -f "/opt/kvpipe/jvm/$process.options" ]; then
  JAVA_OPTS=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "/opt/kvpipe/jvm/$process.options" | tr '\n' ' ')
fi
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
exec java ${JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$(cat "/opt/kvpipe/classpath/$process.txt")" "$main" "$@"
