package io.kvpipe.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.Request;
import io.kvpipe.kvctl.Kvctl;
import io.kvpipe.kvctl.backup.BackupManifest;
import io.kvpipe.kvctl.backup.GroupDataFile;
import io.kvpipe.testsupport.tls.TestTls;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kvctl backup} on a cluster of two shard groups (3 kv-node processes, real Ratis) while a writer keeps
 * putting and deleting: each group's backup must be exactly the state of that group at the log index the manifest
 * records (computed from every acknowledged write's version). Then {@code kvctl restore} into a fresh cluster of
 * three groups: a corrupt copy, a missing directory and (without {@code --route-by-target-ring}) the ring that differs
 * are each refused with nothing changed; with the flag every key and value is loaded into the group the new ring
 * gives it, and a second restore into the now non-empty cluster is refused.
 */
class BackupRestoreIT {
  private static final int KEYS = 6000;

  @TempDir
  Path dir;

  /** One acknowledged write: the key, its value (null for a delete) and the version it got. */
  record Write(String key, String value, long version) {}

  record Run(int exit, String out, String err) {}

  static Run kvctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kvctl.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static String[] clusterArgs(SystemStack s, String command, Path backupDir, String... more) {
    TestTls.Files tls = TestTls.cluster();
    List<String> a = new ArrayList<>(List.of(command, backupDir.toString(), "--proxy", s.proxy("a").base(),
        "--token", SystemStack.DATA_TOKEN, "--admin-token", SystemStack.ADMIN_TOKEN,
        "--tls-cert", tls.cert().toString(), "--tls-key", tls.key().toString(), "--tls-ca", tls.ca().toString(),
        "--timeout-ms", "60000"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void aBackupTakenUnderWritesIsEachGroupAtItsIndexAndRestoresIntoAFreshCluster() throws Exception {
    Path backup = dir.resolve("backup");
    ConcurrentLinkedQueue<Write> acked = new ConcurrentLinkedQueue<>();
    Map<String, Long> deadlines;
    try (SystemStack a = SystemStack.builder(dir.resolve("a")).start()) {
      SystemStack.Shards shards = a.shards(new AdminApi(a.proxy("a").admin()));
      HashRing ring = HashRing.of(shards.ring(), shards.vnodes());
      Writer writer = new Writer(a, shards, ring, acked);
      writer.load(KEYS);
      deadlines = putWithTtl(a, shards, ring, acked);
      writer.start();
      Poll.untilCount(acked, KEYS + 500);
      Run run = kvctl(clusterArgs(a, "backup", backup, "--page-size", "500"));
      assertThat(run.exit()).as(run.err()).isZero();
      writer.stopAfterMore(200);
      assertThat(run.out()).contains("backup of").contains("keys/s");
      assertThat(run.err()).contains("backup:").contains("keys/s");

      BackupManifest m = BackupManifest.read(backup);
      assertThat(m.ring()).containsExactlyInAnyOrderElementsOf(shards.ring());
      assertThat(m.epoch()).isEqualTo(shards.epoch());
      for (BackupManifest.Group g : m.groups()) {
        TreeMap<String, String> inFile = read(backup.resolve(g.file()));
        TreeMap<String, String> expected = stateAt(acked, ring, g.id(), g.logIndex());
        assertThat(inFile).as("group %s at log index %d", g.id(), g.logIndex()).isEqualTo(expected);
        assertThat(acked.stream().anyMatch(w -> ring.groupFor(bytes(w.key())).equals(g.id())
            && Versions.logIndex(w.version()) > g.logIndex())).as("writes landed in %s after its index", g.id())
            .isTrue();
      }
      assertThat(m.totalRecords()).isGreaterThan(KEYS / 2);

      Run again = kvctl(clusterArgs(a, "backup", backup));
      assertThat(again.exit()).isEqualTo(2);
      assertThat(again.err()).contains("is not empty");
    }

    TreeMap<String, String> all = new TreeMap<>();
    for (BackupManifest.Group g : BackupManifest.read(backup).groups()) {
      all.putAll(read(backup.resolve(g.file())));
    }

    Path corrupt = dir.resolve("corrupt");
    copy(backup, corrupt);
    flipOneValueByte(corrupt.resolve("g1.kvb"));

    try (SystemStack b = SystemStack.builder(dir.resolve("b")).groups("g1", "g2", "g3").start()) {
      SystemStack.Shards shards = b.shards(new AdminApi(b.proxy("a").admin()));
      Run refused = kvctl(clusterArgs(b, "restore", corrupt));
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err()).contains("checksum mismatch").contains("nothing was changed");
      Run missing = kvctl(clusterArgs(b, "restore", dir.resolve("no-such-backup")));
      assertThat(missing.exit()).isEqualTo(2);
      assertThat(missing.err()).contains("no backup directory");
      Run otherRing = kvctl(clusterArgs(b, "restore", backup));
      assertThat(otherRing.exit()).isEqualTo(1);
      assertThat(otherRing.err()).contains("differs from the backup's").contains("--route-by-target-ring")
          .contains("nothing was changed");
      assertThat(shards.ring()).hasSize(3);
      for (String g : shards.ring()) {
        assertThat(b.group(shards, g).status().records()).as("group %s after the refusals", g).isZero();
      }

      Run restored = kvctl(clusterArgs(b, "restore", backup, "--batch-size", "300", "--route-by-target-ring"));
      assertThat(restored.exit()).as(restored.err()).isZero();
      assertThat(restored.out()).contains("restored " + String.format("%,d", all.size()) + " keys");
      assertThat(restored.err()).contains("restore:").contains("keys/s");

      TreeMap<String, String> inB = new TreeMap<>();
      HashRing ringB = HashRing.of(shards.ring(), shards.vnodes());
      for (String g : shards.ring()) {
        TreeMap<String, String> inGroup = liveRecords(b.group(shards, g));
        assertThat(inGroup).as("keys of %s", g).isNotEmpty();
        assertThat(inGroup.keySet()).allMatch(k -> ringB.groupFor(bytes(k)).equals(g));
        inB.putAll(inGroup);
      }
      assertThat(inB).isEqualTo(all);
      // Keys with a time to live keep their deadline (to within this machine's clock and a put's latency).
      for (Map.Entry<String, Long> d : deadlines.entrySet()) {
        Entry e = ShardGroupClient.join(b.group(shards, ringB.groupFor(bytes(d.getKey())))
            .readRecordAsync(d.getKey(), false)).orElseThrow();
        assertThat(e.expiresAtMs()).as("deadline of %s after the restore", d.getKey())
            .isBetween(d.getValue() - 10_000, d.getValue() + 10_000);
      }

      Run twice = kvctl(clusterArgs(b, "restore", backup, "--route-by-target-ring"));
      assertThat(twice.exit()).isEqualTo(1);
      assertThat(twice.err()).contains("already holds").contains("nothing was changed");
    }
  }

  /** Puts 20 keys no other write touches with a one-hour TTL; returns each one's stored deadline. */
  static Map<String, Long> putWithTtl(SystemStack stack, SystemStack.Shards shards, HashRing ring,
                                      ConcurrentLinkedQueue<Write> acked) {
    Map<String, Long> deadlines = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      String key = "ttl-" + i;
      String value = "expiring-" + i;
      ShardGroupClient c = stack.group(shards, ring.groupFor(bytes(key)));
      Reply.Written w = ShardGroupClient.join(c.putAsync(key, bytes(value), Request.ANY_VERSION, 3_600_000));
      acked.add(new Write(key, value, w.version()));
      deadlines.put(key, ShardGroupClient.join(c.readRecordAsync(key, false)).orElseThrow().expiresAtMs());
    }
    assertThat(deadlines.values()).allMatch(d -> d > System.currentTimeMillis());
    return deadlines;
  }

  /** The live state of {@code group} at {@code index}: per key the newest acknowledged write at or before it. */
  static TreeMap<String, String> stateAt(Iterable<Write> acked, HashRing ring, String group, long index) {
    Map<String, Write> newest = new HashMap<>();
    for (Write w : acked) {
      if (ring.groupFor(bytes(w.key())).equals(group) && Versions.logIndex(w.version()) <= index) {
        newest.merge(w.key(), w, (x, y) -> x.version() >= y.version() ? x : y);
      }
    }
    TreeMap<String, String> out = new TreeMap<>();
    newest.values().stream().filter(w -> w.value() != null).forEach(w -> out.put(w.key(), w.value()));
    return out;
  }

  static TreeMap<String, String> read(Path file) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    GroupDataFile.read(file, e -> out.put(e.keyString(), new String(e.value(), StandardCharsets.UTF_8)));
    return out;
  }

  static TreeMap<String, String> liveRecords(ShardGroupClient c) {
    TreeMap<String, String> out = new TreeMap<>();
    byte[] start = new byte[0];
    while (true) {
      Reply.KeyPage p = ShardGroupClient.join(c.keyScanAsync(start, null, 1000, true, 4 << 20));
      for (Entry e : p.entries()) {
        if (!e.deleted()) {
          out.put(e.keyString(), new String(e.value(), StandardCharsets.UTF_8));
        }
      }
      if (!p.more() || p.entries().isEmpty()) {
        return out;
      }
      byte[] last = p.entries().get(p.entries().size() - 1).key();
      start = java.util.Arrays.copyOf(last, last.length + 1);
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
  }

  /** Changes one letter inside a value, so the file stays well-formed and only its checksum can tell. */
  static void flipOneValueByte(Path file) throws Exception {
    byte[] all = Files.readAllBytes(file);
    byte[] marker = bytes("value-");
    for (int i = all.length - marker.length - 1; i > 0; i--) {
      if (java.util.Arrays.equals(all, i, i + marker.length, marker, 0, marker.length)) {
        all[i] = 'V';
        Files.write(file, all);
        return;
      }
    }
    throw new AssertionError("no value found to damage in " + file);
  }

  /**
   * Puts (90%) and deletes (10%) over {@code KEYS} keys, each through its group's client, 32 in flight; records
   * every acknowledged write. Any failed write fails the test: nothing is injected, so none should fail.
   */
  static final class Writer {
    private final SystemStack stack;
    private final SystemStack.Shards shards;
    private final HashRing ring;
    private final ConcurrentLinkedQueue<Write> acked;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failed = new AtomicReference<>();
    private final Semaphore window = new Semaphore(32);
    private Thread thread;
    private long counter;

    Writer(SystemStack stack, SystemStack.Shards shards, HashRing ring, ConcurrentLinkedQueue<Write> acked) {
      this.stack = stack;
      this.shards = shards;
      this.ring = ring;
      this.acked = acked;
    }

    void load(int n) {
      for (int i = 0; i < n; i++) {
        submit("k-" + i, false);
      }
      window.acquireUninterruptibly(32);
      window.release(32);
      check();
    }

    void start() {
      thread = Thread.ofPlatform().name("backup-it-writer").start(() -> {
        Random r = new Random(7);
        while (!stop.get() && failed.get() == null) {
          submit("k-" + r.nextInt(KEYS + 500), r.nextInt(10) == 0);
        }
      });
    }

    void stopAfterMore(int more) throws InterruptedException {
      Poll.untilCount(acked, acked.size() + more);
      stop.set(true);
      thread.join(Duration.ofSeconds(60));
      window.acquireUninterruptibly(32);
      check();
    }

    private void check() {
      if (failed.get() != null) {
        throw new AssertionError("a write failed", failed.get());
      }
    }

    private void submit(String key, boolean delete) {
      window.acquireUninterruptibly();
      String value = delete ? null : "value-" + key + "-" + (counter++);
      ShardGroupClient c = stack.group(shards, ring.groupFor(bytes(key)));
      CompletableFuture<Reply.Written> f = delete ? c.deleteAsync(key) : c.putAsync(key, bytes(value));
      f.whenComplete((w, e) -> {
        if (e != null) {
          failed.compareAndSet(null, e);
        } else {
          acked.add(new Write(key, value, w.version()));
        }
        window.release();
      });
    }
  }

  /** Waits for a queue to reach a size (the writer runs meanwhile). */
  static final class Poll {
    static void untilCount(ConcurrentLinkedQueue<?> q, int n) {
      io.kvpipe.testsupport.Poll.until("at least " + n + " acknowledged writes", Duration.ofSeconds(120),
          Duration.ofMillis(50), () -> q.size() >= n);
    }
  }
}
