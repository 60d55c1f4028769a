package io.kvpipe.node.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.metrics.StandardMeters;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * What every process's registry exports once {@link StandardMeters#configure} has set it up: counters and maxima of
 * the Kafka clients but none of their precomputed per-second rates or client-side averages (they cannot be added up
 * across instances or windows), and buckets on every timer and summary, the libraries' ones included.
 */
class StandardMetersFilterTest {

  private static Set<String> names(PrometheusMeterRegistry registry) {
    Set<String> out = new TreeSet<>();
    for (String line : registry.scrape().split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(line.replaceAll("[{ ].*", ""));
      }
    }
    return out;
  }

  @Test
  void kafkaClientRatesAndAveragesAreNotExported() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StandardMeters.configure(registry);
    Map<String, Object> props = Map.of("bootstrap.servers", "127.0.0.1:1", "client.id", "filter-test");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer());
         KafkaClientMetrics binder = new KafkaClientMetrics(producer)) {
      binder.bindTo(registry);
      Set<String> names = names(registry);
      assertThat(names).anyMatch(n -> n.startsWith("kafka_producer_") && n.endsWith("_total"));
      assertThat(names).anyMatch(n -> n.startsWith("kafka_producer_") && n.endsWith("_max"));
      List<String> precomputed = names.stream().filter(n -> n.startsWith("kafka_"))
          .filter(n -> n.endsWith("_rate") || n.endsWith("_avg") || n.endsWith("_ratio")).toList();
      assertThat(precomputed).isEmpty();
    }
  }

  @Test
  void everyTimerAndSummaryHasBuckets() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StandardMeters.configure(registry);
    // As JvmGcMetrics and HikariCP register theirs: no buckets asked for.
    Timer.builder("jvm.gc.pause").tag("action", "end of minor GC").register(registry).record(Duration.ofMillis(3));
    Timer.builder("hikaricp.connections.acquire").register(registry).record(Duration.ofMillis(1));
    DistributionSummary.builder("some.batch.size").register(registry).record(42);
    // One with client-side percentiles: they are dropped, the buckets are kept.
    Timer.builder("kvpipe.test.latency").publishPercentiles(0.5, 0.99).register(registry)
        .record(Duration.ofMillis(7));
    String scrape = registry.scrape();
    assertThat(scrape).contains("jvm_gc_pause_seconds_bucket{action=\"end of minor GC\",le=\"0.005\"} 1");
    assertThat(scrape).contains("hikaricp_connections_acquire_seconds_bucket{le=\"0.001\"} 1");
    assertThat(scrape).contains("some_batch_size_bucket{");
    assertThat(scrape).contains("kvpipe_test_latency_seconds_bucket{le=\"0.01\"} 1");
    assertThat(scrape).doesNotContain("quantile=");
  }
}
