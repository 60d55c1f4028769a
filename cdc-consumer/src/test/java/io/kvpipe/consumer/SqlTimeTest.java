package io.kvpipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SqlTimeTest {
  private static final DateTimeFormatter F = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  @Test
  void formatsLikeTheJdkForAnyMillisecondInMySqlsRange() {
    assertThat(SqlTime.utc(0)).isEqualTo("1970-01-01 00:00:00.000");
    assertThat(SqlTime.utc(951_782_400_123L)).isEqualTo("2000-02-29 00:00:00.123");
    assertThat(SqlTime.utc(-1)).isEqualTo("1969-12-31 23:59:59.999");
    SplittableRandom r = new SplittableRandom(7);
    long max = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();
    long min = Instant.parse("1000-01-01T00:00:00Z").toEpochMilli();
    for (int i = 0; i < 100_000; i++) {
      long ms = r.nextLong(min, max);
      assertThat(SqlTime.utc(ms)).isEqualTo(F.format(Instant.ofEpochMilli(ms)));
    }
  }
}
