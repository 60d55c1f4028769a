package io.kvpipe.kvctl.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.wire.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The group data file: what is written reads back identically, and every kind of damage is named, not crashed on. */
class GroupDataFileTest {
  @TempDir
  Path dir;

  static Entry e(String k, String v, long version) {
    return new Entry(k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8), version);
  }

  Path written(List<Entry> entries, String[] sha) throws IOException {
    Path f = dir.resolve("g1.kvb");
    try (GroupDataFile.Writer w = new GroupDataFile.Writer(f)) {
      for (Entry x : entries) {
        w.write(x);
      }
      sha[0] = w.finish();
    }
    return f;
  }

  @Test
  void recordsReadBackInOrderWithTheChecksumTheWriterGave() throws Exception {
    List<Entry> in = List.of(e("a", "1", 5), e("b", "", 6), e("é/ü", "x".repeat(1000), 1L << 40 | 7));
    String[] sha = new String[1];
    Path f = written(in, sha);
    List<Entry> out = new ArrayList<>();
    GroupDataFile.Summary s = GroupDataFile.read(f, out::add);
    assertThat(s.records()).isEqualTo(3);
    assertThat(s.sha256()).isEqualTo(sha[0]).hasSize(64);
    assertThat(out).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(in);
  }

  @Test
  void aRecordsDeadlineIsKept() throws Exception {
    // A backup without deadlines turned every key with a TTL into one that never expires once restored.
    Entry withTtl = new Entry("t".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8), 9,
        1_900_000_000_000L);
    List<Entry> in = List.of(e("a", "1", 5), withTtl, e("u", "2", 10));
    Path f = written(in, new String[1]);
    List<Entry> out = new ArrayList<>();
    GroupDataFile.read(f, out::add);
    assertThat(out).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(in);
    assertThat(out.get(1).expiresAtMs()).isEqualTo(1_900_000_000_000L);
    assertThat(out.get(0).hasTtl()).isFalse();
  }

  @Test
  void anEmptyGroupIsAValidFile() throws Exception {
    Path f = written(List.of(), new String[1]);
    assertThat(GroupDataFile.read(f, x -> { }).records()).isZero();
  }

  @Test
  void theWriterRefusesOutOfOrderKeysAndTombstones() throws Exception {
    try (GroupDataFile.Writer w = new GroupDataFile.Writer(dir.resolve("x.kvb"))) {
      w.write(e("b", "1", 1));
      assertThatThrownBy(() -> w.write(e("a", "1", 1))).hasMessageContaining("increasing key order");
      assertThatThrownBy(() -> w.write(e("b", "1", 1))).hasMessageContaining("increasing key order");
      assertThatThrownBy(() -> w.write(new Entry("c".getBytes(StandardCharsets.UTF_8), null, 2)))
          .hasMessageContaining("live records only");
    }
  }

  @Test
  void aTruncatedFileIsRefused() throws Exception {
    Path f = written(List.of(e("a", "1", 5), e("b", "2", 6)), new String[1]);
    byte[] all = Files.readAllBytes(f);
    for (int cut : new int[] {0, 3, GroupDataFile.MAGIC.length, all.length - 9, all.length - 1}) {
      Files.write(f, Arrays.copyOf(all, cut));
      assertThatThrownBy(() -> GroupDataFile.read(f, x -> { })).isInstanceOf(BackupFormatException.class)
          .hasMessageMatching(".*(truncated|header|end marker).*");
    }
  }

  @Test
  void damageInsideTheFileIsRefusedOrChangesTheChecksum() throws Exception {
    String[] sha = new String[1];
    Path f = written(List.of(e("a", "1", 5), e("b", "2", 6)), sha);
    byte[] all = Files.readAllBytes(f);
    for (int i = 0; i < all.length; i++) {
      byte[] bad = all.clone();
      bad[i] ^= 0x5a;
      Files.write(f, bad);
      try {
        GroupDataFile.Summary s = GroupDataFile.read(f, x -> { });
        // A flip the format cannot see (inside a value) is caught by the checksum the manifest holds.
        assertThat(s.sha256()).as("byte %d flipped", i).isNotEqualTo(sha[0]);
      } catch (BackupFormatException expected) {
        assertThat(expected.getMessage()).contains(f.toString());
      }
    }
  }

  @Test
  void bytesAfterTheEndMarkerAndAHugeLengthAreRefused() throws Exception {
    Path f = written(List.of(e("a", "1", 5)), new String[1]);
    byte[] all = Files.readAllBytes(f);
    byte[] longer = Arrays.copyOf(all, all.length + 1);
    Files.write(f, longer);
    assertThatThrownBy(() -> GroupDataFile.read(f, x -> { })).hasMessageContaining("after the end marker");
    byte[] huge = all.clone();
    // The key length field follows the magic and the record tag.
    int at = GroupDataFile.MAGIC.length + 1;
    huge[at] = 0x7f;
    Files.write(f, huge);
    assertThatThrownBy(() -> GroupDataFile.read(f, x -> { })).hasMessageContaining("bytes (allowed 1..512)");
  }

  @Test
  void aMissingFileIsNamed() {
    assertThatThrownBy(() -> GroupDataFile.read(dir.resolve("none.kvb"), x -> { }))
        .isInstanceOf(BackupFormatException.class).hasMessageContaining("none.kvb is missing");
  }
}
