package io.kvpipe.kvctl;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the proxy is and how to authenticate; mixed into every command that talks to it. */
public final class ClusterOptions {
  @Option(names = "--proxy", paramLabel = "URL", defaultValue = "${env:KVPIPE_PROXY_URL:-http://127.0.0.1:8080}",
      description = "proxy base URL (env KVPIPE_PROXY_URL; default ${DEFAULT-VALUE})")
  String proxyUrl;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:KVPIPE_TOKEN}",
      description = "data bearer token (env KVPIPE_TOKEN)")
  String token;

  @Option(names = "--admin-token", paramLabel = "TOKEN", defaultValue = "${env:KVPIPE_ADMIN_TOKEN}",
      description = "admin bearer token for /api/cluster/* (env KVPIPE_ADMIN_TOKEN)")
  String adminToken;

  @Option(names = "--proxy-ca", paramLabel = "PEM", defaultValue = "${env:KVPIPE_PROXY_CA}",
      description = "PEM certificate(s) to trust for an https proxy, e.g. the dev stack's (env KVPIPE_PROXY_CA;"
          + " default: the JVM's trusted CAs)")
  String proxyCa;

  @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "10000",
      description = "timeout of one HTTP request (default ${DEFAULT-VALUE})")
  long timeoutMs;

  @Option(names = "--tls-cert", paramLabel = "PEM", defaultValue = "${env:KVPIPE_TLS_CERT}",
      description = "certificate for mutual TLS to the kv-nodes' Ratis ports, when a command reads them directly"
          + " (env KVPIPE_TLS_CERT)")
  String tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", defaultValue = "${env:KVPIPE_TLS_KEY}",
      description = "its private key (env KVPIPE_TLS_KEY)")
  String tlsKey;

  @Option(names = "--tls-ca", paramLabel = "PEM", defaultValue = "${env:KVPIPE_TLS_CA}",
      description = "the cluster's CA certificate (env KVPIPE_TLS_CA)")
  String tlsCa;

  @Option(names = "--insecure-plaintext", paramLabel = "BOOL", defaultValue = "${env:KVPIPE_INSECURE_PLAINTEXT:-false}",
      description = "talk to Ratis ports without TLS (env KVPIPE_INSECURE_PLAINTEXT; default ${DEFAULT-VALUE})")
  boolean insecurePlaintext;

  /** How to reach Ratis ports directly (only the Ratis scan fallback of verify-archive does). */
  public io.kvpipe.client.RaftTls raftTls() {
    try {
      return io.kvpipe.client.RaftTls.fromSettings(tlsCert, tlsKey, tlsCa, insecurePlaintext);
    } catch (IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.USAGE, e.getMessage());
    }
  }

  public ProxyApi api() {
    if (timeoutMs < 1) {
      throw new KvctlException(ExitCodes.USAGE, "--timeout-ms must be positive");
    }
    return new ProxyApi(proxyUrl, token, adminToken, Duration.ofMillis(timeoutMs),
        proxyCa == null || proxyCa.isBlank() ? null : TrustedCerts.sslContext(java.nio.file.Path.of(proxyCa)));
  }
}
