package io.kvpipe.common.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HashTagsTest {
  private static long pos(String k) {
    return HashRing.position(k.getBytes(StandardCharsets.UTF_8));
  }

  private static long whole(String k) {
    return Murmur3.hash32(k.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aTaggedKeyIsPlacedByItsTagAlone() {
    assertThat(pos("{user:42}:profile")).isEqualTo(whole("user:42"));
    assertThat(pos("cart{user:42}")).isEqualTo(whole("user:42"));
    assertThat(pos("a{user:42}b{other}")).isEqualTo(whole("user:42"));
  }

  @Test
  void theFirstOpeningBraceAndTheNextClosingOneDelimitTheTag() {
    // As Redis Cluster: "{{a}}" hashes "{a", "{a}{b}" hashes "a".
    assertThat(pos("{{a}}")).isEqualTo(whole("{a"));
    assertThat(pos("{a}{b}")).isEqualTo(whole("a"));
    assertThat(pos("x}{a}")).isEqualTo(whole("a"));
  }

  @Test
  void keysWithoutAUsableTagAreHashedWhole() {
    for (String k : List.of("plain", "{}", "{}{a}", "{open", "close}", "}{", "", "{")) {
      assertThat(pos(k)).as(k).isEqualTo(whole(k));
    }
  }

  @Test
  void multiByteTagsAreCutAtTheBraces() {
    assertThat(pos("{ключ}:1")).isEqualTo(whole("ключ"));
  }

  @Test
  void keysSharingATagShareTheirGroupOnAnyRing() {
    HashRing ring = HashRing.of(List.of("g1", "g2", "g3", "g4"), HashRing.DEFAULT_VNODES);
    for (int i = 0; i < 1000; i++) {
      String tag = "t" + i;
      String g = ring.groupFor(("{" + tag + "}:a").getBytes(StandardCharsets.UTF_8));
      assertThat(ring.groupFor(("{" + tag + "}:b" + i).getBytes(StandardCharsets.UTF_8))).isEqualTo(g);
      assertThat(ring.groupFor(tag.getBytes(StandardCharsets.UTF_8))).isEqualTo(g);
    }
  }
}
