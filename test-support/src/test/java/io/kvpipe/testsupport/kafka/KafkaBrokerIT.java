package io.kvpipe.testsupport.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaBrokerIT {
  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

  @Test
  @Order(1)
  void roundTripThroughAConsumerGroup() throws Exception {
    createTopic("round-trip");
    produce("round-trip", List.of("a", "b", "c"));
    assertThat(consumeAll("round-trip", "g1", 3)).containsExactly("a", "b", "c");
  }

  @Test
  @Order(2)
  void autoTopicCreationIsOff() throws Exception {
    try (Admin admin = admin()) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("never-created");
    }
    try (KafkaConsumer<String, String> c = consumer("g-none")) {
      assertThat(c.partitionsFor("never-created", Duration.ofSeconds(5))).isEmpty();
    }
    try (Admin admin = admin()) {
      assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("never-created");
    }
  }

  @Test
  @Order(3)
  void stopAndRestartKeepsDataAndAddress() throws Exception {
    createTopic("durable");
    produce("durable", List.of("before-1", "before-2"));
    String address = KAFKA.bootstrapServers();

    KAFKA.broker().stop();
    assertThat(KAFKA.broker().isRunning()).isFalse();
    KAFKA.broker().restart();

    assertThat(KAFKA.bootstrapServers()).isEqualTo(address);
    produce("durable", List.of("after-1"));
    assertThat(consumeAll("durable", "g2", 3)).containsExactly("before-1", "before-2", "after-1");
  }

  @Test
  @Order(4)
  void killThenRestartKeepsAcknowledgedData() throws Exception {
    createTopic("killed");
    produce("killed", List.of("x", "y"));

    KAFKA.broker().kill();
    KAFKA.broker().restart();

    assertThat(consumeAll("killed", "g3", 2)).containsExactly("x", "y");
  }

  @Test
  @Order(5)
  void aSharedBrokerRefusesToBeTakenAway() {
    KafkaBroker broker = KAFKA.broker();
    broker.share(); // the last test: afterAll still closes it
    assertThatThrownBy(broker::stop).isInstanceOf(IllegalStateException.class).hasMessageContaining("shared");
    assertThatThrownBy(broker::kill).isInstanceOf(IllegalStateException.class).hasMessageContaining("shared");
    assertThatThrownBy(broker::restart).isInstanceOf(IllegalStateException.class).hasMessageContaining("shared");
    assertThat(broker.isRunning()).isTrue();
  }

  private static Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()));
  }

  private static void createTopic(String name) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static void produce(String topic, List<String> values) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<String, String> producer =
             new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (String v : values) {
        producer.send(new ProducerRecord<>(topic, "k", v)).get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  /** Polls with a deadline until {@code expected} records arrived, then checks no more are there. */
  private static List<String> consumeAll(String topic, String group, int expected) {
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer(group)) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (seen.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          seen.add(r.value());
        }
      }
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
        seen.add(r.value());
      }
    }
    return seen;
  }
}
