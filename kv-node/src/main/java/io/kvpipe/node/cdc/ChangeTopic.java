package io.kvpipe.node.cdc;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the change topic if it is missing, and reads the settings it really has. An existing topic is left as it is:
 * changing its partition count would move keys between partitions and break per-key order, so a mismatch is only
 * reported; its record limit and durability are judged by {@link TopicStatus}. Stateless.
 */
public final class ChangeTopic {
  private static final Logger log = LoggerFactory.getLogger(ChangeTopic.class);

  private ChangeTopic() {}

  /** Slack above the largest event for the record batch framing and headers. */
  static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

  /**
   * Makes sure the topic exists and reads the settings it really has (partitions, replication, record limit).
   *
   * @throws CdcKafkaException if Kafka cannot be reached or refuses within {@code timeout}
   */
  public static TopicFacts ensure(CdcConfig config, Duration timeout) {
    Properties props = new Properties();
    props.putAll(config.clientProperties().forClient("admin"));
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kvpipe-cdc-topic");
    try (Admin admin = Admin.create(props)) {
      try {
        admin.createTopics(List.of(newTopic(config))).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        log.info("created topic {} with {} partitions, replication factor {}", config.topic(), config.partitions(),
            config.replicationFactor());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      TopicFacts facts = describe(admin, config.topic(), timeout);
      if (facts.partitions() != config.partitions()) {
        log.warn("topic {} exists with {} partitions, not the configured {}; keeping it as it is", config.topic(),
            facts.partitions(), config.partitions());
      }
      return facts;
    } catch (ExecutionException e) {
      throw new CdcKafkaException("cannot create or describe topic " + config.topic() + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new CdcKafkaException("Kafka at " + config.bootstrapServers() + " did not answer within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CdcKafkaException("interrupted while creating topic " + config.topic(), e);
    }
  }

  /** The topic's layout and effective settings (a topic just created may take a moment to be described: retried). */
  private static TopicFacts describe(Admin admin, String topic, Duration timeout)
      throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(resource)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .get(resource);
        int replicas = d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
        return new TopicFacts(topic, d.partitions().size(), replicas,
            Integer.parseInt(c.get("min.insync.replicas").value()), Long.parseLong(c.get("max.message.bytes").value()),
            Boolean.parseBoolean(c.get("unclean.leader.election.enable").value()));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100); // metadata of a topic created a moment ago is still spreading; a short fixed retry
      }
    }
  }

  static NewTopic newTopic(CdcConfig config) {
    // With 3+ replicas, acks=all only means "on two brokers" if min ISR is 2.
    int minIsr = config.replicationFactor() >= 3 ? 2 : 1;
    return new NewTopic(config.topic(), config.partitions(), config.replicationFactor()).configs(Map.of(
        "max.message.bytes", String.valueOf(config.maxRecordBytes() + RECORD_OVERHEAD_BYTES),
        "min.insync.replicas", String.valueOf(minIsr)));
  }
}
