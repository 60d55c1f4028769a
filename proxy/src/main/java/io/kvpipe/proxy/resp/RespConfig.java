package io.kvpipe.proxy.resp;

import java.util.OptionalInt;

/**
 * The Redis-protocol listener's settings (built by {@link io.kvpipe.proxy.ProxyConfigParser}).
 *
 * @param port           port to listen on (0: any free port, for tests); empty: no RESP listener
 * @param maxConnections most open RESP connections; one more is told so and closed
 * @param maxPipeline    most commands of one connection in flight (issued, reply not yet sent)
 * @param insecurePlaintext no TLS even when the proxy has an HTTPS certificate (which RESP otherwise uses too)
 */
public record RespConfig(OptionalInt port, int maxConnections, int maxPipeline, boolean insecurePlaintext) {
  public static final RespConfig OFF = new RespConfig(OptionalInt.empty(), 1024, 1024, false);

  public RespConfig {
    java.util.Objects.requireNonNull(port, "port");
    if (port.isPresent() && (port.getAsInt() < 0 || port.getAsInt() > 65535)) {
      throw new IllegalArgumentException("--resp-port must be within 0..65535");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("--resp-max-connections must be >= 1");
    }
    if (maxPipeline < 1 || maxPipeline > 65536) {
      throw new IllegalArgumentException("--resp-max-pipeline must be within 1..65536");
    }
  }

  public boolean enabled() {
    return port.isPresent();
  }

  /** {@code httpsCertificate}: whether the proxy has one (RESP then speaks TLS with it, unless told not to). */
  public String describe(boolean httpsCertificate) {
    return port.isEmpty() ? "off (no --resp-port)" : "port " + port.getAsInt()
        + (!httpsCertificate ? " (plaintext: no --http-tls-cert)"
            : insecurePlaintext ? " (plaintext: --resp-insecure-plaintext)" : " (TLS, the HTTPS certificate)")
        + ", max " + maxConnections + " connections, " + maxPipeline + " commands in flight per connection";
  }

  /** Whether RESP speaks TLS, given whether the proxy has an HTTPS certificate. */
  public boolean tls(boolean httpsCertificate) {
    return httpsCertificate && !insecurePlaintext;
  }
}
