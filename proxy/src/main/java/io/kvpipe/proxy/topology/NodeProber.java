package io.kvpipe.proxy.topology;

import io.kvpipe.client.RaftTls;
import io.kvpipe.common.topology.NodeInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks one kv-node's Ratis server which groups it hosts: a cheap request that succeeds only if the process is up and
 * serving RPCs. One Ratis client per node (rebuilt if its address changes), never retried by Ratis itself: the
 * monitor decides about retries. Thread-safe.
 *
 * <p>One per proxy, shared by {@link HealthMonitor} and {@link GroupStatusMonitor} and closed by their owner: each
 * client holds gRPC channels, and a client whose node died is reset by Ratis with a blocking channel shutdown (up to
 * 5 s), so two monitors each with their own clients doubled that cost after a kill.
 */
public final class NodeProber implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeProber.class);

  private record Probe(String address, RaftClient client) {}

  private final Duration timeout;
  private final RaftTls tls;
  private final Map<String, Probe> clients = new ConcurrentHashMap<>();

  public NodeProber(Duration timeout, RaftTls tls) {
    this.timeout = timeout;
    this.tls = tls;
  }

  /** True if the node answered within the timeout. */
  boolean probe(NodeInfo node) {
    Probe p = client(node);
    try {
      p.client().getGroupManagementApi(RaftPeerId.valueOf(node.id())).list();
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.debug("probe of {} failed: {}", node.id(), e.toString());
      return false;
    }
  }

  /** The node's replica of {@code group}: role, leader, log indices (one RPC, no retry). */
  org.apache.ratis.protocol.GroupInfoReply groupInfo(NodeInfo node, RaftGroupId group) throws IOException {
    return client(node).client().getGroupManagementApi(RaftPeerId.valueOf(node.id())).info(group);
  }

  private Probe client(NodeInfo node) {
    return clients.compute(node.id(), (id, old) -> {
      if (old != null && old.address().equals(node.address())) {
        return old;
      }
      if (old != null) {
        closeQuietly(old.client());
      }
      return new Probe(node.address(), newClient(node));
    });
  }

  /** Closes the clients of nodes other than {@code nodeIds} (they left the topology). */
  void retain(Set<String> nodeIds) {
    for (String id : Set.copyOf(clients.keySet())) {
      if (!nodeIds.contains(id)) {
        Probe gone = clients.remove(id);
        if (gone != null) {
          closeQuietly(gone.client());
        }
      }
    }
  }

  /** The nodes this prober holds a client for. */
  Set<String> nodes() {
    return Set.copyOf(clients.keySet());
  }

  private RaftClient newClient(NodeInfo node) {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(timeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftPeer peer = RaftPeer.newBuilder().setId(node.id()).setAddress(node.address()).build();
    return RaftClient.newBuilder().setProperties(props)
        .setRaftGroup(RaftGroup.valueOf(RaftGroupId.randomId(), peer))
        .setClientRpc(tls.clientFactory().newRaftClientRpc(ClientId.randomId(), props))
        .setRetryPolicy(RetryPolicies.noRetry())
        .build();
  }

  private static void closeQuietly(RaftClient c) {
    try {
      c.close();
    } catch (IOException e) {
      LOG.debug("closing a probe client failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    clients.values().forEach(p -> closeQuietly(p.client()));
    clients.clear();
  }
}
