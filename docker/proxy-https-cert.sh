#!/usr/bin/env bash
# One-shot: a self-signed certificate for the proxy's HTTPS listener, made once into DIR (a volume) with the JRE's
# keytool: DIR/proxy.p12 (key + certificate), DIR/proxy.p12.password, DIR/proxy-cert.pem (what clients trust).
# Nothing is committed; a later run keeps what exists (delete the volume for a new one).
#   proxy-https-cert.sh DIR [NAME...]      NAME: extra DNS names of the proxy (default: proxy, localhost)
set -euo pipefail
dir=${1:?usage: proxy-https-cert.sh DIR [NAME...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(proxy localhost)
if [ -f "$dir/proxy.p12" ] && [ -f "$dir/proxy-cert.pem" ]; then
  echo "proxy-https-cert: $dir/proxy.p12 exists; keeping it"
  exit 0
fi
umask 077
san="ip:127.0.0.1"
for n in "${names[@]}"; do san+=",dns:$n"; done
head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$dir/proxy.p12.password"
keytool -genkeypair -alias proxy -keyalg EC -groupname secp256r1 -validity 825 -dname "CN=kvpipe proxy" \
  -ext "SAN=$san" -storetype PKCS12 -keystore "$dir/proxy.p12.tmp" -storepass:file "$dir/proxy.p12.password"
keytool -exportcert -rfc -alias proxy -keystore "$dir/proxy.p12.tmp" -storepass:file "$dir/proxy.p12.password" \
  -file "$dir/proxy-cert.pem"
chmod 644 "$dir/proxy-cert.pem"
mv "$dir/proxy.p12.tmp" "$dir/proxy.p12"
echo "proxy-https-cert: made $dir/proxy.p12 for $san"
