package io.kvpipe.node.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.node.KvNodeMain;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A meta client whose command failed for good — the meta group had no majority for longer than the client's retry
 * window — works again once the group is back. Robustness finding 6: after the meta leader was paused for 5 s, every
 * later meta command of one proxy failed with that first failure ("no reply for async request") for the rest of the
 * run, because Ratis's ordered pipeline stays closed after a request in it fails.
 */
class MetaClientRecoveryIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void aCommandThatOutlivedItsRetryWindowDoesNotBreakTheClient() {
    try (KvNodeCluster cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir).nodes(3)
             .group(MetaClient.GROUP_NAME, MetaClient.groupId()).start(WAIT);
         MetaClient meta = new MetaClient(peers(cluster), Duration.ofSeconds(2), cluster.tls().raftTls())) {
      cluster.awaitLeader(MetaClient.GROUP_NAME, WAIT);
      ShardGroup g1 = ShardGroup.parse("g1=" + cluster.peersSpec());
      // The client's 2 s window (short, so the command below fails in time) can pass before a loaded box's cold
      // cluster answers its first command; bootstrapping is idempotent, so the setup retries.
      succeedsWithin(meta, new MetaCommand.Bootstrap(List.of(g1), List.of(), 8, 1), "the first meta command");

      cluster.kill9("n2");
      cluster.kill9("n3");
      assertThatThrownBy(() -> meta.submitAndWait(new MetaCommand.Bootstrap(List.of(g1), List.of(), 8, 2)))
          .as("a command with no majority to commit it").isInstanceOf(KvException.class);

      cluster.process("n2").start();
      cluster.process("n3").start();
      cluster.restartWait("n2", WAIT);
      cluster.restartWait("n3", WAIT);
      cluster.awaitLeader(MetaClient.GROUP_NAME, WAIT);
      succeedsWithin(meta, new MetaCommand.Bootstrap(List.of(g1), List.of(), 8, 3),
          "a meta command once the group has a leader again");
      assertThat(meta.version().version()).isPositive();
    }
  }

  private static void succeedsWithin(MetaClient meta, MetaCommand command, String what) {
    Poll.until(what + " succeeds", Duration.ofSeconds(30), () -> {
      try {
        meta.submitAndWait(command);
        return true;
      } catch (KvException notYet) {
        return false;
      }
    });
  }

  private static List<Peer> peers(KvNodeCluster cluster) {
    return Arrays.stream(cluster.peersSpec().split(",")).map(Peer::parse).toList();
  }
}
