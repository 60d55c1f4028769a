package io.kvpipe.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvpipe.common.topology.MetaCommand;
import io.kvpipe.common.topology.MetaState;
import io.kvpipe.common.topology.ShardGroup;
import io.kvpipe.common.topology.TopologyTransitions;
import io.kvpipe.proxy.topology.TopologyView;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusApiTest {
  @Test
  void readyOnlyWhileEveryRingGroupHasAMajorityUp() {
    assertThat(StatusApi.problems(TopologyView.EMPTY)).containsExactly("no topology loaded");
    MetaState s = TopologyTransitions.apply(MetaState.EMPTY, new MetaCommand.Bootstrap(List.of(
        ShardGroup.parse("g1=n1@h:1,n2@h:2,n3@h:3")), List.of(), 8, 1)).state();
    assertThat(StatusApi.problems(new TopologyView(s.topology()))).isEmpty();
    s = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n1", false, "x", 2)).state();
    assertThat(StatusApi.problems(new TopologyView(s.topology()))).isEmpty();
    s = TopologyTransitions.apply(s, new MetaCommand.SetNodeHealth("n2", false, "x", 3)).state();
    assertThat(StatusApi.problems(new TopologyView(s.topology()))).containsExactly("group g1 has 1 of 3 replicas up");
  }
}
