# shellcheck shell=bash
# HTTPS on the dev stack's proxy (KVPIPE_DEVSTACK_PROXY_HTTPS=on; off by default: the stack listens on loopback only).
# A self-signed certificate for 127.0.0.1/localhost is made once with the JDK's keytool into $DS_DIR/proxy-https/ (never
# committed; `clean` deletes it); clients trust it through KVPIPE_PROXY_CA (written to .devstack/env).
# Sourced by scripts/dev-stack.sh after devstack.sh.

DS_PROXY_HTTPS=${KVPIPE_DEVSTACK_PROXY_HTTPS:-off}   # on | off
DS_HTTPS_DIR=$DS_DIR/proxy-https

ds_proxy_https_check() {
  case "$DS_PROXY_HTTPS" in on|off) ;; *) ds_die "KVPIPE_DEVSTACK_PROXY_HTTPS must be on or off, got '$DS_PROXY_HTTPS'" ;; esac
}

ds_proxy_https() { [ "$DS_PROXY_HTTPS" = on ]; }

ds_proxy_url() { if ds_proxy_https; then echo "https://127.0.0.1:$DS_PROXY_PORT"; else echo "http://127.0.0.1:$DS_PROXY_PORT"; fi; }

# curl to the proxy, trusting its certificate when TLS is on.
ds_proxy_curl() {
  if ds_proxy_https; then curl --cacert "$DS_HTTPS_DIR/proxy-cert.pem" "$@"; else curl "$@"; fi
}

# Makes the key pair on first use (in this shell, so a failure stops `up`).
ds_proxy_https_prepare() {
  ds_proxy_https || return 0
  if [ ! -f "$DS_HTTPS_DIR/proxy.p12" ]; then
    (
      umask 077
      mkdir -p "$DS_HTTPS_DIR"
      head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$DS_HTTPS_DIR/proxy.p12.password"
      "$JAVA_HOME/bin/keytool" -genkeypair -alias proxy -keyalg EC -groupname secp256r1 -validity 825 \
        -dname "CN=kvpipe dev proxy" -ext "SAN=ip:127.0.0.1,dns:localhost" -storetype PKCS12 \
        -keystore "$DS_HTTPS_DIR/proxy.p12" -storepass:file "$DS_HTTPS_DIR/proxy.p12.password" >/dev/null 2>&1 \
        || ds_die "keytool could not make the proxy's certificate in $DS_HTTPS_DIR"
      "$JAVA_HOME/bin/keytool" -exportcert -rfc -alias proxy -keystore "$DS_HTTPS_DIR/proxy.p12" \
        -storepass:file "$DS_HTTPS_DIR/proxy.p12.password" -file "$DS_HTTPS_DIR/proxy-cert.pem" >/dev/null 2>&1 \
        || ds_die "keytool could not export the proxy's certificate"
      chmod 644 "$DS_HTTPS_DIR/proxy-cert.pem"
    )
    ds_say "made a self-signed proxy certificate in $DS_HTTPS_DIR (trust it with KVPIPE_PROXY_CA)"
  fi
}

# The proxy's flags for TLS, one per line (none when off).
ds_proxy_https_args() {
  ds_proxy_https || return 0
  echo "--http-tls-cert"
  echo "$DS_HTTPS_DIR/proxy.p12"
  echo "--http-tls-password-file"
  echo "$DS_HTTPS_DIR/proxy.p12.password"
}
