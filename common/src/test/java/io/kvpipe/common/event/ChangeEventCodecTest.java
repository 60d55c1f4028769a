package io.kvpipe.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Format 1 (read, no longer written) and format detection; format 2 is {@link DebeziumEnvelopeTest}. */
class ChangeEventCodecTest {
  private static final byte[] BINARY = {0, (byte) 0xff, 10, 13, '"', '\\', (byte) 0x80};

  @Test
  void roundTripsEveryOpWithBinaryValuesInFormatOne() {
    for (ChangeEvent e : new ChangeEvent[] {
        new ChangeEvent(Op.CREATE, "k", null, BINARY, 1_700_000_000_123L, "g1", 42, 3, 1, 1099511627818L, Origin.CLIENT),
        new ChangeEvent(Op.UPDATE, "ключ 🔑", BINARY, new byte[0], 1L, "g2", 43, 3, 2, 2199023255595L, Origin.MIGRATION),
        new ChangeEvent(Op.DELETE, "k", BINARY, null, 2L, "g1", 44, 4, 1, 1099511627820L, Origin.CLIENT),
        new ChangeEvent(Op.READ, "k", null, BINARY, 3L, "g1", 45, 4, 1, 1099511627821L, Origin.SNAPSHOT),
        new ChangeEvent(Op.READ, "k2", null, BINARY, 3L, "g1", 45, 7, 4, 1, 1099511627821L, Origin.SNAPSHOT),
        new ChangeEvent(Op.READ, "k3", null, BINARY, 3L, "g1", 45, Integer.MAX_VALUE, 4, 1, 9L, Origin.SNAPSHOT)}) {
      assertThat(ChangeEventCodec.decode(LegacyEnvelope.encode(e))).isEqualTo(e);
      assertThat(ChangeEventCodec.decode(LegacyEnvelope.encode(e), EnvelopeFormat.LEGACY)).isEqualTo(e);
    }
  }

  @Test
  void writesFormatOneShape() {
    ChangeEvent e = new ChangeEvent(Op.UPDATE, "k", "old".getBytes(StandardCharsets.UTF_8),
        "new".getBytes(StandardCharsets.UTF_8), 5L, "g1", 42, 3, 1, 99, Origin.CLIENT);
    assertThat(new String(LegacyEnvelope.encode(e), StandardCharsets.UTF_8)).isEqualTo(
        "{\"op\":\"u\",\"key\":\"k\",\"before\":\"b2xk\",\"after\":\"bmV3\",\"ts_ms\":5,\"source\":{\"group\":\"g1\","
            + "\"log_index\":42,\"seq\":0,\"term\":3,\"epoch\":1,\"version\":99,\"origin\":\"client\"}}");
  }

  @Test
  void seqIsPartOfTheIdentityAndRoundTrips() {
    ChangeEvent first = new ChangeEvent(Op.READ, "a", null, BINARY, 5L, "g1", 42, 0, 3, 1, 99, Origin.SNAPSHOT);
    ChangeEvent second = new ChangeEvent(Op.READ, "a", null, BINARY, 5L, "g1", 42, 1, 3, 1, 99, Origin.SNAPSHOT);
    assertThat(first).isNotEqualTo(second);
    assertThat(new String(LegacyEnvelope.encode(second), StandardCharsets.UTF_8)).contains("\"seq\":1,");
    assertThat(ChangeEventCodec.decode(LegacyEnvelope.encode(second)).seq()).isEqualTo(1);
  }

  @Test
  void anEventWithoutSeqHasSeqZero() {
    // Events written before seq existed stay readable.
    String json = "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,"
        + "\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}";
    ChangeEvent e = ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    assertThat(e.seq()).isZero();
    assertThat(e).isEqualTo(new ChangeEvent(Op.CREATE, "k", null, new byte[] {0}, 1, "g", 1, 1, 1, 5, Origin.CLIENT));
  }

  @Test
  void aNegativeSeqIsRefusedOnBothSides() {
    assertThatThrownBy(() -> new ChangeEvent(Op.READ, "k", null, BINARY, 1, "g", 1, -1, 1, 1, 5, Origin.SNAPSHOT))
        .isInstanceOf(MalformedEventException.class).hasMessageContaining("seq");
  }

  @Test
  void ignoresUnknownFieldsForForwardCompatibility() {
    String json = "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"extra\":{\"x\":[1]},"
        + "\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\","
        + "\"connector\":\"kvpipe\"}}";
    assertThat(ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8)).after()).containsExactly(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not json",
      "[]",
      "{\"op\":\"c\"}",
      "{\"op\":\"r\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"seq\":-1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"snapshot\"}}",
      "{\"op\":\"r\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"seq\":4294967296,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"snapshot\"}}",
      "{\"op\":\"r\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"seq\":\"1\",\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"snapshot\"}}",
      "{\"op\":\"x\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"!!\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":\"1\",\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"alien\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":99999999999999999999999,\"origin\":\"client\"}}",
      "{\"op\":\"d\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}}",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}} trailing",
      "{\"op\":\"c\",\"key\":\"k\",\"before\":null,\"after\":\"AA==\",\"ts_ms\":1,\"source\":{\"group\":\"g\",\"log_index\":1,\"term\":1,\"epoch\":1,\"version\":5,\"origin\":\"client\"}"
  })
  void rejectsMalformedEventsWithAReason(String json) {
    assertThatThrownBy(() -> ChangeEventCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("Exception"));
  }

  @Test
  void rejectsNullBytes() {
    assertThatThrownBy(() -> ChangeEventCodec.decode(null)).isInstanceOf(MalformedEventException.class);
  }
}
