package io.kvpipe.client.meta;

import io.kvpipe.client.RaftClientSlot;
import io.kvpipe.client.RaftErrors;
import io.kvpipe.client.RaftTls;
import io.kvpipe.client.ResentCalls;
import io.kvpipe.client.RetryWindow;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaQuery;
import io.kvpipe.common.topology.MetaReply;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.wire.GroupIds;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * Talks to the meta group: submits {@link MetaCommand}s and reads the topology (linearizable reads, so a proxy never
 * sees an older topology than one it has already seen from another proxy). Thread-safe; one per proxy.
 */
public final class MetaClient implements AutoCloseable {
  /** The meta group's name, as hosted by kv-nodes. */
  public static final String GROUP_NAME = "meta";

  /**
   * Replaced after a failure that breaks it: commands go through Ratis's ordered pipeline, which stays closed once one
   * request in it fails for good (robustness finding 6: a proxy whose command outlived its retry window while the meta
   * leader was paused got that same failure for every later command, for the rest of its life).
   */
  private final RaftClientSlot client;
  /** Commands (and queries) Ratis resent: a command's failure after a resend leaves its outcome unknown. */
  private final ResentCalls resent = new ResentCalls();
  private final Duration timeout;
  /** How long the meta leader may hold a {@link MetaQuery.ChangedAfter}: well inside one attempt, so no resend. */
  private final long changeWaitMillis;

  private static final long MAX_ATTEMPT_MILLIS = 3000;

  public MetaClient(List<Peer> peers, Duration timeout, RaftTls tls) {
    this.timeout = timeout;
    RaftProperties props = new RaftProperties();
    // Per attempt, not per operation: an attempt stuck on a dead leader must give way to a retry on the new one within
    // about an election, while the operation as a whole still has the full timeout (orTimeout below).
    long attemptMillis = Math.clamp(timeout.toMillis() / 4, 500, MAX_ATTEMPT_MILLIS);
    RetryWindow.check(timeout, Duration.ofMillis(attemptMillis));
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(attemptMillis, TimeUnit.MILLISECONDS));
    this.changeWaitMillis = attemptMillis / 2;
    RaftGroup group = RaftGroup.valueOf(groupId(), peers.stream().map(MetaClient::raftPeer).toList());
    this.client = new RaftClientSlot(() -> RaftClient.newBuilder().setProperties(props).setRaftGroup(group)
        .setClientRpc(tls.clientFactory().newRaftClientRpc(ClientId.randomId(), props))
        .setRetryPolicy(resent.noting(RetryWindow.policy(timeout, Duration.ofMillis(100))))
        .build());
  }

  public static RaftGroupId groupId() {
    return RaftGroupId.valueOf(GroupIds.uuidOf(GROUP_NAME));
  }

  static RaftPeer raftPeer(Peer p) {
    return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(p.id())).setAddress(p.address()).build();
  }

  /**
   * Submits a command; completes with the reply if applied, or exceptionally with the refusal as a KvException. A
   * failure that leaves open whether the command was applied is an {@link OutcomeUnknownException}: the meta group's
   * answer to a resend of a command it applied before its replicas restarted ("already applied at log index N"), and
   * any failure after the command may have been logged (no answer in time, a lost connection or stream, resends that
   * ran out with no leader), as for a shard write ({@link RaftErrors#ofWrite}). The caller reads the topology to
   * learn the outcome.
   */
  public CompletableFuture<MetaReply> submit(MetaCommand command) {
    Message msg = Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeCommand(command)));
    RaftClient c = client.get();
    return c.async().send(msg)
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((reply, err) -> {
          boolean resentByRatis = resent.forget(msg);
          if (err != null) {
            client.onFailure(c, err);
            throw commandFailure(err, resentByRatis, "meta command " + command.getClass().getSimpleName());
          }
          checkSuccess(reply, "meta command");
          return TopologyCodec.decode(reply.getMessage().getContent().toByteArray(), MetaReply.class).orThrow();
        });
  }

  /**
   * What a command whose call failed with {@code err} throws ({@code resentByRatis}: whether Ratis sent it more than
   * once): a refusal before logging stays definite (the state machine's, or a server's to a command sent once);
   * anything else may hide an applied attempt and is an unknown outcome.
   */
  static KvException commandFailure(Throwable err, boolean resentByRatis, String what) {
    Throwable raw = RaftErrors.unwrap(err);
    return RaftErrors.ofWrite(RaftErrors.toKvException(raw, what), raw, resentByRatis, GROUP_NAME,
        "read the topology before repeating it");
  }

  public MetaReply submitAndWait(MetaCommand command) {
    return join(submit(command));
  }

  public Topology snapshot() {
    return join(query(new MetaQuery.Snapshot(), Topology.class));
  }

  public MetaQuery.VersionInfo version() {
    return join(query(new MetaQuery.Version(), MetaQuery.VersionInfo.class));
  }

  public CompletableFuture<MetaQuery.VersionInfo> versionAsync() {
    return query(new MetaQuery.Version(), MetaQuery.VersionInfo.class);
  }

  /**
   * The topology's version once it is greater than {@code version}: answered by the meta leader as soon as it applies
   * a change, or after a wait of about half an attempt with the version unchanged (the caller asks again).
   */
  public MetaQuery.VersionInfo changedAfter(long version) {
    return join(query(new MetaQuery.ChangedAfter(version, changeWaitMillis), MetaQuery.VersionInfo.class));
  }

  /**
   * Like {@link #changedAfter}, answered with the topology and the events after {@code version} (one round trip for
   * what a change needs); meta replicas that predate the query refuse it.
   */
  public MetaQuery.Changes changesAfter(long version) {
    return join(query(new MetaQuery.ChangesAfter(version, changeWaitMillis), MetaQuery.Changes.class));
  }

  public MetaQuery.EventPage eventsSince(long since, int limit) {
    return join(query(new MetaQuery.EventsSince(since, limit), MetaQuery.EventPage.class));
  }

  private <T> CompletableFuture<T> query(MetaQuery q, Class<T> type) {
    Message msg = Message.valueOf(ByteString.copyFrom(TopologyCodec.encodeQuery(q)));
    // Unordered: Ratis's ordered async window is shared with this client's writes, and one lost request in it holds
    // every later one (seen as topology reloads hanging for the whole request timeout during a migration).
    return client.get().async().sendReadOnlyUnordered(msg)
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((reply, err) -> {
          resent.forget(msg); // the retry policy notes queries too
          if (err != null) {
            throw RaftErrors.toKvException(err, "meta query");
          }
          checkSuccess(reply, "meta query");
          return TopologyCodec.decode(reply.getMessage().getContent().toByteArray(), type);
        });
  }

  private static void checkSuccess(RaftClientReply reply, String what) {
    if (!reply.isSuccess()) {
      throw RaftErrors.toKvException(reply.getException() != null ? reply.getException()
          : new IOException("unsuccessful reply"), what);
    }
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (RuntimeException e) {
      throw rethrown(e);
    }
  }

  /** What a blocking call throws for {@code e}: a KvException with the caller's stack; an unknown outcome stays one. */
  static KvException rethrown(Throwable e) {
    KvException kv = RaftErrors.toKvException(e, "meta call");
    return kv instanceof OutcomeUnknownException ? new OutcomeUnknownException(kv.code(), kv.getMessage(), kv)
        : new KvException(kv.code(), kv.getMessage(), kv);
  }

  @Override
  public void close() {
    client.close();
  }
}
