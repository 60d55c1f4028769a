package io.kvpipe.proxy.watch;

import io.kvpipe.proxy.ProxyMetrics;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Brings a resuming watcher from its token's position {@code from} up to {@code target}, the live feed's position
 * when the watcher registered (from there the feed's frames, held meanwhile, take over). Its own Kafka reader starts
 * the dedupe window before {@code from}, so it drops exactly the republished events the live feed would. Frames carry
 * the position after each change, never past {@code target}. Runs on the caller's thread until done or the watcher
 * closes.
 */
final class CatchUp {
  private final WatchConfig config;
  private final ProxyMetrics metrics;

  CatchUp(WatchConfig config, ProxyMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  void run(Watcher w, long[] from, long[] target, List<TopicPartition> parts) throws InterruptedException {
    long[] considered = from.clone(); // per partition: every record before it was looked at for this watcher
    if (WatchPosition.of(considered).covers(target)) {
      w.goLive();
      return;
    }
    try (KafkaConsumer<byte[], byte[]> c = TopicReaders.open(config.kafkaBootstrap().orElseThrow(),
        "kvpipe-proxy-watch-catchup")) {
      c.assign(parts);
      long[] begin = TopicReaders.offsets(c.beginningOffsets(parts), parts);
      for (int p = 0; p < parts.size(); p++) {
        c.seek(parts.get(p), Math.max(begin[p], from[p] - config.dedupeWindow()));
      }
      RepublishFilter repeats = new RepublishFilter(parts.size(), config.dedupeWindow());
      while (!w.isClosed() && !WatchPosition.of(considered).covers(target)) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          int p = r.partition();
          if (r.offset() >= target[p]) {
            continue; // the live feed delivers it
          }
          TopicReaders.Decoded d = TopicReaders.decode(r);
          boolean change = d.kind() == TopicReaders.Kind.CHANGE
              && !repeats.isRepeat(p, r.offset(), d.event());
          if (r.offset() < from[p]) {
            continue; // only read to know what a republished event repeats
          }
          considered[p] = r.offset() + 1;
          if (change && w.request.matches(d.event().key())
              && !w.offerCatchUp(WatchFrames.change(d.event(), WatchPosition.encode(considered)))) {
            return;
          }
        }
        for (int p = 0; p < parts.size(); p++) {
          considered[p] = Math.max(considered[p], Math.min(target[p], c.position(parts.get(p))));
        }
      }
    }
    metrics.watchCaughtUp();
    w.goLive();
  }
}
