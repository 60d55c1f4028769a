package io.kvpipe.testsupport.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FreshnessTest {
  private static final String KEY = "t0-k1";

  private static KvHttp.Response found(long version, byte[] value) {
    return new KvHttp.Response(200, version, value);
  }

  private static final KvHttp.Response NOT_FOUND = new KvHttp.Response(404, 0, new byte[0]);

  @Test
  void aReadOlderThanTheAcknowledgedVersionIsStale() {
    byte[] v5 = Values.make(KEY, 5, 40);
    KeyModel.State acked = new KeyModel.State(7, Values.make(KEY, 7, 40), false);
    assertThat(LoadDriver.freshness(KEY, acked, found(5, v5))).startsWith("stale read");
    assertThat(LoadDriver.freshness(KEY, acked, NOT_FOUND)).startsWith("stale read");
    assertThat(LoadDriver.freshness(KEY, acked, found(7, acked.value()))).isNull();
    assertThat(LoadDriver.freshness(KEY, acked, found(9, Values.make(KEY, 9, 40)))).isNull();
  }

  @Test
  void sameVersionWithAnotherValueAndForeignValuesAreCaught() {
    KeyModel.State acked = new KeyModel.State(7, Values.make(KEY, 7, 40), false);
    assertThat(LoadDriver.freshness(KEY, acked, found(7, Values.make(KEY, 8, 40)))).contains("another value");
    assertThat(LoadDriver.freshness(KEY, null, found(3, Values.make("t1-k2", 3, 40)))).startsWith("foreign");
  }

  @Test
  void notFoundIsFineAfterADeleteOrAnUncertainWrite() {
    assertThat(LoadDriver.freshness(KEY, new KeyModel.State(7, null, false), NOT_FOUND)).isNull();
    assertThat(LoadDriver.freshness(KEY, new KeyModel.State(7, new byte[10], true), NOT_FOUND)).isNull();
    assertThat(LoadDriver.freshness(KEY, null, NOT_FOUND)).isNull();
  }

  @Test
  void aDeleteInFlightOrSentDuringAReadIsSeen() {
    KeyModel m = new KeyModel();
    long before = m.deletesAnswered(KEY);
    assertThat(m.deleteSentSince(KEY, before)).isFalse();
    m.deleteStarting(KEY);
    assertThat(m.deleteSentSince(KEY, before)).as("sent during the read").isTrue();
    long atRead = m.deletesAnswered(KEY);
    assertThat(m.deleteSentSince(KEY, atRead)).as("in flight when the read started").isTrue();
    m.deleteAnswered(KEY);
    long after = m.deletesAnswered(KEY);
    assertThat(m.deleteSentSince(KEY, after)).as("answered before the read").isFalse();
  }

  @Test
  void versionsMustGrow() {
    KeyModel m = new KeyModel();
    assertThat(m.acked(KEY, 5, new byte[10])).isZero();
    assertThat(m.acked(KEY, 5, null)).isEqualTo(5);
    assertThat(m.acked(KEY, 9, new byte[10])).isZero();
  }
}
