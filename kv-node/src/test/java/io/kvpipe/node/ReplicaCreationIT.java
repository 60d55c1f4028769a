package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica the reconciler creates (KvNode.createReplica) when Ratis's first add of it fails: Ratis creates the
 * replica's directory when it starts the replica and leaves it behind when that start fails. That directory must not
 * be taken for one that failed to load at start, which is refused for good: the node would then never host the group
 * (a permanent wedge, suspected in GroupMembershipIT's CI failure: n3 never hosted g3, and never set its data aside).
 */
class ReplicaCreationIT {
  /** Ratis refuses storage with less free space than this: every add fails after creating its directory. */
  static final String NO_DISK_IS_ENOUGH = "1000000TB";

  @TempDir
  Path dir;

  @Test
  void aReplicaWhoseFirstAddFailedIsCreatedOnTheNextTry() throws Exception {
    int port = Ports.freePort();
    Peer self = Peer.parse("n1@127.0.0.1:" + port);
    try (KvNode node = KvNode.start(config(port, "--raft-property",
        RaftServerConfigKeys.STORAGE_FREE_SPACE_MIN_KEY + "=" + NO_DISK_IS_ENOUGH))) {
      assertThatThrownBy(() -> node.createReplica("gx", List.of(self))).isInstanceOf(IOException.class);
      assertThat(groupDir("gx")).as("Ratis left the failed replica's directory").isDirectory();
      assertThat(node.hostedShardGroups()).doesNotContain("gx");
      assertThat(node.outboxes()).as("no state machine listed for a replica that is not there").doesNotContainKey("gx");

      // Whatever made the add fail is gone (here: the free-space floor); the next round's try must succeed.
      node.raftServer().getProperties().set(RaftServerConfigKeys.STORAGE_FREE_SPACE_MIN_KEY, "0MB");
      node.createReplica("gx", List.of(self));

      assertThat(node.hostedShardGroups()).contains("gx");
      try (Stream<Path> aside = Files.list(dir.resolve(KvNode.REMOVED_GROUPS_DIR))) {
        assertThat(aside.map(p -> p.getFileName().toString()))
            .as("the failed add's directory is kept aside, not taken for a removed replica's data")
            .anyMatch(n -> n.startsWith("failed-add-gx-"));
      }
    }
  }

  @Test
  void aDirectoryNoAddOfThisNodeLeftIsStillRefused() throws Exception {
    int port = Ports.freePort();
    Peer self = Peer.parse("n1@127.0.0.1:" + port);
    try (KvNode node = KvNode.start(config(port))) {
      // Not hosted, and not left by a failed add here: one that failed to load at start, or a removal Ratis has not
      // finished (its late rename would take a new replica's directory away).
      Files.createDirectories(groupDir("gy").resolve("current"));
      assertThatThrownBy(() -> node.createReplica("gy", List.of(self)))
          .hasMessageContaining("has a directory that failed to load, or whose removal has not finished");
      assertThat(groupDir("gy").resolve("current")).as("the evidence stays where it was").isDirectory();
    }
  }

  private Path groupDir(String group) {
    return dir.resolve(GroupIds.uuidOf(group).toString());
  }

  /**
   * A node that follows a topology from a meta group nobody runs (its reconciler never gets a topology, so it never
   * creates or removes a replica itself: the test does).
   */
  private NodeConfig config(int port, String... more) {
    String[] base = {"--id", "n1", "--listen", "127.0.0.1:" + port, "--data-dir", dir.toString(),
        "--meta-peers", "m1@127.0.0.1:" + Ports.freePort()};
    String[] all = Stream.of(Arrays.stream(base), Arrays.stream(more), Arrays.stream(TestTls.cluster().flags()))
        .flatMap(s -> s).toArray(String[]::new);
    return NodeConfig.parse(all, Map.of());
  }
}
