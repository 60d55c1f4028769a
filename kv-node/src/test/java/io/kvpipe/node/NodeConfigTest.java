package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  static final String G1 = "g1=n1@127.0.0.1:7001,n2@127.0.0.1:7002,n3@127.0.0.1:7003";

  @Test
  void flagsOverrideEnvironmentAndListenDefaultsToOwnPeerAddress() {
    NodeConfig c = parse(new String[] {"--id", "n2", "--group", G1, "--snapshot-threshold=500"},
        Map.of("KVPIPE_SNAPSHOT_THRESHOLD", "9", "KVPIPE_KAFKA_BOOTSTRAP", "localhost:9092"));
    assertThat(c.listenHost()).isEqualTo("127.0.0.1");
    assertThat(c.listenPort()).isEqualTo(7002);
    assertThat(c.snapshotThreshold()).isEqualTo(500);
    assertThat(c.cdcEnabled()).isTrue();
    assertThat(c.topic()).isEqualTo("kv.changes");
    assertThat(c.groups()).hasSize(1);
    assertThat(c.describe()).contains("group=" + G1).contains("kafka-bootstrap=localhost:9092");
  }

  @Test
  void cdcSettingsComeFromFlagsOrEnvironmentIntoTheCdcConfig() {
    NodeConfig defaults = parse(new String[] {"--id", "n1", "--group", G1,
        "--kafka-bootstrap", "k:9092"}, Map.of());
    assertThat(defaults.cdcConfig()).isEqualTo(io.kvpipe.node.cdc.CdcConfig.defaults("k:9092"));

    NodeConfig c = parse(new String[] {"--id", "n1", "--group", G1, "--kafka-bootstrap", "k:9092",
        "--topic", "t1", "--cdc-partitions", "12", "--cdc-linger-ms=0"},
        Map.of("KVPIPE_CDC_REPLICATION_FACTOR", "3", "KVPIPE_CDC_CONFIRM_INTERVAL_MS", "250",
            "KVPIPE_CDC_PARTITIONS", "6"));
    io.kvpipe.node.cdc.CdcConfig cdc = c.cdcConfig();
    assertThat(cdc.bootstrapServers()).isEqualTo("k:9092");
    assertThat(cdc.topic()).isEqualTo("t1");
    assertThat(cdc.partitions()).isEqualTo(12);
    assertThat(cdc.replicationFactor()).isEqualTo((short) 3);
    assertThat(cdc.linger()).isEqualTo(java.time.Duration.ZERO);
    assertThat(cdc.confirmInterval()).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(c.describe()).contains("cdc-partitions=12", "cdc-replication-factor=3", "cdc-linger-ms=0",
        "cdc-confirm-interval-ms=250");
  }

  @Test
  void badCdcSettingsAreRefusedEvenWithCdcOff() {
    String[][] bad = {
        {"--cdc-partitions", "0"},
        {"--cdc-replication-factor", "0"},
        {"--cdc-replication-factor", "70000"},
        {"--cdc-linger-ms", "5000"},
        {"--cdc-linger-ms", "-1"},
        {"--cdc-confirm-interval-ms", "0"},
        {"--cdc-partitions", "many"},
        {"--topic", "no spaces"}};
    for (String[] b : bad) {
      assertThatThrownBy(() -> parse(new String[] {"--id", "n1", "--group", G1, b[0], b[1]}, Map.of()))
          .as(String.join(" ", b)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(b[0].equals("--cdc-partitions") && b[1].equals("many") ? "--cdc-partitions"
              : b[0].equals("--cdc-replication-factor") && b[1].equals("70000") ? "at most" : "CDC settings");
    }
  }

  @Test
  void groupsFromEnvironmentAreSemicolonSeparated() {
    NodeConfig c = parse(new String[0], Map.of("KVPIPE_NODE_ID", "n1",
        "KVPIPE_GROUPS", G1 + ";g2=n1@127.0.0.1:7001,n2@127.0.0.1:7002"));
    assertThat(c.groups()).extracting(NodeConfig.GroupSpec::name).containsExactly("g1", "g2");
    assertThat(c.cdcEnabled()).isFalse();
  }

  @Test
  void badConfigurationIsRefusedWithAReason() {
    assertThatThrownBy(() -> parse(new String[] {"--group", G1}, Map.of()))
        .hasMessageContaining("--id");
    assertThatThrownBy(() -> parse(new String[] {"--id", "n9", "--listen", "127.0.0.1:7009", "--group", G1}, Map.of()))
        .hasMessageContaining("does not list this node");
    assertThatThrownBy(() -> parse(new String[] {"--id", "n1", "--group", G1, "--bogus", "1"}, Map.of()))
        .hasMessageContaining("unknown flag --bogus");
    assertThatThrownBy(() -> parse(new String[] {"--id", "n1", "--group", G1, "--max-value-bytes",
        String.valueOf(64 << 20)}, Map.of())).hasMessageContaining("max value bytes");
    assertThatThrownBy(() -> parse(new String[] {"--id", "n1", "--group", "g1=n1@h"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> parse(new String[] {"--id", "n1"}, Map.of()))
        .hasMessageContaining("--group");
  }

  @Test
  void metaPeersComeFromTheFlagOrTheHostedMetaGroupAndAllowANodeWithoutGroups() {
    String meta = "meta=n1@127.0.0.1:7001,n2@127.0.0.1:7002,n3@127.0.0.1:7003";
    NodeConfig hostsMeta = parse(new String[] {"--id", "n1", "--group", meta, "--group", G1}, Map.of());
    assertThat(hostsMeta.followsTopology()).isTrue();
    assertThat(hostsMeta.metaPeers()).hasSize(3);

    NodeConfig plain = parse(new String[] {"--id", "n1", "--group", G1}, Map.of());
    assertThat(plain.followsTopology()).isFalse();

    NodeConfig joiner = parse(new String[] {"--id", "n4", "--listen", "127.0.0.1:7004"},
        Map.of("KVPIPE_META_PEERS", "n1@127.0.0.1:7001", "KVPIPE_RECONCILE_INTERVAL_MS", "250"));
    assertThat(joiner.groups()).isEmpty();
    assertThat(joiner.metaPeers()).extracting(p -> p.id()).containsExactly("n1");
    assertThat(joiner.reconcileIntervalMs()).isEqualTo(250);
    assertThat(joiner.describe()).contains("meta-peers=n1@127.0.0.1:7001");

    assertThatThrownBy(() -> parse(new String[] {"--id", "n4", "--listen", "127.0.0.1:7004"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--meta-peers");
    assertThatThrownBy(() -> parse(new String[] {"--id", "n4", "--listen", "127.0.0.1:7004",
        "--meta-peers", "nonsense"}, Map.of())).isInstanceOf(IllegalArgumentException.class);
  }

  /** Parses as the node does; plaintext unless the case says otherwise, since these cases are not about TLS. */
  private static NodeConfig parse(String[] args, Map<String, String> env) {
    Map<String, String> e = new java.util.HashMap<>(env);
    if (java.util.Arrays.stream(args).noneMatch(a -> a.startsWith("--tls-") || a.startsWith("--insecure"))
        && env.keySet().stream().noneMatch(k -> k.startsWith("KVPIPE_TLS_") || k.equals("KVPIPE_INSECURE_PLAINTEXT"))) {
      e.put("KVPIPE_INSECURE_PLAINTEXT", "true");
    }
    return NodeConfig.parse(args, e);
  }

  @Test
  void ratisPortsNeedMutualTlsUnlessPlaintextIsAskedForExplicitly() {
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1}, Map.of()))
        .hasMessageContaining("Ratis ports need mutual TLS").hasMessageContaining("--insecure-plaintext true");
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--tls-cert", "/nope.pem",
        "--tls-key", "/nope-key.pem", "--tls-ca", "/ca.pem"}, Map.of())).hasMessageContaining("/nope.pem");
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--tls-cert", "/x.pem"},
        Map.of())).hasMessageContaining("--tls-key");
    var tls = io.kvpipe.testsupport.tls.TestTls.cluster();
    NodeConfig secure = NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--tls-cert", tls.cert().toString(),
        "--tls-key", tls.key().toString(), "--tls-ca", tls.ca().toString()}, Map.of());
    assertThat(secure.raftTls().enabled()).isTrue();
    assertThat(secure.describe()).contains("raft-transport=mutual TLS");
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--tls-cert",
        tls.cert().toString(), "--tls-key", tls.key().toString(), "--tls-ca", tls.ca().toString(),
        "--insecure-plaintext", "true"}, Map.of())).hasMessageContaining("exclude each other");
    NodeConfig plain = NodeConfig.parse(new String[] {"--id", "n1", "--group", G1}, Map.of("KVPIPE_INSECURE_PLAINTEXT",
        "true"));
    assertThat(plain.raftTls().enabled()).isFalse();
    assertThat(plain.describe()).contains("raft-transport=PLAINTEXT");
  }

  @Test
  void theConsumersKafkaFlagNameWorksWithAWarningAndGroupsComeFromAConfigFile(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("node.properties"),
        "group=" + G1 + "\nsnapshot-threshold=77\n");
    var loaded = NodeConfig.load(new String[] {"--id", "n1", "--config", file.toString(), "--bootstrap-servers",
        "k:9092", "--insecure-plaintext", "true"}, Map.of());
    assertThat(loaded.config().kafkaBootstrap()).isEqualTo("k:9092");
    assertThat(loaded.config().groups()).hasSize(1);
    assertThat(loaded.config().snapshotThreshold()).isEqualTo(77);
    assertThat(loaded.settings().warnings()).containsExactly("--bootstrap-servers is deprecated: use --kafka-bootstrap");
  }

  @Test
  void healthAndReadyAreServedByDefaultOnTheRaftPortPlus100() {
    // The metrics port (which serves /health and /ready) was off unless given: a kv-node had no health endpoint.
    assertThat(parse(new String[] {"--id", "n2", "--group", G1}, Map.of()).metricsPort()).isEqualTo(7102);
    assertThat(parse(new String[] {"--id", "n1", "--group", G1, "--listen", "0.0.0.0:7000"}, Map.of())
        .metricsPort()).isEqualTo(7100);
    assertThat(parse(new String[] {"--id", "n1", "--group", G1}, Map.of("KVPIPE_METRICS_PORT", "9500"))
        .metricsPort()).isEqualTo(9500);
    assertThat(parse(new String[] {"--id", "n1", "--group", G1, "--metrics-port", "0"}, Map.of()).metricsPort())
        .isZero();
    assertThatThrownBy(() -> parse(new String[] {"--id", "n1", "--group", "g1=n1@127.0.0.1:65500"}, Map.of()))
        .hasMessageContaining("--metrics-port");
  }
}
