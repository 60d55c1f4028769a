package io.kvpipe.proxy.watch;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of {@code GET /v1/watch}. Defaults live in {@code ProxyConfigParser} (flags {@code --watch-*}).
 *
 * @param kafkaBootstrap  Kafka bootstrap servers of the change topic; empty: watching is off (404)
 * @param topic           the change topic the kv-nodes publish to
 * @param maxWatchers     most concurrent watch streams on this proxy (503 beyond)
 * @param queueEvents     most events queued for one watcher; past it the watcher is cut off (WATCHER_TOO_SLOW)
 * @param queueBytes      most bytes of frames queued for one watcher; past it the watcher is cut off
 * @param dedupeWindow    records per partition within which a republished event (same group, log index, seq) is
 *                        recognised and dropped; a resuming reader re-reads this many records before its position
 * @param catchUpReaders  most watchers resuming from a past position at once, each with its own Kafka reader (others
 *                        wait their turn, their stream already open)
 * @param heartbeat       how often an idle stream gets a progress event (or a keep-alive comment)
 */
public record WatchConfig(Optional<String> kafkaBootstrap, String topic, int maxWatchers, int queueEvents,
                          long queueBytes, int dedupeWindow, int catchUpReaders, Duration heartbeat) {
  public WatchConfig {
    Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("--topic must not be empty");
    }
    if (maxWatchers < 0) {
      throw new IllegalArgumentException("--watch-max-watchers must be >= 0");
    }
    if (queueEvents < 1 || queueBytes < 1024) {
      throw new IllegalArgumentException("--watch-queue-events must be >= 1 and --watch-queue-bytes >= 1024");
    }
    if (dedupeWindow < 0) {
      throw new IllegalArgumentException("--watch-dedupe-window must be >= 0");
    }
    if (catchUpReaders < 1) {
      throw new IllegalArgumentException("--watch-catchup-readers must be >= 1");
    }
    if (heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException("--watch-heartbeat-ms must be positive");
    }
  }

  public boolean enabled() {
    return kafkaBootstrap.isPresent();
  }
}
