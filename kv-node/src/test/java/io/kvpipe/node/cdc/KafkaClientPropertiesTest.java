package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.node.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --kafka-properties reaches the CDC producer and the topic's admin client; kvpipe's own guarantees stay. */
class KafkaClientPropertiesTest {
  /** These cases are about Kafka's settings, not the Ratis port's TLS. */
  private static final Map<String, String> PLAINTEXT = Map.of("KVPIPE_INSECURE_PLAINTEXT", "true");

  private static final String G1 = "g1=n1@127.0.0.1:7001";

  @TempDir
  Path dir;

  @Test
  void aSecuredBrokersSettingsReachTheProducerAndThePrintoutShowsNoSecret() throws Exception {
    Path f = Files.writeString(dir.resolve("kafka.properties"), """
        security.protocol=SASL_SSL
        sasl.mechanism=PLAIN
        sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="n" password="pw-1";
        ssl.truststore.location=/etc/kvpipe/kafka-ca.p12
        producer.compression.type=lz4
        """);
    NodeConfig c = NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--kafka-bootstrap", "k:9093",
        "--kafka-properties", f.toString()}, PLAINTEXT);
    Properties p = KafkaAccess.producerProperties(c.cdcConfig(), "g1");
    assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("compression.type", "lz4")
        .containsEntry("ssl.truststore.location", "/etc/kvpipe/kafka-ca.p12")
        .containsEntry("acks", "all").containsEntry("bootstrap.servers", "k:9093");
    assertThat(c.cdcConfig().clientProperties().forClient("admin")).containsEntry("security.protocol", "SASL_SSL")
        .doesNotContainKey("compression.type");
    assertThat(c.describe()).contains("kafka-properties=" + f).contains("sasl.jaas.config").doesNotContain("pw-1");
  }

  @Test
  void settingsThePublisherRestsOnAreRefused() throws Exception {
    Path f = Files.writeString(dir.resolve("bad.properties"), "acks=1\nproducer.enable.idempotence=false\n");
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--kafka-bootstrap",
        "k:9093"}, Map.of("KVPIPE_KAFKA_PROPERTIES", f.toString(), "KVPIPE_INSECURE_PLAINTEXT", "true")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks")
        .hasMessageContaining("enable.idempotence");
    assertThatThrownBy(() -> NodeConfig.parse(new String[] {"--id", "n1", "--group", G1, "--kafka-properties",
        dir.resolve("missing").toString()}, PLAINTEXT)).hasMessageContaining("--kafka-properties");
  }
}
