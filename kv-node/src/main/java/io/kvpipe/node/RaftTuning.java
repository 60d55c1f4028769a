package io.kvpipe.node;

import io.kvpipe.client.RetryWindow;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * The Ratis settings every kv-node replica runs with (see FACTS.md): gRPC transport, linearizable reads, 300–600 ms
 * elections, no wait between AppendEntries, followers free to merge appends into one fsync, no metadata entries,
 * fsync'd log (Ratis's default flush), automatic snapshots with log purge. Kept apart from {@link KvNode} so in-process test clusters run the very same settings.
 */
public final class RaftTuning {
  private RaftTuning() {}

  /**
   * Applies the settings that do not depend on where the replica lives (storage dir and port are the caller's).
   *
   * @param snapshotThreshold applied entries between automatic snapshots
   * @param logSegmentBytes closed-segment size (purge removes closed segments only)
   * @param maxValueBytes the value cap; log buffers and gRPC messages are sized to carry such a value
   */
  public static void apply(RaftProperties p, long snapshotThreshold, long logSegmentBytes, int maxValueBytes) {
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(300));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(600));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, ms(150));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, ms(400));
    // A leader that steps down for lost majority heartbeats (on a starved box: a new leader whose first appends came
    // late) then refuses to stand for election for this long; Ratis's 10 s default was measured here as a 13 s
    // failover, the stepped-down node being the only one with the newest log entry. Pre-vote (on, Ratis's default)
    // already keeps a cut-off old leader from disrupting the group, so one election timeout of waiting is enough.
    RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, ms(600));
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, ms(0));
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);
    // On (Ratis 3.3's default), a follower chains each AppendEntries' append behind the previous one's fsync, so it
    // can never merge two of them into one fsync: measured here, off gave 1.5-2.2x the puts at c=64 (FACTS.md).
    RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
    // Ratis's defaults already fsync each flush (no unsafe or async flush); stated here so nobody "tunes" it away.
    RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);
    RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);

    // One AppendEntries batch must fit a maximal entry; the log's write buffer must hold a whole batch (Ratis checks).
    long entryMax = maxValueBytes + (8L << 10);
    long appenderBytes = Math.max(4L << 20, entryMax * 2);
    SizeInBytes writeBuffer = SizeInBytes.valueOf(appenderBytes + (64L << 10));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(appenderBytes));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, writeBuffer);
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(Math.max(logSegmentBytes, entryMax * 2)));
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(32L << 20, entryMax * 4)));
    // The log keeps closed segments' entries on the heap, by default up to 6 of them (48 MiB at 8 MiB segments;
    // Ratis's 200 MiB size cap does not bind first): heap that duplicates records the store already holds (issue 15).
    // None beyond the open segment: Ratis evicts a closed segment's entries only once every follower's next index
    // and the applied index are past it, so a follower a little behind is still served from memory; one further
    // behind than its closed segments is read from disk (or sent a snapshot), as after a purge (LogCatchUpIT).
    // Measured at 1M records of 116 B: 0-20 MB less live heap per node than 2 cached segments (Ratis evicts at
    // the next append, so what is left cached when writes stop varies; docs/operations.md).
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 0);

    // Longer than any client may resend a request (RetryWindow): a resend the cache forgot would be applied twice.
    RaftServerConfigKeys.RetryCache.setExpiryTime(p, ms(RetryWindow.SERVER_RETRY_CACHE.toMillis()));

    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, snapshotThreshold);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, snapshotThreshold)));
  }

  /**
   * How long the leader waits before its next AppendEntries to a follower after the N-th error in a row: 1 ms for 10,
   * then 100 ms for 50 (5 s), then once a second. With Ratis's default ("1ms,10, 1s,20, 5s,1000") a follower down for a
   * few seconds (a restart) was then tried once a second, also while the leader worked out where its log ends (every
   * INCONSISTENCY reply counts as an error): measured after a kill -9 and restart, the follower heard from its leader
   * only every 0.3-1 s for 5 s, its election timer firing in between (pre-votes, refused), and it was the slowest to
   * notice the next dead leader. One down for longer than half a minute waited 5 s. A failed attempt on a peer that
   * is down costs a refused connection or a channel in backoff, so trying every 100 ms is cheap.
   */
  static final String APPENDER_RETRY_POLICY = "1ms,10, 100ms,50, 1s,5000";

  private static TimeDuration ms(long millis) {
    return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
  }
}
