package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.KvNodeCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.kvpipe.testsupport.process.ChildLogsOnFailure;

/**
 * Three kv-node processes with a low snapshot threshold and small log segments: a follower that misses many writes
 * catches up through an installed snapshot; all replicas killed and restarted keep every acknowledged write.
 */
class DurabilityIT {
  static final Duration START = Duration.ofSeconds(60);
  static final String GROUP = "g1";
  static final RaftGroupId GID = RaftGroupId.valueOf(GroupIds.uuidOf(GROUP));

  @RegisterExtension static final ChildLogsOnFailure LOGS = ChildLogsOnFailure.ofProcesses(() -> DurabilityIT.cluster.processes());
  @TempDir
  static Path dir;
  static KvNodeCluster cluster;
  static ShardGroupClient client;

  @BeforeAll
  static void start() {
    cluster = KvNodeCluster.builder(KvNodeMain.class.getName(), dir).group(GROUP, GID)
        // Group commit puts up to 64 of writeMany's puts in one entry: a low threshold still snapshots many times.
        .args("--snapshot-threshold", "20", "--log-segment-bytes", "16384", "--max-value-bytes", "4096")
        .start(START);
    client = ShardGroupClient.builder(GROUP, PeerAddress.parseList(cluster.peersSpec())).tls(TestTls.cluster().raftTls())
        .operationTimeout(Duration.ofSeconds(20)).build();
    cluster.awaitLeader(GROUP, START);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Writes {@code n} keys with 100-byte values, 64 in flight; returns the acknowledged (key, value) pairs. */
  static Map<String, String> writeMany(String prefix, int n) {
    Map<String, String> acked = new LinkedHashMap<>();
    for (int start = 0; start < n; start += 64) {
      Map<String, CompletableFuture<?>> inFlight = new LinkedHashMap<>();
      for (int i = start; i < Math.min(n, start + 64); i++) {
        String value = String.format("%-100s", prefix + i);
        inFlight.put(prefix + i, client.putAsync(prefix + i, value.getBytes(StandardCharsets.UTF_8)));
        acked.put(prefix + i, value);
      }
      inFlight.values().forEach(ShardGroupClient::join);
    }
    return acked;
  }

  static void assertAllReadable(Map<String, String> acked) {
    List<String> keys = new ArrayList<>(acked.keySet());
    for (int from = 0; from < keys.size(); from += 500) {
      List<String> page = keys.subList(from, Math.min(keys.size(), from + 500));
      List<Entry> found = client.batchGet(page);
      for (int i = 0; i < page.size(); i++) {
        assertThat(found.get(i)).as(page.get(i)).isNotNull();
        assertThat(new String(found.get(i).value(), StandardCharsets.UTF_8)).as(page.get(i))
            .isEqualTo(acked.get(page.get(i)));
      }
    }
  }

  static Path groupDir(String node) {
    return dir.resolve(node).resolve(GID.getUuid().toString());
  }

  static List<String> files(Path d) {
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean hasSnapshot(String node) {
    return files(groupDir(node).resolve("sm")).stream().anyMatch(f -> f.matches("snapshot\\.\\d+_\\d+"));
  }

  /** Whether the node's log no longer starts at index 0 (its first segments were purged after a snapshot). */
  static boolean logPurged(String node) {
    return files(groupDir(node).resolve("current")).stream().noneMatch(f -> f.startsWith("log_0-"));
  }

  @Test
  void followerDownThroughSnapshotAndPurgeCatchesUpByInstallSnapshot() {
    String leader = cluster.awaitLeader(GROUP, START);
    String follower = cluster.nodeIds().stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
    cluster.kill9(follower);
    List<String> followerFilesBefore = files(groupDir(follower).resolve("sm"));

    Map<String, String> acked = writeMany("catchup-", 1200);
    for (String n : cluster.nodeIds()) {
      if (!n.equals(follower)) {
        Poll.until(n + " snapshotted and purged its log", Duration.ofSeconds(30),
            () -> hasSnapshot(n) && logPurged(n));
      }
    }

    cluster.restart(follower, START);
    String lastKey = "catchup-1199";
    try (ShardGroupClient onlyFollower = ShardGroupClient.connect(GROUP, PeerAddress.parseList(cluster.peersSpec())
        .stream().filter(p -> p.id().equals(follower)).toList(), TestTls.cluster().raftTls())) {
      Poll.until(follower + " caught up", Duration.ofSeconds(60),
          () -> onlyFollower.get(lastKey, true).isPresent());
      for (String key : List.of("catchup-0", "catchup-600", lastKey)) {
        assertThat(onlyFollower.get(key, true).map(e -> new String(e.value(), StandardCharsets.UTF_8)))
            .contains(acked.get(key));
      }
    }
    // The log entries it missed were purged everywhere, so it can only have caught up from an installed snapshot.
    assertThat(files(groupDir(follower).resolve("sm"))).as("follower snapshots (before: " + followerFilesBefore + ")")
        .anyMatch(f -> f.matches("snapshot\\.\\d+_\\d+") && !followerFilesBefore.contains(f));
    assertAllReadable(acked);
  }

  @Test
  void allReplicasKilledAndRestartedKeepEveryAcknowledgedWrite() {
    Map<String, String> acked = writeMany("restart-", 500);
    client.delete("restart-0");
    acked.remove("restart-0");
    for (String n : cluster.nodeIds()) {
      cluster.kill9(n);
    }
    for (String n : cluster.nodeIds()) {
      cluster.process(n).start();
    }
    for (String n : cluster.nodeIds()) {
      cluster.restartWait(n, START);
    }
    cluster.awaitLeader(GROUP, START);
    assertAllReadable(acked);
    assertThat(client.get("restart-0")).isEmpty();
    assertThat(ShardGroupClient.join(client.readRecordAsync("restart-0", false))).hasValueSatisfying(
        e -> assertThat(e.deleted()).isTrue());
  }
}
