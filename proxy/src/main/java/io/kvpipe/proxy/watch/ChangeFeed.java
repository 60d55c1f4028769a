package io.kvpipe.proxy.watch;

import io.kvpipe.proxy.ProxyMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's one live reader of the change topic: from the topic's end at start-up (after re-reading the dedupe
 * window before it, so republished events are recognised from the first record on), it drops republished events and
 * hands every record to the {@link Fanout}. One platform thread; waits (re-checking every few seconds) while the topic
 * does not exist yet.
 */
final class ChangeFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);

  private final WatchConfig config;
  private final Fanout fanout;
  private final ProxyMetrics metrics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AutoCloseable consumerMeters;
  private final Thread thread;
  private volatile boolean stopping;
  private volatile long lag;

  ChangeFeed(WatchConfig config, Fanout fanout, ProxyMetrics metrics) {
    this.config = config;
    this.fanout = fanout;
    this.metrics = metrics;
    this.consumer = TopicReaders.open(config.kafkaBootstrap().orElseThrow(), "kvpipe-proxy-watch-feed");
    this.consumerMeters = metrics.bindKafkaClient(consumer);
    this.thread = Thread.ofPlatform().name("watch-feed").daemon().unstarted(this::run);
    metrics.gauge("kvpipe.proxy.watch.feed.lag", () -> lag);
  }

  void start() {
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> parts = awaitTopic();
      if (parts.isEmpty()) {
        return;
      }
      consumer.assign(parts);
      long[] end = TopicReaders.offsets(consumer.endOffsets(parts), parts);
      long[] begin = TopicReaders.offsets(consumer.beginningOffsets(parts), parts);
      for (int p = 0; p < parts.size(); p++) {
        consumer.seek(parts.get(p), Math.max(begin[p], end[p] - config.dedupeWindow()));
      }
      RepublishFilter repeats = new RepublishFilter(parts.size(), config.dedupeWindow());
      fanout.start(end);
      LOG.info("watch feed reading {} ({} partitions) from its end {}", config.topic(), parts.size(),
          WatchPosition.of(end));
      long nextProgress = System.nanoTime() + config.heartbeat().toNanos();
      while (!stopping) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
        List<Fanout.Read> reads = new ArrayList<>(batch.count());
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          TopicReaders.Decoded d = TopicReaders.decode(r);
          boolean change = d.kind() == TopicReaders.Kind.CHANGE;
          if (d.kind() == TopicReaders.Kind.MALFORMED) {
            metrics.watchRecord("malformed");
          } else if (change && repeats.isRepeat(r.partition(), r.offset(), d.event())) {
            metrics.watchRecord("republished");
            change = false;
          }
          if (r.offset() >= end[r.partition()]) {
            reads.add(new Fanout.Read(r.partition(), r.offset(), change ? d.event() : null));
          }
        }
        long[] after = new long[parts.size()];
        long behind = 0;
        for (int p = 0; p < parts.size(); p++) {
          after[p] = Math.max(end[p], consumer.position(parts.get(p)));
          OptionalLong l = consumer.currentLag(parts.get(p));
          behind += l.orElse(0);
        }
        lag = behind;
        fanout.dispatch(reads, after);
        if (System.nanoTime() >= nextProgress) {
          fanout.progress();
          nextProgress = System.nanoTime() + config.heartbeat().toNanos();
        }
      }
    } catch (WakeupException e) {
      // close()
    } catch (RuntimeException e) {
      LOG.error("watch feed stopped; watchers are cut off and new ones refused until the proxy restarts", e);
      fanout.closeAll("UNAVAILABLE", "this proxy's change feed stopped: " + e.getClass().getSimpleName()
          + "; reconnect (to another proxy) with the last id received");
    } finally {
      closeMeters();
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void closeMeters() {
    try {
      consumerMeters.close();
    } catch (Exception e) {
      LOG.debug("removing the watch feed's Kafka client meters failed", e);
    }
  }

  private List<TopicPartition> awaitTopic() {
    boolean said = false;
    while (!stopping) {
      try {
        List<TopicPartition> parts = TopicReaders.partitions(consumer, config.topic(), Duration.ofSeconds(10));
        if (!parts.isEmpty()) {
          return parts;
        }
        if (!said) {
          LOG.info("watch feed: topic {} does not exist yet; watch requests get 503 until it does", config.topic());
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        if (!said) {
          LOG.info("watch feed: Kafka not reachable yet ({}); retrying", e.getMessage());
        }
      }
      said = true; // once is enough: the stack starts Kafka and the publishing leaders in any order
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(2).toNanos()); // retry backoff
    }
    return List.of();
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    consumer.wakeup();
    thread.join(10_000);
  }
}
