package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.client.RaftTls;
import io.kvpipe.client.meta.MetaClient;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.Peer;
import io.kvpipe.common.topology.RingSpec;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.Topology;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.proxy.ProxyMetrics;
import io.kvpipe.testsupport.Ports;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthMonitorTest {
  @Test
  void aNodeThatLeftTheTopologyIsNoLongerProbedNorHeld() {
    // Nothing listens on these ports: probes fail at once, which is all a round needs here.
    String n1 = "n1@127.0.0.1:" + Ports.freePort();
    String n2 = "n2@127.0.0.1:" + Ports.freePort();
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=" + n1), ShardGroup.parse("g2=" + n2)), List.of(), 8, 1)).state();
    AtomicReference<Topology> current = new AtomicReference<>(s.topology());
    // Nothing listens on these ports: the nodes are probed (and found down), never reached, so plaintext will do.
    try (MetaClient meta = new MetaClient(List.of(Peer.parse(n1)), Duration.ofMillis(200), RaftTls.PLAINTEXT);
         NodeProber prober = new NodeProber(Duration.ofMillis(300), RaftTls.PLAINTEXT);
         HealthMonitor monitor = new HealthMonitor(current::get, () -> { }, meta, new ProxyMetrics(),
             Duration.ofSeconds(60), Duration.ofMillis(300), 0, 100, prober)) {
      assertThat(monitor.runNow()).extracting(HealthMonitor.NodeResult::node).containsExactly("n1", "n2");
      assertThat(monitor.probedNodes()).containsExactlyInAnyOrder("n1", "n2");

      s = TopologyTransitions.apply(s, new MetaCommand.SetRing(new RingSpec(8, List.of("g1")), 2, null, 2)).state();
      s = TopologyTransitions.apply(s, new MetaCommand.RemoveGroup("g2", null, 3)).state();
      current.set(s.topology());
      assertThat(monitor.runNow()).extracting(HealthMonitor.NodeResult::node).containsExactly("n1");
      assertThat(monitor.probedNodes()).as("nodes the prober keeps a client for").containsExactly("n1");
    }
  }
}
