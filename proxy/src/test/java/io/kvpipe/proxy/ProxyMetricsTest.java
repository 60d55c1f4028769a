package io.kvpipe.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {
  /** Any token is a valid HTTP method to Jetty: without a bound, each made-up one would become a timer of its own. */
  @Test
  void madeUpMethodsShareOneTag() {
    ProxyMetrics metrics = new ProxyMetrics();
    for (int i = 0; i < 500; i++) {
      metrics.request("unknown", "X" + i, 404, 1_000);
    }
    metrics.request("kv", "GET", 200, 1_000);
    String scrape = metrics.scrape();
    assertThat(count(scrape, "kvpipe_proxy_requests_seconds_count\\{")).as("request timers").isEqualTo(2);
    assertThat(scrape).contains("method=\"other\"").doesNotContain("method=\"X1\"");
  }

  /** A gauge of a lambda must survive garbage collection (Micrometer holds gauge state weakly unless told). */
  @Test
  void gaugesOfLambdasStillReadAfterAGarbageCollection() {
    ProxyMetrics metrics = new ProxyMetrics();
    java.util.concurrent.atomic.AtomicInteger watchers = new java.util.concurrent.atomic.AtomicInteger(7);
    metrics.gauge("kvpipe.proxy.watch.watchers", watchers::get);
    System.gc();
    System.gc();
    assertThat(metrics.scrape()).contains("kvpipe_proxy_watch_watchers 7.0");
  }

  /** The same for the group-commit counters, whose source is a lambda too: they must move, not freeze at 0. */
  @Test
  void groupCommitCountersStillReadAfterAGarbageCollection() {
    ProxyMetrics metrics = new ProxyMetrics();
    java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong(3);
    metrics.groupCommit(() -> new io.kvpipe.client.GroupCommit.Stats(writes.get(), 7 * writes.get(), 1, 2));
    System.gc();
    System.gc();
    writes.set(5);
    String text = metrics.scrape();
    assertThat(text).contains("kvpipe_proxy_group_commit_requests_total{kind=\"write\"} 5.0")
        .contains("kvpipe_proxy_group_commit_operations_total{kind=\"write\"} 35.0")
        .contains("kvpipe_proxy_group_commit_requests_total{kind=\"read\"} 1.0")
        .contains("kvpipe_proxy_group_commit_operations_total{kind=\"read\"} 2.0");
  }

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
