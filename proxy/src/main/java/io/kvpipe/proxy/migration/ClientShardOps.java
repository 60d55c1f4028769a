package io.kvpipe.proxy.migration;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.PeerAddress;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import io.kvpipe.proxy.kv.GroupClients;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * {@link ShardOps} over the proxy's {@link GroupClients}. A group the proxy has no client for yet (its topology is a
 * poll behind the coordinator's meta writes) is UNAVAILABLE, which the coordinator retries, and triggers a refresh.
 */
public final class ClientShardOps implements ShardOps {
  private final GroupClients groups;
  private final Runnable refreshTopology;

  public ClientShardOps(GroupClients groups, Runnable refreshTopology) {
    this.groups = groups;
    this.refreshTopology = refreshTopology;
  }

  private <T> CompletableFuture<T> on(String group, Function<ShardGroupClient, CompletableFuture<T>> op) {
    ShardGroupClient c = groups.get(group);
    if (c == null) {
      refreshTopology.run();
      return CompletableFuture.failedFuture(new KvException(ErrorCode.UNAVAILABLE, "no client for group " + group
          + " yet"));
    }
    try {
      return op.apply(c);
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<Reply.Ownership> setOwnership(String group, MigrationToken token, HashRanges ranges) {
    return on(group, c -> c.setOwnershipAsync(token.epoch(), ranges, token.migrationId()));
  }

  @Override
  public CompletableFuture<Reply.ScanPage> scan(String group, HashRanges ranges, ScanCursor after, int limit) {
    return on(group, c -> c.scanAsync(ranges, after, limit));
  }

  @Override
  public CompletableFuture<Reply.Migrated> migrateIn(String group, List<Entry> records, MigrationToken token) {
    return on(group, c -> c.migrateInAsync(records, token));
  }

  @Override
  public CompletableFuture<Reply.Purged> purgeUnowned(String group, int limit, MigrationToken token) {
    return on(group, c -> c.purgeUnownedAsync(limit, token));
  }

  @Override
  public CompletableFuture<Reply.Purged> collectTombstones(String group, HashRanges ranges, int limit,
                                                          MigrationToken token) {
    return on(group, c -> c.collectTombstonesAsync(ranges, limit, token));
  }

  @Override
  public CompletableFuture<Reply.Status> status(String group) {
    return on(group, ShardGroupClient::statusAsync);
  }

  @Override
  public CompletableFuture<Void> setPeers(String group, List<Peer> peers, Duration timeout) {
    List<PeerAddress> addresses = peers.stream().map(p -> new PeerAddress(p.id(), p.host(), p.port())).toList();
    return on(group, c -> c.setPeersAsync(addresses, timeout));
  }
}
