package io.kvpipe.proxy;

import io.kvpipe.client.RaftTls;
import io.kvpipe.common.config.ConfigDef;
import io.kvpipe.common.config.LoadedConfig;
import io.kvpipe.common.config.ParsedConfig;
import io.kvpipe.common.config.Setting;
import io.kvpipe.common.config.SettingType;
import io.kvpipe.common.config.Validator;
import io.kvpipe.common.config.ValueSource;
import io.kvpipe.common.Limits;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.proxy.watch.WatchConfig;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link ProxyConfig} from the settings in {@link #DEFINITION} (a flag, else its variable
 * {@code KVPIPE_PROXY_<FLAG>}, else the {@code --config} file, else the default: {@link ConfigDef}). The only place
 * the proxy's settings and their defaults are defined.
 */
public final class ProxyConfigParser {
  /**
   * Every proxy setting. A setting another process has too (the Kafka bootstrap and topic, meta peers, value cap, the
   * Ratis TLS files, the tokens kvctl sends) has that process's variable ({@code KVPIPE_KAFKA_BOOTSTRAP},
   * {@code KVPIPE_TOKEN}, ...); its old {@code KVPIPE_PROXY_} variable still works, with a warning. The proxy's own
   * settings keep {@code KVPIPE_PROXY_<FLAG>}.
   */
  public static final ConfigDef DEFINITION = new ConfigDef("proxy", List.of(
      Setting.string("host", "KVPIPE_PROXY_HOST", "0.0.0.0", "interface to listen on"),
      Setting.integer("port", "KVPIPE_PROXY_PORT", 8080, "HTTP port").validate(Validator.range(0, 65535)),
      Setting.string("http-tls-cert", "KVPIPE_PROXY_HTTP_TLS_CERT", "", "HTTPS certificate chain (PEM) or PKCS12"),
      Setting.string("http-tls-key", "KVPIPE_PROXY_HTTP_TLS_KEY", "", "the PEM certificate's private key"),
      Setting.string("http-tls-password-file", "KVPIPE_PROXY_HTTP_TLS_PASSWORD_FILE", "",
          "file holding the PKCS12 keystore's password"),
      Setting.required("meta-peers", "KVPIPE_META_PEERS", SettingType.STRING,
          "replicas of the meta group, id@host:port,...").envAlias("KVPIPE_PROXY_META_PEERS", true),
      Setting.string("bootstrap-groups", "KVPIPE_PROXY_BOOTSTRAP_GROUPS", "",
          "g1=n1@host:port,n2@host:port;g2=... installed if the meta group has no topology"),
      Setting.integer("vnodes", "KVPIPE_PROXY_VNODES", HashRing.DEFAULT_VNODES, "ring tokens per group")
          .validate(Validator.atLeast(1)),
      Setting.string("data-token", "KVPIPE_TOKEN", "", "bearer token(s) of the data API").asSecret()
          .envAlias("KVPIPE_PROXY_DATA_TOKEN", true),
      Setting.string("admin-token", "KVPIPE_ADMIN_TOKEN", "", "bearer token(s) of /api/cluster/*").asSecret()
          .envAlias("KVPIPE_PROXY_ADMIN_TOKEN", true),
      Setting.string("data-token-file", "KVPIPE_PROXY_DATA_TOKEN_FILE", "", "file of data tokens, one per line"),
      Setting.string("admin-token-file", "KVPIPE_PROXY_ADMIN_TOKEN_FILE", "", "file of admin tokens, one per line"),
      Setting.bool("metrics-open", "KVPIPE_PROXY_METRICS_OPEN", true, "/metrics without a token"),
      Setting.integer("max-value-bytes", "KVPIPE_MAX_VALUE_BYTES", Limits.DEFAULT_MAX_VALUE_BYTES,
          "largest value accepted").envAlias("KVPIPE_PROXY_MAX_VALUE_BYTES", true),
      Setting.integer("max-header-bytes", "KVPIPE_PROXY_MAX_HEADER_BYTES", 8192, "request header block cap"),
      Setting.integer("max-uri-bytes", "KVPIPE_PROXY_MAX_URI_BYTES", 4096, "request target cap"),
      Setting.integer("max-batch-get-bytes", "KVPIPE_PROXY_MAX_BATCH_GET_BYTES", 16 << 20,
          "value bytes one batch get may return"),
      Setting.integer("max-sse-subscribers", "KVPIPE_PROXY_MAX_SSE_SUBSCRIBERS", 256, "concurrent topology streams"),
      Setting.integer("sse-queue-frames", "KVPIPE_PROXY_SSE_QUEUE_FRAMES", 256, "frames queued per subscriber"),
      Setting.integer("request-timeout-ms", "KVPIPE_PROXY_REQUEST_TIMEOUT_MS", 5000, "per request, retries included"),
      Setting.integer("startup-timeout-ms", "KVPIPE_PROXY_STARTUP_TIMEOUT_MS", 0,
          "how long start waits for the meta group and a topology (0: no limit; progress logged every 10 s)"),
      Setting.integer("idle-timeout-ms", "KVPIPE_PROXY_IDLE_TIMEOUT_MS", 30000, "idle HTTP connections"),
      Setting.integer("topology-poll-ms", "KVPIPE_PROXY_TOPOLOGY_POLL_MS", 200, "pause after a failed topology ask"),
      Setting.integer("health-interval-ms", "KVPIPE_PROXY_HEALTH_INTERVAL_MS", 2000, "node probe period"),
      Setting.integer("health-timeout-ms", "KVPIPE_PROXY_HEALTH_TIMEOUT_MS", 1000, "deadline of one probe"),
      Setting.integer("health-retries", "KVPIPE_PROXY_HEALTH_RETRIES", 1, "extra probe attempts per round"),
      Setting.integer("health-failure-threshold", "KVPIPE_PROXY_HEALTH_FAILURE_THRESHOLD", 2,
          "failed rounds before a node is marked down"),
      Setting.string("kafka-bootstrap", "KVPIPE_KAFKA_BOOTSTRAP", "",
          "Kafka bootstrap servers of the change topic: turns on GET /v1/watch")
          .deprecatedFlag("watch-kafka-bootstrap").deprecatedFlag("bootstrap-servers")
          .envAlias("KVPIPE_PROXY_WATCH_KAFKA_BOOTSTRAP", true),
      Setting.string("topic", "KVPIPE_TOPIC", "kv.changes", "the change topic").deprecatedFlag("watch-topic")
          .envAlias("KVPIPE_PROXY_WATCH_TOPIC", true),
      Setting.integer("watch-max-watchers", "KVPIPE_PROXY_WATCH_MAX_WATCHERS", 1024, "concurrent watch streams"),
      Setting.integer("watch-queue-events", "KVPIPE_PROXY_WATCH_QUEUE_EVENTS", 1024, "events queued per watcher"),
      Setting.integer("watch-queue-bytes", "KVPIPE_PROXY_WATCH_QUEUE_BYTES", 8 << 20, "bytes queued per watcher"),
      Setting.integer("watch-dedupe-window", "KVPIPE_PROXY_WATCH_DEDUPE_WINDOW", 20000,
          "records per partition within which a republished event is dropped"),
      Setting.integer("watch-catchup-readers", "KVPIPE_PROXY_WATCH_CATCHUP_READERS", 4,
          "watchers resuming from a past position at once"),
      Setting.integer("watch-heartbeat-ms", "KVPIPE_PROXY_WATCH_HEARTBEAT_MS", 5000, "idle stream progress period"),
      Setting.of("resp-port", "KVPIPE_PROXY_RESP_PORT", SettingType.INT, "",
          "port of the Redis protocol listener (RESP2/RESP3, on --host); none: off")
          .validate(Validator.range(0, 65535)),
      Setting.integer("resp-max-connections", "KVPIPE_PROXY_RESP_MAX_CONNECTIONS", 1024, "open RESP connections"),
      Setting.integer("resp-max-pipeline", "KVPIPE_PROXY_RESP_MAX_PIPELINE", 1024,
          "commands of one RESP connection in flight"),
      Setting.bool("resp-insecure-plaintext", "KVPIPE_PROXY_RESP_INSECURE_PLAINTEXT", false,
          "serve RESP without TLS even when --http-tls-cert is given (AUTH tokens then cross the network in clear)"),
      Setting.string("tls-cert", "KVPIPE_TLS_CERT", "", "PEM certificate for mutual TLS to the kv-nodes")
          .envAlias("KVPIPE_PROXY_TLS_CERT", true),
      Setting.string("tls-key", "KVPIPE_TLS_KEY", "", "its PEM (PKCS#8) private key")
          .envAlias("KVPIPE_PROXY_TLS_KEY", true),
      Setting.string("tls-ca", "KVPIPE_TLS_CA", "", "PEM certificate of the cluster's CA")
          .envAlias("KVPIPE_PROXY_TLS_CA", true),
      Setting.bool("insecure-plaintext", "KVPIPE_INSECURE_PLAINTEXT", false,
          "talk to Ratis ports without TLS").envAlias("KVPIPE_PROXY_INSECURE_PLAINTEXT", true)),
      """
      bootstrap-groups: g1=n1@host:port,n2@host:port;g2=... (used only if the meta group has no topology)
      tls-cert, tls-key, tls-ca: PEM files for mutual TLS to the kv-nodes' Ratis ports (all three, or
        --insecure-plaintext true)
      resp-port: the Redis protocol (RESP2/RESP3) listener, on --host; none: off. AUTH with a data token; TLS with
        the HTTPS certificate whenever --http-tls-cert is given (redis-cli --tls), unless --resp-insecure-plaintext
      tokens: data-token/admin-token take several, comma-separated; token files one per line (re-read on change);
        prefer the variables or files: a flag's value is visible in the process list
      """);

  private ProxyConfigParser() {}

  public static String usage() {
    return DEFINITION.help();
  }

  public static ProxyConfig parse(String[] args, Map<String, String> env) {
    return load(args, env).config();
  }

  /** {@link #parse}, keeping the merged settings for printing at start. */
  public static LoadedConfig<ProxyConfig> load(String[] args, Map<String, String> env) {
    ParsedConfig in = DEFINITION.parse(args, env);
    boolean tokenOnCommandLine = in.source("data-token") == ValueSource.FLAG
        || in.source("admin-token") == ValueSource.FLAG;
    if (path(in, "http-tls-cert").isEmpty() && (path(in, "http-tls-key").isPresent()
        || path(in, "http-tls-password-file").isPresent())) {
      throw new IllegalArgumentException("--http-tls-key and --http-tls-password-file need --http-tls-cert: without"
          + " it the proxy would serve plain HTTP");
    }
    ProxyConfig config = new ProxyConfig(
        in.string("host"),
        in.integer("port"),
        peers(in.required("meta-peers")),
        groups(in.string("bootstrap-groups")),
        in.integer("vnodes"),
        new TokenConfig(TokenConfig.split(in.string("data-token")), TokenConfig.split(in.string("admin-token")),
            path(in, "data-token-file"), path(in, "admin-token-file"), tokenOnCommandLine),
        in.bool("metrics-open"),
        in.integer("max-value-bytes"),
        new HttpLimits(in.integer("max-header-bytes"), in.integer("max-uri-bytes"),
            in.integer("max-batch-get-bytes"), in.integer("max-sse-subscribers"),
            in.integer("sse-queue-frames")),
        millis(in, "request-timeout-ms"),
        millis(in, "startup-timeout-ms"),
        millis(in, "idle-timeout-ms"),
        millis(in, "topology-poll-ms"),
        millis(in, "health-interval-ms"),
        millis(in, "health-timeout-ms"),
        in.integer("health-retries"),
        in.integer("health-failure-threshold"),
        RaftTls.fromSettings(in.string("tls-cert"), in.string("tls-key"), in.string("tls-ca"),
            in.bool("insecure-plaintext")),
        path(in, "http-tls-cert").map(cert -> new ListenerTls(cert, path(in, "http-tls-key"),
            path(in, "http-tls-password-file"))),
        new WatchConfig(in.optional("kafka-bootstrap"), in.string("topic"),
            in.integer("watch-max-watchers"), in.integer("watch-queue-events"), in.integer("watch-queue-bytes"),
            in.integer("watch-dedupe-window"), in.integer("watch-catchup-readers"),
            millis(in, "watch-heartbeat-ms")),
        new io.kvpipe.proxy.resp.RespConfig(in.optionalInteger("resp-port"),
            in.integer("resp-max-connections"), in.integer("resp-max-pipeline"),
            in.bool("resp-insecure-plaintext")));
    return new LoadedConfig<>(config, in);
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

  private static java.util.Optional<java.nio.file.Path> path(ParsedConfig in, String name) {
    return in.optional(name).map(java.nio.file.Path::of);
  }

  private static Duration millis(ParsedConfig in, String name) {
    return Duration.ofMillis(in.integer(name));
  }
}
