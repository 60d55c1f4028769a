#!/usr/bin/env bash
# Makes a throwaway certificate authority and certificates for kvpipe's mutual TLS on Ratis ports, with openssl.
#
#   scripts/tls-init.sh DIR NAME[:HOST,HOST...] ...
#
# Writes, in DIR (created if missing; existing files are kept, so running it again changes nothing):
#   ca.pem, ca-key.pem               the CA (EC P-256, 10 years); ca-key.pem never leaves DIR
#   NAME.pem, NAME-key.pem           one certificate per NAME, signed by the CA (825 days), usable as server and
#                                    client; SANs: NAME, each HOST, localhost and 127.0.0.1
# A kv-node, proxy or kvctl then takes --tls-cert DIR/NAME.pem --tls-key DIR/NAME-key.pem --tls-ca DIR/ca.pem.
# For development and tests. In production use your own CA and rotate as docs/security.md describes.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR NAME[:HOST,HOST...] ..." >&2; exit 2; }
command -v openssl >/dev/null || { echo "tls-init: openssl is required (Debian: apt-get install openssl)" >&2; exit 1; }
dir=$1; shift
mkdir -p "$dir"
umask 077

if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca-key.pem" -days 3650 -subj "/CN=kvpipe cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null
  echo "tls-init: made a new CA in $dir" >&2
fi

for spec in "$@"; do
  name=${spec%%:*}
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "tls-init: bad name '$name'" >&2; exit 2; }
  [ -s "$dir/$name.pem" ] && [ -s "$dir/$name-key.pem" ] && continue
  sans="DNS:$name,DNS:localhost,IP:127.0.0.1"
  if [ "$spec" != "$name" ]; then
    IFS=',' read -r -a hosts <<<"${spec#*:}"
    for h in "${hosts[@]}"; do
      if [[ "$h" =~ ^[0-9.]+$ ]]; then sans+=",IP:$h"; else sans+=",DNS:$h"; fi
    done
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name-key.pem" 2>/dev/null
  openssl req -new -key "$dir/$name-key.pem" -subj "/CN=$name" -out "$dir/$name.csr" 2>/dev/null
  ext=$(mktemp)
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n' >"$ext"
  printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$sans" >>"$ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -days 825 \
    -sha256 -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
done
# The certificates and the CA certificate are public; keys stay readable by their owner only (umask above).
chmod 644 "$dir"/*.pem
chmod 600 "$dir"/*-key.pem
