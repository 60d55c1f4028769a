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

  public ProxyApi api() {
    if (timeoutMs < 1) {
      throw new KvctlException(ExitCodes.USAGE, "--timeout-ms must be positive");
    }
    return new ProxyApi(proxyUrl, token, adminToken, Duration.ofMillis(timeoutMs),
        proxyCa == null || proxyCa.isBlank() ? null : TrustedCerts.sslContext(java.nio.file.Path.of(proxyCa)));
  }
}
