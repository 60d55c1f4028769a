package io.kvpipe.node.cdc;

import io.kvpipe.common.Limits;
import io.kvpipe.common.event.DebeziumEnvelope;
import io.kvpipe.node.shard.EventLimit;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows about the change topic, shared by all its shard groups: the largest event it can publish (the
 * smaller of the topic's {@code max.message.bytes} and the producer's {@code max.request.size}, less a record's
 * framing) — so its leaders refuse writes whose events could never be published ({@link EventLimit}) — and whether the
 * topic keeps acknowledged events durably. Updated whenever the topic is read (at start, and by each leader that starts
 * publishing); until then the producer's bound alone applies. Reported in the log when it changes and as meters
 * {@code kvpipe.cdc.max.event.bytes}, {@code kvpipe.cdc.max.value.bytes}, {@code kvpipe.cdc.topic.durability.weak}.
 * Thread-safe.
 */
public final class TopicStatus implements EventLimit {
  private static final Logger log = LoggerFactory.getLogger(TopicStatus.class);
  /** A record's bytes beyond its key and value: batch header, headers, varints (generous: the headers take ~200). */
  static final int RECORD_FRAMING_BYTES = 1024;

  private final String topic;
  private final int configuredMaxValueBytes;
  private final long producerMaxRequestBytes;
  private final DebeziumEnvelope envelope;
  private volatile TopicFacts facts;

  public TopicStatus(CdcConfig config, int configuredMaxValueBytes, MeterRegistry registry) {
    this.topic = config.topic();
    this.configuredMaxValueBytes = configuredMaxValueBytes;
    this.producerMaxRequestBytes = KafkaAccess.maxRequestBytes(config);
    this.envelope = config.encoder();
    Gauge.builder("kvpipe.cdc.max.event.bytes", this, TopicStatus::maxEventBytes)
        .description("largest change event the topic and producer take; larger writes are refused").register(registry);
    Gauge.builder("kvpipe.cdc.max.value.bytes", this, TopicStatus::maxValueBytes)
        .description("largest value accepted, given the change topic's record limit").register(registry);
    Gauge.builder("kvpipe.cdc.topic.durability.weak", this, s -> s.weakDurability() == null ? 0 : 1)
        .description("1 if the change topic can lose acknowledged events (replication factor < 3, min ISR < 2,"
            + " unclean leader election)").register(registry);
  }

  /** Takes what the topic's settings are now; logs the limits and any durability weakness when they change. */
  public void update(TopicFacts now) {
    TopicFacts before = facts;
    facts = Objects.requireNonNull(now, "facts");
    if (now.equals(before)) {
      return;
    }
    String limits = describe();
    if (maxValueBytes() < configuredMaxValueBytes) {
      log.warn("CDC limits: {}. Values above {} bytes are REFUSED although --max-value-bytes is {}: {}", limits,
          maxValueBytes(), configuredMaxValueBytes, raiseHint());
    } else {
      log.info("CDC limits: {}", limits);
    }
    String weak = weakDurability();
    if (weak != null) {
      log.warn("CDC topic {} can LOSE acknowledged change events: {}. For durability the topic needs replication"
          + " factor >= 3, min.insync.replicas >= 2 and unclean.leader.election.enable=false (docs/operations.md)",
          topic, weak);
    }
  }

  @Override
  public long maxEventBytes() {
    TopicFacts f = facts;
    long bound = f == null ? producerMaxRequestBytes : Math.min(producerMaxRequestBytes, f.maxMessageBytes());
    return bound - RECORD_FRAMING_BYTES;
  }

  /** The largest value accepted: the configured cap, or less if the topic cannot take events that large. */
  public int maxValueBytes() {
    return Math.max(0, Math.min(configuredMaxValueBytes,
        envelope.largestValueFor(maxEventBytes(), Limits.MAX_KEY_BYTES)));
  }

  @Override
  public DebeziumEnvelope envelope() {
    return envelope;
  }

  @Override
  public String explain() {
    TopicFacts f = facts;
    return (f == null ? "the producer's max.request.size is " + producerMaxRequestBytes + " (topic " + topic
        + " not read yet)" : "topic " + topic + " takes records of at most max.message.bytes=" + f.maxMessageBytes()
        + " (producer max.request.size " + producerMaxRequestBytes + ")") + "; " + raiseHint();
  }

  /** One line for the log: the limits as they stand. */
  public String describe() {
    TopicFacts f = facts;
    return "topic " + topic + (f == null ? " (not read yet)" : " max.message.bytes=" + f.maxMessageBytes()
        + ", replication factor " + f.replicationFactor() + ", min.insync.replicas=" + f.minInsyncReplicas())
        + ", producer max.request.size=" + producerMaxRequestBytes + ": events up to " + maxEventBytes()
        + " bytes, values up to " + maxValueBytes() + " bytes (--max-value-bytes " + configuredMaxValueBytes + ")";
  }

  /** Why the topic may lose acknowledged events, or null if it is durable (or not read yet). */
  public String weakDurability() {
    TopicFacts f = facts;
    if (f == null) {
      return null;
    }
    StringBuilder why = new StringBuilder();
    if (f.replicationFactor() < 3) {
      why.append("replication factor ").append(f.replicationFactor()).append(" (one broker's disk holds the only"
          + " copy, or one broker may be left)");
    }
    if (f.minInsyncReplicas() < 2) {
      why.append(why.isEmpty() ? "" : "; ").append("min.insync.replicas=").append(f.minInsyncReplicas())
          .append(" (acks=all is satisfied by the leader alone)");
    }
    if (f.uncleanLeaderElection()) {
      why.append(why.isEmpty() ? "" : "; ").append("unclean.leader.election.enable=true");
    }
    return why.isEmpty() ? null : why.toString();
  }

  private String raiseHint() {
    long needed = envelope.maxEncodedSize(Limits.MAX_KEY_BYTES, configuredMaxValueBytes,
        configuredMaxValueBytes) + RECORD_FRAMING_BYTES;
    return "raise the topic's max.message.bytes to at least " + needed + " to accept values up to --max-value-bytes "
        + configuredMaxValueBytes;
  }
}
