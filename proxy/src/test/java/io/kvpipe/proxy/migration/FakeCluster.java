package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory stand-in for the meta group (the real {@link TopologyTransitions}) and the shard groups (ownership
 * fences, versioned records, the migration commands' rules), for unit tests of the coordinator's steps only.
 */
final class FakeCluster implements MetaAccess, ShardOps {
  record Key(long position, byte[] bytes) {}

  static final Comparator<Key> ORDER = Comparator.comparingLong(Key::position)
      .thenComparing(Key::bytes, Arrays::compareUnsigned);

  static final class Group {
    long epoch = 1;
    HashRanges owned = HashRanges.FULL;
    String migration = "";
    boolean copiesClosed;
    long index;
    final TreeMap<Key, Entry> records = new TreeMap<>(ORDER);
    List<Peer> peers = List.of();
    /** Change events not yet published (the real group's outbox), as its status reports them. */
    volatile int unpublished;
    /** Its replicas do not answer yet (status fails as retriable). */
    volatile boolean unreachable;
  }

  private MetaState meta = MetaState.EMPTY;
  final Map<String, Group> groups = new HashMap<>();
  volatile boolean metaDown;
  /** Kinds of command whose next one is applied, then answered as an unknown outcome ("already applied"). */
  final Set<Class<? extends MetaCommand>> loseReplyOnce = ConcurrentHashMap.newKeySet();

  synchronized Group group(String g) {
    return groups.computeIfAbsent(g, x -> new Group());
  }

  @Override
  public synchronized Topology snapshot() {
    if (metaDown) {
      throw new KvException(ErrorCode.UNAVAILABLE, "meta down");
    }
    return meta.topology();
  }

  @Override
  public synchronized MetaReply submit(MetaCommand command) {
    if (metaDown) {
      throw new KvException(ErrorCode.UNAVAILABLE, "meta down");
    }
    var r = TopologyTransitions.apply(meta, command);
    meta = r.state();
    if (loseReplyOnce.remove(command.getClass())) {
      // What the meta group answers a resend of a command it applied before its replicas restarted.
      throw new OutcomeUnknownException(ErrorCode.TIMEOUT, "this request was already applied at log index 0 of group"
          + " meta and its reply was lost (fake): its outcome is unknown here; read the topology to learn it");
    }
    return r.reply().orThrow();
  }

  static Key key(byte[] k) {
    return new Key(HashRing.position(k), k);
  }

  /** A client write: goes to the group, refused unless owned. */
  synchronized long put(String g, String k, byte[] value) {
    Group grp = group(g);
    byte[] kb = k.getBytes();
    if (!grp.owned.contains(HashRing.position(kb))) {
      throw new KvException(ErrorCode.WRONG_GROUP, k + " not owned by " + g);
    }
    long version = (grp.epoch << 40) | ++grp.index;
    grp.records.put(key(kb), new Entry(kb, value, version));
    return version;
  }

  synchronized Entry record(String g, String k) {
    return group(g).records.get(key(k.getBytes()));
  }

  @Override
  public synchronized CompletableFuture<Reply.Ownership> setOwnership(String g, MigrationToken token,
                                                                     HashRanges ranges) {
    return setOwnership(g, token.epoch(), ranges, token.migrationId());
  }

  /** The real group's rules: the epoch never goes back; repeating a fence keeps its copies closed. */
  synchronized CompletableFuture<Reply.Ownership> setOwnership(String g, long epoch, HashRanges ranges,
                                                               String migrationId) {
    Group grp = group(g);
    if (epoch < grp.epoch || (epoch == grp.epoch && !grp.migration.isEmpty() && !migrationId.isEmpty()
        && !migrationId.equals(grp.migration))) {
      return CompletableFuture.failedFuture(new KvException(ErrorCode.CONFLICT, "fenced at " + grp.epoch));
    }
    grp.copiesClosed = epoch == grp.epoch && migrationId.equals(grp.migration) && grp.copiesClosed;
    grp.epoch = epoch;
    grp.owned = ranges;
    grp.migration = migrationId;
    return CompletableFuture.completedFuture(new Reply.Ownership(epoch, ranges));
  }

  private static <T> CompletableFuture<T> refuseUnlessCurrent(Group grp, MigrationToken token, boolean copy) {
    if (!token.migrationId().equals(grp.migration) || token.epoch() != grp.epoch || (copy && grp.copiesClosed)) {
      return CompletableFuture.failedFuture(new KvException(ErrorCode.CONFLICT, token + " is not current"));
    }
    return null;
  }

  @Override
  public synchronized CompletableFuture<Reply.ScanPage> scan(String g, HashRanges ranges, ScanCursor after,
                                                             int limit) {
    Group grp = group(g);
    var tail = after == null ? grp.records : grp.records.tailMap(new Key(after.position(), after.key()), false);
    List<Entry> out = new ArrayList<>();
    Key last = null;
    for (var e : tail.entrySet()) {
      if (!ranges.contains(e.getKey().position())) {
        continue;
      }
      if (out.size() == limit) {
        return CompletableFuture.completedFuture(new Reply.ScanPage(out, new ScanCursor(last.position(), last.bytes())));
      }
      out.add(e.getValue());
      last = e.getKey();
    }
    return CompletableFuture.completedFuture(new Reply.ScanPage(out, null));
  }

  @Override
  public synchronized CompletableFuture<Reply.Migrated> migrateIn(String g, List<Entry> records,
                                                                 MigrationToken token) {
    Group grp = group(g);
    CompletableFuture<Reply.Migrated> refused = refuseUnlessCurrent(grp, token, true);
    if (refused != null) {
      return refused;
    }
    for (Entry e : records) {
      if (!grp.owned.contains(HashRing.position(e.key()))) {
        return CompletableFuture.failedFuture(new KvException(ErrorCode.WRONG_GROUP, "not owned"));
      }
    }
    int applied = 0;
    for (Entry e : records) {
      Entry have = grp.records.get(key(e.key()));
      if (have == null || have.version() < e.version()) {
        grp.records.put(key(e.key()), e);
        applied++;
      }
    }
    return CompletableFuture.completedFuture(new Reply.Migrated(applied, records.size() - applied));
  }

  @Override
  public synchronized CompletableFuture<Reply.Purged> purgeUnowned(String g, int limit, MigrationToken token) {
    Group grp = group(g);
    CompletableFuture<Reply.Purged> refused = refuseUnlessCurrent(grp, token, false);
    if (refused != null) {
      return refused;
    }
    int removed = 0;
    var it = grp.records.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (!grp.owned.contains(e.getKey().position())) {
        if (removed == limit) {
          return CompletableFuture.completedFuture(new Reply.Purged(removed, true));
        }
        it.remove();
        removed++;
      }
    }
    return CompletableFuture.completedFuture(new Reply.Purged(removed, false));
  }

  @Override
  public synchronized CompletableFuture<Reply.Purged> collectTombstones(String g, HashRanges ranges, int limit,
                                                                       MigrationToken token) {
    Group grp = group(g);
    CompletableFuture<Reply.Purged> refused = refuseUnlessCurrent(grp, token, false);
    if (refused != null) {
      return refused;
    }
    grp.copiesClosed = true;
    int removed = 0;
    var it = grp.records.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getValue().deleted() && ranges.contains(e.getKey().position())) {
        if (removed == limit) {
          return CompletableFuture.completedFuture(new Reply.Purged(removed, true));
        }
        it.remove();
        removed++;
      }
    }
    return CompletableFuture.completedFuture(new Reply.Purged(removed, false));
  }

  @Override
  public synchronized CompletableFuture<Reply.Status> status(String g) {
    Group grp = group(g);
    if (grp.unreachable) {
      return CompletableFuture.failedFuture(new KvException(ErrorCode.UNAVAILABLE, g + " not reachable"));
    }
    return CompletableFuture.completedFuture(new Reply.Status(grp.epoch, grp.owned, grp.index,
        grp.unpublished == 0 ? grp.index : 0, grp.unpublished, 0, grp.records.size()));
  }

  @Override
  public synchronized CompletableFuture<Void> setPeers(String g, List<Peer> peers, Duration timeout) {
    group(g).peers = List.copyOf(peers);
    return CompletableFuture.completedFuture(null);
  }
}
