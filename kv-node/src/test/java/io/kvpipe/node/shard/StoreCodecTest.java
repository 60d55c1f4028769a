package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.Ttl;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@link StoreCodec}: a record's version is packed as a varint; every width it can take (1 to 10 bytes, at each 7-bit
 * boundary) reads back as written, with and without a deadline and a value, and the value after it is not shifted.
 */
class StoreCodecTest {
  private static final long[] VERSIONS = {0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 1L << 35,
      (1L << 56) - 1, 1L << 56, Long.MAX_VALUE, -1, Long.MIN_VALUE};

  @Test
  void everyVersionWidthReadsBackWithValueAndDeadline() {
    ShardStore store = new ShardStore();
    byte[] value = "v".repeat(100).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < VERSIONS.length; i++) {
      long version = VERSIONS[i];
      byte[] plain = ("plain" + i).getBytes(StandardCharsets.UTF_8);
      byte[] withTtl = ("ttl" + i).getBytes(StandardCharsets.UTF_8);
      byte[] gone = ("gone" + i).getBytes(StandardCharsets.UTF_8);
      store.put(plain, new ShardStore.Rec(value, version));
      store.put(withTtl, new ShardStore.Rec(value, version, 1_700_000_000_123L + i));
      store.put(gone, new ShardStore.Rec(null, version));

      assertThat(store.get(plain)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.value()).isEqualTo(value);
        assertThat(r.expiresAtMs()).isEqualTo(Ttl.NONE);
      });
      int n = i;
      assertThat(store.get(withTtl)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.value()).isEqualTo(value);
        assertThat(r.expiresAtMs()).isEqualTo(1_700_000_000_123L + n);
      });
      assertThat(store.get(gone)).satisfies(r -> {
        assertThat(r.version()).isEqualTo(version);
        assertThat(r.live()).isFalse();
      });
    }
  }

  @Test
  void aSmallVersionTakesFewBytes() {
    // The point of the varint (issue 15): a log index of a million fits in 3 bytes, not 8.
    assertThat(Varints.size(1_000_000)).isEqualTo(3);
    assertThat(StoreCodec.packRec(new ShardStore.Rec(new byte[100], 1_000_000))).hasSize(1 + 3 + 100);
  }
}
