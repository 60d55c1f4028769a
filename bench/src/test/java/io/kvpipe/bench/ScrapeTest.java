package io.kvpipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Picking one sample out of a Prometheus text exposition: by name, then by labels. */
class ScrapeTest {
  static final String TEXT = """
      # HELP kvpipe_proxy_group_commit_requests_total Raft requests sent to the shard groups
      # TYPE kvpipe_proxy_group_commit_requests_total counter
      kvpipe_proxy_group_commit_requests_total{kind="read"} 12.0
      kvpipe_proxy_group_commit_requests_total{kind="write"} 345.0
      kvpipe_proxy_group_commit_requests_total_extra 9.0
      jvm_compilation_time_ms_total 1500.0
      """;

  @Test
  void aSampleIsPickedByNameAndLabels() {
    assertThat(Scrape.value(TEXT, "kvpipe_proxy_group_commit_requests_total", "kind=\"write\"")).isEqualTo(345.0);
    assertThat(Scrape.value(TEXT, "kvpipe_proxy_group_commit_requests_total", "kind=\"read\"")).isEqualTo(12.0);
    assertThat(Scrape.value(TEXT, "jvm_compilation_time_ms_total", "")).isEqualTo(1500.0);
  }

  @Test
  void aMissingSampleOrEndpointIsNaN() {
    assertThat(Scrape.value(TEXT, "kvpipe_proxy_group_commit_requests_total", "kind=\"scan\"")).isNaN();
    assertThat(Scrape.value(TEXT, "no_such_total", "")).isNaN();
    assertThat(Scrape.value(null, "jvm_compilation_time_ms_total", "")).isNaN();
  }
}
