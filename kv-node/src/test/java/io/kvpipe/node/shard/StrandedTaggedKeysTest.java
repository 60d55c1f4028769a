package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.ring.Murmur3;
import io.kvpipe.common.wire.Command;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class StrandedTaggedKeysTest {
  static final HashRanges LOW = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A tagged key whose whole-key hash and tag hash fall in or out of LOW as asked. */
  static String tagged(boolean wholeOwned, boolean tagOwned) {
    Predicate<String> fits = k -> LOW.contains(Murmur3.hash32(b(k))) == wholeOwned
        && LOW.contains(HashRing.position(b(k))) == tagOwned;
    for (int i = 0; ; i++) {
      String k = "{t" + i + "}x";
      if (fits.test(k)) {
        return k;
      }
    }
  }

  @Test
  void findsTaggedKeysOwnedByTheirWholeHashButNotByTheirTag() {
    ShardState state = new ShardState("g1");
    state.apply(new Command.SetOwnership(2, LOW), 1, 1, new LogStamp(1, false, 1, 1));
    String stranded = tagged(true, false);
    // As a snapshot written before hash tags would hold them: placed without any ownership check.
    state.store().put(b(stranded), new ShardStore.Rec(b("v"), 5));
    state.store().put(b(tagged(true, true)), new ShardStore.Rec(b("v"), 5));
    state.store().put(b(tagged(false, false)), new ShardStore.Rec(b("v"), 5)); // left by a migration: not ours
    state.store().put(b("plain"), new ShardStore.Rec(b("v"), 5));
    StrandedTaggedKeys.Found found = StrandedTaggedKeys.in(state);
    assertThat(found.count()).isEqualTo(1);
    assertThat(found.example()).isEqualTo(stranded);
  }
}
