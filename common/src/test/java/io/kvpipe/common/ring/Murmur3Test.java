package io.kvpipe.common.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Murmur3Test {
  // Reference values of MurmurHash3_x86_32 with seed 0 (as published with the algorithm's test vectors).
  @Test
  void matchesReferenceVectors() {
    assertThat(Murmur3.hash32(new byte[0])).isEqualTo(0L);
    assertThat(Murmur3.hash32(bytes("a"))).isEqualTo(0x3c2569b2L);
    assertThat(Murmur3.hash32(bytes("abc"))).isEqualTo(0xb3dd93faL);
    assertThat(Murmur3.hash32(bytes("Hello, world!"))).isEqualTo(0xc0363e43L);
    assertThat(Murmur3.hash32(bytes("The quick brown fox jumps over the lazy dog"))).isEqualTo(0x2e4ff723L);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
