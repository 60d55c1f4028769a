package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsumerConfigTest {
  private static final Map<String, String> USER = Map.of("KVPIPE_JDBC_USER", "kvpipe_writer");

  @Test
  void theJdbcUserHasNoDefault() {
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[0], Map.of()))
        .hasMessageContaining("--jdbc-user (or KVPIPE_JDBC_USER) is required");
    assertThat(ConsumerConfig.parse(new String[] {"--jdbc-user", "w"}, Map.of()).jdbcUser()).isEqualTo("w");
  }

  @Test
  void bothKafkaFlagNamesWorkTheOldOneWithAWarning() {
    ConsumerConfig.parse(new String[] {"--bootstrap-servers", "k:1"}, USER);
    var loaded = ConsumerConfig.load(new String[] {"--bootstrap-servers", "k:1"}, USER);
    assertThat(loaded.config().bootstrapServers()).isEqualTo("k:1");
    assertThat(loaded.settings().warnings()).containsExactly("--bootstrap-servers is deprecated: use --kafka-bootstrap");
    assertThat(ConsumerConfig.parse(new String[] {"--kafka-bootstrap", "k:2"}, USER).bootstrapServers())
        .isEqualTo("k:2");
  }
  @Test
  void defaultsEnvironmentAndFlagsApplyInThatOrder() {
    ConsumerConfig c = ConsumerConfig.parse(new String[] {"--topic", "t1", "--pool-size=7"},
        Map.of("KVPIPE_TOPIC", "from-env", "KVPIPE_CONSUMER_GROUP", "g-env", "KVPIPE_JDBC_USER", "w"));
    assertThat(c.topic()).isEqualTo("t1");
    assertThat(c.poolSize()).isEqualTo(7);
    assertThat(c.groupId()).isEqualTo("g-env");
    assertThat(c.dlqTopic()).isEqualTo("kv.changes.dlq");
    assertThat(c.flyway()).isTrue();
    assertThat(c.instanceId()).isEmpty();
  }

  @Test
  void describeMasksThePasswordEverywhere() {
    ConsumerConfig c = ConsumerConfig.parse(new String[] {"--jdbc-password", "s3cret",
        "--jdbc-url", "jdbc:mysql://h/db?user=u&password=s3cret&x=1"}, USER);
    assertThat(c.describe()).doesNotContain("s3cret").contains("jdbc-password=****").contains("password=****&x=1");
    assertThat(c.toString()).doesNotContain("s3cret");
  }

  @Test
  void refusesBadInputWithAClearMessage() {
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--nope", "1"}, USER))
        .hasMessageContaining("unknown flag --nope");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--pool-size", "many"}, USER))
        .hasMessageContaining("--pool-size must be an integer");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--flyway", "yes"}, USER))
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--dlq-topic", "kv.changes"}, USER))
        .hasMessageContaining("must differ");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--jdbc-url", "jdbc:postgresql://h/db"}, USER))
        .hasMessageContaining("jdbc:mysql:");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--topic"}, USER))
        .hasMessageContaining("needs a value");
  }

  @Test
  void resetOffsetsAreParsedAndChecked() {
    assertThat(ConsumerConfig.parse(new String[0], USER).resetOffsets()).isEmpty();
    ConsumerConfig c = ConsumerConfig.parse(new String[] {"--reset-offsets", "2=75, 0=40"}, USER);
    assertThat(c.resetOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(0, 40L, 2, 75L));
    assertThat(c.describe()).contains("reset-offsets=0=40,2=75");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--reset-offsets", "0:40"}, USER))
        .hasMessageContaining("partition=offset");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--reset-offsets", "0=1,0=2"}, USER))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--reset-offsets", "0=-1"}, USER))
        .hasMessageContaining("negative");
  }

  @Test
  void usageListsEveryFlagWithItsVariable() {
    for (io.kvpipe.common.config.Setting s : ConsumerConfig.DEFINITION.settings()) {
      assertThat(ConsumerConfig.usage()).contains(s.flag()).contains(s.env());
    }
  }

  @Test
  void extraKafkaAndJdbcPropertiesReachTheClientsButNotWhatTheArchiveRestsOn(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path kafka = java.nio.file.Files.writeString(dir.resolve("kafka.properties"),
        "security.protocol=SSL\nssl.keystore.password=ks-secret\nconsumer.fetch.max.wait.ms=250\n");
    java.nio.file.Path jdbc = java.nio.file.Files.writeString(dir.resolve("jdbc.properties"),
        "sslMode=VERIFY_IDENTITY\ntrustCertificateKeyStorePassword=ts-secret\n");
    ConsumerConfig c = ConsumerConfig.parse(new String[] {"--kafka-properties", kafka.toString()},
        Map.of("KVPIPE_JDBC_PROPERTIES", jdbc.toString(), "KVPIPE_JDBC_USER", "kvpipe_writer"));
    java.util.Properties p = ArchiveService.kafkaProperties(c);
    assertThat(p).containsEntry("security.protocol", "SSL").containsEntry("fetch.max.wait.ms", "250")
        .containsEntry("enable.auto.commit", "false").containsEntry("auto.offset.reset", "none");
    // Without a file, fetches wait a little to fill (fewer polls, fewer MySQL transactions).
    assertThat(ArchiveService.kafkaProperties(ConsumerConfig.parse(new String[0], USER)))
        .containsEntry("fetch.min.bytes", "32768").containsEntry("fetch.max.wait.ms", "20");
    assertThat(c.jdbcProperties().all()).containsEntry("sslMode", "VERIFY_IDENTITY");
    assertThat(c.describe()).contains("kafka-properties=" + kafka).doesNotContain("ks-secret")
        .doesNotContain("ts-secret");

    java.nio.file.Path bad = java.nio.file.Files.writeString(dir.resolve("bad.properties"),
        "consumer.enable.auto.commit=true\n");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--kafka-properties", bad.toString()}, USER))
        .hasMessageContaining("enable.auto.commit");
    java.nio.file.Path user = java.nio.file.Files.writeString(dir.resolve("user.properties"), "user=root\n");
    assertThatThrownBy(() -> ConsumerConfig.parse(new String[] {"--jdbc-properties", user.toString()}, USER))
        .hasMessageContaining("--jdbc-user");
  }
}
