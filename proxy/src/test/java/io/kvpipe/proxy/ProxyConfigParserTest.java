package io.kvpipe.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyConfigParserTest {
  private static final Map<String, String> ENV = Map.of(
      "KVPIPE_PROXY_META_PEERS", "n1@127.0.0.1:9001,n2@127.0.0.1:9002",
      "KVPIPE_PROXY_DATA_TOKEN", "data-token-1",
      "KVPIPE_PROXY_ADMIN_TOKEN", "admin-token-1",
      "KVPIPE_PROXY_INSECURE_PLAINTEXT", "true");

  @Test
  void envGivesDefaultsAndFlagsOverrideThem() {
    ProxyConfig c = ProxyConfigParser.parse(new String[] {"--port", "9999", "--request-timeout-ms=1500",
        "--bootstrap-groups", "g1=n1@127.0.0.1:9001;g2=n2@127.0.0.1:9002"}, ENV);
    assertThat(c.listenPort()).isEqualTo(9999);
    assertThat(c.metaPeers()).hasSize(2);
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.bootstrapGroups()).extracting(g -> g.id()).containsExactly("g1", "g2");
    assertThat(c.maxValueBytes()).isEqualTo(1 << 20);
    assertThat(c.metricsOpen()).isTrue();
  }

  @Test
  void startWaitsForTheMetaGroupWithoutLimitUnlessToldOtherwise() {
    // It gave up after a fixed 60 s: under compose at load 50 the stack stayed without a proxy.
    assertThat(ProxyConfigParser.parse(new String[0], ENV).startupTimeout()).isZero();
    assertThat(ProxyConfigParser.parse(new String[0], ENV).describe()).contains("startup-timeout          none");
    assertThat(ProxyConfigParser.parse(new String[] {"--startup-timeout-ms", "90000"}, ENV).startupTimeout())
        .isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--startup-timeout-ms", "-1"}, ENV))
        .hasMessageContaining("--startup-timeout-ms cannot be negative");
  }

  @Test
  void printedConfigMasksTokens() {
    ProxyConfig c = ProxyConfigParser.parse(new String[0], ENV);
    assertThat(c.describe()).doesNotContain("data-token-1").doesNotContain("admin-token-1").contains("1 token(s)");
    assertThat(c.toString()).doesNotContain("data-token-1");
  }

  @Test
  void badInputIsAClearError() {
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[0], Map.of()))
        .hasMessageContaining("--meta-peers");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--nope", "1"}, ENV))
        .hasMessageContaining("unknown flag --nope");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--port", "x"}, ENV))
        .hasMessageContaining("--port must be an integer");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--request-timeout-ms", "120000"}, ENV))
        .hasMessageContaining("--request-timeout-ms is too long").hasMessageContaining("retry cache");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--max-value-bytes", "999999999"}, ENV))
        .hasMessageContaining("max value bytes");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--admin-token", "data-token-1"}, ENV))
        .hasMessageContaining("must differ");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--data-token", "short"}, ENV))
        .hasMessageContaining("at least 8");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--meta-peers", "nonsense"}, ENV))
        .hasMessageContaining("id@host:port");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--port"}, ENV))
        .hasMessageContaining("needs a value");
  }

  @Test
  void theRedisProtocolIsOffUnlessAPortIsGiven() {
    assertThat(ProxyConfigParser.parse(new String[0], ENV).resp().enabled()).isFalse();
    assertThat(ProxyConfigParser.parse(new String[0], ENV).describe()).contains("off (no --resp-port)");
    Map<String, String> env = new java.util.HashMap<>(ENV);
    env.put("KVPIPE_PROXY_RESP_PORT", "6380");
    ProxyConfig c = ProxyConfigParser.parse(new String[] {"--resp-max-pipeline", "64"}, env);
    assertThat(c.resp().port()).hasValue(6380);
    assertThat(c.resp().maxPipeline()).isEqualTo(64);
    assertThat(c.resp().maxConnections()).isEqualTo(1024);
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--resp-port", "x"}, ENV))
        .hasMessageContaining("--resp-port must be an integer");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--resp-port", "70000"}, ENV))
        .hasMessageContaining("--resp-port must be within 0..65535");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--resp-max-pipeline", "0"}, ENV))
        .hasMessageContaining("--resp-max-pipeline");
  }

  @Test
  void sharedKvNodeVariablesApplyWhenTheProxyOnesAreUnset() {
    Map<String, String> env = Map.of("KVPIPE_META_PEERS", "n1@127.0.0.1:9001", "KVPIPE_PROXY_DATA_TOKEN",
        "data-token-1", "KVPIPE_PROXY_ADMIN_TOKEN", "admin-token-1", "KVPIPE_INSECURE_PLAINTEXT", "true",
        "KVPIPE_MAX_VALUE_BYTES", "4096", "KVPIPE_PROXY_MAX_VALUE_BYTES", "2048");
    ProxyConfig c = ProxyConfigParser.parse(new String[0], env);
    assertThat(c.metaPeers()).hasSize(1);
    // The shared name wins; the old proxy-only one is a deprecated fallback.
    assertThat(c.maxValueBytes()).isEqualTo(4096);
  }

  @Test
  void configFileSitsBelowTheEnvironment(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("proxy.properties"),
        "port=7777\nvnodes=64\nkafka-bootstrap=k:9092\n");
    var loaded = ProxyConfigParser.load(new String[] {"--config", file.toString(), "--vnodes", "32"},
        Map.of("KVPIPE_PROXY_META_PEERS", "n1@127.0.0.1:9001", "KVPIPE_PROXY_DATA_TOKEN", "data-token-1",
            "KVPIPE_PROXY_ADMIN_TOKEN", "admin-token-1", "KVPIPE_PROXY_INSECURE_PLAINTEXT", "true",
            "KVPIPE_PROXY_PORT", "6666"));
    assertThat(loaded.config().listenPort()).isEqualTo(6666);
    assertThat(loaded.config().vnodes()).isEqualTo(32);
    assertThat(loaded.config().watch().kafkaBootstrap()).contains("k:9092");
    assertThat(loaded.settings().describe()).contains("kafka-bootstrap=k:9092  [file " + file + "]")
        .contains("data-token=****  [env KVPIPE_PROXY_DATA_TOKEN]").doesNotContain("data-token-1");
    java.nio.file.Path bad = java.nio.file.Files.writeString(dir.resolve("bad.properties"), "prot=1\n");
    assertThatThrownBy(() -> ProxyConfigParser.parse(new String[] {"--config", bad.toString()}, ENV))
        .hasMessageContaining("unknown setting 'prot'");
  }

  @Test
  void theProxyReadsTheSharedNamesEveryOtherProcessUses() {
    // KVPIPE_KAFKA_BOOTSTRAP and KVPIPE_TOPIC are the kv-node's and the consumer's; KVPIPE_TOKEN and
    // KVPIPE_ADMIN_TOKEN kvctl's and the dev stack's; the meta peers, value cap and Ratis TLS the kv-node's.
    Map<String, String> env = Map.of("KVPIPE_META_PEERS", "n1@127.0.0.1:9001", "KVPIPE_TOKEN", "data-token-1",
        "KVPIPE_ADMIN_TOKEN", "admin-token-1", "KVPIPE_INSECURE_PLAINTEXT", "true",
        "KVPIPE_KAFKA_BOOTSTRAP", "k1:9092", "KVPIPE_TOPIC", "my.changes");
    var loaded = ProxyConfigParser.load(new String[0], env);
    assertThat(loaded.config().watch().kafkaBootstrap()).contains("k1:9092");
    assertThat(loaded.config().watch().topic()).isEqualTo("my.changes");
    assertThat(loaded.config().metaPeers()).hasSize(1);
    assertThat(loaded.settings().warnings()).isEmpty();
    assertThat(ProxyConfigParser.DEFINITION.setting("kafka-bootstrap").env()).isEqualTo("KVPIPE_KAFKA_BOOTSTRAP");
    assertThat(ProxyConfigParser.DEFINITION.setting("topic").env()).isEqualTo("KVPIPE_TOPIC");
    assertThat(ProxyConfigParser.DEFINITION.setting("data-token").env()).isEqualTo("KVPIPE_TOKEN");
    assertThat(ProxyConfigParser.DEFINITION.setting("admin-token").env()).isEqualTo("KVPIPE_ADMIN_TOKEN");
    assertThat(ProxyConfigParser.DEFINITION.setting("meta-peers").env()).isEqualTo("KVPIPE_META_PEERS");
  }

  @Test
  void theOldProxyNamesStillWorkWithAWarning() {
    var loaded = ProxyConfigParser.load(new String[] {"--watch-kafka-bootstrap", "k2:9092", "--watch-topic", "t2"},
        ENV);
    assertThat(loaded.config().watch().kafkaBootstrap()).contains("k2:9092");
    assertThat(loaded.config().watch().topic()).isEqualTo("t2");
    assertThat(loaded.config().metaPeers()).hasSize(2);
    assertThat(loaded.settings().warnings()).anyMatch(w -> w.contains("--watch-kafka-bootstrap is deprecated"))
        .anyMatch(w -> w.contains("--watch-topic is deprecated"))
        .anyMatch(w -> w.contains("KVPIPE_PROXY_DATA_TOKEN is deprecated: use KVPIPE_TOKEN"))
        .anyMatch(w -> w.contains("KVPIPE_PROXY_META_PEERS is deprecated: use KVPIPE_META_PEERS"));
    var old = ProxyConfigParser.load(new String[] {"--bootstrap-servers", "k3:9092"},
        Map.of("KVPIPE_PROXY_META_PEERS", "n1@127.0.0.1:9001", "KVPIPE_PROXY_DATA_TOKEN", "data-token-1",
            "KVPIPE_PROXY_ADMIN_TOKEN", "admin-token-1", "KVPIPE_PROXY_INSECURE_PLAINTEXT", "true",
            "KVPIPE_PROXY_WATCH_TOPIC", "t3"));
    assertThat(old.config().watch().kafkaBootstrap()).contains("k3:9092");
    assertThat(old.config().watch().topic()).isEqualTo("t3");
    assertThat(old.settings().warnings()).anyMatch(w -> w.contains("--bootstrap-servers is deprecated"))
        .anyMatch(w -> w.contains("KVPIPE_PROXY_WATCH_TOPIC is deprecated: use KVPIPE_TOPIC"));
  }
}
