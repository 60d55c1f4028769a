package io.kvpipe.proxy;

import io.kvpipe.client.RaftTls;
import io.kvpipe.common.config.CommandLineFlags;
import io.kvpipe.common.Limits;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.proxy.watch.WatchConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link ProxyConfig} from {@code --flag value} (or {@code --flag=value}) arguments, each defaulting to the
 * environment variable {@code KVPIPE_PROXY_<FLAG>} (upper case, '-' → '_'), then to the default below. The only place
 * the proxy's settings and their defaults are defined.
 */
public final class ProxyConfigParser {
  /** flag → default (null = no default). Order is the order of {@code --help}. */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("host", "0.0.0.0");
    DEFAULTS.put("port", "8080");
    DEFAULTS.put("http-tls-cert", "");
    DEFAULTS.put("http-tls-key", "");
    DEFAULTS.put("http-tls-password-file", "");
    DEFAULTS.put("meta-peers", null);
    DEFAULTS.put("bootstrap-groups", "");
    DEFAULTS.put("vnodes", Integer.toString(HashRing.DEFAULT_VNODES));
    DEFAULTS.put("data-token", "");
    DEFAULTS.put("admin-token", "");
    DEFAULTS.put("data-token-file", "");
    DEFAULTS.put("admin-token-file", "");
    DEFAULTS.put("metrics-open", "true");
    DEFAULTS.put("max-value-bytes", Integer.toString(Limits.DEFAULT_MAX_VALUE_BYTES));
    DEFAULTS.put("max-header-bytes", "8192");
    DEFAULTS.put("max-uri-bytes", "4096");
    DEFAULTS.put("max-batch-get-bytes", Integer.toString(16 << 20));
    DEFAULTS.put("max-sse-subscribers", "256");
    DEFAULTS.put("sse-queue-frames", "256");
    DEFAULTS.put("request-timeout-ms", "5000");
    DEFAULTS.put("idle-timeout-ms", "30000");
    DEFAULTS.put("topology-poll-ms", "200");
    DEFAULTS.put("health-interval-ms", "2000");
    DEFAULTS.put("health-timeout-ms", "1000");
    DEFAULTS.put("health-retries", "1");
    DEFAULTS.put("health-failure-threshold", "2");
    DEFAULTS.put("watch-kafka-bootstrap", "");
    DEFAULTS.put("watch-topic", "kv.changes");
    DEFAULTS.put("watch-max-watchers", "1024");
    DEFAULTS.put("watch-queue-events", "1024");
    DEFAULTS.put("watch-queue-bytes", Integer.toString(8 << 20));
    DEFAULTS.put("watch-dedupe-window", "20000");
    DEFAULTS.put("watch-catchup-readers", "4");
    DEFAULTS.put("watch-heartbeat-ms", "5000");
    DEFAULTS.put("resp-port", "");
    DEFAULTS.put("resp-max-connections", "1024");
    DEFAULTS.put("resp-max-pipeline", "1024");
    DEFAULTS.put("tls-cert", "");
    DEFAULTS.put("tls-key", "");
    DEFAULTS.put("tls-ca", "");
    DEFAULTS.put("insecure-plaintext", "false");
  }

  private ProxyConfigParser() {}

  public static String usage() {
    StringBuilder sb = new StringBuilder("usage: proxy [--flag value]...\n");
    DEFAULTS.forEach((k, v) -> sb.append(String.format("  --%-26s env %-40s default %s%n", k, envName(k),
        v == null ? "(required)" : v.isEmpty() ? "(none)" : v)));
    sb.append("  bootstrap-groups: g1=n1@host:port,n2@host:port;g2=... (used only if the meta group has no topology)\n");
    sb.append("  tls-cert, tls-key, tls-ca: PEM files for mutual TLS to the kv-nodes' Ratis ports (all three, or\n"
        + "    --insecure-plaintext true)\n");
    sb.append("  resp-port: the Redis protocol (RESP2/RESP3) listener, on --host; none: off. AUTH with a data token\n");
    sb.append("  tokens: data-token/admin-token take several, comma-separated; token files one per line (re-read on"
        + " change);\n  prefer the variables or files: a flag's value is visible in the process list\n");
    return sb.toString();
  }

  static String envName(String flag) {
    return "KVPIPE_PROXY_" + flag.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
  }

  public static ProxyConfig parse(String[] args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    DEFAULTS.forEach((k, v) -> {
      String fromEnv = env.get(envName(k));
      values.put(k, fromEnv != null ? fromEnv : v);
    });
    boolean tokenOnCommandLine = false;
    for (CommandLineFlags.Flag f : CommandLineFlags.scan(args, DEFAULTS.keySet(), ProxyConfigParser::usage)) {
      values.put(f.name(), f.value());
      tokenOnCommandLine |= f.name().equals("data-token") || f.name().equals("admin-token");
    }
    if (path(values.get("http-tls-cert")).isEmpty() && (path(values.get("http-tls-key")).isPresent()
        || path(values.get("http-tls-password-file")).isPresent())) {
      throw new IllegalArgumentException("--http-tls-key and --http-tls-password-file need --http-tls-cert: without"
          + " it the proxy would serve plain HTTP");
    }
    return new ProxyConfig(
        values.get("host"),
        integer(values, "port"),
        peers(required(values, "meta-peers")),
        groups(values.get("bootstrap-groups")),
        integer(values, "vnodes"),
        new TokenConfig(TokenConfig.split(values.get("data-token")), TokenConfig.split(values.get("admin-token")),
            path(values.get("data-token-file")), path(values.get("admin-token-file")), tokenOnCommandLine),
        bool(values, "metrics-open"),
        integer(values, "max-value-bytes"),
        new HttpLimits(integer(values, "max-header-bytes"), integer(values, "max-uri-bytes"),
            integer(values, "max-batch-get-bytes"), integer(values, "max-sse-subscribers"),
            integer(values, "sse-queue-frames")),
        millis(values, "request-timeout-ms"),
        millis(values, "idle-timeout-ms"),
        millis(values, "topology-poll-ms"),
        millis(values, "health-interval-ms"),
        millis(values, "health-timeout-ms"),
        integer(values, "health-retries"),
        integer(values, "health-failure-threshold"),
        RaftTls.fromSettings(values.get("tls-cert"), values.get("tls-key"), values.get("tls-ca"),
            bool(values, "insecure-plaintext")),
        path(values.get("http-tls-cert")).map(cert -> new ListenerTls(cert, path(values.get("http-tls-key")),
            path(values.get("http-tls-password-file")))),
        new WatchConfig(java.util.Optional.ofNullable(values.get("watch-kafka-bootstrap")).map(String::trim)
            .filter(v -> !v.isEmpty()), values.get("watch-topic"), integer(values, "watch-max-watchers"),
            integer(values, "watch-queue-events"), integer(values, "watch-queue-bytes"),
            integer(values, "watch-dedupe-window"), integer(values, "watch-catchup-readers"),
            millis(values, "watch-heartbeat-ms")),
        new io.kvpipe.proxy.resp.RespConfig(optionalPort(values.get("resp-port")),
            integer(values, "resp-max-connections"), integer(values, "resp-max-pipeline")));
  }

  static List<Peer> peers(String text) {
    return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Peer::parse).toList();
  }

  static List<ShardGroup> groups(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(";")).map(String::trim).filter(s -> !s.isEmpty()).map(ShardGroup::parse).toList();
  }

  private static java.util.Optional<java.nio.file.Path> path(String value) {
    return value == null || value.isBlank() ? java.util.Optional.empty()
        : java.util.Optional.of(java.nio.file.Path.of(value.trim()));
  }

  private static java.util.OptionalInt optionalPort(String value) {
    if (value == null || value.isBlank()) {
      return java.util.OptionalInt.empty();
    }
    try {
      return java.util.OptionalInt.of(Integer.parseInt(value.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--resp-port must be an integer, got '" + value + "'");
    }
  }

  private static String required(Map<String, String> values, String name) {
    String v = values.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("--" + name + " (or " + envName(name) + ") is required\n" + usage());
    }
    return v;
  }

  private static int integer(Map<String, String> values, String name) {
    try {
      return Integer.parseInt(required(values, name).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be an integer, got '" + values.get(name) + "'");
    }
  }

  private static Duration millis(Map<String, String> values, String name) {
    return Duration.ofMillis(integer(values, name));
  }

  private static boolean bool(Map<String, String> values, String name) {
    String v = required(values, name).trim();
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("--" + name + " must be true or false, got '" + v + "'");
    }
    return Boolean.parseBoolean(v);
  }
}
