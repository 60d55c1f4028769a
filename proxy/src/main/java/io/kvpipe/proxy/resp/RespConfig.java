package io.kvpipe.proxy.resp;

import java.util.OptionalInt;

/**
 * The Redis-protocol listener's settings (built by {@link io.kvpipe.proxy.ProxyConfigParser}).
 *
 * @param port           port to listen on (0: any free port, for tests); empty: no RESP listener
 * @param maxConnections most open RESP connections; one more is told so and closed
 * @param maxPipeline    most commands of one connection in flight (issued, reply not yet sent)
 */
public record RespConfig(OptionalInt port, int maxConnections, int maxPipeline) {
  public static final RespConfig OFF = new RespConfig(OptionalInt.empty(), 1024, 1024);

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

  public String describe() {
    return port.isEmpty() ? "off (no --resp-port)" : "port " + port.getAsInt() + ", max " + maxConnections
        + " connections, " + maxPipeline + " commands in flight per connection";
  }
}
