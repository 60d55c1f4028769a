package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MultiRowInsertTest {
  @Test
  void buildsOneTuplePerRowAndCachesBySize() {
    MultiRowInsert m = new MultiRowInsert("INSERT INTO t (a, b) VALUES", "(?,?)", "ON DUPLICATE KEY UPDATE a = a");
    assertThat(m.sql(1)).isEqualTo("INSERT INTO t (a, b) VALUES (?,?) ON DUPLICATE KEY UPDATE a = a");
    assertThat(m.sql(3)).isEqualTo("INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?) ON DUPLICATE KEY UPDATE a = a");
    assertThat(m.sql(3)).isSameAs(m.sql(3));
  }
}
