package io.kvpipe.consumer;

import static io.kvpipe.consumer.Events.archive;
import static io.kvpipe.consumer.Events.delete;
import static io.kvpipe.consumer.Events.set;
import static io.kvpipe.consumer.Events.withOrigin;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.event.Op;
import io.kvpipe.common.event.Origin;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The batch reduction before the kv_current upsert: the newest state-changing event per key, whatever the order. */
class ArchiveWriterTest {
  private static List<String> reduce(ChangeEvent... events) {
    return ArchiveWriter.newestPerKey(Arrays.stream(events).map(Events::archive).toList()).stream()
        .map(a -> a.event().key() + "@" + a.event().version() + (a.event().op() == Op.DELETE ? "(d)" : "="
            + new String(a.event().after())))
        .toList();
  }

  @Test
  void aPutAfterADeleteOfTheSameKeyInOneBatchWins() {
    assertThat(reduce(set("g1", 1, "k", "v1", 1), delete("g1", 2, "k", 2), set("g1", 3, "k", "v3", 3)))
        .containsExactly("k@3=v3");
  }

  @Test
  void aDeleteAfterAPutInOneBatchWins() {
    assertThat(reduce(set("g1", 1, "k", "v1", 1), set("g1", 2, "k", "v2", 2), delete("g1", 3, "k", 3)))
        .containsExactly("k@3(d)");
  }

  @Test
  void deletesInterleavedWithOtherKeysKeepEachKeysNewest() {
    assertThat(reduce(set("g1", 1, "a", "a1", 1), delete("g1", 2, "b", 2), delete("g1", 3, "a", 3),
        set("g1", 4, "b", "b4", 4), set("g1", 5, "c", "c5", 5), delete("g1", 6, "c", 6), set("g1", 7, "a", "a7", 7)))
        .containsExactly("a@7=a7", "b@4=b4", "c@6(d)");
  }

  @Test
  void versionsNotArrivalOrderDecide() {
    // A republished or reordered older event after a newer one in the same batch never wins.
    assertThat(reduce(delete("g1", 9, "k", 9), set("g1", 5, "k", "v5", 5), set("g2", 8, "j", "j8", 8),
        set("g2", 3, "j", "j3", 3))).containsExactly("j@8=j8", "k@9(d)");
  }

  @Test
  void migrationMovesAreLeftOutAndKeysSortByTheirBytes() {
    ChangeEvent move = withOrigin(set("g2", 10, "m", "moved", 10), Op.CREATE, Origin.MIGRATION);
    assertThat(reduce(set("g1", 1, "m", "client", 1), move, set("g1", 2, "é", "e", 2), set("g1", 3, "Z", "z", 3)))
        .containsExactly("Z@3=z", "m@1=client", "é@2=e");
    assertThat(ArchiveWriter.newestPerKey(List.of(archive(move)))).isEmpty();
  }

  @Test
  void statementRowCountsComeFromASmallRecurringSet() {
    assertThat(ArchiveWriter.statementSize(1000, 1000)).isEqualTo(1000);
    assertThat(ArchiveWriter.statementSize(999, 1000)).isEqualTo(512);
    assertThat(ArchiveWriter.statementSize(512, 1000)).isEqualTo(512);
    assertThat(ArchiveWriter.statementSize(3, 1000)).isEqualTo(2);
    assertThat(ArchiveWriter.statementSize(1, 1000)).isEqualTo(1);
    // Every rest of 1..999 rows splits into statements of at most 10 distinct sizes, each a power of two.
    Set<Integer> sizes = new TreeSet<>();
    for (int rest = 1; rest < 1000; rest++) {
      for (int left = rest; left > 0; ) {
        int n = ArchiveWriter.statementSize(left, 1000);
        assertThat(Integer.bitCount(n)).isEqualTo(1);
        sizes.add(n);
        left -= n;
      }
    }
    assertThat(sizes).hasSize(10);
  }
}
