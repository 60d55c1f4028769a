package io.kvpipe.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientPropertiesTest {
  @TempDir
  Path dir;

  @Test
  void keysWithoutAPrefixGoToEveryClientAndPrefixedOnesWin() throws Exception {
    Path f = Files.writeString(dir.resolve("kafka.properties"), """
        # a secured broker
        security.protocol=SASL_SSL
        sasl.mechanism=SCRAM-SHA-512
        sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="s3cret";
        request.timeout.ms=20000
        admin.request.timeout.ms=5000
        producer.compression.type=zstd
        """);
    ClientProperties p = ClientProperties.load(f.toString(), "kafka-properties");
    assertThat(p.forClient("producer")).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("compression.type", "zstd").containsEntry("request.timeout.ms", "20000")
        .doesNotContainKey("producer.compression.type");
    assertThat(p.forClient("admin")).containsEntry("request.timeout.ms", "5000").doesNotContainKey("compression.type");
    assertThat(p.forClient("consumer")).containsEntry("sasl.mechanism", "SCRAM-SHA-512").hasSize(4);
    assertThat(p.describe()).contains("kafka.properties").contains("sasl.jaas.config").doesNotContain("s3cret");
  }

  @Test
  void keysKvpipeSetsItselfAreRefusedAtStart() throws Exception {
    Path f = Files.writeString(dir.resolve("p"), "producer.acks=1\nconsumer.enable.auto.commit=true\n");
    ClientProperties p = ClientProperties.load(f.toString(), "kafka-properties");
    assertThatThrownBy(() -> p.refuse("producer", Set.of("acks"), "every event is acknowledged by all replicas"))
        .hasMessageContaining("[acks]").hasMessageContaining("producer");
    p.refuse("admin", Set.of("acks"), "x");
    assertThatThrownBy(() -> p.refuse(null, Set.of("consumer.enable.auto.commit"), "x"))
        .hasMessageContaining("consumer.enable.auto.commit");
  }

  @Test
  void noFileIsNoPropertiesAndAMissingFileIsAClearError() {
    assertThat(ClientProperties.load("", "kafka-properties").isEmpty()).isTrue();
    assertThat(ClientProperties.none().describe()).isEqualTo("(none)");
    assertThatThrownBy(() -> ClientProperties.load(dir.resolve("nope").toString(), "kafka-properties"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--kafka-properties")
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> ClientProperties.none().forClient("broker"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
