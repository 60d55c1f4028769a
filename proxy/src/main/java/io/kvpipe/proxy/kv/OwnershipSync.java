package io.kvpipe.proxy.kv;

import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.ring.HashRanges;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.wire.Reply;
import io.kvpipe.proxy.topology.TopologyView;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each ring group's own fence match the ring: a group starts out owning every key at epoch 1, so after the
 * first topology is installed each member is told the ranges the ring gives it at the topology's epoch. From then on
 * a write that reaches the wrong group (a stale proxy, a direct client) is refused with WRONG_GROUP. Skipped while a
 * migration is in flight (the migration coordinator owns fences then; ended migrations kept as history do not
 * count), and never moves a group backwards: only a group behind the topology's epoch, or at that epoch with other
 * ranges, is told. Idempotent: several proxies may run it.
 */
public final class OwnershipSync {
  private static final Logger LOG = LoggerFactory.getLogger(OwnershipSync.class);

  private OwnershipSync() {}

  /** Fences every ring member whose ownership lags the topology; returns how many groups were updated. */
  public static int run(TopologyView view, GroupClients groups) {
    Topology t = view.topology();
    if (!view.isReady() || t.inFlightMigration().isPresent()) {
      return 0;
    }
    int updated = 0;
    Map<String, HashRanges> own = view.ownership();
    for (String member : t.ringMembers()) {
      ShardGroupClient client = groups.get(member);
      HashRanges want = own.getOrDefault(member, HashRanges.EMPTY);
      if (client == null) {
        continue;
      }
      try {
        Reply.Status status = client.status();
        if (status.epoch() < t.epoch() || (status.epoch() == t.epoch() && !status.ranges().equals(want))) {
          client.setOwnershipAsync(t.epoch(), want).join();
          updated++;
          LOG.info("group {} now owns {} ranges at epoch {}", member, want.ranges().size(), t.epoch());
        }
      } catch (RuntimeException e) {
        LOG.warn("could not align the ownership of group {}: {}", member, e.toString());
      }
    }
    return updated;
  }
}
