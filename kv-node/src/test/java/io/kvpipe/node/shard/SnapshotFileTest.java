package io.kvpipe.node.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.event.ChangeEvent;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Query;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotFileTest {
  @TempDir
  Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  ShardState sample() {
    ShardState s = new ShardState("g1");
    LogStamp stamp = new LogStamp(42, true, 100, 1 << 20);
    long i = 0;
    for (int k = 0; k < 20; k++) {
      s.apply(Command.Put.unconditional(b("key" + k), b("value" + k)), ++i, 2, stamp);
    }
    s.apply(new Command.Delete(b("key3"), Request.ANY_VERSION), ++i, 2, stamp);
    s.apply(new Command.ConfirmPublished(10), ++i, 2, stamp);
    s.apply(new Command.SetOwnership(4, HashRanges.of(List.of(new HashRange(0, 1L << 31))), "m4"), ++i, 3, stamp);
    s.apply(new Command.PublishSnapshot(), ++i, 3, stamp); // many events at one index
    // Copies of m4 closed: the snapshot must keep them closed.
    s.apply(new Command.CollectTombstones(HashRanges.EMPTY, 1, new io.kvpipe.common.wire.MigrationToken("m4", 4)),
        ++i, 3, stamp);
    return s;
  }

  @Test
  void roundTripsStoreTombstonesOwnershipAndOutbox() throws IOException {
    ShardState original = sample();
    File f = dir.resolve("snapshot.3_23").toFile();
    SnapshotFile.write(original, 3, 23, f);
    assertThat(MD5FileUtil.getDigestFileForFile(f)).exists();
    assertThat(dir.resolve("snapshot.3_23.tmp")).doesNotExist();

    SnapshotFile.Loaded loaded = SnapshotFile.read(f);
    assertThat(loaded.term()).isEqualTo(3);
    assertThat(loaded.index()).isEqualTo(23);
    ShardState copy = loaded.state();
    assertThat(copy.group()).isEqualTo("g1");
    assertThat(copy.ownership()).isEqualTo(original.ownership());
    assertThat(copy.ownership().migration()).isEqualTo("m4");
    assertThat(copy.ownership().copiesClosed()).isTrue();
    assertThat(copy.outbox().confirmedIndex()).isEqualTo(10);
    assertThat(copy.outbox().bytes()).isEqualTo(original.outbox().bytes());
    assertThat(copy.outbox().pendingAfter(0, 100)).containsExactlyElementsOf(original.outbox().pendingAfter(0, 100));
    assertThat(copy.store().size()).isEqualTo(20);
    for (int k = 0; k < 20; k++) {
      Reply a = original.query(new Query.FallbackGet(b("key" + k)));
      Reply c = copy.query(new Query.FallbackGet(b("key" + k)));
      assertThat(c).usingRecursiveComparison().isEqualTo(a);
    }
    assertThat(((Reply.Found) copy.query(new Query.FallbackGet(b("key3")))).entry().deleted()).isTrue();
    List<ChangeEvent> pending = copy.outbox().pendingAfter(0, 100);
    assertThat(pending).allSatisfy(e -> assertThat(e.logIndex()).isGreaterThan(10));
    assertThat(pending).filteredOn(e -> e.logIndex() == 24).extracting(ChangeEvent::seq)
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 19).boxed().toList());
    assertThat(copy.outbox().size()).isEqualTo(original.outbox().size()).isEqualTo(11 + 19);
  }

  @Test
  void aTransactionsMarkOnItsEventsSurvivesASnapshot() throws IOException {
    ShardState s = new ShardState("g1");
    LogStamp stamp = new LogStamp(42, true, 100, 1 << 20);
    s.apply(Command.Put.unconditional(b("plain"), b("p")), 1, 2, stamp);
    s.apply(new Command.Txn(List.of(), List.of(Command.Put.unconditional(b("{t}a"), b("1")),
        new Command.Delete(b("{t}b"), Request.ANY_VERSION)), List.of()), 2, 2, stamp);
    File f = dir.resolve("snapshot.2_2").toFile();
    SnapshotFile.write(s, 2, 2, f);
    SnapshotFile.Loaded loaded = SnapshotFile.read(f);
    assertThat(loaded.beforeHashTags()).isFalse();
    List<ChangeEvent> pending = loaded.state().outbox().pendingAfter(0, 100);
    assertThat(pending).containsExactlyElementsOf(s.outbox().pendingAfter(0, 100));
    assertThat(pending).extracting(ChangeEvent::txnId).containsExactly(null, "g1:2", "g1:2");
  }

  @Test
  void aCorruptedSnapshotIsRefused() throws IOException {
    File f = dir.resolve("snapshot.3_23").toFile();
    SnapshotFile.write(sample(), 3, 23, f);
    try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
      raf.seek(raf.length() / 2);
      int v = raf.read();
      raf.seek(raf.length() / 2);
      raf.write(v ^ 0x01);
    }
    assertThatThrownBy(() -> SnapshotFile.read(f)).isInstanceOf(IOException.class).hasMessageContaining("corrupt");
  }

  @Test
  void aSnapshotWithoutChecksumIsRefused() throws IOException {
    File f = dir.resolve("snapshot.3_23").toFile();
    SnapshotFile.write(sample(), 3, 23, f);
    Files.delete(MD5FileUtil.getDigestFileForFile(f).toPath());
    assertThatThrownBy(() -> SnapshotFile.read(f)).isInstanceOf(IOException.class).hasMessageContaining("MD5");
  }

  @Test
  void aTruncatedSnapshotWithMatchingChecksumIsStillRefused() throws IOException {
    File f = dir.resolve("snapshot.3_23").toFile();
    SnapshotFile.write(sample(), 3, 23, f);
    try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
      raf.setLength(raf.length() - 4);
    }
    MD5FileUtil.saveMD5File(f, MD5FileUtil.computeMd5ForFile(f));
    assertThatThrownBy(() -> SnapshotFile.read(f)).isInstanceOf(IOException.class);
  }
}
