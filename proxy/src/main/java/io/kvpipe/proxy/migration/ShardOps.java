package io.kvpipe.proxy.migration;

import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.wire.Entry;
import io.kvpipe.common.wire.MigrationToken;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.common.wire.ScanCursor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The shard-group commands a migration is made of, by group name. Asynchronous; failures are KvExceptions (the
 * future's cause). The commands that change a group carry the migration's {@link MigrationToken}: a group refuses
 * them once another migration (or this one's cancel) fenced it. {@link ClientShardOps} sends them to the real groups; unit tests use an in-memory fake.
 */
public interface ShardOps {
  /** Fences {@code group} for migration {@code token}: it owns {@code ranges} from the token's epoch on. */
  CompletableFuture<Reply.Ownership> setOwnership(String group, MigrationToken token, HashRanges ranges);

  CompletableFuture<Reply.ScanPage> scan(String group, HashRanges ranges, ScanCursor after, int limit);

  CompletableFuture<Reply.Migrated> migrateIn(String group, List<Entry> records, MigrationToken token);

  CompletableFuture<Reply.Purged> purgeUnowned(String group, int limit, MigrationToken token);

  CompletableFuture<Reply.Purged> collectTombstones(String group, HashRanges ranges, int limit, MigrationToken token);

  CompletableFuture<Reply.Status> status(String group);

  /** Raft membership change of {@code group} to exactly {@code peers}; new peers catch up before they count. */
  CompletableFuture<Void> setPeers(String group, List<Peer> peers, Duration timeout);
}
