package io.kvpipe.kvctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.kvctl.ArchiveComparison.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchiveComparisonTest {
  private static KeyState live(String k, long v) {
    return new KeyState(k, v, false);
  }

  private static KeyState tomb(String k, long v) {
    return new KeyState(k, v, true);
  }

  @Test
  void equalStatesAreConsistent() {
    ArchiveComparison c = new ArchiveComparison();
    c.addStore(live("a", 5));
    c.addStore(tomb("b", 7));
    ArchiveComparison.Result r = c.compare(List.of(live("a", 5), tomb("b", 7)), 10);
    assertThat(r.consistent()).isTrue();
    assertThat(r.storeLiveKeys()).isEqualTo(1);
    assertThat(r.archiveLiveKeys()).isEqualTo(1);
  }

  @Test
  void reportsEachKindOfDifference() {
    ArchiveComparison c = new ArchiveComparison();
    c.addStore(live("missing", 1));
    c.addStore(live("older", 9));
    c.addStore(live("deleted", 4));
    c.addStore(tomb("gone", 8));
    ArchiveComparison.Result r = c.compare(List.of(live("older", 3), tomb("deleted", 2), live("gone", 6),
        live("extra", 1)), 10);
    assertThat(r.consistent()).isFalse();
    assertThat(r.differences()).extracting(ArchiveComparison.Difference::kind).containsExactlyInAnyOrder(
        Kind.MISSING_IN_ARCHIVE, Kind.VERSION_MISMATCH, Kind.DELETED_IN_ARCHIVE, Kind.LIVE_ONLY_IN_ARCHIVE,
        Kind.LIVE_ONLY_IN_ARCHIVE);
  }

  @Test
  void tombstonesTheArchiveNeverSawAreNotDifferences() {
    ArchiveComparison c = new ArchiveComparison();
    c.addStore(tomb("deleted-while-absent", 3));
    assertThat(c.compare(List.of(), 10).consistent()).isTrue();
  }

  @Test
  void aKeySeenInTwoGroupsKeepsItsNewestRecord() {
    ArchiveComparison c = new ArchiveComparison();
    c.addStore(live("k", 10));
    c.addStore(tomb("k", 12)); // e.g. the migration target holds a newer delete
    assertThat(c.compare(List.of(tomb("k", 12)), 10).consistent()).isTrue();
    ArchiveComparison d = new ArchiveComparison();
    d.addStore(live("k", 20));
    d.addStore(live("k", 11));
    assertThat(d.compare(List.of(live("k", 20)), 10).consistent()).isTrue();
  }

  @Test
  void countsAllButListsAtMostTheLimit() {
    ArchiveComparison c = new ArchiveComparison();
    for (int i = 0; i < 50; i++) {
      c.addStore(live("k" + i, 1));
    }
    ArchiveComparison.Result r = c.compare(List.of(), 5);
    assertThat(r.differenceCount()).isEqualTo(50);
    assertThat(r.differences()).hasSize(5);
  }

  @Test
  void keysAreComparedByteExactly() {
    ArchiveComparison c = new ArchiveComparison();
    c.addStore(new KeyState(KeyState.keyOf("Key".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 1, false));
    ArchiveComparison.Result r = c.compare(List.of(
        new KeyState(KeyState.keyOf("key".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 1, false)), 10);
    assertThat(r.differenceCount()).isEqualTo(2);
  }
}
