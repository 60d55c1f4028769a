package io.kvpipe.proxy.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.ring.HashRange;
import io.kvpipe.common.ring.HashRing;
import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyEvent;
import io.kvpipe.common.topology.TopologyTransitions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyViewTest {
  static TopologyView view() {
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@127.0.0.1:1"), ShardGroup.parse("g2=n2@127.0.0.1:2"),
        ShardGroup.parse("g3=n3@127.0.0.1:3")), List.of(), 32, 1)).state();
    return new TopologyView(s.topology());
  }

  @Test
  void routesExactlyLikeTheSharedRing() {
    TopologyView v = view();
    HashRing ring = HashRing.of(List.of("g3", "g1", "g2"), 32);
    for (int i = 0; i < 5000; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(v.groupFor(key)).isEqualTo(ring.groupFor(key));
    }
    long total = v.ownership().values().stream().mapToLong(r -> r.width()).sum();
    assertThat(total).isEqualTo(HashRange.RING_SIZE);
  }

  @Test
  void anEmptyTopologyRoutesNothing() {
    assertThat(TopologyView.EMPTY.isReady()).isFalse();
    assertThat(TopologyView.EMPTY.groupFor(new byte[] {1})).isNull();
    assertThat(TopologyView.EMPTY.ownership()).isEmpty();
  }

  @Test
  void sseFramesCarryTheVersionAsIdAndJsonData() {
    String snap = SseHub.snapshotFrame(view());
    assertThat(snap).startsWith("id: 1\nevent: snapshot\ndata: {").endsWith("}\n\n");
    assertThat(snap.substring(0, snap.length() - 2)).doesNotContain("\n\n");
    String change = SseHub.changeFrame(new TopologyEvent(7, 99, TopologyEvent.NODE_DOWN, Map.of("node", "n1")));
    assertThat(change).startsWith("id: 7\nevent: change\ndata: ").contains("\"NODE_DOWN\"").endsWith("\n\n");
  }
}
