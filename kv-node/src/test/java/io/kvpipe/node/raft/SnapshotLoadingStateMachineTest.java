package io.kvpipe.node.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.testsupport.Poll;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Ratis learns from {@link SnapshotLoadingStateMachine#getLatestSnapshot()} (its log appenders ask on every pass)
 * while the answer is kept rather than read from the directory each time: none before the first snapshot, then the one
 * written, the one an install put in place, and after a restart the one on disk.
 */
class SnapshotLoadingStateMachineTest {
  @TempDir
  Path dir;
  private RaftStorage storage;
  private Counter machine;

  @AfterEach
  void close() throws IOException {
    if (machine != null) {
      machine.close();
    }
    if (storage != null) {
      storage.close();
    }
  }

  @Test
  void noSnapshotUntilOneIsWrittenThenThatOne() throws IOException {
    machine = started();
    assertThat(machine.getLatestSnapshot()).isNull();
    assertThat(machine.getLatestSnapshot()).isNull();

    machine.applied(3, 41, 7);
    assertThat(machine.takeSnapshot()).isEqualTo(41);

    SnapshotInfo latest = machine.getLatestSnapshot();
    assertThat(latest).isNotNull();
    assertThat(latest.getTermIndex()).isEqualTo(TermIndex.valueOf(3, 41));
  }

  @Test
  void aSnapshotInstalledBehindItsBackIsSeenOnceReinitialized() throws IOException {
    machine = started();
    assertThat(machine.getLatestSnapshot()).isNull();

    // What an install from the leader does: the files land in the state machine directory, then pause + reinitialize.
    writeSnapshot(machine.getStateMachineStorage(), 5, 90, 123);
    machine.pause();
    machine.reinitialize();

    assertThat(machine.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(5, 90));
    assertThat(machine.value).isEqualTo(123);
  }

  @Test
  void anInstalledSnapshotIsTheLatestAsSoonAsItsFilesAreInPlace() throws IOException {
    machine = started();
    assertThat(machine.getLatestSnapshot()).isNull();

    // Ratis 3.3.0's order on the install's gRPC thread: pause(), move the files in, signal the apply thread, which
    // reinitializes later. Meanwhile a vote or the log's start reads the latest snapshot: it must be the installed one.
    machine.pause();
    writeSnapshot(machine.getStateMachineStorage(), 5, 90, 123);

    assertThat(machine.getLatestSnapshot()).isNotNull();
    assertThat(machine.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(5, 90));
  }

  @Test
  void nothingIsCapturedForASnapshotWhileAnInstallIsUnderWay() throws IOException {
    machine = started(true);
    // pause() runs on the install's thread while the apply thread still runs: a snapshot it started now would be
    // written after the install and reported next, an index below the installed one (Ratis then closes the replica).
    machine.pause();
    machine.applied(3, 41, 7);
    assertThat(machine.takeSnapshot()).isEqualTo(-1);
    assertThat(machine.freezes).as("states captured for a snapshot while paused").isZero();

    writeSnapshot(machine.getStateMachineStorage(), 5, 90, 123);
    machine.reinitialize();
    machine.applied(5, 190, 9);
    long[] reported = {machine.takeSnapshot()};
    Poll.until("the snapshot after the install is written", Duration.ofSeconds(20), () -> {
      if (reported[0] < 0) {
        reported[0] = takeSnapshot(machine);
      }
      return reported[0] >= 0;
    });
    assertThat(reported[0]).isEqualTo(190);
  }

  @Test
  void aRestartFindsTheSnapshotOnDisk() throws IOException {
    machine = started();
    machine.applied(2, 17, 55);
    machine.takeSnapshot();
    machine.close();
    storage.close();

    machine = started();
    assertThat(machine.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(2, 17));
    assertThat(machine.value).isEqualTo(55);
  }

  private Counter started() throws IOException {
    return started(false);
  }

  private Counter started(boolean inBackground) throws IOException {
    storage = RaftStorage.newBuilder().setDirectory(dir.toFile()).setOption(RaftStorage.StartupOption.RECOVER)
        .setStorageFreeSpaceMin(SizeInBytes.ONE_KB).build();
    storage.initialize();
    Counter c = new Counter(inBackground);
    c.initialize(server(), RaftGroupId.randomId(), storage);
    return c;
  }

  private static long takeSnapshot(Counter machine) {
    try {
      return machine.takeSnapshot();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Only the id: all the base class asks of the server while initializing. */
  private static RaftServer server() {
    RaftPeerId id = RaftPeerId.valueOf("n1");
    return (RaftServer) Proxy.newProxyInstance(RaftServer.class.getClassLoader(), new Class<?>[] {RaftServer.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getId" -> id;
          case "toString" -> "server n1";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private static void writeSnapshot(SimpleStateMachineStorage storage, long term, long index, long value)
      throws IOException {
    File file = storage.getSnapshotFile(term, index);
    Files.writeString(file.toPath(), Long.toString(value));
    MD5FileUtil.computeAndSaveMd5ForFile(file);
  }

  /** One number as its whole state. */
  private static final class Counter extends SnapshotLoadingStateMachine {
    private final boolean inBackground;
    long value;
    int freezes;

    Counter(boolean inBackground) {
      this.inBackground = inBackground;
    }

    @Override
    protected boolean writesInBackground() {
      return inBackground;
    }

    @Override
    protected long callsKnownFrom() {
      return 0; // keeps no calls: never logs the marker
    }

    void applied(long term, long index, long newValue) {
      value = newValue;
      updateLastAppliedTermIndex(term, index);
    }

    @Override
    protected void loadLatestSnapshot() throws IOException {
      SingleFileSnapshotInfo s = latestSnapshot();
      value = s == null ? 0 : Long.parseLong(Files.readString(s.getFile().getPath()));
      if (s != null) {
        setLastAppliedTermIndex(s.getTermIndex());
      }
    }

    @Override
    protected Frozen freeze(TermIndex at) {
      freezes++;
      long v = value;
      return file -> {
        Files.writeString(file.toPath(), Long.toString(v));
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        return md5;
      };
    }
  }
}
