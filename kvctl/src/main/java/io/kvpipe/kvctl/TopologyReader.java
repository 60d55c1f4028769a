package io.kvpipe.kvctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.kvpipe.client.RetryWindow;
import io.kvpipe.client.ShardGroupClient;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyCodec;
import io.kvpipe.common.wire.PeerAddress;
import java.time.Duration;

/** The topology as the proxy serves it, and direct Ratis clients of its groups (backup and restore read them). */
final class TopologyReader {
  private static final Duration RPC_TIMEOUT = Duration.ofSeconds(3);

  private TopologyReader() {}

  static Topology read(ProxyApi api) {
    try {
      return TopologyCodec.json().treeToValue(api.get("/api/topology/snapshot"), Topology.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new KvctlException(ExitCodes.SERVER_ERROR, "the proxy's topology could not be read: " + e.getMessage(), e);
    }
  }

  static ShardGroupClient client(ShardGroup g, ClusterOptions cluster) {
    // No Ratis client may resend past what the replicas remember (RetryWindow).
    Duration longest = RetryWindow.MAX_CLIENT_WINDOW.minus(RPC_TIMEOUT);
    Duration wanted = Duration.ofMillis(Math.max(cluster.timeoutMs, 30_000));
    return ShardGroupClient.builder(g.raftName(), g.peers().stream().map(p -> PeerAddress.parse(p.toString())).toList())
        .operationTimeout(wanted.compareTo(longest) > 0 ? longest : wanted).rpcTimeout(RPC_TIMEOUT)
        .tls(cluster.raftTls()).build();
  }
}
