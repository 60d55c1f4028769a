package io.kvpipe.proxy.migration;

import io.kvpipe.common.error.ErrorCode;
import io.kvpipe.common.error.KvException;
import io.kvpipe.common.error.OutcomeUnknownException;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.Migration;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds or removes one replica of a group. {@code pending}: the guards still hold. {@code joining} (add-peer): the
 * node named by the record's {@code peer} creates an empty replica (its reconciler reads in-flight add-peer records)
 * and a Raft configuration change makes it a member once it has caught up; repeated until the group accepts it.
 * {@code reconfiguring}: for remove-peer the Raft configuration change, then for both the meta SetGroupPeers, after
 * which every proxy rebuilds its client of the group and the removed node's reconciler drops its replica. Then done.
 * A guard that no longer holds in {@code pending} fails the change without touching anything.
 */
final class MembershipChangeRun extends MigrationRun {
  MembershipChangeRun(String id, Context ctx) {
    super(id, ctx);
  }

  @Override
  protected void steps() {
    int failures = 0;
    while (!stopped()) {
      MigrationRecord r = ctx.store().read(id).orElse(null);
      if (r == null || !r.inFlight()) {
        return;
      }
      String step = r.step();
      try {
        switch (step) {
          case MigrationRecord.PENDING -> check(r);
          case MigrationRecord.JOINING -> join(r);
          case MigrationRecord.RECONFIGURING -> reconfigure(r);
          default -> throw new KvException(ErrorCode.INTERNAL, "unknown step " + step);
        }
        failures = 0;
      } catch (LeaseLost | Retrying.Stopped e) {
        throw e;
      } catch (RuntimeException e) {
        failedAttempt(step, e, failures++);
      }
    }
  }

  private void check(MigrationRecord r) {
    Topology t = ctx.store().topology();
    try {
      MembershipChange.check(t, r.kind(), r.group(), Peer.parse(r.peer()), r.id());
    } catch (KvException e) {
      endFailed(e.getMessage());
      return;
    }
    advance(cur -> cur, r.kind().equals(Migration.ADD_PEER) ? MigrationRecord.JOINING : MigrationRecord.RECONFIGURING);
  }

  private void join(MigrationRecord r) {
    List<Peer> peers = wanted(r);
    retrying.await("add " + r.peer() + " to the replicas of " + r.group(),
        () -> ctx.ops().setPeers(r.group(), peers, ctx.settings().setPeersTimeout()));
    advance(cur -> cur, MigrationRecord.RECONFIGURING);
  }

  private void reconfigure(MigrationRecord r) {
    List<Peer> peers = wanted(r);
    if (r.kind().equals(Migration.REMOVE_PEER)) {
      retrying.await("remove " + r.peer() + " from the replicas of " + r.group(),
          () -> ctx.ops().setPeers(r.group(), peers, ctx.settings().setPeersTimeout()));
    }
    Topology t = ctx.store().topology();
    ShardGroup g = t.group(r.group()).orElseThrow(() -> new KvException(ErrorCode.UNKNOWN_GROUP,
        "group " + r.group() + " left the topology"));
    if (!g.peers().equals(peers)) {
      try {
        ctx.store().meta().submit(new MetaCommand.SetGroupPeers(r.group(), peers, null, ctx.store().now()));
      } catch (OutcomeUnknownException e) {
        // Maybe applied (a resend the meta group answered "already applied", or no answer in time): the topology says.
        boolean applied = ctx.store().topology().group(r.group()).map(x -> x.peers().equals(peers)).orElse(false);
        if (!applied) {
          throw e;
        }
      }
    }
    advance(cur -> cur, Migration.DONE);
  }

  /** The group's replica list after the change, from the topology as it is now (so a retry computes the same). */
  private List<Peer> wanted(MigrationRecord r) {
    Peer peer = Peer.parse(r.peer());
    ShardGroup g = ctx.store().topology().group(r.group()).orElseThrow(() -> new KvException(ErrorCode.UNKNOWN_GROUP,
        "group " + r.group() + " left the topology"));
    List<Peer> peers = new ArrayList<>(g.peers().stream().filter(p -> !p.id().equals(peer.id())).toList());
    if (r.kind().equals(Migration.ADD_PEER)) {
      peers.add(peer);
    }
    return peers;
  }

  @Override
  protected String progressLine(MigrationRecord r) {
    return r.kind() + " " + r.peer() + " in " + r.group() + ": " + r.phase()
        + (r.error() == null ? "" : " (last error: " + r.error() + ")");
  }
}
