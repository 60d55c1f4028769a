package io.kvpipe.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.Versions;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.wire.Command;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.GroupIds;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.common.wire.WireCodec;
import io.kvpipe.node.shard.ShardSettings;
import io.kvpipe.node.shard.ShardStateMachine;
import io.kvpipe.testsupport.Poll;
import io.kvpipe.testsupport.ratis.RatisCluster;
import io.kvpipe.testsupport.tls.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 3-replica in-process Ratis cluster hosting two shard groups: replication, reads, CAS, versions, bad input. */
class ShardReplicationIT {
  static final int MAX_VALUE = 4096;
  static final Map<RaftGroupId, String> GROUPS = Map.of(
      RaftGroupId.valueOf(GroupIds.uuidOf("g1")), "g1",
      RaftGroupId.valueOf(GroupIds.uuidOf("g2")), "g2",
      RaftGroupId.valueOf(GroupIds.uuidOf("tight")), "tight");
  /** Group "tight" has a 20-event CDC outbox, to see writes refused when nothing publishes. */
  static final int TIGHT_OUTBOX = 20;

  @TempDir
  static Path dir;
  static RatisCluster cluster;
  static ShardGroupClient g1;
  static ShardGroupClient g2;

  @BeforeAll
  static void start() {
    Consumer<RaftProperties> tuning = p -> RaftTuning.apply(p, 100_000, 1 << 20, MAX_VALUE);
    RatisCluster.Builder b = RatisCluster.builder(dir).peers(3).properties(tuning)
        .stateMachines((peer, gid) -> new ShardStateMachine(GROUPS.get(gid), new ShardSettings(MAX_VALUE, true,
            GROUPS.get(gid).equals("tight") ? TIGHT_OUTBOX : 10_000, 10 << 20)));
    GROUPS.keySet().forEach(b::group);
    cluster = b.start();
    g1 = client("g1");
    g2 = client("g2");
  }

  static List<PeerAddress> peers() {
    return cluster.peers().stream().map(p -> PeerAddress.parse(p.getId() + "@" + p.getAddress())).toList();
  }

  static ShardGroupClient client(String group) {
    return ShardGroupClient.builder(group, peers()).tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(20)).build();
  }

  @AfterAll
  static void stop() {
    if (g1 != null) {
      g1.close();
      g2.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void linearizableReadSeesLatestWriteAndStaleReadsCatchUpOnEveryReplica() {
    for (int i = 0; i < 5; i++) {
      g1.put("lin", b("v" + i));
      assertThat(g1.get("lin")).map(e -> new String(e.value(), StandardCharsets.UTF_8)).contains("v" + i);
    }
    Reply.Written last = g1.put("lin", b("final"));
    // Every replica, asked directly, eventually applies it.
    for (int r = 0; r < 6; r++) {
      Poll.until("stale read sees the final write", Duration.ofSeconds(10),
          () -> g1.get("lin", true).map(Entry::version).orElse(0L) == last.version());
    }
  }

  /**
   * A leader handing over its leadership refuses new requests with LeaderSteppingDownException before logging them,
   * and Ratis passes that to the caller as is: the write was not applied, so the client sends it again to the next
   * leader rather than fail it (MembershipChangeIT saw a 503 "is stepping down" for a put during a replica change).
   */
  @Test
  void writesDuringLeadershipTransfersAllSucceed() throws Exception {
    RaftGroupId gid = GROUPS.entrySet().stream().filter(e -> e.getValue().equals("g2")).findFirst().orElseThrow()
        .getKey();
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 16; w++) {
      int id = w;
      writers.add(Thread.ofVirtual().start(() -> {
        for (int i = 0; !stop.get(); i++) {
          try {
            g2.put("transfer-" + id + "-" + (i % 20), b("v" + i));
            acked.incrementAndGet();
          } catch (RuntimeException e) {
            failures.add(String.valueOf(e.getMessage()));
          }
        }
      }));
    }
    try (RaftClient admin = RaftClient.newBuilder().setProperties(props).setParameters(TestTls.cluster().parameters())
        .setRaftGroup(cluster.group(gid)).setRetryPolicy(RetryPolicies.noRetry()).build()) {
      for (int t = 0; t < 12; t++) {
        int before = acked.get();
        Poll.until("writes flowing", Duration.ofSeconds(20), () -> acked.get() > before + 50);
        String leader = cluster.awaitLeader(gid, Duration.ofSeconds(20));
        String next = cluster.peerIds().stream().filter(p -> !p.equals(leader)).toList().get(t % 2);
        try {
          admin.admin().transferLeadership(org.apache.ratis.protocol.RaftPeerId.valueOf(next), 5_000);
        } catch (java.io.IOException e) {
          // A transfer that does not finish in time is not what this test is about; the writes are.
        }
      }
      int before = acked.get();
      Poll.until("writes flowing after the last transfer", Duration.ofSeconds(20), () -> acked.get() > before + 50);
    } finally {
      stop.set(true);
      for (Thread w : writers) {
        w.join(30_000);
      }
    }
    assertThat(failures).as("writes failed during leadership transfers (of %d acknowledged)", acked.get()).isEmpty();
  }

  /** Callers that issue their next request from a reply callback (closed loops, pipelines) must never stall. */
  @Test
  void requestsChainedFromReplyCallbacksAllComplete() {
    int chains = 32;
    int perChain = 40;
    java.util.Set<String> callbackThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<java.util.concurrent.CompletableFuture<Integer>> done = new java.util.ArrayList<>();
    for (int c = 0; c < chains; c++) {
      java.util.concurrent.CompletableFuture<Integer> chain = java.util.concurrent.CompletableFuture.completedFuture(0);
      for (int i = 0; i < perChain; i++) {
        String key = "chain-" + c + "-" + i;
        chain = chain.thenCompose(n -> g1.putAsync(key, b("v")).thenApply(w -> {
          callbackThreads.add(Thread.currentThread().getName());
          return n + 1;
        }));
      }
      done.add(chain);
    }
    for (java.util.concurrent.CompletableFuture<Integer> chain : done) {
      assertThat(chain.orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join()).isEqualTo(perChain);
    }
    assertThat(callbackThreads).allMatch(t -> t.startsWith("kv-client-"), "callbacks run on the client's threads");
  }

  /**
   * Group commit: many concurrent writes share log entries, yet each keeps its own outcome and version, a key's
   * versions strictly increase in the order its writes were applied, and every write is its own change event.
   */
  @Test
  void concurrentWritesShareLogEntriesEachWithItsOwnOutcomeVersionAndEvent() throws Exception {
    io.kvpipe.client.GroupCommit.Stats before = g1.groupCommitStats();
    long startIndex = g1.status().appliedIndex();
    Reply.Written base = g1.put("gc-cas", b("base"));
    List<java.util.concurrent.CompletableFuture<Reply.Written>> distinct = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<Reply.Written>> hot = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<Reply.Written>> cas = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      distinct.add(g1.putAsync("gc-" + i, b("v" + i)));
      if (i % 3 == 0) {
        hot.add(g1.putAsync("gc-hot", b("h" + i)));
        cas.add(g1.putAsync("gc-cas", b("c" + i), base.version()));
      }
    }
    for (var f : distinct) {
      f.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    List<Long> hotVersions = new ArrayList<>();
    for (var f : hot) {
      hotVersions.add(f.get(30, java.util.concurrent.TimeUnit.SECONDS).version());
    }
    // Writes of one key never share an entry: every one got its own, larger version, in submission order.
    assertThat(hotVersions).doesNotHaveDuplicates().isSorted();
    assertThat(g1.get("gc-hot").orElseThrow().value()).isEqualTo(b("h297"));
    int won = 0;
    for (var f : cas) {
      try {
        f.join();
        won++;
      } catch (java.util.concurrent.CompletionException e) {
        assertThat(e.getCause()).isInstanceOfSatisfying(KvException.class,
            k -> assertThat(k.code()).isEqualTo(ErrorCode.VERSION_MISMATCH));
      }
    }
    assertThat(won).as("exactly one CAS on the same expected version wins").isEqualTo(1);

    io.kvpipe.client.GroupCommit.Stats after = g1.groupCommitStats();
    long requests = after.writeRequests() - before.writeRequests();
    long ops = after.writeOps() - before.writeOps();
    assertThat(ops).isEqualTo(1 + 300 + 100 + 100);
    assertThat(requests).as("concurrent writes shared requests").isLessThan(ops / 2);
    assertThat(g1.status().appliedIndex() - startIndex).as("and log entries").isLessThan(ops / 2);

    RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf("g1"));
    ShardStateMachine leader = (ShardStateMachine) cluster.stateMachine(cluster.awaitLeader(gid,
        Duration.ofSeconds(30)), gid);
    List<io.kvpipe.common.event.ChangeEvent> events = leader.pendingAfter(startIndex, 100_000);
    assertThat(events).extracting(e -> e.logIndex() + "." + e.seq()).doesNotHaveDuplicates();
    assertThat(events).filteredOn(e -> e.key().startsWith("gc-")).hasSize(1 + 300 + 100 + 1);
    assertThat(events).filteredOn(e -> e.key().equals("gc-hot")).extracting(e -> e.version())
        .containsExactlyElementsOf(hotVersions);
  }

  @Test
  void compareAndSetAppliesOnlyOnTheExpectedVersion() {
    Reply.Written created = g1.put("cas", b("a"), Versions.NONE);
    assertThat(created.previous()).isNull();
    assertCode(() -> g1.put("cas", b("b"), Versions.NONE), ErrorCode.VERSION_MISMATCH);
    Reply.Written second = g1.put("cas", b("b"), created.version());
    assertThat(second.version()).isGreaterThan(created.version());
    assertThat(second.previous()).isEqualTo(b("a"));
    assertCode(() -> g1.put("cas", b("c"), created.version()), ErrorCode.VERSION_MISMATCH);
    assertCode(() -> g1.delete("cas", created.version()), ErrorCode.VERSION_MISMATCH);
    assertThat(g1.get("cas").orElseThrow().value()).isEqualTo(b("b"));

    Reply.Written deleted = g1.delete("cas", second.version());
    assertThat(deleted.version()).isGreaterThan(second.version());
    assertThat(g1.get("cas")).isEmpty();
    Entry tombstone = ShardGroupClient.join(g1.readRecordAsync("cas", false)).orElseThrow();
    assertThat(tombstone.deleted()).isTrue();
    assertThat(tombstone.version()).isEqualTo(deleted.version());
    assertThat(g1.put("cas", b("again"), Versions.NONE).version()).isGreaterThan(deleted.version());
  }

  @Test
  void versionsStrictlyIncreasePerKeyAndCarryTheEpoch() {
    long previous = 0;
    for (int i = 0; i < 20; i++) {
      long v = i % 5 == 4 ? g1.delete("mono").version() : g1.put("mono", b("x" + i)).version();
      assertThat(v).isGreaterThan(previous);
      assertThat(Versions.epoch(v)).isEqualTo(1);
      previous = v;
    }
  }

  @Test
  void batchPutAndGet() {
    Map<String, byte[]> values = new LinkedHashMap<>();
    for (int i = 0; i < 50; i++) {
      values.put("batch-" + i, b("value-" + i));
    }
    Map<String, Long> versions = g1.batchPut(values);
    assertThat(versions).hasSize(50);
    // Group commit puts concurrent writes of distinct keys in shared entries: distinct keys may share a version.
    assertThat(versions.values()).allSatisfy(v -> assertThat(v).isPositive());
    List<String> keys = new ArrayList<>(values.keySet());
    keys.add("batch-missing");
    List<Entry> got = g1.batchGet(keys);
    assertThat(got).hasSize(51);
    for (int i = 0; i < 50; i++) {
      assertThat(got.get(i).value()).isEqualTo(b("value-" + i));
      assertThat(got.get(i).version()).isEqualTo(versions.get("batch-" + i));
    }
    assertThat(got.get(50)).isNull();
  }

  @Test
  void scanWalksHashRangesPageByPage() {
    Map<String, byte[]> values = new LinkedHashMap<>();
    for (int i = 0; i < 120; i++) {
      values.put("scan-" + i, b("s" + i));
    }
    g2.batchPut(values);
    g2.delete("scan-0");
    Set<String> seen = new HashSet<>();
    List<Entry> all = scanAll(g2, HashRanges.FULL, 37);
    all.forEach(e -> seen.add(e.keyString()));
    assertThat(seen).containsAll(values.keySet());
    assertThat(all).filteredOn(e -> e.keyString().equals("scan-0")).singleElement()
        .satisfies(e -> assertThat(e.deleted()).isTrue());
    // Order is (ring position, key): strictly increasing positions or equal positions with increasing keys.
    for (int i = 1; i < all.size(); i++) {
      assertThat(HashRing.position(all.get(i).key())).isGreaterThanOrEqualTo(HashRing.position(all.get(i - 1).key()));
    }
    HashRanges lowHalf = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
    List<Entry> low = scanAll(g2, lowHalf, 10);
    assertThat(low).isNotEmpty().allSatisfy(e -> assertThat(lowHalf.contains(HashRing.position(e.key()))).isTrue());
    assertThat(low.size()).isLessThan(all.size());
  }

  static List<Entry> scanAll(ShardGroupClient c, HashRanges ranges, int page) {
    List<Entry> out = new ArrayList<>();
    ScanCursor cursor = null;
    do {
      Reply.ScanPage p = c.scan(ranges, cursor, page);
      assertThat(p.entries().size()).isLessThanOrEqualTo(page);
      out.addAll(p.entries());
      cursor = p.next();
    } while (cursor != null);
    return out;
  }

  @Test
  void badInputGetsAClearErrorAndNothingIsApplied() throws Exception {
    g1.put("bad-probe", b("x"));
    long appliedBefore = g1.status().appliedIndex();
    long recordsBefore = g1.status().records();
    try (RaftClient raw = rawClient("g1")) {
      Map<byte[], ErrorCode> cases = new LinkedHashMap<>();
      cases.put(WireCodec.encode(Command.Put.unconditional(new byte[0], b("v"))), ErrorCode.INVALID_KEY);
      cases.put(WireCodec.encode(Command.Put.unconditional(new byte[513], b("v"))), ErrorCode.INVALID_KEY);
      cases.put(WireCodec.encode(Command.Put.unconditional(new byte[] {(byte) 0xC3, 0x28}, b("v"))),
          ErrorCode.INVALID_KEY);
      cases.put(WireCodec.encode(Command.Put.unconditional(b("k"), new byte[MAX_VALUE + 1])),
          ErrorCode.VALUE_TOO_LARGE);
      cases.put(new byte[] {1, 1, 0, 0}, ErrorCode.MALFORMED_REQUEST);
      cases.put(b("definitely not a request"), ErrorCode.MALFORMED_REQUEST);
      cases.put(WireCodec.encode(new io.kvpipe.common.wire.Query.Get(b("k"))), ErrorCode.MALFORMED_REQUEST);
      for (Map.Entry<byte[], ErrorCode> c : cases.entrySet()) {
        assertThatThrownBy(() -> raw.io().send(Message.valueOf(
            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(c.getKey()))))
            .satisfies(e -> assertThat(e.getMessage()).contains(c.getValue().name()));
      }
      // The same garbage as a read is answered with a MALFORMED_REQUEST reply.
      Reply reply = WireCodec.decodeReply(raw.io().sendReadOnly(Message.valueOf("garbage")).getMessage()
          .getContent().toByteArray());
      assertThat(reply).isInstanceOfSatisfying(Reply.Failure.class,
          f -> assertThat(f.code()).isEqualTo(ErrorCode.MALFORMED_REQUEST));
    }
    // The client refuses bad keys and values before anything reaches the network, with the same codes.
    assertCode(() -> g1.put("", b("v")), ErrorCode.INVALID_KEY);
    assertCode(() -> g1.put("k".repeat(513), b("v")), ErrorCode.INVALID_KEY);
    assertCode(() -> g1.put("big", new byte[MAX_VALUE + 1]), ErrorCode.VALUE_TOO_LARGE);
    assertThat(g1.status().appliedIndex()).isEqualTo(appliedBefore);
    assertThat(g1.status().records()).isEqualTo(recordsBefore);
    assertThat(g1.get("k")).isEmpty();
  }

  @Test
  void unknownGroupIsRefusedClearly() {
    try (ShardGroupClient nope = ShardGroupClient.builder("nope", peers()).tls(TestTls.cluster().raftTls()).operationTimeout(Duration.ofSeconds(5))
        .build()) {
      assertCode(() -> nope.put("k", b("v")), ErrorCode.UNKNOWN_GROUP);
      assertCode(() -> nope.get("k"), ErrorCode.UNKNOWN_GROUP);
    }
  }

  @Test
  void ownershipChangeFencesKeysOutsideTheNewRanges() {
    // Use a key on each side of the ring's midpoint.
    String low = null;
    String high = null;
    for (int i = 0; low == null || high == null; i++) {
      String k = "own-" + i;
      if (HashRing.position(b(k)) < HashRange.RING_SIZE / 2) {
        low = low == null ? k : low;
      } else {
        high = high == null ? k : high;
      }
    }
    try (ShardGroupClient g3 = client("g2")) {
      HashRanges lowHalf = HashRanges.of(List.of(new HashRange(0, HashRange.RING_SIZE / 2)));
      long before = g3.put(low, b("1")).version();
      g3.put(high, b("1"));
      ShardGroupClient.join(g3.setOwnershipAsync(2, lowHalf));
      long after = g3.put(low, b("2")).version();
      assertThat(after).isGreaterThan(before);
      assertThat(Versions.epoch(after)).isEqualTo(2);
      String h = high;
      assertCode(() -> g3.put(h, b("2")), ErrorCode.WRONG_GROUP);
      // A plain read of a key the group gave away is refused too; the migration's fallback read still answers.
      assertCode(() -> g3.get(h), ErrorCode.WRONG_GROUP);
      assertThat(ShardGroupClient.join(g3.fallbackGetAsync(high)).orElseThrow().value()).isEqualTo(b("1"));
      assertCode(() -> ShardGroupClient.join(g3.setOwnershipAsync(1, HashRanges.FULL)), ErrorCode.CONFLICT);
      ShardGroupClient.join(g3.setOwnershipAsync(3, HashRanges.FULL));
      assertThat(Versions.epoch(g3.put(high, b("3")).version())).isEqualTo(3);
    }
  }

  @Test
  void outboxIsReplicatedRefusesWritesWhenFullAndConfirmTrimsEveryReplica() throws Exception {
    RaftGroupId gid = RaftGroupId.valueOf(GroupIds.uuidOf("tight"));
    try (ShardGroupClient tight = client("tight")) {
      for (int i = 0; i < TIGHT_OUTBOX; i++) {
        tight.put("t" + i, b("v" + i));
      }
      assertCode(() -> tight.put("one-too-many", b("v")), ErrorCode.CDC_BACKLOG_FULL);
      assertThat(tight.get("one-too-many")).isEmpty();

      String leader = cluster.awaitLeader(gid, Duration.ofSeconds(30));
      List<ShardStateMachine> replicas = cluster.peerIds().stream()
          .map(p -> (ShardStateMachine) cluster.stateMachine(p, gid)).toList();
      for (ShardStateMachine r : replicas) {
        Poll.until("every replica holds the outbox", Duration.ofSeconds(10), () -> r.size() == TIGHT_OUTBOX);
      }
      ShardStateMachine leaderSm = (ShardStateMachine) cluster.stateMachine(leader, gid);
      assertThat(leaderSm.isLeader()).isTrue();
      assertThat(replicas.stream().filter(ShardStateMachine::isLeader)).hasSize(1);
      List<io.kvpipe.common.event.ChangeEvent> pending = leaderSm.pendingAfter(0, 100);
      assertThat(pending).hasSize(TIGHT_OUTBOX);
      assertThat(pending).extracting(io.kvpipe.common.event.ChangeEvent::key).startsWith("t0", "t1");
      long upTo = pending.get(9).logIndex();

      ShardStateMachine follower = replicas.stream().filter(r -> !r.isLeader()).findFirst().orElseThrow();
      assertThatThrownBy(() -> follower.confirmPublished(upTo).join()).hasCauseInstanceOf(KvException.class);
      assertThat(leaderSm.confirmPublished(upTo).get()).isEqualTo(upTo);
      for (ShardStateMachine r : replicas) {
        Poll.until("every replica trimmed its outbox", Duration.ofSeconds(10),
            () -> r.size() == TIGHT_OUTBOX - 10 && r.confirmedIndex() == upTo);
      }
      assertThat(leaderSm.pendingAfter(0, 100)).first()
          .satisfies(e -> assertThat(e.logIndex()).isGreaterThan(upTo));
      tight.put("now-fits", b("v"));
      assertThat(tight.status().outboxEvents()).isEqualTo(TIGHT_OUTBOX - 10 + 1);
    }
  }

  static RaftClient rawClient(String group) {
    return rawClient(group, cluster.tls().parameters(), 100);
  }

  static RaftClient rawClient(String group, org.apache.ratis.conf.Parameters params, int attempts) {
    RaftProperties props = new RaftProperties();
    RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
    return RaftClient.newBuilder().setProperties(props).setParameters(params)
        .setRaftGroup(cluster.group(RaftGroupId.valueOf(GroupIds.uuidOf(group))))
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
            org.apache.ratis.util.TimeDuration.valueOf(50, java.util.concurrent.TimeUnit.MILLISECONDS)))
        .build();
  }

  /**
   * Issue 13: the Ratis ports take only callers whose certificate the cluster's CA signed. Without one (plaintext) or
   * with one from another CA, a caller cannot read, write, or submit the command that would wedge a group for good
   * (SetOwnership at the highest epoch, owning nothing); and nothing changes. Peers reach each other through the same
   * port with the same check, so a node with another CA's certificate cannot take part either.
   */
  @Test
  void aCallerWithoutACertificateFromTheClustersCaIsRefusedAndNothingChanges() throws Exception {
    g1.put("guarded", b("v"));
    long appliedBefore = g1.status().appliedIndex();
    Map<String, io.kvpipe.client.RaftTls> strangers = new LinkedHashMap<>();
    strangers.put("plaintext", io.kvpipe.client.RaftTls.PLAINTEXT);
    strangers.put("another CA", TestTls.otherCa().raftTls());
    for (Map.Entry<String, io.kvpipe.client.RaftTls> s : strangers.entrySet()) {
      try (ShardGroupClient intruder = ShardGroupClient.builder("g1", peers()).tls(s.getValue())
          .operationTimeout(Duration.ofSeconds(3)).build()) {
        assertThatThrownBy(() -> intruder.put("guarded", b("overwritten"))).as(s.getKey())
            .isInstanceOf(KvException.class);
        assertThatThrownBy(() -> intruder.get("guarded")).as(s.getKey()).isInstanceOf(KvException.class);
      }
      try (RaftClient raw = rawClient("g1", s.getValue().parameters(), 2)) {
        byte[] wedge = WireCodec.encode(new Command.SetOwnership(Versions.MAX_EPOCH, HashRanges.EMPTY, ""));
        assertThatThrownBy(() -> raw.io().send(Message.valueOf(
            org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(wedge)))).as(s.getKey())
            .isInstanceOf(java.io.IOException.class);
      }
    }
    assertThat(g1.get("guarded").orElseThrow().value()).isEqualTo(b("v"));
    assertThat(g1.status().appliedIndex()).isEqualTo(appliedBefore);
    assertThat(g1.status().epoch()).isLessThan(Versions.MAX_EPOCH);
  }

  static void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call).isInstanceOf(KvException.class)
        .satisfies(e -> assertThat(((KvException) e).code()).as(e.toString()).isEqualTo(code));
  }
}
