package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.Ports;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node whose snapshot fails its checksum refuses to start, naming the problem, instead of serving bad state. */
class CorruptSnapshotIT {
  @TempDir
  Path dir;

  @Test
  void corruptSnapshotIsDetectedOnRestart() throws Exception {
    int port = Ports.freePort();
    NodeConfig config = NodeConfig.parse(withTls("--id", "n1", "--metrics-port", "0", "--data-dir", dir.toString(),
        "--group", "g1=n1@127.0.0.1:" + port, "--snapshot-threshold", "20", "--max-value-bytes", "4096"), Map.of());
    Path sm = dir.resolve(GroupIds.uuidOf("g1").toString()).resolve("sm");
    try (KvNode node = KvNode.start(config);
         ShardGroupClient client = ShardGroupClient.connect("g1", PeerAddress.parseList("n1@127.0.0.1:" + port), TestTls.cluster().raftTls())) {
      for (int i = 0; i < 30; i++) {
        client.put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8));
      }
      Poll.until("a snapshot", Duration.ofSeconds(20), () -> snapshot(sm) != null);
    }

    // Restarting from intact files recovers the data.
    try (KvNode node = KvNode.start(config);
         ShardGroupClient client = ShardGroupClient.connect("g1", PeerAddress.parseList("n1@127.0.0.1:" + port), TestTls.cluster().raftTls())) {
      assertThat(client.get("k29")).isPresent();
    }

    Path snapshot = snapshot(sm);
    try (RandomAccessFile raf = new RandomAccessFile(snapshot.toFile(), "rw")) {
      raf.seek(raf.length() / 2);
      int b = raf.read();
      raf.seek(raf.length() / 2);
      raf.write(b ^ 0x40);
    }
    assertThatThrownBy(() -> KvNode.start(config).close())
        .hasStackTraceContaining(snapshot.getFileName() + " is corrupt: MD5");
  }

  /** The newest snapshot file, or null. */
  static Path snapshot(Path sm) {
    if (!Files.isDirectory(sm)) {
      return null;
    }
    try (Stream<Path> files = Files.list(sm)) {
      return files.filter(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+"))
          .max((a, b) -> Long.compare(index(a), index(b))).orElse(null);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static long index(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(n.indexOf('_') + 1));
  }

  /** The node's flags plus the test cluster CA's TLS files. */
  private static String[] withTls(String... args) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.Arrays.stream(TestTls.cluster().flags())).toArray(String[]::new);
  }
}
